"""Exercises of chapter 2 Core concepts and pipeline (notebooks/02_concepts_pipeline.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail


def _duplicates() -> int:
    rep = _clean_retail().report.table.set_index("rule")
    return int(rep.loc["duplicate_row", "n_failing"])


def _gate_passes_at_20pct() -> bool:
    from ..pipeline import QualityGate

    res = _clean_retail()
    checks = QualityGate(max_share={"missing_customer_id": 0.20}).evaluate(res.report, len(res.clean))
    return bool(checks["passed"].all())


def _customers_before_cutoff() -> int:
    from ..features import customer_features

    return len(customer_features(_clean_retail().clean, "2011-03-01"))


register(
    Question("ch02", "q1", _duplicates, "int", 0.0,
             "Count every row that repeats an earlier row exactly (the first copy stays)."),
    Question("ch02", "q2", _gate_passes_at_20pct, "bool", 0.0,
             "Compare the share of rows with a missing CustomerID with 0.20."),
    Question("ch02", "q3", _customers_before_cutoff, "int", 0.0,
             "customer_features(clean, cutoff) has one row per customer; only purchases "
             "strictly before the cutoff count."),
)
