"""Exercises of chapter 6.2 Personalized marketing (notebooks/08_marketing.ipynb): each checker computes its answer."""

from __future__ import annotations

import functools

from ._core import Question, register
from ._data import _clean_retail, _hillstrom_rates

#: The chapter's seed (train/test split of the uplift task).
SEED = 0


@functools.lru_cache(maxsize=1)
def _rfm_cutoff():
    import pandas as pd

    tx = _clean_retail().clean
    return tx["InvoiceDate"].max().normalize() + pd.Timedelta(days=1)


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    from .. import marketing as mk

    return {"rfm_cutoff": str(_rfm_cutoff().date()), "uplift_arm": mk.UPLIFT_ARM,
            "uplift_outcome": mk.UPLIFT_OUTCOME, "test_size": mk.UPLIFT_TEST_SIZE, "split_seed": SEED}


def _ch08_conversion_qini() -> float:
    """The chapter's two-model learner on the same split, with outcome conversion."""
    from .. import marketing as mk
    from ..datasets import load_hillstrom

    s = setup()
    task = mk.uplift_task(load_hillstrom(), treatment=s["uplift_arm"], outcome="conversion",
                          test_size=s["test_size"], seed=s["split_seed"])
    model = mk.TLearner().fit(task.X[task.train], task.t[task.train], task.y[task.train])
    return mk.qini_coefficient(task.y[task.test], task.t[task.test], model.predict(task.X[task.test]))


def _ch08_champions() -> int:
    from ..marketing import rfm_table

    rfm = rfm_table(_clean_retail().clean, _rfm_cutoff())
    return int((rfm["segment"] == "champions").sum())


def _ch08_sample_size() -> int:
    from ..marketing import sample_size_two_proportions

    return sample_size_two_proportions(float(_hillstrom_rates().loc["No E-Mail", "conversion"]), 0.5)


register(
    Question("ch08", "q1", _ch08_conversion_qini, "float", 0.01,
             "mk.uplift_task(hill, outcome='conversion', seed=SEED), then the two-model learner fitted on "
             "task.train and mk.qini_coefficient on task.test.", needs_code=True),
    Question("ch08", "q2", _ch08_champions, "int", 0.0,
             "marketing.rfm_table(clean lines, the day after the last invoice)."),
    Question("ch08", "q3", _ch08_sample_size, "int", 0.0,
             "marketing.sample_size_two_proportions(no-e-mail conversion rate, 0.5)."),
)
