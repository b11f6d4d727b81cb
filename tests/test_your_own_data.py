"""Bring your own data: a simulated shop with other names, dates and codes, end to end."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from retail_lab import features, inventory as inv, quality, recsys as rs, sim
from retail_lab.schema import COLUMN_NAMES, standardize

BACK = {v: k for k, v in sim.SHOP_COLUMNS.items()}


@pytest.fixture(scope="module")
def raw():
    return sim.shop_transactions(600, start="2023-03-01", days=400, seed=3, columns=sim.SHOP_COLUMNS)


@pytest.fixture(scope="module")
def tx(raw):
    return standardize(raw, columns=BACK)


def test_simulator_is_seeded_and_in_the_shops_format(raw):
    assert list(raw.columns) == [sim.SHOP_COLUMNS[c] for c in COLUMN_NAMES]
    again = sim.shop_transactions(600, start="2023-03-01", days=400, seed=3, columns=sim.SHOP_COLUMNS)
    pd.testing.assert_frame_equal(raw, again)
    other = sim.shop_transactions(600, start="2023-03-01", days=400, seed=4, columns=sim.SHOP_COLUMNS)
    assert not raw.equals(other)
    t = raw["ordered_at"]
    assert t.min() >= pd.Timestamp("2023-03-01") and t.max() < pd.Timestamp("2023-03-01") + pd.Timedelta(days=400)
    assert t.is_monotonic_increasing and (t.dt.day_of_week != 6).all()  # closed on Sundays
    assert raw["customer"].isna().mean() == pytest.approx(0.08, abs=0.04)  # guests


def test_simulated_lines_are_plausible(tx):
    canc = tx["InvoiceNo"].str.startswith("C")
    assert canc.any() and (tx.loc[canc, "Quantity"] < 0).all() and (tx.loc[~canc, "Quantity"] > 0).all()
    # every cancellation reverses an earlier purchase of the same customer, product and units
    pairs = quality.match_cancellations(tx)
    assert len(pairs) == canc.sum()
    orig = tx.iloc[pairs["original_row"]]
    back = tx.iloc[pairs["cancel_row"]]
    assert (orig["InvoiceDate"].to_numpy() <= back["InvoiceDate"].to_numpy()).all()
    assert set(orig["InvoiceNo"]) <= set(tx.loc[~canc, "InvoiceNo"])
    services = tx.loc[quality.is_non_product(tx["StockCode"]), "StockCode"]
    assert "POST" in set(services) and len(services) < 0.05 * len(tx)
    assert tx.loc[~quality.is_non_product(tx["StockCode"]), "StockCode"].str.match(r"\d{5}[A-E]?$").all()
    assert (tx["UnitPrice"] > 0).all() and tx["Country"].nunique() > 3


def test_a_year_of_a_few_thousand_customers_is_fast():
    t0 = time.perf_counter()
    big = sim.shop_transactions(3000, days=365, seed=0)
    assert time.perf_counter() - t0 < 5 and len(big) > 100_000


def test_simulator_parameters_are_validated():
    for kw, err in (({"n_customers": 0}, ValueError), ({"days": 1.5}, TypeError),
                    ({"seed": -1}, ValueError), ({"guest_share": 1.0}, ValueError),
                    ({"columns": {"Invoice": "x"}}, ValueError), ({"closed_weekday": 7}, ValueError),
                    ({"start": "someday"}, ValueError)):
        with pytest.raises(err):
            sim.shop_transactions(**kw)


def test_text_dates_in_the_shops_format_round_trip(raw):
    text = sim.shop_transactions(50, days=30, seed=1, date_format="%d/%m/%Y %H:%M:%S")
    tx = standardize(text, date_format="%d/%m/%Y %H:%M:%S")
    assert tx["InvoiceDate"].equals(standardize(sim.shop_transactions(50, days=30, seed=1))["InvoiceDate"])


def test_clean_features_split_ease_and_forecast_end_to_end(tx):
    res = quality.clean(tx, as_of="2024-06-01")
    assert len(res.clean) + len(res.removed) == len(tx)
    assert not quality.is_non_product(res.clean["StockCode"]).any()
    X, y = features.repurchase_dataset(res.clean, "2023-12-01", 90, log=False)
    assert len(X) > 100 and 0 < y.mean() < 1
    val, test = rs.book_splits(res.clean, validation_cutoff="2024-01-15", test_cutoff="2024-02-15")
    assert val.cutoff == pd.Timestamp("2024-01-15") and test.cutoff == pd.Timestamp("2024-02-15")
    models = {"popularity": rs.Popularity().fit(test.X), "EASE": rs.EASE().fit(test.X)}
    table = rs.evaluation_table(models, test, protocols=("all",), n_boot=50)
    hr = table[table["metric"] == "HR@10"].set_index("model")["mean"]
    assert hr["EASE"] > hr["popularity"]  # the shop's customers keep to favourite categories

    lines = quality.clean(tx, apply=[r.name for r in quality.rules() if r.name != "missing_customer_id"],
                          as_of="2024-06-01").clean
    top = lines.groupby("StockCode", observed=True)["Quantity"].sum().nlargest(5).index
    Y = inv.daily_demand(lines, stock_codes=list(top))
    closed = inv.closed_days(lines)
    assert len(closed) >= 50 and (closed.day_of_week == 6).mean() > 0.9
    summary, _ = inv.backtest(Y, {"sn": inv.SeasonalNaive(closed=closed),
                                  "ma": inv.MovingAverage(closed=closed)}, inv.backtest_origins(Y))
    assert np.isfinite(summary["MASE"]).all()
