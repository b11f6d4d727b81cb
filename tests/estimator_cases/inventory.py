"""Conformance cases for the forecasters of ``retail_lab.inventory`` (chapter 6.3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from estimator_cases import Case
from retail_lab import inventory as inv


def _demand(weeks: int = 8) -> pd.DataFrame:
    """Two products, a weekly pattern, Saturdays closed (0), starting on a Monday."""
    rng = np.random.default_rng(0)
    idx = pd.date_range("2011-01-03", periods=7 * weeks)
    base = np.tile([10, 12, 11, 13, 15, 0, 5], weeks) + rng.normal(0, 0.5, 7 * weeks)
    base[idx.day_of_week == 5] = 0
    return pd.DataFrame({"A": np.clip(base, 0, None), "B": np.clip(2 * base, 0, None)}, index=idx)


CLOSED = pd.date_range("2011-01-08", periods=8, freq="7D")  # the Saturdays of _demand
NEXT = pd.date_range("2011-02-28", periods=7)  # the week after _demand()


def _forecast(est):
    return est.predict(NEXT)


def _unfitted(est):
    return est.predict(NEXT)


CASES = [
    Case(inv.Naive, {"closed": CLOSED}, lambda: (_demand(),), _forecast, _unfitted,
         bad_params={"closed": "2011-01-08"}),
    Case(inv.SeasonalNaive, {"closed": CLOSED}, lambda: (_demand(),), _forecast, _unfitted,
         bad_params={"closed": [pd.NaT]}),
    Case(inv.MovingAverage, {"window": 14, "closed": CLOSED}, lambda: (_demand(),), _forecast, _unfitted,
         bad_params={"window": 0, "closed": ["2011-01-08 12:00"]}),
    Case(inv.WeekdayProfile, {"weeks": 4, "closed": CLOSED}, lambda: (_demand(),), _forecast, _unfitted,
         bad_params={"weeks": 2.5}),
    Case(inv.HoltWinters, {"alpha": 0.2, "gamma": 0.1, "closed": CLOSED}, lambda: (_demand(),), _forecast,
         _unfitted, bad_params={"alpha": 1.5, "gamma": -0.1}),
    Case(inv.KerasGlobal, {"lags": 14, "horizon": 7, "hidden": (8,), "epochs": 2, "batch_size": 32,
                           "seed": 0, "closed": CLOSED},
         lambda: (_demand(),), _forecast, _unfitted,
         bad_params={"lags": 0, "horizon": -1, "hidden": (8, 0), "epochs": 1.5, "batch_size": 0,
                     "learning_rate": 0.0, "loss": "huber", "seed": -1}),
]
