"""Exercises of chapter 6.1 Recommendation and A/B tests (notebooks/07_recommendation_case.ipynb): each checker computes its answer."""

from __future__ import annotations

import functools

from ._core import Question, register

#: The chapter's seed (world, history, policies and the test).
SEED = 0


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    from .. import sim

    return {"seed": SEED, "n_customers": sim.RetailWorld(seed=SEED).n_customers,
            "history_days": sim.BOOK_HISTORY_DAYS, "browse_slate": sim.BOOK_BROWSE_SLATE,
            "slate_k": sim.BOOK_SLATE, "test_days": sim.BOOK_TEST_DAYS}


@functools.lru_cache(maxsize=1)
def _task():
    from ..sim import recommendation_ab_task

    s = setup()
    return recommendation_ab_task(seed=s["seed"], history_days=s["history_days"],
                                  browse_slate=s["browse_slate"], k=s["slate_k"])


def _ch07_sample_size() -> int:
    from ..marketing import sample_size_two_proportions

    return sample_size_two_proportions(0.05, 0.20)


def _ch07_short_test_low() -> float:
    """The chapter's test run for half its days: lower end of the customer-clustered 95%
    interval of arm B's (the offline winner's) relative conversion lift."""
    from ..sim import ab_test, summarize_ab

    task = _task()
    visits = ab_test(task.world, task.policies, days=setup()["test_days"] // 2, seed=SEED)
    r = summarize_ab(visits, "popularity", task.model).set_index("metric").loc["conversion rate (per visit)"]
    return float(r["low"] / r["popularity"])


def _ch07_oracle_lift() -> float:
    from ..sim import OraclePolicy, PopularityPolicy, RetailWorld, ab_test, summarize_ab

    w = RetailWorld(seed=SEED)
    v = ab_test(w, {"popularity": PopularityPolicy(w.appeal), "oracle": OraclePolicy(w)}, days=14, seed=SEED)
    s = summarize_ab(v, "popularity", "oracle").set_index("metric")
    return float(s.loc["conversion rate (per visit)", "relative lift"])


register(
    Question("ch07", "q1", _ch07_sample_size, "int", 0.0, "marketing.sample_size_two_proportions(0.05, 0.20)."),
    Question("ch07", "q2", _ch07_short_test_low, "float", 0.01,
             "sim.ab_test(world, policies, days=14, seed=SEED), then sim.summarize_ab(visits, 'popularity', "
             "task.model): row 'conversion rate (per visit)', column 'low' divided by column 'popularity' "
             "(a relative lift, e.g. 0.05 for +5%).", needs_code=True),
    Question("ch07", "q3", _ch07_oracle_lift, "float", 0.01,
             "summarize_ab(visits, 'popularity', 'oracle'): the 'relative lift' of conversion."),
)
