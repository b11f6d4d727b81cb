"""Exercises of chapter 9 FAQ (notebooks/13_faq.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail


def _gpt2_xl() -> int:
    from ..background import transformer_param_count

    return transformer_param_count(48, 1600, 50257, 1024)


def _removed_share() -> float:
    res = _clean_retail()
    return len(res.removed) / res.report.n_rows


def _raw_lr_auc() -> float:
    from ..datasets import load_online_retail
    from ..evaluation import holdout_auc, logistic_fitter
    from ..features import repurchase_dataset

    raw = load_online_retail()
    X, y = repurchase_dataset(raw[raw["CustomerID"].notna()], "2011-05-01")
    Xt, yt = repurchase_dataset(_clean_retail().clean, "2011-08-01")  # clean test set
    return holdout_auc(logistic_fitter(), X, y, Xt, yt)


register(
    Question("ch13", "q1", _gpt2_xl, "int", 0.0, "Use transformer_param_count with GPT-2's vocabulary "
             "and context."),
    Question("ch13", "q2", _removed_share, "float", 0.005, "Removed rows divided by all rows."),
    Question("ch13", "q3", _raw_lr_auc, "float", 0.01,
             "Drop rows without a customer id, build the training set from the raw table, "
             "standardise, fit, and score the clean 2011-08-01 customers."),
)
