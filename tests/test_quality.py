"""Quality rules on hand-made tables where every expected count is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_lab import quality


def table(rows):
    cols = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
            "CustomerID", "Country"]
    df = pd.DataFrame(rows, columns=cols)
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"], errors="coerce")
    df["CustomerID"] = df["CustomerID"].astype("string")
    return df


@pytest.fixture
def tx():
    return table([
        ("1", "1000A", "a", 2, "2011-01-01 10:00", 1.0, "7", "UK"),        # 0 ok
        ("1", "1000A", "a", 2, "2011-01-01 10:00", 1.0, "7", "UK"),        # 1 duplicate of 0
        ("2", "20002", "b", 3, "2011-01-02 10:00", 2.0, "7", "UK"),        # 2 cancelled by 3
        ("C3", "20002", "b", -3, "2011-01-05 10:00", 2.0, "7", "UK"),      # 3 cancellation
        ("4", "20003", "c", 1, "2011-01-06 10:00", 1.0, None, "UK"),       # 4 missing customer
        ("5", "POST", "postage", 1, "2011-01-06 11:00", 18.0, "8", "FR"),  # 5 non-product
        ("6", "20004", "d", 1, "2011-01-07 10:00", 0.0, "8", "FR"),        # 6 zero price
        ("7", "1000E", "e", -4, "2011-01-07 11:00", 1.0, "8", "FR"),       # 7 negative qty, not C
        ("8", "1000F", "f", 1, "not a date", 1.0, "8", "FR"),              # 8 unparseable date
        ("9", "1000G", "g", 1, "2011-01-08 10:00", 1.0, "9", "UK"),        # 9 ok
        ("10", "1000H", "h", 2, "2011-01-08 10:00", 1.0, "9", "UK"),       # 10 ok
        ("11", "gift_0001_10", "voucher", 1, "2011-01-09 10:00", 10.0, "9", "UK"),  # 11 non-product
    ])


def test_each_rule_counts_its_rows(tx):
    rep = quality.check(tx).table.set_index("rule")["n_failing"].to_dict()
    assert rep == {
        "unparseable_date": 1, "future_date": 0, "isolated_late_date": 0,
        "missing_customer_id": 1, "missing_value": 0, "duplicate_row": 1, "cancellation": 1,
        "cancelled_original": 1, "non_positive_quantity": 1, "non_integer_quantity": 0,
        "non_positive_price": 1, "absurd_price": 0, "non_product_stockcode": 2,
        "outlier_quantity": 0,
    }


def test_clean_keeps_everything_accounted_for(tx):
    res = quality.clean(tx)
    assert len(res.clean) + len(res.removed) == len(tx)
    assert sorted(res.clean.index) == [0, 9, 10]
    assert res.removed.loc[3, "reason"] == "cancellation"
    assert res.removed.loc[2, "reason"] == "cancelled_original"
    assert res.removed.loc[8, "reason"] == "unparseable_date"
    assert res.report.table["n_removed"].sum() == len(res.removed)
    assert "12 rows in, 3 kept, 9 removed" in res.summary()


def test_first_reason_and_all_reasons():
    df = table([("C1", "POST", "p", -1, "2011-01-01", 1.0, None, "UK"),
                ("2", "1000A", "a", 1, "2011-01-01", 1.0, "1", "UK")])
    res = quality.clean(df)
    assert res.removed.loc[0, "reason"] == "missing_customer_id"
    assert res.removed.loc[0, "all_reasons"] == "missing_customer_id;cancellation;non_product_stockcode"


def test_apply_subset_only_removes_those(tx):
    res = quality.clean(tx, apply=["missing_customer_id"])
    assert list(res.removed.index) == [4]
    assert res.report.table.set_index("rule").loc["duplicate_row", "n_failing"] == 1
    with pytest.raises(ValueError, match="unknown rule"):
        quality.clean(tx, apply=["nonsense"])


def test_cancellation_matching_is_one_to_one():
    df = table([
        ("1", "1000A", "a", 2, "2011-01-01", 1.0, "7", "UK"),
        ("2", "1000A", "a", 2, "2011-01-03", 1.0, "7", "UK"),
        ("C3", "1000A", "a", -2, "2011-01-04", 1.0, "7", "UK"),
        ("C4", "1000A", "a", -2, "2011-01-05", 1.0, "7", "UK"),
        ("C5", "1000A", "a", -2, "2011-01-05", 1.0, "8", "UK"),  # other customer: no match
        ("6", "1000A", "a", 2, "2011-01-09", 1.0, "7", "UK"),    # after the cancellations
    ])
    pairs = quality.match_cancellations(df)
    assert sorted(zip(pairs["cancel_index"], pairs["original_index"])) == [(2, 1), (3, 0)]
    assert sorted(zip(pairs["cancel_row"], pairs["original_row"])) == [(2, 1), (3, 0)]


def test_outlier_rule_flags_extreme_quantity():
    rng = np.random.default_rng(0)
    q = rng.integers(1, 13, size=500).tolist() + [50_000]
    df = table([(str(i), "1000A", "a", int(v), "2011-01-01", 1.0, "1", "UK") for i, v in enumerate(q)])
    rep = quality.check(df)
    flags = rep.flags["outlier_quantity"]
    assert flags.sum() == 1 and flags.iloc[-1]
    assert 12 < rep.details["outlier_threshold_units"] < 50_000


def test_empty_and_bad_inputs(tx):
    res = quality.clean(tx.iloc[:0])
    assert len(res.clean) == 0 and len(res.removed) == 0
    assert res.report.table["n_failing"].sum() == 0
    with pytest.raises(ValueError, match=r"misses column\(s\) \['Country'\]"):
        quality.check(tx.drop(columns="Country"))
    with pytest.raises(TypeError, match="Quantity must be numeric"):
        quality.check(tx.assign(Quantity=tx["Quantity"].astype(str)))
    with pytest.raises(TypeError, match="DataFrame"):
        quality.check([1, 2, 3])


def test_inject_faults(tx):
    bad = quality.inject_faults(tx, unparseable_dates=0.25, duplicate_rows=0.5, seed=3)
    assert len(bad) == len(tx) + 6
    assert bad["InvoiceDate"].isna().sum() >= 3
    assert tx["InvoiceDate"].isna().sum() == 1, "the input is not modified"
    with pytest.raises(ValueError, match="share"):
        quality.inject_faults(tx, missing_customer_id=1.5)
