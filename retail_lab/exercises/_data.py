"""Data the exercise checkers of several chapters share (loaded once per session)."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _clean_retail():
    from .. import quality
    from ..datasets import load_online_retail

    return quality.clean(load_online_retail())


@functools.lru_cache(maxsize=1)
def _demand_clean():
    from ..datasets import load_online_retail
    from ..inventory import clean_demand

    return clean_demand(load_online_retail()).clean


@functools.lru_cache(maxsize=1)
def _repurchase_task(log: bool = True):
    """The book's repurchase task (chapter 3's) on the clean Online Retail lines."""
    from ..features import repurchase_task

    return repurchase_task(_clean_retail().clean, log=log)


def _repurchase_setup() -> dict:
    """The repurchase task's settings, as the chapters that use it glue them."""
    task = _repurchase_task()
    return {"train_cutoff": str(task.train_cutoff.date()), "test_cutoff": str(task.test_cutoff.date()),
            "horizon_days": task.horizon_days, "n_train": len(task.X), "n_test": len(task.X_test)}


def _rec_split():
    from ..recsys import TEST_CUTOFF, temporal_split

    return temporal_split(_clean_retail().clean, TEST_CUTOFF)


def _hillstrom_rates():
    from ..datasets import load_hillstrom

    return load_hillstrom().groupby("segment", observed=True)[["visit", "conversion"]].mean()
