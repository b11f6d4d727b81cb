"""Exercises of chapter 3 Algorithms (notebooks/03_algorithms.ipynb): each checker computes its
answer on the chapter's task (:func:`retail_lab.features.repurchase_task`)."""

from __future__ import annotations

from ._core import Question, register
from ._data import _repurchase_setup, _repurchase_task

#: The validation hold-out of the chapter: a fifth of the training customers, seed 0.
VALIDATION_SHARE = 0.2
SEED = 0


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    return {**_repurchase_setup(), "validation_share": VALIDATION_SHARE, "seed": SEED}


def _ch03_params() -> int:
    from ..nn import MLP

    return MLP((7, 32, 16, 1), ("relu", "relu", "sigmoid")).n_params()


def _ch03_wide_net_auc() -> float:
    from sklearn.metrics import roc_auc_score

    from ..evaluation import train_mlp

    task = _repurchase_task()
    A, _, ya, _ = task.validation_split(VALIDATION_SHARE, SEED)
    net = train_mlp(A, ya, hidden=(64, 32), seed=SEED)
    return float(roc_auc_score(task.y_test, net.predict_proba(task.X_test.to_numpy(float))))


def _ch03_lr_auc() -> float:
    from sklearn.metrics import roc_auc_score

    from ..evaluation import logistic_fitter

    task = _repurchase_task()
    A, _, ya, _ = task.validation_split(VALIDATION_SHARE, SEED)
    return float(roc_auc_score(task.y_test, logistic_fitter()(A, ya)(task.X_test.to_numpy(float))))


register(
    Question("ch03", "q1", _ch03_params, "int", 0.0,
             "Each layer has n_in * n_out weights plus n_out biases."),
    Question("ch03", "q2", _ch03_wide_net_auc, "float", 0.005,
             "Train evaluation.train_mlp(A, ya, hidden=(64, 32)) (Adam, 60 epochs, seed 0) and "
             "score it on T with roc_auc_score.", needs_code=True),
    Question("ch03", "q3", _ch03_lr_auc, "float", 0.01,
             "Fit LogisticRegression on A (the standardised training customers without the "
             "validation fifth) and score the 2011-08-01 customers T."),
)
