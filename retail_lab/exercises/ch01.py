"""Exercises of chapter 1 Background (notebooks/01_background.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail


def _uk_revenue_share() -> float:
    from ..features import line_revenue

    tx = _clean_retail().clean
    rev = line_revenue(tx)
    return float(rev[tx["Country"] == "United Kingdom"].sum() / rev.sum())


def _top20_units_share() -> float:
    from ..explore import item_popularity, top_share

    return top_share(item_popularity(_clean_retail().clean), 0.2)


def _gpt2_medium() -> int:
    from ..background import transformer_param_count

    return transformer_param_count(24, 1024, 50257, 1024)


register(
    Question("ch01", "q1", _uk_revenue_share, "float", 0.005,
             "Use the clean purchase lines and revenue = Quantity * UnitPrice; give a "
             "fraction such as 0.5, not a percentage."),
    Question("ch01", "q2", _gpt2_medium, "int", 0.0,
             "Use transformer_param_count with GPT-2's vocabulary (50,257) and context "
             "(1,024); the embeddings are tied."),
    Question("ch01", "q3", _top20_units_share, "float", 0.005,
             "Rank products by units with item_popularity, then use top_share(pop, 0.2)."),
)
