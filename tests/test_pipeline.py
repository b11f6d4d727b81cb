"""The staged pipeline and its quality gate, on synthetic transactions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_lab import quality
from retail_lab.pipeline import (
    ARTICLE_STAGES, Pipeline, QualityGate, QualityGateError, Stage, repurchase_pipeline,
)


def synthetic_transactions(n_customers=300, seed=0):
    """Customers with different purchase rates over 2011, in the Online Retail schema."""
    rng = np.random.default_rng(seed)
    rows, inv = [], 100000
    start = pd.Timestamp("2011-01-01")
    for c in range(n_customers):
        rate = rng.choice([0.005, 0.03, 0.08])  # purchases per day
        n = max(1, rng.poisson(rate * 340))
        days = np.sort(rng.uniform(0, 340, size=n))
        for d in days:
            inv += 1
            for _ in range(rng.integers(1, 4)):
                rows.append((str(inv), str(20000 + rng.integers(0, 50)), "item",
                             int(rng.integers(1, 12)), start + pd.Timedelta(days=float(d)),
                             float(rng.choice([0.85, 1.25, 2.95])), str(12000 + c), "UK"))
    df = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity",
                                     "InvoiceDate", "UnitPrice", "CustomerID", "Country"])
    df["CustomerID"] = df["CustomerID"].astype("string")
    return df


@pytest.fixture(scope="module")
def tx():
    return synthetic_transactions()


def test_pipeline_runs_all_article_stages(tx):
    run = repurchase_pipeline(lambda: tx, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                              horizon_days=60).run()
    assert run.passed, run.log
    assert run.log["stage"].tolist() == [s for s, _ in ARTICLE_STAGES]
    assert (run.log["status"] == "passed").all()
    assert run.state["metrics"]["auc"] > 0.6  # purchase rates differ, so recency is informative
    scores = run.state["deployment"].score(run.state["X"])
    assert scores.between(0, 1).all() and len(scores) == len(run.state["X"])
    fb = run.state["feedback"]
    assert 0 <= fb["predicted_rate"] <= 1 and fb["customers"] > 0


def test_gate_failure_stops_and_skips(tx):
    bad = quality.inject_faults(tx, missing_customer_id=0.4, seed=1)
    run = repurchase_pipeline(lambda: bad, cutoff="2011-06-01", feedback_cutoff="2011-08-01").run()
    assert run.stopped_at == "quality_check"
    assert isinstance(run.error, QualityGateError)
    assert "missing_customer_id 40.00% > limit 30.00%" in str(run.error)
    assert run.log.set_index("stage").loc["features":, "status"].eq("skipped").all()
    assert "X" not in run.state, "no stage after the gate may run"
    with pytest.raises(QualityGateError):
        repurchase_pipeline(lambda: bad).run(raise_errors=True)


def test_gate_evaluate_and_validation(tx):
    res = quality.clean(tx)
    checks = QualityGate(max_share={"duplicate_row": 0.0}, min_rows=10**9).evaluate(res.report, len(res.clean))
    assert not checks.set_index("rule").loc["min_rows", "passed"]
    rules = checks[checks["rule"] != "min_rows"]
    assert (rules["passed"] == (rules["share"] <= rules["limit"])).all()
    assert rules.set_index("rule").loc["duplicate_row", "limit"] == 0.0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        QualityGate(max_share={"duplicate_row": 2})


def test_generic_pipeline_semantics():
    calls = []

    def ok(st):
        calls.append("a")
        st["x"] = 1
        return "fine"

    def boom(st):
        raise RuntimeError("broken feed\nsecond line")

    run = Pipeline([Stage("a", ok), Stage("b", boom), Stage("c", ok)]).run()
    assert run.log["status"].tolist() == ["passed", "failed", "skipped"]
    assert run.log["summary"].iloc[1] == "broken feed"
    assert calls == ["a"] and run.stopped_at == "b"
    with pytest.raises(ValueError, match="unique"):
        Pipeline([Stage("a", ok), Stage("a", ok)])
    with pytest.raises(ValueError):
        Pipeline([])


def test_feedback_window_must_fit_the_data(tx):
    run = repurchase_pipeline(lambda: tx, cutoff="2011-06-01", feedback_cutoff="2011-11-01").run()
    assert run.stopped_at == "feedback" and "data end" in str(run.error)
    with pytest.raises(ValueError, match="after cutoff"):
        repurchase_pipeline(lambda: tx, cutoff="2011-06-01", feedback_cutoff="2011-05-01")
