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


# ----------------------------------------------------------------- daily tables, closed days, origins

def test_as_daily_table_fills_and_reports_missing_days_and_matches_daily_demand():
    long = pd.DataFrame({"date": ["2011-01-01", "2011-01-03", "2011-01-01", "2011-01-04"],
                         "sku": ["a", "a", "b", "b"], "units": [2, 3, 1, 4], "other": list("wxyz")})
    Y = inv.as_daily_table(long, date="date", item="sku", quantity="units")
    assert list(Y.index) == list(pd.date_range("2011-01-01", "2011-01-04")) and Y.index.name == "day"
    assert Y["a"].tolist() == [2, 0, 3, 0] and Y["b"].tolist() == [1, 0, 0, 4]
    assert Y.attrs["filled_days"].to_dict() == {"a": 2, "b": 2}  # filled days are counted, not silent
    assert Y.dtypes.eq("int64").all()
    # the same sales as transaction lines give the same table through daily_demand
    tx = pd.DataFrame({"StockCode": ["a", "a", "a", "b", "b"], "Quantity": [1, 1, 3, 1, 4],
                       "InvoiceDate": pd.to_datetime(["2011-01-01 09:00", "2011-01-01 17:00", "2011-01-03 10:00",
                                                      "2011-01-01 12:00", "2011-01-04 08:00"])})
    pd.testing.assert_frame_equal(inv.daily_demand(tx), Y, check_names=False)
    # the book's names are the defaults: daily_demand's output in long form goes back unchanged
    back = inv.as_daily_table(inv.daily_demand(tx).stack().rename("Quantity").reset_index())
    pd.testing.assert_frame_equal(back, inv.daily_demand(tx))
    # fractional quantities (kilograms) stay fractional; items and range select
    kg = long.assign(units=[0.5, 1.0, 2.0, 1.5])
    Ykg = inv.as_daily_table(kg, date="date", item="sku", quantity="units", items=["b"], end="2011-01-02")
    assert Ykg["b"].tolist() == [2.0, 0.0] and list(Ykg.columns) == ["b"]


@pytest.mark.parametrize("change, kwargs, match", [
    (lambda d: d, {"quantity": "qty"}, "no column 'qty'"),
    (lambda d: pd.concat([d, d.iloc[:1]]), {}, "rows on 2011-01-01"),
    (lambda d: d.assign(units=[1, -2, 1, 1]), {}, "negative"),
    (lambda d: d.assign(units=[1, np.nan, 1, 1]), {}, "NaN"),
    (lambda d: d.assign(units=list("1211")), {}, "numeric"),
    (lambda d: d.assign(date=["2011-01-01 10:00", "2011-01-03", "2011-01-01", "2011-01-04"]), {}, "time of day"),
    (lambda d: d.assign(date=["2011-01-01", "soon", "2011-01-01", "2011-01-04"]), {}, "not dates"),
    (lambda d: d, {"items": ["c"]}, "no row"),
])
def test_as_daily_table_rejects_bad_tables(change, kwargs, match):
    long = pd.DataFrame({"date": ["2011-01-01", "2011-01-03", "2011-01-01", "2011-01-04"],
                         "sku": ["a", "a", "b", "b"], "units": [2, 3, 1, 4]})
    with pytest.raises((ValueError, TypeError), match=match):
        inv.as_daily_table(change(long), **{"date": "date", "item": "sku", "quantity": "units", **kwargs})


def test_open_days_and_zero_closed_days():
    dates = pd.date_range("2011-12-23", periods=5)
    closed = ["2011-12-25", "2011-12-26", "2012-01-01"]
    assert inv.open_days(dates, closed).tolist() == [True, True, False, False, True]
    F = pd.DataFrame({"a": [1.0, 2, 3, 4, 5]}, index=dates)
    assert inv.zero_closed_days(F, closed)["a"].tolist() == [1, 2, 0, 0, 5]
    assert F["a"].tolist() == [1, 2, 3, 4, 5], "the input is not modified"
    with pytest.raises(ValueError, match="whole days"):
        inv.open_days(dates, ["2011-12-25 10:00"])
    with pytest.raises(TypeError, match="collection of dates"):
        inv.open_days(dates, "2011-12-25")


def test_backtest_origins_are_the_chapters_last_weeks():
    Y = weekly_series(weeks=12)
    end = Y.index.max()
    expected = pd.date_range(end - pd.Timedelta(days=7 * 8 - 1), periods=8, freq="7D")  # chapter 6.3's formula
    assert inv.backtest_origins(Y).equals(expected)
    assert inv.backtest_origins(Y, n=2, horizon=3)[-1] == end - pd.Timedelta(days=2)
    with pytest.raises(ValueError, match="no training day"):
        inv.backtest_origins(Y, n=12)


# ----------------------------------------------------------------- the estimator convention

def test_forecasters_store_parameters_and_refuse_unfitted_use():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    closed = ["2011-01-08"]
    for model in (inv.Naive(closed), inv.MovingAverage(14, closed), inv.HoltWinters(0.2, 0.3, closed),
                  inv.KerasGlobal(hidden=[8], closed=closed)):
        assert model.closed is closed and clone(model).get_params() == model.get_params()
        with pytest.raises(NotFittedError, match=type(model).__name__):
            model.predict(pd.date_range("2011-04-01", periods=3))
    assert inv.KerasGlobal(hidden=[8]).hidden == [8], "stored unmodified, not converted"
    with pytest.raises(ValueError, match="window"):
        inv.MovingAverage(window=0)  # construction never validates ...
        raise ValueError("window was accepted by __init__, as it should be")
    with pytest.raises(ValueError, match="window must be >= 1"):
        inv.MovingAverage(window=0).fit(weekly_series())  # ... fit does


def test_keras_global_predicts_from_a_new_origin_without_retraining():
    Y = weekly_series(weeks=14)
    closed = Y.index[Y.index.day_of_week == 5]
    origins = pd.date_range(Y.index[-21], periods=3, freq="7D")
    model = inv.KerasGlobal(lags=14, hidden=(8,), epochs=2, batch_size=64, seed=0, closed=closed)
    assert model.fit(Y[Y.index < origins[0]]) is model
    h = model.history_
    assert h.index.name == "epoch" and list(h.index) == [1, 2] and {"loss", "seconds"} <= set(h.columns)
    weights = [w.copy() for w in model.model_.get_weights()]
    # history=the training data is the default; a later history moves the origin, same network
    first = pd.date_range(origins[0], periods=7)
    pd.testing.assert_frame_equal(model.predict(first), model.predict(first, history=model.Y_))
    summary, fc = inv.backtest(Y, {"keras": model, "naive": inv.Naive(closed)}, origins, prefitted=["keras"])
    for origin in origins:
        days = pd.date_range(origin, periods=7)
        pd.testing.assert_frame_equal(fc["keras"].loc[days], model.predict(days, history=Y[Y.index < origin]))
        assert (fc["keras"].loc[days][days.isin(closed)] == 0).all().all()
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.model_.get_weights())), "not retrained"
    # a model trained on days after the first origin would have seen the answers
    late = inv.KerasGlobal(lags=14, hidden=(8,), epochs=1, seed=0).fit(Y[Y.index < origins[1]])
    with pytest.raises(ValueError, match="seen the answers"):
        inv.backtest(Y, {"keras": late}, origins, prefitted=["keras"])
    with pytest.raises(ValueError, match="not in methods"):
        inv.backtest(Y, {"keras": model}, origins, prefitted=["Keras"])
    with pytest.raises(ValueError, match="same order"):
        model.predict(first, history=Y[Y.index < origins[0]][["B", "A"]])


def _promotion_world(days=196, seed=0):
    """Demand fully determined by a promotion flag known in advance (3x sales on promotion days)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2011-01-03", periods=days)
    promo = (rng.random(days) < 0.3).astype(float)
    Y = pd.DataFrame({p: base * (1 + 2 * promo) for p, base in (("a", 10.0), ("b", 20.0), ("c", 5.0))}, index=idx)
    return Y, pd.DataFrame({"promo": promo}, index=idx)


def test_keras_global_uses_covariates_known_in_advance():
    Y, X = _promotion_world()
    origins = inv.backtest_origins(Y, n=4)
    params = dict(lags=7, hidden=(16,), epochs=25, batch_size=32, learning_rate=0.01, seed=0)
    train = Y[Y.index < origins[0]]
    plain = inv.KerasGlobal(**params).fit(train)
    with_x = inv.KerasGlobal(**params).fit(train, X=X.loc[train.index])
    assert with_x.covariates_ == ["promo"]
    summary, _ = inv.backtest(Y, {"without": plain, "with promotions": with_x}, origins,
                              prefitted=["without", "with promotions"], X=X)
    assert summary.loc["with promotions", "MAE"] < 0.5 * summary.loc["without", "MAE"], summary
    # per-product covariates (columns (covariate, product)) give the same inputs when equal
    per = pd.concat({"promo": pd.DataFrame({p: X["promo"] for p in Y.columns})}, axis=1)
    days = pd.date_range(origins[0], periods=7)
    per_model = inv.KerasGlobal(**{**params, "epochs": 2}).fit(train, X=per.loc[train.index])
    shared_model = inv.KerasGlobal(**{**params, "epochs": 2}).fit(train, X=X.loc[train.index])
    pd.testing.assert_frame_equal(per_model.predict(days, X=per), shared_model.predict(days, X=X))
    # the future values are required, and named when missing
    with pytest.raises(ValueError, match="predict\\(dates, X=...\\)"):
        with_x.predict(days)
    with pytest.raises(ValueError, match="no row for"):
        with_x.predict(days, X=X.loc[: days[3]])
    with pytest.raises(ValueError, match="fitted without covariates"):
        plain.predict(days, X=X)
    with pytest.raises(ValueError, match="no row for"):
        inv.KerasGlobal(**params).fit(train, X=X.iloc[:10])
