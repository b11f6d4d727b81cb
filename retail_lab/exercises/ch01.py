"""Exercises of chapter 1 Background (notebooks/01_background.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail

#: How many of the largest customers exercise 1.3 asks about.
TOP_CUSTOMERS = 10


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    res = _clean_retail()
    return {"raw_rows": res.report.n_rows, "clean_rows": len(res.clean),
            "customers": int(res.clean["CustomerID"].nunique())}


def _uk_revenue_share() -> float:
    from ..features import line_revenue

    tx = _clean_retail().clean
    rev = line_revenue(tx)
    return float(rev[tx["Country"] == "United Kingdom"].sum() / rev.sum())


def _top_customers_revenue_share() -> float:
    from ..features import line_revenue

    tx = _clean_retail().clean
    rev = line_revenue(tx)
    per_customer = rev.groupby(tx["CustomerID"], observed=True).sum()
    return float(per_customer.nlargest(TOP_CUSTOMERS).sum() / rev.sum())


def _gpt2_medium() -> int:
    from ..background import transformer_param_count

    return transformer_param_count(24, 1024, 50257, 1024)


register(
    Question("ch01", "q1", _uk_revenue_share, "float", 0.005,
             "Use the clean purchase lines and revenue = Quantity * UnitPrice; give a "
             "fraction such as 0.5, not a percentage.", needs_code=True),
    Question("ch01", "q2", _gpt2_medium, "int", 0.0,
             "Use transformer_param_count with GPT-2's vocabulary (50,257) and context "
             "(1,024); the embeddings are tied."),
    Question("ch01", "q3", _top_customers_revenue_share, "float", 0.005,
             "Sum line_revenue(tx) per CustomerID, take the 10 largest with nlargest(10), and "
             "divide their sum by the total revenue; give a fraction, not a percentage.",
             needs_code=True),
)
