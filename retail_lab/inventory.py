"""Demand forecasting and inventory policy simulation (chapter 9).

Forecasters share one interface over many products at once: ``fit(Y)`` with ``Y`` a
DataFrame (calendar days x products) of units sold before a forecast origin, and
``predict(dates)`` returning a DataFrame (dates x products). Days the shop is closed (known
in advance: its calendar) are forecast as 0.

:func:`backtest` runs a rolling-origin evaluation; :func:`simulate_policy` runs a
periodic-review, order-up-to inventory policy on actual demand, and :func:`newsvendor_cost`
gives the closed form it reduces to in the single-period case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "daily_demand",
    "seasonal_naive_scale",
    "PolicyResult",
    "closed_days",
    "Naive",
    "SeasonalNaive",
    "MovingAverage",
    "WeekdayProfile",
    "HoltWinters",
    "KerasGlobal",
    "backtest",
    "forecast_metrics",
    "simulate_policy",
    "newsvendor_quantity",
    "newsvendor_cost",
    "compare_policies",
]


def daily_demand(tx: pd.DataFrame, stock_codes=None, start=None, end=None) -> pd.DataFrame:
    """Units sold per calendar day and product, missing days filled with 0.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines with StockCode, Quantity, InvoiceDate.
    stock_codes : sequence, optional
        Products (columns, in this order); default all.
    start, end : date-like, optional
        Calendar range (default: first and last sale day).

    Returns
    -------
    DataFrame, index DatetimeIndex (daily), columns StockCode, int64
    """
    t = tx if stock_codes is None else tx[tx["StockCode"].isin(list(stock_codes))]
    day = t["InvoiceDate"].dt.normalize()
    Y = t.groupby([day, t["StockCode"]], observed=True)["Quantity"].sum().unstack(fill_value=0)
    idx = pd.date_range(start or tx["InvoiceDate"].min().normalize(), end or tx["InvoiceDate"].max().normalize())
    Y = Y.reindex(index=idx, fill_value=0)
    if stock_codes is not None:
        Y = Y.reindex(columns=list(stock_codes), fill_value=0)
    Y.index.name, Y.columns.name = "day", "StockCode"
    return Y.astype("int64")


def closed_days(tx: pd.DataFrame) -> pd.DatetimeIndex:
    """Calendar days inside the data's range on which the shop recorded no sale at all."""
    days = tx["InvoiceDate"].dt.normalize()
    full = pd.date_range(days.min(), days.max())
    return full.difference(pd.DatetimeIndex(days.unique()))


class _Forecaster:
    """Shared plumbing: the closed calendar and the open-day history."""

    closed: pd.DatetimeIndex = pd.DatetimeIndex([])

    def fit(self, Y: pd.DataFrame) -> "_Forecaster":
        self.Y_ = Y.astype(float)
        self.open_ = ~Y.index.isin(self.closed)
        self._fit()
        return self

    def _fit(self):
        pass

    def predict(self, dates) -> pd.DataFrame:
        dates = pd.DatetimeIndex(dates)
        F = pd.DataFrame(self._predict(dates), index=dates, columns=self.Y_.columns)
        F.loc[dates.isin(self.closed)] = 0.0
        return F.clip(lower=0)


class Naive(_Forecaster):
    """Every future day = the last open day's sales."""

    def __init__(self, closed=()):
        self.closed = pd.DatetimeIndex(closed)

    def _predict(self, dates):
        last = self.Y_[self.open_].iloc[-1].to_numpy()
        return np.tile(last, (len(dates), 1))


class SeasonalNaive(_Forecaster):
    """Same day last week (lag 7); further ahead, the same weekday of the last observed week."""

    def __init__(self, closed=()):
        self.closed = pd.DatetimeIndex(closed)

    def _predict(self, dates):
        last_week = self.Y_.iloc[-7:]
        by_dow = {d.day_of_week: row for d, row in zip(last_week.index, last_week.to_numpy())}
        return np.stack([by_dow[d.day_of_week] for d in dates])


class MovingAverage(_Forecaster):
    """Mean of the last ``window`` open days."""

    def __init__(self, window: int = 28, closed=()):
        self.window, self.closed = window, pd.DatetimeIndex(closed)

    def _predict(self, dates):
        m = self.Y_[self.open_].iloc[-self.window:].mean().to_numpy()
        return np.tile(m, (len(dates), 1))


class WeekdayProfile(_Forecaster):
    """Recent level times a weekday profile: the mean of each weekday over the last
    ``weeks`` weeks (open days only)."""

    def __init__(self, weeks: int = 8, closed=()):
        self.weeks, self.closed = weeks, pd.DatetimeIndex(closed)

    def _fit(self):
        recent = self.Y_.iloc[-7 * self.weeks:]
        recent = recent[~recent.index.isin(self.closed)]
        self.profile_ = recent.groupby(recent.index.day_of_week).mean()

    def _predict(self, dates):
        prof = self.profile_.reindex(range(7)).fillna(0.0)
        return np.stack([prof.loc[d.day_of_week].to_numpy() for d in dates])


class HoltWinters(_Forecaster):
    """Additive exponential smoothing with a level and a weekly season (no trend).

    ``l_t = alpha (y_t - s_{t-7}) + (1 - alpha) l_{t-1}``;
    ``s_t = gamma (y_t - l_t) + (1 - gamma) s_{t-7}``; forecast ``l_T + s_{T+h-7k}``.
    Closed days are skipped in the updates. Parameters are fixed (not fitted per series),
    which keeps the method fast and hard to overfit.
    """

    def __init__(self, alpha: float = 0.1, gamma: float = 0.1, closed=()):
        self.alpha, self.gamma, self.closed = alpha, gamma, pd.DatetimeIndex(closed)

    def _fit(self):
        Y = self.Y_.to_numpy()
        init = Y[:28]
        level = init.mean(axis=0)
        season = np.stack([init[d::7].mean(axis=0) - level for d in range(7)])  # by position
        dows = self.Y_.index.day_of_week.to_numpy()
        first_dow = dows[0]
        season = season[(np.arange(7) - first_dow) % 7]  # index by day of week
        for t in range(len(Y)):
            if not self.open_[t]:
                continue
            d = dows[t]
            new_level = self.alpha * (Y[t] - season[d]) + (1 - self.alpha) * level
            season[d] = self.gamma * (Y[t] - new_level) + (1 - self.gamma) * season[d]
            level = new_level
        self.level_, self.season_ = level, season

    def _predict(self, dates):
        return np.stack([self.level_ + self.season_[d.day_of_week] for d in dates])


class KerasGlobal(_Forecaster):
    """One Keras MLP for all products: the last ``lags`` days (scaled by each product's mean)
    and calendar features of the 7 target days -> the next 7 days.

    Calendar features: day of week (one-hot) and a closed-day flag for each target day.
    Trained once on every window that ends before the training data's end.

    Parameters
    ----------
    lags, horizon : int
    hidden : tuple of int
    epochs, batch_size, learning_rate, seed
    """

    def __init__(self, lags=28, horizon=7, hidden=(64, 32), epochs=40, batch_size=256,
                 learning_rate=0.002, seed=0, closed=()):
        self.lags, self.horizon, self.hidden = lags, horizon, tuple(hidden)
        self.epochs, self.batch_size, self.learning_rate, self.seed = epochs, batch_size, learning_rate, seed
        self.closed = pd.DatetimeIndex(closed)
        self.trained_ = False

    def _calendar(self, dates):
        dates = pd.DatetimeIndex(dates)
        dow = np.eye(7)[dates.day_of_week]
        return np.c_[dow, dates.isin(self.closed)].ravel()

    def _windows(self, Y: pd.DataFrame, scale):
        Z = Y.to_numpy() / scale
        X, T = [], []
        idx = Y.index
        for end in range(self.lags, len(Y) - self.horizon + 1):
            cal = self._calendar(idx[end:end + self.horizon])
            for j in range(Z.shape[1]):
                X.append(np.r_[Z[end - self.lags:end, j], cal])
                T.append(Z[end:end + self.horizon, j])
        return np.asarray(X, "float32"), np.asarray(T, "float32")

    def train(self, Y: pd.DataFrame) -> "KerasGlobal":
        """Train on the windows of ``Y`` (call once; later ``fit`` calls only update history)."""
        from .repro import import_tensorflow

        import_tensorflow()
        import keras

        keras.utils.set_random_seed(self.seed)
        self.Y_ = Y.astype(float)
        self.scale_ = np.maximum(self.Y_.mean().to_numpy(), 1e-6)
        X, T = self._windows(self.Y_, self.scale_)
        L = keras.layers
        model = keras.Sequential([keras.Input((X.shape[1],))] + [L.Dense(h, activation="relu") for h in self.hidden]
                                 + [L.Dense(self.horizon)])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mae")
        h = model.fit(X, T, epochs=self.epochs, batch_size=self.batch_size, verbose=0, shuffle=True)
        self.model_, self.history_ = model, {"loss": [float(v) for v in h.history["loss"]]}
        self.n_params_ = model.count_params()
        self.trained_ = True
        return self

    def _fit(self):
        if not self.trained_:
            self.train(self.Y_)

    def _predict(self, dates):
        if len(dates) > self.horizon:
            raise ValueError(f"KerasGlobal forecasts at most {self.horizon} days ahead")
        Z = self.Y_.to_numpy()[-self.lags:] / self.scale_
        cal = self._calendar(pd.date_range(dates[0], periods=self.horizon))
        X = np.c_[Z.T, np.tile(cal, (Z.shape[1], 1))].astype("float32")
        out = self.model_.predict(X, verbose=0).T[: len(dates)]
        return out * self.scale_[None, :]


def forecast_metrics(actual: pd.DataFrame, forecast: pd.DataFrame, scale: pd.Series) -> pd.DataFrame:
    """Per product: MAE, WAPE contribution parts and MASE.

    Parameters
    ----------
    actual, forecast : DataFrame (dates x products)
    scale : Series (products)
        In-sample MAE of the weekly seasonal naive forecast (the MASE denominator).

    Returns
    -------
    DataFrame (products): mae, abs_error, units, mase
    """
    err = (actual - forecast).abs()
    mae = err.mean()
    return pd.DataFrame({"mae": mae, "abs_error": err.sum(), "units": actual.sum(),
                         "mase": mae / scale.replace(0, np.nan)})


def seasonal_naive_scale(Y: pd.DataFrame) -> pd.Series:
    """Mean absolute difference between each day and the same day a week earlier."""
    return (Y - Y.shift(7)).abs().iloc[7:].mean()


def backtest(Y: pd.DataFrame, methods: dict, origins, horizon: int = 7) -> tuple[pd.DataFrame, dict]:
    """Rolling-origin evaluation: at each origin, fit on days before it, forecast ``horizon`` days.

    Parameters
    ----------
    Y : DataFrame (calendar days x products)
    methods : dict of name -> forecaster (refitted at each origin)
    origins : sequence of dates
        First forecast day of each window.

    Returns
    -------
    summary : DataFrame (method): MAE, WAPE, MASE (mean over products and origins)
    forecasts : dict of name -> DataFrame of all forecast days (concatenated windows)
    """
    rows, forecasts = [], {name: [] for name in methods}
    for origin in pd.DatetimeIndex(origins):
        train = Y[Y.index < origin]
        dates = pd.date_range(origin, periods=horizon)
        actual = Y.reindex(dates)
        if actual.isna().any().any():
            raise ValueError(f"the window starting {origin:%Y-%m-%d} runs past the data")
        scale = seasonal_naive_scale(train)
        for name, model in methods.items():
            F = model.fit(train).predict(dates)
            forecasts[name].append(F)
            m = forecast_metrics(actual, F, scale)
            rows.append((name, origin, m["mae"].mean(), m["abs_error"].sum(), m["units"].sum(), m["mase"].mean()))
    d = pd.DataFrame(rows, columns=["method", "origin", "mae", "abs_error", "units", "mase"])
    summary = d.groupby("method", sort=False).agg(MAE=("mae", "mean"), abs_error=("abs_error", "sum"),
                                                   units=("units", "sum"), MASE=("mase", "mean"))
    summary["WAPE"] = summary["abs_error"] / summary["units"]
    return summary[["MAE", "WAPE", "MASE"]], {k: pd.concat(v) for k, v in forecasts.items()}


def newsvendor_quantity(mu: float, sigma: float, underage: float, overage: float) -> float:
    """Optimal order for normal demand: ``mu + sigma * Phi^{-1}(cu / (cu + co))``."""
    return float(mu + sigma * stats.norm.ppf(underage / (underage + overage)))


def newsvendor_cost(q: float, mu: float, sigma: float, underage: float, overage: float) -> float:
    """Expected cost ``co E[(q - D)+] + cu E[(D - q)+]`` for normal demand D ~ N(mu, sigma^2).

    Uses the standard loss function ``L(z) = phi(z) - z (1 - Phi(z))``: E[(D - q)+] = sigma L(z)
    and E[(q - D)+] = sigma (z + L(z)), with z = (q - mu) / sigma.
    """
    z = (q - mu) / sigma
    loss = stats.norm.pdf(z) - z * (1 - stats.norm.cdf(z))
    return float(overage * sigma * (z + loss) + underage * sigma * loss)


@dataclass
class PolicyResult:
    """Outcome of :func:`simulate_policy` for one product (all per day unless stated)."""

    avg_inventory: float
    turnover_days: float
    holding_cost: float
    stockout_cost: float
    fill_rate: float
    total_cost: float


def simulate_policy(demand, forecast, sigma, *, lead_time: int = 2, review_period: int = 7,
                    service_level: float = 0.95, holding: float = 0.02, penalty: float = 1.0,
                    lost_sales: bool = True, perishable: bool = False, initial: float | None = None) -> PolicyResult:
    """Periodic-review, order-up-to policy on actual daily demand.

    Every ``review_period`` days the stock position (on hand + on order - backorders) is
    raised to ``S = mean forecast of the period * (lead_time + review_period) +
    z * sigma * sqrt(lead_time + review_period)``, with ``z = Phi^{-1}(service_level)``.
    Orders arrive after ``lead_time`` days. Unmet demand is lost (or backordered).

    Parameters
    ----------
    demand : array, shape (n_days,)
        Actual units demanded each day.
    forecast : array, shape (n_days,)
        The forecast of each day's demand made at the review that starts its period; the
        order-up-to level uses the mean forecast of the coming review period.
    sigma : float
        Standard deviation of daily forecast errors (from past errors).
    holding, penalty : float
        Cost per unit held overnight; cost per unit of unmet demand.
    perishable : bool
        Discard stock left at the end of each review period (single-period newsvendor case).
    initial : float, optional
        Starting stock (default: the first order-up-to level).

    Returns
    -------
    PolicyResult
    """
    d = np.asarray(demand, dtype=float)
    f = np.asarray(forecast, dtype=float)
    n = len(d)
    if len(f) != n:
        raise ValueError("demand and forecast must have the same length")
    z = stats.norm.ppf(service_level)
    cover = lead_time + review_period
    arriving = np.zeros(n + cover + 1)
    on_hand, backlog = None, 0.0
    held, short = [], 0.0
    for t in range(n):
        if t % review_period == 0:
            # order-up-to level from the forecasts available at this review
            S = f[t:t + review_period].mean() * cover + z * sigma * np.sqrt(cover)
            if on_hand is None:
                on_hand = S if initial is None else float(initial)
            position = on_hand + arriving[t:].sum() - backlog
            arriving[t + lead_time] += max(S - position, 0.0)
        on_hand += arriving[t]
        arriving[t] = 0.0
        if lost_sales:
            sold = min(on_hand, d[t])
            short += d[t] - sold
            on_hand -= sold
        else:  # old backorders are served first; today's shortfall joins the backlog
            served_backlog = min(on_hand, backlog)
            on_hand -= served_backlog
            backlog -= served_backlog
            sold = min(on_hand, d[t])
            on_hand -= sold
            short += d[t] - sold
            backlog += d[t] - sold
        held.append(on_hand)
        if perishable and (t + 1) % review_period == 0:
            on_hand = 0.0
    held = np.asarray(held)
    avg_demand = d.mean()
    hold_cost = holding * held.mean()
    stock_cost = penalty * short / n
    return PolicyResult(
        avg_inventory=float(held.mean()),
        turnover_days=float(held.mean() / avg_demand) if avg_demand > 0 else np.nan,
        holding_cost=float(hold_cost),
        stockout_cost=float(stock_cost),
        fill_rate=float(1 - short / d.sum()) if d.sum() > 0 else 1.0,
        total_cost=float(hold_cost + stock_cost),
    )


def compare_policies(actual: pd.DataFrame, forecasts: dict, sigmas: dict, unit_value: pd.Series, *,
                     lead_time: int = 2, review_period: int = 7, service_level: float = 0.95,
                     annual_holding_rate: float = 0.25, stockout_margin: float = 0.3) -> pd.DataFrame:
    """Run :func:`simulate_policy` for every product under each forecaster and add up.

    Parameters
    ----------
    actual : DataFrame (days x products)
        Demand in the evaluation period (starts at a review).
    forecasts : dict of name -> DataFrame like ``actual``
    sigmas : dict of name -> Series (products)
        Daily forecast-error standard deviation of each method, estimated beforehand.
    unit_value : Series (products)
        Value of one unit (GBP); holding costs ``annual_holding_rate * value / 365`` per unit
        per day, a lost sale costs ``stockout_margin * value``.

    Returns
    -------
    DataFrame (method)
        inventory_value (GBP, average on hand), turnover_days (average units on hand / average
        daily units demanded, summed over products), holding_cost, stockout_cost, total_cost
        (GBP over the period), fill_rate (share of units demanded that were sold).
    """
    rows = []
    days = len(actual)
    for name, F in forecasts.items():
        inv_units = inv_value = hold = stock = demand = lost = 0.0
        for code in actual.columns:
            v = float(unit_value[code])
            r = simulate_policy(actual[code].to_numpy(), F[code].to_numpy(), float(sigmas[name][code]),
                                lead_time=lead_time, review_period=review_period, service_level=service_level,
                                holding=annual_holding_rate * v / 365, penalty=stockout_margin * v)
            inv_units += r.avg_inventory
            inv_value += r.avg_inventory * v
            hold += r.holding_cost * days
            stock += r.stockout_cost * days
            d = actual[code].sum()
            demand += d
            lost += (1 - r.fill_rate) * d
        rows.append((name, inv_value, inv_units / (demand / days), hold, stock, hold + stock, 1 - lost / demand))
    return pd.DataFrame(rows, columns=["method", "inventory_value", "turnover_days", "holding_cost",
                                       "stockout_cost", "total_cost", "fill_rate"]).set_index("method")
