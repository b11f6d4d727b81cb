"""Forecasters, backtest metrics and the inventory simulator (checked against the newsvendor)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_lab import inventory as inv


def weekly_series(weeks=12, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2011-01-03", periods=7 * weeks)  # a Monday
    base = np.array([10, 12, 11, 13, 15, 0, 5], float)  # Saturday closed
    y = np.tile(base, weeks) + rng.normal(0, 0.5, 7 * weeks)
    y[idx.day_of_week == 5] = 0
    return pd.DataFrame({"A": np.clip(y, 0, None), "B": np.clip(2 * y, 0, None)}, index=idx)


def test_daily_demand_fills_missing_days():
    tx = pd.DataFrame({"StockCode": ["a", "a", "b"], "Quantity": [2, 3, 1],
                       "InvoiceDate": pd.to_datetime(["2011-01-01 10:00", "2011-01-03 11:00", "2011-01-03 12:00"])})
    Y = inv.daily_demand(tx, ["a", "b", "c"])
    assert Y.shape == (3, 3) and Y.loc["2011-01-02"].sum() == 0
    assert Y["a"].tolist() == [2, 0, 3] and Y["c"].sum() == 0
    assert list(inv.closed_days(tx)) == [pd.Timestamp("2011-01-02")]


def test_simple_forecasters_by_hand():
    Y = weekly_series()
    closed = Y.index[Y.index.day_of_week == 5].append(pd.date_range("2011-03-28", periods=7)[5:6])
    dates = pd.date_range(Y.index[-1] + pd.Timedelta(days=1), periods=7)
    sn = inv.SeasonalNaive(closed).fit(Y).predict(dates)
    np.testing.assert_allclose(sn["A"].to_numpy(), Y["A"].iloc[-7:].to_numpy())
    naive = inv.Naive(closed).fit(Y).predict(dates)
    assert (naive.loc[dates.day_of_week != 5, "A"] == Y["A"].iloc[-1]).all()
    assert (naive.loc[dates.day_of_week == 5] == 0).all().all(), "closed days are forecast as 0"
    ma = inv.MovingAverage(14, closed).fit(Y).predict(dates)
    open_last = Y[~Y.index.isin(closed)].iloc[-14:]
    assert ma["B"].iloc[0] == pytest.approx(open_last["B"].mean())
    wp = inv.WeekdayProfile(4, closed).fit(Y).predict(dates)
    assert wp["A"].iloc[0] == pytest.approx(Y["A"].iloc[-28:][Y.index[-28:].day_of_week == 0].mean())


def test_holt_winters_learns_the_weekly_shape_and_backtest_metrics():
    Y = weekly_series(weeks=16)
    closed = Y.index[Y.index.day_of_week == 5]
    origins = pd.date_range(Y.index[-21], periods=3, freq="7D")
    methods = {"naive": inv.Naive(closed), "seasonal naive": inv.SeasonalNaive(closed),
               "Holt-Winters": inv.HoltWinters(0.2, 0.2, closed)}
    summary, fc = inv.backtest(Y, methods, origins)
    assert summary.loc["Holt-Winters", "MASE"] < summary.loc["naive", "MASE"]
    assert summary.loc["seasonal naive", "MASE"] == pytest.approx(1.0, abs=0.4)
    assert len(fc["naive"]) == 21
    with pytest.raises(ValueError, match="runs past"):
        inv.backtest(Y, methods, [Y.index[-3]])


def test_forecast_metrics_by_hand():
    a = pd.DataFrame({"x": [1.0, 3.0]})
    f = pd.DataFrame({"x": [2.0, 1.0]})
    m = inv.forecast_metrics(a, f, pd.Series({"x": 0.5}))
    assert m.loc["x", "mae"] == 1.5 and m.loc["x", "mase"] == 3.0 and m.loc["x", "units"] == 4.0


def test_newsvendor_closed_form():
    q = inv.newsvendor_quantity(100, 20, underage=4, overage=1)
    assert q == pytest.approx(100 + 20 * 0.8416212, rel=1e-6)
    rng = np.random.default_rng(0)
    D = rng.normal(100, 20, 400_000)
    sim = np.mean(1 * np.maximum(q - D, 0) + 4 * np.maximum(D - q, 0))
    assert inv.newsvendor_cost(q, 100, 20, 4, 1) == pytest.approx(sim, rel=0.01)
    assert inv.newsvendor_cost(q, 100, 20, 4, 1) < inv.newsvendor_cost(q + 5, 100, 20, 4, 1)
    assert inv.newsvendor_cost(q, 100, 20, 4, 1) < inv.newsvendor_cost(q - 5, 100, 20, 4, 1)


def test_simulator_reduces_to_the_newsvendor():
    rng = np.random.default_rng(1)
    mu, sigma, cu, co = 50.0, 10.0, 3.0, 1.0
    d = np.clip(rng.normal(mu, sigma, 100_000), 0, None)
    res = inv.simulate_policy(d, np.full(len(d), mu), sigma, lead_time=0, review_period=1,
                              service_level=cu / (cu + co), holding=co, penalty=cu, perishable=True)
    expected = inv.newsvendor_cost(inv.newsvendor_quantity(mu, sigma, cu, co), mu, sigma, cu, co)
    assert res.total_cost == pytest.approx(expected, rel=0.02)
    # fill rate = 1 - E[(D - q)+] / mu = 1 - sigma L(z) / mu
    from scipy import stats
    z = stats.norm.ppf(cu / (cu + co))
    loss = stats.norm.pdf(z) - z * (1 - stats.norm.cdf(z))
    assert res.fill_rate == pytest.approx(1 - sigma * loss / mu, rel=0.005)


def test_simulator_better_forecast_needs_less_stock():
    rng = np.random.default_rng(2)
    dow = np.tile([10, 30, 10, 30, 10, 30, 10], 20).astype(float)
    d = rng.poisson(dow)
    flat = np.full(len(d), d.mean())
    good = inv.simulate_policy(d, dow, sigma=np.sqrt(20), lead_time=2, review_period=7)
    bad = inv.simulate_policy(d, flat, sigma=np.std(d - flat), lead_time=2, review_period=7)
    assert good.avg_inventory < bad.avg_inventory
    assert 0.8 < good.fill_rate <= 1.0
    back = inv.simulate_policy(d, dow, sigma=np.sqrt(20), lost_sales=False)
    assert back.fill_rate <= 1.0 and back.avg_inventory >= 0
    with pytest.raises(ValueError):
        inv.simulate_policy(d, dow[:-1], 1.0)


def test_compare_policies_adds_up_products():
    rng = np.random.default_rng(3)
    idx = pd.date_range("2011-01-03", periods=28)
    actual = pd.DataFrame({"a": rng.poisson(10, 28), "b": rng.poisson(20, 28)}, index=idx).astype(float)
    good = pd.DataFrame({"a": 10.0, "b": 20.0}, index=idx)
    bad = pd.DataFrame({"a": 20.0, "b": 5.0}, index=idx)
    sig = pd.Series({"a": 3.0, "b": 4.5})
    out = inv.compare_policies(actual, {"good": good, "bad": bad}, {"good": sig, "bad": sig},
                               pd.Series({"a": 1.0, "b": 2.0}))
    assert list(out.index) == ["good", "bad"]
    assert out.loc["good", "total_cost"] < out.loc["bad", "total_cost"]
    assert 0 < out.loc["good", "fill_rate"] <= 1
    single = inv.simulate_policy(actual["a"].to_numpy(), good["a"].to_numpy(), 3.0,
                                 holding=0.25 / 365, penalty=0.3)
    only_a = inv.compare_policies(actual[["a"]], {"good": good[["a"]]}, {"good": sig}, pd.Series({"a": 1.0}))
    assert only_a.loc["good", "total_cost"] == pytest.approx(single.total_cost * 28)
