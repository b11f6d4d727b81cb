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

from ._checks import as_vector

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


# --------------------------------------------------------------------------- validation


def _is_number(v) -> bool:
    return not isinstance(v, (bool, np.bool_)) and isinstance(v, (int, float, np.integer, np.floating))


def _check_number(v, name: str, low: float | None = None, high: float | None = None, *,
                  low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number within [low, high] (or open ends); else a clear error."""
    if not _is_number(v):
        raise TypeError(f"{name} must be a number, got {v!r}")
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {v}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {v}")
    return float(v)


def _check_int(v, name: str, low: int = 1) -> int:
    """A whole number >= low (int or NumPy integer, not a float or bool)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number (int), got {v!r}")
    if v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    return int(v)


def _check_lines(tx: pd.DataFrame, columns=("StockCode", "Quantity", "InvoiceDate")) -> None:
    """Purchase lines with parsed, present dates and finite numeric quantities."""
    if not isinstance(tx, pd.DataFrame):
        raise TypeError(f"tx must be a pandas DataFrame of purchase lines, got {type(tx).__name__}")
    missing = [c for c in columns if c not in tx.columns]
    if missing:
        raise ValueError(f"tx misses column(s) {missing}; need {list(columns)}")
    if not pd.api.types.is_datetime64_any_dtype(tx["InvoiceDate"]):
        raise TypeError("InvoiceDate must be datetime64; parse it first, e.g. pd.to_datetime(tx['InvoiceDate'])")
    if tx.empty:
        raise ValueError("tx has no rows; pass the clean purchase lines")
    n_nat = int(tx["InvoiceDate"].isna().sum())
    if n_nat:
        raise ValueError(f"InvoiceDate is missing (NaT) on {n_nat} row(s); their sales cannot be placed on a day. "
                         "Drop or repair them first (quality.clean does)")
    if "Quantity" in columns:
        q = tx["Quantity"]
        if pd.api.types.is_bool_dtype(q) or not pd.api.types.is_numeric_dtype(q):
            raise TypeError(f"Quantity must be numeric, got dtype {q.dtype}; convert it, "
                            "e.g. pd.to_numeric(tx['Quantity'])")
        v = q.to_numpy(dtype=float)
        if not np.isfinite(v).all():
            raise ValueError(f"Quantity is NaN or infinite on {int((~np.isfinite(v)).sum())} row(s); "
                             "drop or repair them first (a missing quantity is not 0 units)")
        frac = v != np.round(v)
        if frac.any():
            raise ValueError(f"Quantity has fractional values on {int(frac.sum())} row(s) (e.g. {v[frac][0]}); "
                             "demand is counted in whole units, so repair those rows first")


def _check_Y(Y, name: str = "Y") -> pd.DataFrame:
    """A demand table: DatetimeIndex of consecutive, unique, increasing days; finite numbers."""
    if isinstance(Y, pd.Series):
        Y = Y.to_frame()
    if not isinstance(Y, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame (days x products), got {type(Y).__name__}")
    if not isinstance(Y.index, pd.DatetimeIndex):
        raise TypeError(f"{name} must have a DatetimeIndex of days (got {type(Y.index).__name__}); "
                        f"e.g. {name}.index = pd.to_datetime({name}.index), or build it with daily_demand")
    if Y.empty or Y.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {Y.shape}); it needs at least one day and one product")
    if Y.index.hasnans:
        raise ValueError(f"{name}'s index has missing dates (NaT); repair them first")
    if Y.columns.has_duplicates:
        raise ValueError(f"{name} has duplicate product columns {list(Y.columns[Y.columns.duplicated()][:3])}")
    if Y.index.has_duplicates:
        dup = Y.index[Y.index.duplicated()]
        raise ValueError(f"{name} has duplicate dates ({len(dup)}, e.g. {dup[0]:%Y-%m-%d}); one row per day is "
                         f"needed: sum them, e.g. {name}.groupby(level=0).sum()")
    if not Y.index.is_monotonic_increasing:
        raise ValueError(f"{name}'s dates are not in increasing order; sort them first: {name} = {name}.sort_index()")
    gaps = np.flatnonzero(np.asarray((Y.index[1:] - Y.index[:-1]) != pd.Timedelta(days=1)))
    if len(gaps):
        raise ValueError(f"{name} must hold consecutive calendar days, but {Y.index[gaps[0]]:%Y-%m-%d %H:%M} is "
                         f"followed by {Y.index[gaps[0] + 1]:%Y-%m-%d %H:%M}; fill missing days with 0, e.g. "
                         f"{name}.reindex(pd.date_range({name}.index.min(), {name}.index.max()), fill_value=0)")
    bad_dtypes = [c for c in Y.columns if pd.api.types.is_bool_dtype(Y[c]) or not pd.api.types.is_numeric_dtype(Y[c])]
    if bad_dtypes:
        raise TypeError(f"{name} must hold numbers; column(s) {bad_dtypes[:3]} are not numeric")
    v = Y.to_numpy(dtype=float)
    if not np.isfinite(v).all():
        r, c = np.argwhere(~np.isfinite(v))[0]
        raise ValueError(f"{name} has NaN or infinite values (first on {Y.index[r]:%Y-%m-%d}, product "
                         f"{Y.columns[c]!r}); a day without sales is 0, so fill with {name}.fillna(0) only if "
                         "that is what NaN means")
    return Y


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

        Lines outside it are left out.

    Returns
    -------
    DataFrame, index DatetimeIndex (daily), columns StockCode, int64

    Raises
    ------
    TypeError, ValueError
        Unparsed or missing dates, NaN or fractional quantities, repeated stock codes, codes
        of another type than the data's (e.g. int 85123 for the text "85123"), start after end.
    """
    _check_lines(tx)
    if stock_codes is not None:
        if isinstance(stock_codes, str):
            stock_codes = [stock_codes]
        stock_codes = list(stock_codes)
        if not stock_codes:
            raise ValueError("stock_codes is empty; pass None for all products")
        dup = pd.Index(stock_codes)[pd.Index(stock_codes).duplicated()]
        if len(dup):
            raise ValueError(f"stock_codes repeats {list(dup[:3])}; each product must appear once")
        known = set(tx["StockCode"].unique())
        unknown = [c for c in stock_codes if c not in known]
        as_text = {str(c) for c in known}
        mistyped = [c for c in unknown if str(c) in as_text]
        if mistyped:
            raise TypeError(f"stock code(s) {mistyped[:3]} are {type(mistyped[0]).__name__} but the data's codes are "
                            f"{type(next(iter(known))).__name__}; convert them, e.g. [str(c) for c in codes]")
    bounds = []
    for name, v, default in (("start", start, tx["InvoiceDate"].min()), ("end", end, tx["InvoiceDate"].max())):
        try:
            d = pd.Timestamp(default if v is None else v)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} {v!r} is not a date ({err}); give e.g. '2011-01-01'") from None
        if pd.isna(d):
            raise ValueError(f"{name} is missing ({v!r}); give a date or None")
        bounds.append(d.normalize())
    if bounds[0] > bounds[1]:
        raise ValueError(f"start {bounds[0]:%Y-%m-%d} is after end {bounds[1]:%Y-%m-%d}")
    t = tx if stock_codes is None else tx[tx["StockCode"].isin(stock_codes)]
    day = t["InvoiceDate"].dt.normalize()
    Y = t.groupby([day, t["StockCode"]], observed=True)["Quantity"].sum().unstack(fill_value=0)
    idx = pd.date_range(bounds[0], bounds[1])
    Y = Y.reindex(index=idx, fill_value=0)
    if stock_codes is not None:
        Y = Y.reindex(columns=list(stock_codes), fill_value=0)
    Y.index.name, Y.columns.name = "day", "StockCode"
    return Y.astype("int64")


def closed_days(tx: pd.DataFrame) -> pd.DatetimeIndex:
    """Calendar days inside the data's range on which the shop recorded no sale at all.

    Raises
    ------
    TypeError, ValueError
        Unparsed or missing (NaT) dates, or an empty table.
    """
    _check_lines(tx, ("InvoiceDate",))
    days = tx["InvoiceDate"].dt.normalize()
    full = pd.date_range(days.min(), days.max())
    return full.difference(pd.DatetimeIndex(days.unique()))


class _Forecaster:
    """Shared plumbing: the closed calendar and the open-day history.

    ``fit`` checks ``Y`` (consecutive unique increasing days, finite numbers, at least
    ``_min_days`` rows and one open day) and the parameters; ``predict`` checks the dates
    (present, after the training data)."""

    closed: pd.DatetimeIndex = pd.DatetimeIndex([])
    _min_days: int = 1

    def fit(self, Y: pd.DataFrame) -> "_Forecaster":
        Y = _check_Y(Y)
        self._check_params()
        if len(Y) < self._min_days:
            raise ValueError(f"{type(self).__name__} needs at least {self._min_days} days of history, got {len(Y)}")
        open_ = ~Y.index.isin(self.closed)
        if not open_.any():
            raise ValueError("every day of Y is in the closed calendar; there is no sale to learn from")
        self.Y_ = Y.astype(float)
        self.open_ = open_
        self._fit()
        return self

    def _check_params(self):
        pass

    def _fit(self):
        pass

    def _check_dates(self, dates) -> pd.DatetimeIndex:
        if not hasattr(self, "Y_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(Y) before predict(dates)")
        try:
            dates = pd.DatetimeIndex(dates)
        except (TypeError, ValueError) as err:
            raise TypeError(f"dates must be dates, e.g. pd.date_range('2011-12-01', periods=7) ({err})") from None
        if len(dates) == 0:
            raise ValueError("dates is empty; pass the days to forecast, e.g. pd.date_range(origin, periods=7)")
        if dates.hasnans:
            raise ValueError("dates contains a missing date (NaT)")
        last = self.Y_.index[-1]
        if dates.min() <= last:
            raise ValueError(f"forecast dates must come after the training data's last day {last:%Y-%m-%d}, "
                             f"got {dates.min():%Y-%m-%d}; fit on the days before the first forecast day")
        return dates

    def predict(self, dates) -> pd.DataFrame:
        dates = self._check_dates(dates)
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

    _min_days = 7

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

    def _check_params(self):
        _check_int(self.window, "window")

    def _predict(self, dates):
        m = self.Y_[self.open_].iloc[-self.window:].mean().to_numpy()
        return np.tile(m, (len(dates), 1))


class WeekdayProfile(_Forecaster):
    """Recent level times a weekday profile: the mean of each weekday over the last
    ``weeks`` weeks (open days only)."""

    def __init__(self, weeks: int = 8, closed=()):
        self.weeks, self.closed = weeks, pd.DatetimeIndex(closed)

    def _check_params(self):
        _check_int(self.weeks, "weeks")

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

    _min_days = 7

    def __init__(self, alpha: float = 0.1, gamma: float = 0.1, closed=()):
        self.alpha, self.gamma, self.closed = alpha, gamma, pd.DatetimeIndex(closed)

    def _check_params(self):
        _check_number(self.alpha, "alpha", 0, 1)
        _check_number(self.gamma, "gamma", 0, 1)

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

        Y = _check_Y(Y)
        self._check_params()
        if len(Y) < self.lags + self.horizon:
            raise ValueError(f"training needs at least lags + horizon = {self.lags + self.horizon} days, got {len(Y)}")
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
        self.columns_ = self.Y_.columns
        self.trained_ = True
        return self

    def _check_params(self):
        for name in ("lags", "horizon", "epochs", "batch_size"):
            _check_int(getattr(self, name), name)
        _check_number(self.learning_rate, "learning_rate", 0, low_open=True)

    def _fit(self):
        if len(self.Y_) < self.lags:
            raise ValueError(f"KerasGlobal needs the last lags = {self.lags} days, got {len(self.Y_)}")
        if not self.trained_:
            self.train(self.Y_)
        elif list(self.Y_.columns) != list(self.columns_):
            raise ValueError(f"the network was trained on products {list(self.columns_[:3])}...; "
                             "fit it on the same products in the same order")

    def _predict(self, dates):
        if len(dates) > self.horizon:
            raise ValueError(f"KerasGlobal forecasts at most {self.horizon} days ahead")
        expected = pd.date_range(self.Y_.index[-1] + pd.Timedelta(days=1), periods=len(dates))
        if not dates.equals(expected):
            raise ValueError(f"KerasGlobal forecasts the consecutive days right after its history: "
                             f"{expected[0]:%Y-%m-%d} onwards, got {dates[0]:%Y-%m-%d} ...")
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

    Raises
    ------
    ValueError
        ``actual`` and ``forecast`` cover different days or products, or ``scale`` misses a
        product (pandas would silently align them and average over the overlap).
    """
    for name, d in (("actual", actual), ("forecast", forecast)):
        if not isinstance(d, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame (dates x products), got {type(d).__name__}")
    if not actual.index.equals(forecast.index):
        first_a = actual.index[0] if len(actual) else None
        first_f = forecast.index[0] if len(forecast) else None
        raise ValueError(f"actual and forecast must cover the same days in the same order; actual has "
                         f"{len(actual)} days from {first_a}, forecast {len(forecast)} from {first_f}. "
                         "Use forecast.loc[actual.index]")
    if set(actual.columns) != set(forecast.columns) or actual.columns.has_duplicates:
        raise ValueError("actual and forecast must have the same products (columns), each once")
    forecast = forecast[actual.columns]
    missing = [c for c in actual.columns if c not in scale.index]
    if missing:
        raise ValueError(f"scale misses product(s) {missing[:3]}; compute it with seasonal_naive_scale "
                         "on the training days")
    scale = scale.reindex(actual.columns)
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
    Y = _check_Y(Y)
    horizon = _check_int(horizon, "horizon")
    if not methods:
        raise ValueError("methods is empty; pass e.g. {'naive': Naive()}")
    try:
        origins = pd.DatetimeIndex(origins)
    except (TypeError, ValueError) as err:
        raise TypeError(f"origins must be dates ({err})") from None
    if len(origins) == 0 or origins.hasnans:
        raise ValueError("origins must hold at least one date and no NaT")
    if origins.min() <= Y.index[0]:
        raise ValueError(f"origin {origins.min():%Y-%m-%d} leaves no training days before it; Y starts "
                         f"{Y.index[0]:%Y-%m-%d}")
    rows, forecasts = [], {name: [] for name in methods}
    for origin in origins:
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


def _check_newsvendor(mu, sigma, underage, overage):
    _check_number(mu, "mu")
    _check_number(sigma, "sigma", 0)
    _check_number(underage, "underage", 0, low_open=True)
    _check_number(overage, "overage", 0, low_open=True)


def newsvendor_quantity(mu: float, sigma: float, underage: float, overage: float) -> float:
    """Optimal order for normal demand: ``mu + sigma * Phi^{-1}(cu / (cu + co))``.

    Raises
    ------
    ValueError
        sigma < 0, a cost that is not > 0, or a value that is not finite.
    """
    _check_newsvendor(mu, sigma, underage, overage)
    return float(mu + sigma * stats.norm.ppf(underage / (underage + overage)))


def newsvendor_cost(q: float, mu: float, sigma: float, underage: float, overage: float) -> float:
    """Expected cost ``co E[(q - D)+] + cu E[(D - q)+]`` for normal demand D ~ N(mu, sigma^2).

    Uses the standard loss function ``L(z) = phi(z) - z (1 - Phi(z))``: E[(D - q)+] = sigma L(z)
    and E[(q - D)+] = sigma (z + L(z)), with z = (q - mu) / sigma. With ``sigma = 0`` demand is
    certain and the cost is ``co (q - mu)+ + cu (mu - q)+``.
    """
    _check_newsvendor(mu, sigma, underage, overage)
    _check_number(q, "q")
    if sigma == 0:
        return float(overage * max(q - mu, 0.0) + underage * max(mu - q, 0.0))
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

    Raises
    ------
    TypeError, ValueError
        Demand or forecast with NaN/inf, negative demand, lengths that differ; lead_time < 0,
        review_period < 1 (whole days), service_level outside (0, 1), negative sigma or costs.
    """
    d = as_vector(demand, "demand", "day", finite=True)
    f = as_vector(forecast, "forecast", "day", finite=True)
    n = len(d)
    if len(f) != n:
        raise ValueError(f"demand and forecast must have the same length, got {n} and {len(f)}")
    if n == 0:
        raise ValueError("demand is empty; simulate at least one day")
    if (d < 0).any():
        raise ValueError(f"demand must be >= 0 (units wanted), got {d.min()} on day {int(np.argmin(d))}")
    sigma = _check_number(sigma, "sigma", 0)
    lead_time = _check_int(lead_time, "lead_time", 0)
    review_period = _check_int(review_period, "review_period", 1)
    _check_number(service_level, "service_level", 0, 1, low_open=True, high_open=True)
    _check_number(holding, "holding", 0)
    _check_number(penalty, "penalty", 0)
    if initial is not None:
        initial = _check_number(initial, "initial", 0)
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
    actual = _check_Y(actual, "actual")
    if not forecasts:
        raise ValueError("forecasts is empty; pass e.g. {'naive': F}")
    for name, F in forecasts.items():
        if not isinstance(F, pd.DataFrame) or not F.index.equals(actual.index):
            raise ValueError(f"the forecast {name!r} must be a DataFrame on exactly actual's days, in order "
                             "(the simulation pairs them day by day); use F.loc[actual.index]")
        missing = [c for c in actual.columns if c not in F.columns]
        if missing:
            raise ValueError(f"the forecast {name!r} misses product(s) {missing[:3]}")
        if name not in sigmas:
            raise ValueError(f"sigmas has no entry for {name!r}; give each method's error standard deviation")
        missing = [c for c in actual.columns if c not in sigmas[name].index]
        if missing:
            raise ValueError(f"sigmas[{name!r}] misses product(s) {missing[:3]}")
    missing = [c for c in actual.columns if c not in unit_value.index]
    if missing:
        raise ValueError(f"unit_value misses product(s) {missing[:3]}")
    if float(actual.to_numpy().sum()) <= 0:
        raise ValueError("actual demand is 0 for every product and day; turnover and fill rate are undefined")
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
