"""Exercises of chapter 6.1 Recommendation and A/B tests (notebooks/07_recommendation_case.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register


def _ch07_sample_size() -> int:
    from ..marketing import sample_size_two_proportions

    return sample_size_two_proportions(0.05, 0.20)


def _ch07_no_purchase() -> float:
    from ..sim import RetailWorld

    return float(RetailWorld(seed=0).choice_probabilities([0], [list(range(10))])[0, 0])


def _ch07_oracle_lift() -> float:
    from ..sim import OraclePolicy, PopularityPolicy, RetailWorld, ab_test, summarize_ab

    w = RetailWorld(seed=0)
    v = ab_test(w, {"popularity": PopularityPolicy(w.appeal), "oracle": OraclePolicy(w)}, days=14, seed=0)
    s = summarize_ab(v, "popularity", "oracle").set_index("metric")
    return float(s.loc["conversion rate (per visit)", "relative lift"])


register(
    Question("ch07", "q1", _ch07_sample_size, "int", 0.0, "marketing.sample_size_two_proportions(0.05, 0.20)."),
    Question("ch07", "q2", _ch07_no_purchase, "float", 1e-6,
             "choice_probabilities returns the no-purchase option in column 0."),
    Question("ch07", "q3", _ch07_oracle_lift, "float", 0.01,
             "summarize_ab(visits, 'popularity', 'oracle'): the 'relative lift' of conversion."),
)
