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
    from .. import quality
    from ..datasets import load_online_retail

    raw = load_online_retail()
    return quality.clean(raw, apply=[r.name for r in quality.rules() if r.name != "missing_customer_id"]).clean


def _rec_split():
    from ..recsys import TEST_CUTOFF, temporal_split

    return temporal_split(_clean_retail().clean, TEST_CUTOFF)


def _hillstrom_rates():
    from ..datasets import load_hillstrom

    return load_hillstrom().groupby("segment", observed=True)[["visit", "conversion"]].mean()
