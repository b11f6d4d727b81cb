"""Exercises of chapter 3 Algorithms (notebooks/03_algorithms.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail


def _ch03_datasets():
    from ..features import repurchase_dataset

    tx = _clean_retail().clean
    return repurchase_dataset(tx, "2011-05-01"), repurchase_dataset(tx, "2011-08-01")


def _ch03_params() -> int:
    from ..nn import MLP

    return MLP((7, 32, 16, 1), ("relu", "relu", "sigmoid")).n_params()


def _ch03_base_rate() -> float:
    (_, y), _ = _ch03_datasets()
    return float(y.mean())


def _ch03_lr_auc() -> float:
    from ..evaluation import holdout_auc, logistic_fitter

    (X, y), (Xt, yt) = _ch03_datasets()
    return holdout_auc(logistic_fitter(), X, y, Xt, yt)


register(
    Question("ch03", "q1", _ch03_params, "int", 0.0,
             "Each layer has n_in * n_out weights plus n_out biases."),
    Question("ch03", "q2", _ch03_base_rate, "float", 0.005,
             "Use repurchase_dataset(clean, '2011-05-01') and average the labels."),
    Question("ch03", "q3", _ch03_lr_auc, "float", 0.01,
             "Standardise with the training set's scaler, fit LogisticRegression, score the "
             "2011-08-01 customers."),
)
