"""Forecasters, backtest metrics and the inventory simulator (checked against the newsvendor)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

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


# ----------------------------------------------------------------- chapter 6.3's task and its repeated backtest

def _lines(rows):
    return pd.DataFrame(rows, columns=["StockCode", "Quantity", "InvoiceDate"]).assign(
        InvoiceDate=lambda d: pd.to_datetime(d["InvoiceDate"]))


def test_clean_demand_keeps_sales_without_a_customer_id():
    from retail_lab import quality

    cols = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
    raw = pd.DataFrame([("1", "1000A", "a", 2, "2011-01-01 10:00", 1.0, "7", "UK"),
                        ("1", "1000A", "a", 2, "2011-01-01 10:00", 1.0, "7", "UK"),   # duplicate
                        ("2", "20003", "c", 1, "2011-01-06 10:00", 1.0, None, "UK"),  # no customer id
                        ("3", "POST", "postage", 1, "2011-01-06 11:00", 18.0, "8", "FR")], columns=cols)
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"])
    raw["CustomerID"] = raw["CustomerID"].astype("string")
    kept = inv.clean_demand(raw).clean
    assert sorted(kept["StockCode"]) == ["1000A", "20003"], "the sale without a customer id is still demand"
    assert len(quality.clean(raw).clean) == 1, "the full cleaning would drop it"


def test_book_demand_ranks_products_in_the_selection_window_only():
    tx = _lines([("a", 5, "2011-01-03"), ("b", 3, "2011-01-04"), ("b", 4, "2011-01-05"),  # in the window: b 7, a 5
                 ("c", 100, "2011-02-10"),                                               # after it
                 ("c", 1, "2010-12-30"), ("a", 2, "2011-02-12")])
    Y, closed, window = inv.book_demand(tx, start="2011-01-01", end="2011-02-01", n_products=2)
    assert list(Y.columns) == ["b", "a"], "ordered by units sold in the window; c sells only outside it"
    assert Y.index[0] == pd.Timestamp("2010-12-30") and Y.index[-1] == pd.Timestamp("2011-02-12")
    assert Y["a"].sum() == 7, "Y covers every day of the data, not only the window"
    assert closed.equals(inv.closed_days(tx)) and len(window) == 3
    task = inv.book_demand(tx, start="2011-01-01", end="2011-02-01", n_products=1)
    assert list(task.Y.columns) == ["b"] and task.Y is not None
    with pytest.raises(ValueError, match="must come before"):
        inv.book_demand(tx, start="2011-02-01", end="2011-01-01")
    with pytest.raises(ValueError, match="no sale"):
        inv.book_demand(tx, start="2012-01-01", end="2012-02-01")
    with pytest.raises(ValueError, match="n_products"):
        inv.book_demand(tx, n_products=0)


def test_book_demand_defaults_are_the_chapters_settings():
    import inspect

    params = inspect.signature(inv.book_demand).parameters
    assert params["start"].default == inv.SELECTION_START == "2011-01-01"
    assert params["end"].default == inv.SELECTION_END == "2011-10-01"
    assert params["n_products"].default == inv.N_PRODUCTS == 50
    assert inv.SEEDS == (0, 1, 2, 3, 4)


def test_backtest_origins_offset_gives_the_weeks_just_before():
    Y = weekly_series(weeks=20)
    last, before = inv.backtest_origins(Y), inv.backtest_origins(Y, offset=8)
    assert before[-1] + pd.Timedelta(days=7) == last[0] and len(before) == 8
    assert inv.backtest_origins(Y, n=2, offset=1)[-1] == last[-2]
    with pytest.raises(ValueError, match="offset must be"):
        inv.backtest_origins(Y, offset=-1)
    with pytest.raises(ValueError, match="no training day"):
        inv.backtest_origins(Y, offset=12)


def test_forecast_bias_by_hand():
    idx = pd.date_range("2011-01-03", periods=4)
    actual = pd.DataFrame({"a": [1, 2, 3, 4], "b": [10, 10, 10, 10]}, index=idx)
    F = pd.DataFrame({"a": [1.0, 1.0], "b": [5.0, 5.0]}, index=idx[2:])
    assert inv.forecast_bias(actual, F) == pytest.approx(12 / 27 - 1)  # only the forecast days count
    assert inv.forecast_bias(actual, actual.astype(float)) == 0
    with pytest.raises(ValueError, match="cover every day"):
        inv.forecast_bias(actual.iloc[:2], F)
    with pytest.raises(ValueError, match="undefined"):
        inv.forecast_bias(actual * 0, F)
    with pytest.raises(TypeError, match="DataFrame"):
        inv.forecast_bias(actual, F.to_numpy())


def test_policy_backtest_is_the_chapters_protocol():
    """Error spread on the first half of the windows, the policy on the second half."""
    Y = weekly_series(weeks=16, seed=2)
    closed = Y.index[Y.index.day_of_week == 5]
    origins = inv.backtest_origins(Y, n=4)
    _, forecasts = inv.backtest(Y, {"naive": inv.Naive(closed), "ma": inv.MovingAverage(14, closed)}, origins)
    value = pd.Series({"A": 2.0, "B": 3.0})
    out = inv.policy_backtest(Y, forecasts, origins, value, service_level=0.9)
    days = pd.date_range(origins[2], periods=14)
    sigmas = {k: (Y.loc[F.index] - F).loc[: origins[2] - pd.Timedelta(days=1)].std() for k, F in forecasts.items()}
    expected = inv.compare_policies(Y.loc[days], {k: F.loc[days] for k, F in forecasts.items()}, sigmas, value,
                                    service_level=0.9)
    pd.testing.assert_frame_equal(out, expected)
    with pytest.raises(ValueError, match="at least 2 origins"):
        inv.policy_backtest(Y, forecasts, origins[:1], value)


class _SeedShift(BaseEstimator):
    """A stand-in for a trained network: forecasts the history's last-28-day mean plus ``seed``
    (so each seed's forecasts are known exactly), from any later origin without refitting."""

    def __init__(self, seed=0, closed=()):
        self.seed = seed
        self.closed = closed

    def fit(self, Y):
        self.Y_ = Y.astype(float)
        return self

    def predict(self, dates, history=None):
        base = self.Y_ if history is None else history
        return pd.DataFrame(np.tile(base.iloc[-28:].mean().to_numpy() + self.seed, (len(dates), 1)), index=dates,
                            columns=base.columns)


def test_repeated_backtest_runs_baselines_once_and_the_model_per_seed():
    Y = weekly_series(weeks=14)
    closed = Y.index[Y.index.day_of_week == 5]
    sets = {"late": inv.backtest_origins(Y, n=2), "early": inv.backtest_origins(Y, n=2, offset=2)}
    base = {"naive": inv.Naive(closed), "ma": inv.MovingAverage(14, closed)}
    model = _SeedShift()
    runs = inv.repeated_backtest(Y, base, model, sets, seeds=(0, 3), name="net",
                                 unit_value=pd.Series({"A": 1.0, "B": 1.0}))
    assert len(runs) == 2 * (2 + 2)
    assert runs.groupby("period", sort=False).size().to_dict() == {"late": 4, "early": 4}
    assert sorted(runs.loc[runs["method"] == "net", "seed"]) == [0, 0, 3, 3]
    assert (runs.loc[runs["method"] != "net", "seed"] == -1).all()
    assert {"MAE", "WAPE", "MASE", "bias", "total_cost", "turnover_days", "fill_rate"} <= set(runs.columns)
    # the baselines' rows are backtest's (one run per period) ...
    summary, F = inv.backtest(Y, base, sets["early"])
    early = runs[runs["period"] == "early"].set_index(["method", "seed"])
    assert early.loc[("ma", -1), "MASE"] == pytest.approx(summary.loc["ma", "MASE"])
    assert early.loc[("ma", -1), "bias"] == pytest.approx(inv.forecast_bias(Y, F["ma"]))
    # ... and the model's are a clone with that seed, forecasting from each origin of the set
    days = [d for o in sets["early"] for d in pd.date_range(o, periods=7)]
    expected = sum(float(Y[Y.index < o].iloc[-28:].sum(axis=None)) / 28 * 7 + 3 * 7 * 2 for o in sets["early"])
    assert early.loc[("net", 3), "bias"] == pytest.approx(expected / Y.loc[days].to_numpy().sum() - 1)
    assert model.seed == 0 and not hasattr(model, "Y_"), "the template is cloned, never fitted"
    with pytest.raises(ValueError, match="also a baseline"):
        inv.repeated_backtest(Y, base, model, sets, name="naive")
    with pytest.raises(ValueError, match="seeds is empty"):
        inv.repeated_backtest(Y, base, model, sets, seeds=())
    with pytest.raises(ValueError, match="origin_sets is empty"):
        inv.repeated_backtest(Y, base, model, {})


def test_compare_with_best_verdicts_by_hand():
    def runs(model_values):
        rows = [("p", "a", -1, 0.9), ("p", "b", -1, 0.8)] + [("p", "m", s, v) for s, v in enumerate(model_values)]
        return pd.DataFrame(rows, columns=["period", "method", "seed", "MASE"])

    out = inv.compare_with_best(runs([0.6, 0.7]), "m").loc["p"]
    assert out["best"] == "b" and out["best_value"] == 0.8 and out["verdict"] == "beats" and out["wins"] == 2
    assert out["gain_low"] == pytest.approx(1 - 0.7 / 0.8) and out["gain_high"] == pytest.approx(1 - 0.6 / 0.8)
    assert out["mean"] == pytest.approx(0.65) and (out["low"], out["high"]) == (0.6, 0.7)
    assert inv.compare_with_best(runs([0.85, 0.95]), "m").loc["p", "verdict"] == "loses to"
    tie = inv.compare_with_best(runs([0.7, 0.85]), "m").loc["p"]
    assert tie["verdict"] == "ties with" and tie["wins"] == 1
    with pytest.raises(ValueError, match="runs of 'x'"):
        inv.compare_with_best(runs([0.7]), "x")
    with pytest.raises(ValueError, match="misses column"):
        inv.compare_with_best(runs([0.7]).drop(columns="MASE"), "m")


def test_keras_global_loss_decides_median_or_mean():
    """On skewed demand with no pattern (lognormal, sigma 1: median = mean * exp(-1/2)), a
    network trained on absolute error forecasts about the median, on squared error the mean."""
    rng = np.random.default_rng(0)
    idx = pd.date_range("2011-01-03", periods=280)
    Y = pd.DataFrame({p: rng.lognormal(np.log(m), 1.0, len(idx)) for p, m in (("a", 10), ("b", 30), ("c", 5))},
                     index=idx)
    params = dict(lags=7, hidden=(8,), epochs=25, batch_size=128, learning_rate=0.01, seed=0)
    origins = inv.backtest_origins(Y, n=8)
    bias = {}
    for loss in ("mae", "mse"):
        m = inv.KerasGlobal(loss=loss, **params).fit(Y[Y.index < origins[0]])
        _, F = inv.backtest(Y, {loss: m}, origins, prefitted=[loss])
        bias[loss] = inv.forecast_bias(Y, F[loss])
    truth = Y[Y.index < origins[0]]
    median_gap = truth.median().sum() / truth.mean().sum() - 1  # about exp(-0.5) - 1 = -0.39
    assert bias["mae"] == pytest.approx(median_gap, abs=0.12), bias
    assert abs(bias["mse"]) < 0.15 and bias["mse"] > bias["mae"] + 0.2, bias
    with pytest.raises(ValueError, match="loss must be one of"):
        inv.KerasGlobal(loss="huber").fit(Y)
