"""The transaction schema: one validator, and standardize for another shop's names and types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_lab import quality
from retail_lab.schema import (COLUMN_NAMES, ONLINE_RETAIL_II_NAMES, TRANSACTION_COLUMNS,
                               check_transactions, standardize)


def shop():
    """Two lines of a shop that names every column its own way."""
    return pd.DataFrame({
        "order": ["A-1", "A-1"], "sku": ["30007", "POST"], "name": ["MUG", "POSTAGE"],
        "qty": ["2", "1"], "when": ["03/04/2023 10:00", "03/04/2023 10:00"],
        "price": [1.5, 18.0], "cust": [17850.0, 17850.0], "land": ["Germany", "Germany"],
    })


MAP = {"order": "InvoiceNo", "sku": "StockCode", "name": "Description", "qty": "Quantity",
       "when": "InvoiceDate", "price": "UnitPrice", "cust": "CustomerID", "land": "Country"}


def test_schema_lists_the_eight_online_retail_columns_once():
    assert COLUMN_NAMES == ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                            "UnitPrice", "CustomerID", "Country")
    assert quality.REQUIRED_COLUMNS == COLUMN_NAMES
    from retail_lab.datasets.registry import get_spec
    assert get_spec("online_retail").columns == COLUMN_NAMES
    assert all(c.dtype and c.meaning for c in TRANSACTION_COLUMNS.values())


def test_validator_names_missing_and_doubled_columns_and_the_fix():
    df = shop().rename(columns=MAP)
    assert check_transactions(df) is df
    with pytest.raises(ValueError, match=r"misses column\(s\) \['Country'\]") as err:
        check_transactions(df.drop(columns="Country"))
    assert "standardize(df, columns=" in str(err.value) and "'InvoiceNo'" in str(err.value)
    with pytest.raises(ValueError, match=r"\{'Price': 'UnitPrice'\}"):  # a concrete mapping
        check_transactions(df.rename(columns={"UnitPrice": "Price"}))
    with pytest.raises(ValueError, match=r"more than one column named \['Quantity'\]"):
        check_transactions(pd.concat([df, df[["Quantity"]]], axis=1))
    assert check_transactions(df[["StockCode"]], ["StockCode"]) is not None  # a subset
    with pytest.raises(TypeError, match="DataFrame"):
        check_transactions(df.to_dict())
    with pytest.raises(TypeError, match="list of column names"):
        check_transactions(df, "StockCode")


def test_standardize_renames_and_types_by_hand():
    tx = standardize(shop(), columns=MAP, date_format="%d/%m/%Y %H:%M")
    assert list(tx.columns) == list(COLUMN_NAMES)
    assert tx["CustomerID"].tolist() == ["17850", "17850"]
    assert tx["Quantity"].dtype == np.int64 and tx["Quantity"].tolist() == [2, 1]
    assert tx["InvoiceDate"].iloc[0] == pd.Timestamp("2023-04-03 10:00")  # day first
    assert tx["Country"].dtype == "category" and tx["UnitPrice"].dtype == np.float64
    assert tx.attrs["unparseable"] == {}
    for name, col in TRANSACTION_COLUMNS.items():
        assert str(tx[name].dtype) == col.dtype, name


def test_standardize_maps_online_retail_ii_names_by_default_and_keeps_extras():
    raw = shop().rename(columns=MAP).rename(columns={v: k for k, v in ONLINE_RETAIL_II_NAMES.items()})
    raw["channel"] = "web"
    tx = standardize(raw)
    assert list(tx.columns) == [*COLUMN_NAMES, "channel"]
    with pytest.raises(ValueError, match="misses column"):
        standardize(raw, aliases=False)


def test_standardize_counts_unreadable_values_and_never_drops_rows():
    raw = shop()
    raw.loc[1, "qty"] = "twelve"
    raw.loc[0, "when"] = "yesterday"
    tx = standardize(raw, columns=MAP)
    assert len(tx) == 2 and tx.index.equals(raw.index)
    assert tx.attrs["unparseable"] == {"Quantity": 1, "InvoiceDate": 1}
    assert tx["Quantity"].dtype == np.float64 and np.isnan(tx["Quantity"].iloc[1])
    reasons = quality.clean(tx, as_of="2024-01-01").removed["reason"].tolist()
    assert reasons == ["unparseable_date", "missing_value"]


@pytest.mark.parametrize("columns, err, words", [
    ({"order": "Invoice"}, ValueError, "not a schema column"),
    ({"nope": "InvoiceNo"}, ValueError, "no column 'nope'"),
    ({**MAP, "sku": "InvoiceNo"}, ValueError, "more than one column"),
    ([("order", "InvoiceNo")], TypeError, "must be a dict"),
])
def test_standardize_rejects_bad_mappings(columns, err, words):
    with pytest.raises(err, match=words):
        standardize(shop(), columns=columns)


def test_standardize_hostile_values():
    with pytest.raises(TypeError, match="DataFrame"):
        standardize([1, 2])
    raw = shop()
    with pytest.raises(TypeError, match="ambiguous"):
        standardize(raw.assign(when=[1.6e9, 1.6e9]), columns=MAP)
    with pytest.raises(ValueError, match="non-integer"):
        standardize(raw.assign(cust=[1.5, 2.0]), columns=MAP)
    with pytest.raises(TypeError, match="Quantity must hold numbers"):
        standardize(raw.assign(qty=[True, False]), columns=MAP)
    with pytest.raises(ValueError, match="already has column"):
        standardize(raw.assign(Quantity=1), columns=MAP)
    aware = raw.assign(when=pd.to_datetime(["2023-04-03 10:00+02:00"] * 2))
    assert standardize(aware, columns=MAP)["InvoiceDate"].iloc[0] == pd.Timestamp("2023-04-03 08:00")


def test_non_product_rule_on_another_shops_codes():
    other = ["ADJUST", "ADJUST2", "PADS", "SP1002", "TEST001", "TEST002", "POST", "DOT", "M", "D",
             "S", "B", "CRUK", "BANK CHARGES", "AMAZONFEE", "C2", "GIFT_0001_20", " post "]
    assert quality.is_non_product(other).all()
    products = ["85123A", "22423", "POST1", "DCGS0003", "30042D", "S00012", "SPX1", None, "", "nan"]
    assert not quality.is_non_product(products).any()
    rule = quality.NonProductRule(extra_codes={"FEE1"}, extra_pattern=r"SVC-\d+", products={"PADS"})
    assert rule.mask(["fee1", "SVC-12", "PADS", "POST", "12345"]).tolist() == [True, True, False, True, False]
    with pytest.raises(TypeError, match="extra_codes"):
        quality.NonProductRule(extra_codes="FEE1")
    with pytest.raises(ValueError, match="regular expression"):
        quality.NonProductRule(extra_pattern="(")
    with pytest.raises(TypeError, match="NonProductRule"):
        quality.clean(standardize(shop(), columns=MAP), non_product={"FEE"})
