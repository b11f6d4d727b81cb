"""Exercises of chapter 2 Core concepts and pipeline (notebooks/02_concepts_pipeline.ipynb): each checker computes its answer."""

from __future__ import annotations

import functools
import inspect

from ._core import Question, register
from ._data import _clean_retail

#: The unit-price limit of the rule exercise 2.1 asks the reader to write (GBP).
PRICE_LIMIT = 50.0


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    from ..features import customer_features
    from ..pipeline import repurchase_pipeline

    cutoff = inspect.signature(repurchase_pipeline).parameters["cutoff"].default
    res = _clean_retail()
    return {"raw_rows": res.report.n_rows, "cutoff": cutoff,
            "n_customers": len(customer_features(res.clean, cutoff))}


@functools.lru_cache(maxsize=1)
def _raw():
    from ..datasets import load_online_retail

    return load_online_retail()


def _high_price_rows() -> int:
    import numpy as np

    from .. import quality

    rule = quality.Rule("high_unit_price", f"UnitPrice above {PRICE_LIMIT:.0f} GBP",
                        lambda df, ctx: np.asarray(df["UnitPrice"], dtype=float) > PRICE_LIMIT)
    table = quality.check(_raw(), rule_set=[rule]).table.set_index("rule")
    return int(table.loc["high_unit_price", "n_failing"])


def _gate_passes_at_20pct() -> bool:
    from ..pipeline import QualityGate

    res = _clean_retail()
    checks = QualityGate(max_share={"missing_customer_id": 0.20}).evaluate(res.report, len(res.clean))
    return bool(checks["passed"].all())


def _customers_before_cutoff() -> int:
    from ..features import customer_features

    return len(customer_features(_clean_retail().clean, "2011-03-01"))


register(
    Question("ch02", "q1", _high_price_rows, "int", 0.0,
             "quality.Rule(name, why, lambda df, ctx: df['UnitPrice'].to_numpy(float) > 50), then "
             "quality.check(raw, rule_set=[rule]).table: read n_failing.", needs_code=True),
    Question("ch02", "q2", _gate_passes_at_20pct, "bool", 0.0,
             "Compare the share of rows with a missing CustomerID with 0.20."),
    Question("ch02", "q3", _customers_before_cutoff, "int", 0.0,
             "customer_features(clean, cutoff) has one row per customer; only purchases "
             "strictly before the cutoff count.", needs_code=True),
)
