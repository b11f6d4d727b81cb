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
