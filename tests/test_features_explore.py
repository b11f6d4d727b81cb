"""Features, labels and descriptive statistics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_lab import explore
from retail_lab.features import FEATURE_COLUMNS, customer_features, repurchase_labels


@pytest.fixture
def tx():
    return pd.DataFrame({
        "InvoiceNo": ["1", "1", "2", "3", "4", "5"],
        "StockCode": ["A", "B", "A", "C", "A", "B"],
        "Quantity": [2, 1, 4, 1, 10, 1],
        "UnitPrice": [1.0, 3.0, 1.0, 5.0, 1.0, 2.0],
        "CustomerID": ["u1", "u1", "u1", "u2", "u1", "u3"],
        "Country": ["UK", "UK", "UK", "FR", "UK", "UK"],
        "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-01", "2011-01-11", "2011-01-21",
                                       "2011-02-01", "2011-02-05"]),
    })


def test_customer_features_by_hand(tx):
    f = customer_features(tx, "2011-02-01")  # invoice 4 is AT the cutoff: excluded
    assert list(f.columns) == list(FEATURE_COLUMNS)
    assert sorted(f.index) == ["u1", "u2"]
    u1 = f.loc["u1"]
    assert u1["recency_days"] == 21 and u1["tenure_days"] == 31
    assert u1["frequency"] == 2 and u1["monetary"] == 9.0
    assert u1["avg_basket_value"] == 4.5 and u1["avg_basket_lines"] == 1.5
    assert u1["distinct_products"] == 2


def test_labels_window(tx):
    f = customer_features(tx, "2011-02-01")
    y = repurchase_labels(tx, f.index, "2011-02-01", horizon_days=4)
    assert y.to_dict() == {"u1": 1, "u2": 0}
    assert repurchase_labels(tx, f.index, "2011-02-01", horizon_days=10).sum() == 1
    with pytest.raises(ValueError):
        repurchase_labels(tx, f.index, "2011-02-01", horizon_days=0)


def test_feature_inputs_validated(tx):
    assert customer_features(tx, "2010-01-01").empty
    with pytest.raises(TypeError, match="datetime64"):
        customer_features(tx.assign(InvoiceDate=tx["InvoiceDate"].astype(str)), "2011-02-01")
    with pytest.raises(ValueError, match="CustomerID"):
        customer_features(tx.drop(columns="CustomerID"), "2011-02-01")


def test_monthly_revenue_and_partial_months(tx):
    m = explore.monthly_revenue(tx)
    assert m["revenue"].tolist() == [14.0, 12.0]
    assert m["invoices"].tolist() == [3, 2]
    assert m["partial"].tolist() == [False, True]  # data start 1 Jan, end 5 Feb


def test_basket_sizes(tx):
    assert explore.basket_sizes(tx, "lines").loc["1"] == 2
    assert explore.basket_sizes(tx, "units").loc["1"] == 3
    with pytest.raises(ValueError):
        explore.basket_sizes(tx, "weight")


def test_item_popularity_and_top_share(tx):
    pop = explore.item_popularity(tx)
    assert pop.index.tolist() == ["A", "B", "C"]
    assert pop["units"].tolist() == [16, 2, 1]
    assert np.isclose(pop["cum_share"].iloc[-1], 1.0)
    assert explore.top_share(pop, 1 / 3) == pytest.approx(16 / 19)
    with pytest.raises(ValueError):
        explore.top_share(pop, 0)


def test_countries_and_cancellations(tx):
    c = explore.customers_by_country(tx)
    assert c.loc["UK", "customers"] == 2 and c.loc["FR", "revenue"] == 5.0
    raw = pd.concat([tx, pd.DataFrame({"InvoiceNo": ["C9"], "StockCode": ["A"], "Quantity": [-2],
                                       "UnitPrice": [1.0], "CustomerID": ["u1"], "Country": ["UK"],
                                       "InvoiceDate": pd.to_datetime(["2011-01-15"])})])
    canc = explore.cancellations_by_month(raw)
    assert canc["cancelled_lines"].tolist() == [1, 0]
    assert canc["cancelled_value"].iloc[0] == 2.0


def _shop_over_a_year(n_customers: int = 40, seed: int = 0) -> pd.DataFrame:
    """Random purchase lines of ``n_customers`` over 2011, enough for both task cutoffs."""
    rng = np.random.default_rng(seed)
    n = 1200
    return pd.DataFrame({
        "InvoiceNo": [str(i) for i in range(n)],
        "StockCode": rng.choice(list("ABCDEFG"), n),
        "Quantity": rng.integers(1, 10, n),
        "UnitPrice": rng.uniform(0.5, 5.0, n).round(2),
        "CustomerID": [f"c{c}" for c in rng.integers(0, n_customers, n)],
        "Country": "UK",
        "InvoiceDate": pd.Timestamp("2011-01-01") + pd.to_timedelta(rng.integers(0, 360, n), unit="D"),
    })


def test_repurchase_task_is_the_books_task_on_any_shop():
    """One definition of chapter 3's task: the two datasets at the book's cutoffs, scaled with
    the training customers' statistics only."""
    from retail_lab.features import (REPURCHASE_HORIZON_DAYS, REPURCHASE_TEST_CUTOFF, REPURCHASE_TRAIN_CUTOFF,
                                     repurchase_dataset, repurchase_task)

    tx = _shop_over_a_year()
    task = repurchase_task(tx)
    assert (str(task.train_cutoff.date()), str(task.test_cutoff.date()), task.horizon_days) == (
        REPURCHASE_TRAIN_CUTOFF, REPURCHASE_TEST_CUTOFF, REPURCHASE_HORIZON_DAYS) == ("2011-05-01", "2011-08-01", 90)
    X, y = repurchase_dataset(tx, "2011-05-01")
    Xt, yt = repurchase_dataset(tx, "2011-08-01")
    pd.testing.assert_frame_equal(task.X_raw, X)
    pd.testing.assert_series_equal(task.y_test, yt)
    np.testing.assert_allclose(task.scaler.mean_, X.mean())  # training statistics ...
    np.testing.assert_allclose(task.X_test, task.scaler.transform(Xt.to_numpy(float)))  # ... applied to the test set
    A, V, ya, yv = task.validation_split(share=0.25, seed=0)
    assert len(A) + len(V) == len(X) and len(ya) == len(A) and set(np.unique(yv)) <= {0.0, 1.0}
    unscaled = repurchase_task(tx, log=False, standardize=False)
    assert unscaled.scaler is None and unscaled.X.equals(repurchase_dataset(tx, "2011-05-01", log=False)[0])


def test_repurchase_task_tests_on_another_table_and_refuses_a_test_before_training():
    from retail_lab.features import repurchase_task

    tx, other = _shop_over_a_year(seed=0), _shop_over_a_year(seed=1)
    task = repurchase_task(tx, test_tx=other)
    assert task.X_test_raw.equals(repurchase_task(other).X_test_raw)
    with pytest.raises(ValueError, match="must be after train_cutoff"):
        repurchase_task(tx, train_cutoff="2011-08-01", test_cutoff="2011-05-01")
