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


# ---------------------------------------------------------------- hostile inputs (issue 12)

def _extra_rows(tx, dates, customer="12000"):
    extra = tx.iloc[:len(dates)].copy()
    extra["InvoiceDate"] = pd.to_datetime(dates)
    extra["CustomerID"] = pd.array([customer] * len(dates), dtype="string")
    return pd.concat([tx, extra])  # no ignore_index: labels repeat, as in the trial


def test_empty_frame_fails_with_a_clear_message(tx):
    run = repurchase_pipeline(lambda: tx.iloc[:0]).run()
    assert run.stopped_at == "process"
    assert "collect() returned no rows" in str(run.error)
    assert "strftime" not in str(run.error)


def test_collect_must_return_a_dataframe():
    run = repurchase_pipeline(lambda: [1, 2]).run()
    assert run.stopped_at == "collect" and "must return a DataFrame" in str(run.error)
    run = repurchase_pipeline(lambda: pd.DataFrame({"a": [1]})).run()
    assert run.stopped_at == "process" and "misses column" in str(run.error)


def test_all_dates_unparseable_is_stopped_by_the_gate(tx):
    bad = tx.assign(InvoiceDate="not a date")
    run = repurchase_pipeline(lambda: bad).run()
    assert run.log.set_index("stage").loc["process", "status"] == "passed"
    assert "no valid date" in run.log.set_index("stage").loc["process", "summary"]
    assert run.stopped_at == "quality_check" and "unparseable_date 100.00%" in str(run.error)


def test_gate_stops_future_dated_rows(tx):
    # the trial: three rows dated 2030 slipped through and moved the data end (as_of fixed,
    # so the test means the same in any year)
    bad = _extra_rows(tx, ["2030-01-01"] * 3)
    run = repurchase_pipeline(lambda: bad, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                              horizon_days=60, as_of="2026-11-29").run()
    assert run.stopped_at == "quality_check"
    assert "future_date 0.0" in str(run.error) and "(3 rows)" in str(run.error)
    assert "X" not in run.state and "feedback" not in run.state
    # with an as_of after 2030 they are not future any more, but still far after the bulk
    run = repurchase_pipeline(lambda: bad, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                              horizon_days=60, as_of="2031-01-01").run()
    assert run.stopped_at == "quality_check" and "isolated_late_date" in str(run.error)


def test_feedback_never_labels_past_the_end_of_the_data(tx):
    end = tx["InvoiceDate"].max()
    fb = (end - pd.Timedelta(days=30)).strftime("%Y-%m-%d")  # its window runs 30 days past
    bad = _extra_rows(tx, ["2030-01-01"] * 3)
    relaxed = QualityGate(max_share={"future_date": 1.0, "isolated_late_date": 1.0})
    run = repurchase_pipeline(lambda: bad, gate=relaxed, cutoff="2011-06-01",
                              feedback_cutoff=fb, horizon_days=60, as_of="2026-11-29").run()
    assert run.state["quality"].removed["reason"].eq("future_date").sum() == 3
    assert run.stopped_at == "feedback" and "after the data end" in str(run.error)
    assert "feedback" not in run.state


def test_label_window_with_a_hole_at_its_end_is_refused(tx):
    # rows 22 days after the data end: neither future nor isolated (gap < 30 days),
    # but the label window would count 3 weeks with no data as "did not buy"
    end = tx["InvoiceDate"].max().normalize()
    late = end + pd.Timedelta(days=22)
    bad = _extra_rows(tx, [late + pd.Timedelta(hours=h) for h in (9, 10, 11)])
    fb = (late - pd.Timedelta(days=59)).strftime("%Y-%m-%d")
    run = repurchase_pipeline(lambda: bad, cutoff="2011-06-01", feedback_cutoff=fb,
                              horizon_days=60).run()
    assert run.stopped_at == "feedback", run.log
    assert "no rows from" in str(run.error) and "do not cover the window" in str(run.error)


def test_pipeline_with_a_repeated_unsorted_index(tx):
    shuffled = tx.sample(frac=1, random_state=0)
    shuffled.index = np.arange(len(tx)) % 7
    a = repurchase_pipeline(lambda: tx, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                            horizon_days=60).run()
    b = repurchase_pipeline(lambda: shuffled, cutoff="2011-06-01",
                            feedback_cutoff="2011-08-01", horizon_days=60).run()
    assert a.passed and b.passed
    assert len(a.state["quality"].clean) == len(b.state["quality"].clean)
    assert a.state["feedback"]["actual_rate"] == b.state["feedback"]["actual_rate"]


def test_cutoff_before_the_data_and_one_customer(tx):
    run = repurchase_pipeline(lambda: tx, cutoff="2010-06-01", feedback_cutoff="2011-08-01").run()
    assert run.stopped_at == "features" and "no history" in str(run.error)
    one = tx[tx["CustomerID"] == tx["CustomerID"].iloc[0]]
    run = repurchase_pipeline(lambda: one, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                              horizon_days=60).run()
    assert run.stopped_at == "features"
    assert "single class" in str(run.error) or "no rows from" in str(run.error)


@pytest.mark.parametrize("kwargs, match", [
    ({"horizon_days": 0}, "horizon_days"),
    ({"horizon_days": 2.5}, "horizon_days"),
    ({"horizon_days": True}, "horizon_days"),
    ({"test_size": 1.0}, "test_size"),
    ({"test_size": float("nan")}, "test_size"),
    ({"cutoff": "2011-13-45"}, "cutoff must be a date"),
    ({"feedback_cutoff": None}, "feedback_cutoff must be a date"),
    ({"as_of": "someday"}, "as_of must be a date"),
])
def test_pipeline_parameters_are_validated(tx, kwargs, match):
    with pytest.raises(ValueError, match=match):
        repurchase_pipeline(lambda: tx, **kwargs)


def test_pipeline_arguments_of_the_wrong_type(tx):
    with pytest.raises(TypeError, match="collect must be a function"):
        repurchase_pipeline(tx)
    with pytest.raises(TypeError, match="gate must be a QualityGate"):
        repurchase_pipeline(lambda: tx, gate={"missing_customer_id": 0.1})
    with pytest.raises(TypeError, match="state must be a dict"):
        Pipeline([Stage("a", lambda st: "ok")]).run(state=[1])
    with pytest.raises(TypeError, match="Stage objects"):
        Pipeline([lambda st: "ok"])


def test_gate_rejects_typos_and_bad_limits(tx):
    res = quality.clean(tx)
    with pytest.raises(ValueError, match=r"max_share names rule\(s\) \['missing_customer'\]"):
        QualityGate(max_share={"missing_customer": 0.1}).evaluate(res.report, len(res.clean))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        QualityGate(max_share={"duplicate_row": float("nan")})
    with pytest.raises(TypeError, match="number"):
        QualityGate(max_share={"duplicate_row": "0.1"})
    with pytest.raises(TypeError, match="mapping"):
        QualityGate(max_share=[("duplicate_row", 0.1)])
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="min_rows"):
            QualityGate(min_rows=bad)
    checks = QualityGate().evaluate(res.report, len(res.clean))
    assert {"future_date", "isolated_late_date", "missing_value", "non_integer_quantity",
            "absurd_price"} <= set(checks["rule"])
    assert checks.set_index("rule").loc["future_date", "limit"] == 0.0


def test_deployment_refuses_bad_features(tx):
    run = repurchase_pipeline(lambda: tx, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                              horizon_days=60).run()
    dep, X = run.state["deployment"], run.state["X"].copy()
    assert dep.score(X.iloc[:0]).empty
    X.iloc[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"\['recency_days'\] have missing or infinite"):
        dep.score(X)
    with pytest.raises(TypeError, match="not numeric"):
        dep.score(run.state["X"].astype({"frequency": str}))
    with pytest.raises(TypeError, match="DataFrame"):
        dep.score(run.state["X"].to_numpy())


def test_time_zone_aware_dates_get_a_clear_error(tx):
    aware = tx.assign(InvoiceDate=tx["InvoiceDate"].dt.tz_localize("UTC"))
    run = repurchase_pipeline(lambda: aware, cutoff="2011-06-01", feedback_cutoff="2011-08-01",
                              horizon_days=60).run()
    assert run.stopped_at == "features" and "time zone" in str(run.error)
