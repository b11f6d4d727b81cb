"""Exercises of chapter 9 FAQ (notebooks/13_faq.ipynb): each checker computes its answer on the
chapter's task (:func:`retail_lab.features.repurchase_task`)."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail, _repurchase_setup, _repurchase_task


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    return dict(_repurchase_setup())


def _gpt2_xl() -> int:
    from ..background import transformer_param_count

    return transformer_param_count(48, 1600, 50257, 1024)


def _removed_share() -> float:
    res = _clean_retail()
    return len(res.removed) / res.report.n_rows


def _small_net_auc() -> float:
    from ..evaluation import holdout_auc, mlp_fitter

    task = _repurchase_task()
    return holdout_auc(mlp_fitter(hidden=(8,), epochs=60, seed=0), task.X, task.y, task.X_test, task.y_test)


register(
    Question("ch13", "q1", _gpt2_xl, "int", 0.0, "Use transformer_param_count with GPT-2's vocabulary "
             "and context."),
    Question("ch13", "q2", _removed_share, "float", 0.005, "Removed rows divided by all rows."),
    Question("ch13", "q3", _small_net_auc, "float", 0.005,
             "auc_trained_on(cleaned.clean, fit=evaluation.mlp_fitter(hidden=(8,), epochs=60, seed=0)).",
             needs_code=True),
)
