"""Demand forecasting and inventory policy simulation (chapter 6.3).

Forecasters share one interface over many products at once and follow scikit-learn's
estimator convention (parameters stored by ``__init__``, checked by ``fit``; ``clone`` and
``get_params`` work): ``fit(Y)`` with ``Y`` a DataFrame (calendar days x products) of units
sold before a forecast origin, and ``predict(dates)`` returning a DataFrame (dates x
products).

Two ways in, for the book's data and another shop's:

- :func:`daily_demand` sums transaction lines (the book's Online Retail columns; map another
  shop's names first with :func:`retail_lab.schema.standardize`) into that table;
- :func:`as_daily_table` takes an already aggregated daily table in long form (one row per
  day and item, column names as parameters), checks it and fills days without a row with 0.

Closed days (known in advance: the shop's calendar, e.g. from :func:`closed_days`) are the
hyperparameter ``closed`` of every forecaster: they are left out of the history the
forecasters learn from (:func:`open_days`) and forecast as 0 (:func:`zero_closed_days`).
:class:`KerasGlobal` also takes optional extra regressors known in advance (promotions,
prices): ``fit(Y, X)`` and ``predict(dates, X=...)``.

:func:`backtest` runs a rolling-origin evaluation; :func:`simulate_policy` runs a
periodic-review, order-up-to inventory policy on actual demand, and :func:`newsvendor_cost`
gives the closed form it reduces to in the single-period case.

Chapter 6.3's task (which sales, which products, which window) is :func:`clean_demand` and
:func:`book_demand`; the chapter and its exercise checks both call them.
:func:`repeated_backtest` repeats a backtest over seeds and origin sets, and
:func:`compare_with_best` turns its runs into a verdict against the best simple baseline.

The defaults of the forecasters, of :func:`backtest` and of the policy functions are the
settings chapter 6.3 chose (:data:`HORIZON`, :data:`LEAD_TIME`, :data:`REVIEW_PERIOD`,
:data:`SERVICE_LEVEL`; ``MovingAverage(window=28)``, ``WeekdayProfile(weeks=8)``,
``HoltWinters(alpha=0.1, gamma=0.1)``, ``KerasGlobal(lags=28, hidden=(64, 32), epochs=40)``);
the chapter uses them as they are, so they are written down once, here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._checks import as_vector
from ._history import epoch_timer, history_frame
from .schema import check_transactions

__all__ = [
    "HORIZON",
    "LEAD_TIME",
    "REVIEW_PERIOD",
    "SERVICE_LEVEL",
    "BACKTEST_ORIGINS",
    "SELECTION_START",
    "SELECTION_END",
    "N_PRODUCTS",
    "SEEDS",
    "BookDemand",
    "clean_demand",
    "book_demand",
    "daily_demand",
    "as_daily_table",
    "seasonal_naive_scale",
    "PolicyResult",
    "closed_days",
    "open_days",
    "zero_closed_days",
    "backtest_origins",
    "Naive",
    "SeasonalNaive",
    "MovingAverage",
    "WeekdayProfile",
    "HoltWinters",
    "KerasGlobal",
    "backtest",
    "forecast_metrics",
    "forecast_bias",
    "policy_backtest",
    "repeated_backtest",
    "compare_with_best",
    "simulate_policy",
    "newsvendor_quantity",
    "newsvendor_cost",
    "compare_policies",
]

#: Days forecast from each origin (a week), chapter 6.3's choice.
HORIZON = 7
#: Number of weekly forecast origins in chapter 6.3's backtest (the last 8 weeks of data).
BACKTEST_ORIGINS = 8
#: Days between ordering and delivery in chapter 6.3's policy simulation.
LEAD_TIME = 2
#: Days between two reviews (orders) of the order-up-to policy.
REVIEW_PERIOD = 7
#: Target probability of not running out within a review period plus lead time.
SERVICE_LEVEL = 0.95
#: First day of the sales window in which chapter 6.3 ranks products (January 2011).
SELECTION_START = "2011-01-01"
#: First day after that window (it covers January to September 2011, before the backtest).
SELECTION_END = "2011-10-01"
#: Products chapter 6.3 forecasts: the most units sold in the selection window.
N_PRODUCTS = 50
#: Training seeds over which chapter 6.3 repeats the Keras forecaster.
SEEDS = (0, 1, 2, 3, 4)


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
    check_transactions(tx, columns, what="tx")
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
        Clean purchase lines with StockCode, Quantity, InvoiceDate (the book's schema,
        :data:`retail_lab.schema.TRANSACTION_COLUMNS`; map another shop's column names with
        :func:`retail_lab.schema.standardize`). For sales already summed per day and item,
        use :func:`as_daily_table` instead.
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


def as_daily_table(df: pd.DataFrame, *, date: str = "day", item: str = "StockCode", quantity: str = "Quantity",
                   items=None, start=None, end=None) -> pd.DataFrame:
    """An already aggregated daily table (long form) as the wide table the forecasters take.

    Use it when sales come as one row per day and item (a point-of-sale or ERP export)
    rather than as transaction lines (for those, use :func:`daily_demand`). The result has
    the same shape as :func:`daily_demand`'s: calendar days x items, days without a row
    filled with 0.

    Parameters
    ----------
    df : DataFrame
        One row per day and item; the date, item and quantity columns are named by the next
        parameters (another shop's names differ). Other columns are ignored.
    date : str, default "day"
        Column of days: datetime64 or date text such as "2011-03-01", without a time of
        day (whole days).
    item : str, default "StockCode"
        Column of item (product) ids.
    quantity : str, default "Quantity"
        Column of units sold that day: finite numbers >= 0 (fractional values such as
        kilograms are kept).
    items : sequence, optional
        Items (columns, in this order); default all, in order of first appearance. An item
        listed here without rows is all 0 (and reported).
    start, end : date-like, optional
        Calendar range (default: first and last day of the table). Rows outside it are left
        out.

    Returns
    -------
    DataFrame, index DatetimeIndex "day" (consecutive days), one column per item
        int64 when every quantity is whole, else float64. ``result.attrs["filled_days"]`` is
        a Series (items): how many days of each item had no row and were filled with 0, so
        the filling is never silent.

    Raises
    ------
    TypeError, ValueError
        A named column missing (the message lists the table's columns), dates that are not
        dates, missing or carry a time of day, an item with two rows on one day (sum them
        first), quantities that are missing, infinite, negative or not numbers, unknown or
        repeated ``items``, start after end, no row left in the range.

    Examples
    --------
    >>> t = pd.DataFrame({"date": ["2011-01-01", "2011-01-03", "2011-01-01"],
    ...                   "sku": ["a", "a", "b"], "units": [2, 3, 1]})
    >>> Y = as_daily_table(t, date="date", item="sku", quantity="units")
    >>> Y["a"].tolist(), Y["b"].tolist(), Y.attrs["filled_days"].to_dict()
    ([2, 0, 3], [1, 0, 0], {'a': 1, 'b': 2})
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame with one row per day and item, got {type(df).__name__}")
    for arg, col in (("date", date), ("item", item), ("quantity", quantity)):
        if col not in df.columns:
            raise ValueError(f"df has no column {col!r} (the {arg} parameter); its columns are "
                             f"{list(df.columns)[:20]}. Name yours, e.g. as_daily_table(df, date='date', "
                             "item='sku', quantity='units')")
    if len({date, item, quantity}) < 3:
        raise ValueError(f"date, item and quantity must name three different columns, got {date!r}, {item!r}, "
                         f"{quantity!r}")
    if df.empty:
        raise ValueError("df has no rows; a daily table needs at least one day")
    d = df[date]
    if not pd.api.types.is_datetime64_any_dtype(d):
        if pd.api.types.is_numeric_dtype(d) or pd.api.types.is_bool_dtype(d):
            raise TypeError(f"column {date!r} must hold dates, got dtype {d.dtype}")
        try:
            try:
                d = pd.to_datetime(d, format="ISO8601")  # 2011-01-03, 2011-01-03 10:00, ... mixed
            except (TypeError, ValueError):
                d = pd.to_datetime(d)
        except (TypeError, ValueError) as err:
            raise ValueError(f"column {date!r} holds values that are not dates ({err}); repair them, "
                             "e.g. pd.to_datetime(df[date], format='%Y-%m-%d')") from None
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    if d.isna().any():
        raise ValueError(f"column {date!r} is missing (NaT) on {int(d.isna().sum())} row(s); drop or repair them")
    timed = d != d.dt.normalize()
    if timed.any():
        raise ValueError(f"column {date!r} carries a time of day (e.g. {d[timed].iloc[0]}); a daily table has "
                         "whole days. For transaction lines use daily_demand, or aggregate by d.dt.normalize()")
    q = df[quantity]
    if pd.api.types.is_bool_dtype(q) or not pd.api.types.is_numeric_dtype(q):
        raise TypeError(f"column {quantity!r} (quantity) must be numeric, got dtype {q.dtype}; convert it, "
                        f"e.g. pd.to_numeric(df[{quantity!r}])")
    v = q.to_numpy(dtype=float)
    if not np.isfinite(v).all():
        raise ValueError(f"column {quantity!r} (quantity) is NaN or infinite on {int((~np.isfinite(v)).sum())} "
                         "row(s); a day without sales is 0, so write 0 only if that is what it means")
    if (v < 0).any():
        raise ValueError(f"column {quantity!r} (quantity) is negative on {int((v < 0).sum())} row(s) (e.g. "
                         f"{v[v < 0][0]:g}); daily demand is >= 0: net returns out first or drop those rows")
    if df[item].isna().any():
        raise ValueError(f"column {item!r} (item) is missing on {int(df[item].isna().sum())} row(s)")
    t = pd.DataFrame({"day": d.to_numpy(), "item": df[item].to_numpy(), "q": v})
    dup = t.duplicated(["day", "item"])
    if dup.any():
        r = t[dup].iloc[0]
        raise ValueError(f"item {r['item']!r} has {int(((t['day'] == r['day']) & (t['item'] == r['item'])).sum())} "
                         f"rows on {r['day']:%Y-%m-%d}; a daily table has one row per day and item. Sum them "
                         f"first, e.g. df.groupby([{date!r}, {item!r}], as_index=False)[{quantity!r}].sum()")
    bounds = []
    for name, val, default in (("start", start, t["day"].min()), ("end", end, t["day"].max())):
        try:
            b = pd.Timestamp(default if val is None else val)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} {val!r} is not a date ({err}); give e.g. '2011-01-01'") from None
        if pd.isna(b):
            raise ValueError(f"{name} is missing ({val!r}); give a date or None")
        bounds.append(b.normalize())
    if bounds[0] > bounds[1]:
        raise ValueError(f"start {bounds[0]:%Y-%m-%d} is after end {bounds[1]:%Y-%m-%d}")
    present = pd.unique(t["item"])
    if items is None:
        items = list(present)
    else:
        items = [items] if isinstance(items, str) else list(items)
        if not items:
            raise ValueError("items is empty; pass None for all items")
        dupi = pd.Index(items)[pd.Index(items).duplicated()]
        if len(dupi):
            raise ValueError(f"items repeats {list(dupi[:3])}; each item must appear once")
        known = set(present)
        unknown = [c for c in items if c not in known]
        if unknown:
            raise ValueError(f"items {unknown[:3]} have no row in df (its {item!r} values are e.g. "
                             f"{list(present[:3])}); check their spelling and type")
    t = t[(t["day"] >= bounds[0]) & (t["day"] <= bounds[1]) & t["item"].isin(items)]
    if t.empty:
        raise ValueError(f"no row of the chosen items lies between {bounds[0]:%Y-%m-%d} and {bounds[1]:%Y-%m-%d}")
    idx = pd.date_range(bounds[0], bounds[1], name="day")
    wide = t.pivot(index="day", columns="item", values="q")
    wide = wide.reindex(index=idx, columns=pd.Index(items, name=item))
    filled = wide.isna().sum().astype("int64").rename("filled_days")
    Y = wide.fillna(0.0)
    if (Y.to_numpy() == np.round(Y.to_numpy())).all():
        Y = Y.astype("int64")
    Y.attrs["filled_days"] = filled
    return Y


def closed_days(tx: pd.DataFrame) -> pd.DatetimeIndex:
    """Calendar days inside the data's range on which the shop recorded no sale at all.

    Pass the result as ``closed`` to the forecasters. Use every transaction line of the shop
    (not only the products you forecast): a day is closed when nothing at all was sold. For a
    shop whose calendar you know (holidays, a weekly closing day), give that instead.

    Raises
    ------
    TypeError, ValueError
        Unparsed or missing (NaT) dates, or an empty table.
    """
    _check_lines(tx, ("InvoiceDate",))
    days = tx["InvoiceDate"].dt.normalize()
    full = pd.date_range(days.min(), days.max())
    return full.difference(pd.DatetimeIndex(days.unique()))


def clean_demand(raw: pd.DataFrame):
    """Chapter 6.3's cleaning: every rule of :func:`retail_lab.quality.rules` except
    ``missing_customer_id`` (a sale without a customer id is still demand).

    Parameters
    ----------
    raw : DataFrame
        Raw transaction lines (e.g. :func:`retail_lab.datasets.load_online_retail`).

    Returns
    -------
    The result of :func:`retail_lab.quality.clean`: ``.clean`` holds the kept lines and
    ``.summary()`` says what was removed.
    """
    from . import quality

    return quality.clean(raw, apply=[r.name for r in quality.rules() if r.name != "missing_customer_id"])


class BookDemand(NamedTuple):
    """Chapter 6.3's forecasting task (see :func:`book_demand`), unpacked as
    ``Y, closed, window``: ``Y`` the units sold per calendar day (rows) and chosen product
    (columns) over every day of the data; ``closed`` the days without any sale in the whole
    shop (:func:`closed_days`); ``window`` the lines of the selection window the products were
    ranked in."""

    Y: pd.DataFrame
    closed: pd.DatetimeIndex
    window: pd.DataFrame


def book_demand(tx: pd.DataFrame, *, start=SELECTION_START, end=SELECTION_END,
                n_products: int = N_PRODUCTS) -> BookDemand:
    """Chapter 6.3's task: daily demand of the ``n_products`` products with the most units
    sold from ``start`` (inclusive) to ``end`` (exclusive), and the shop's closed days.

    Parameters
    ----------
    tx : DataFrame
        Clean lines (:func:`clean_demand`), with StockCode, Quantity, InvoiceDate.
    start, end : date-like, default :data:`SELECTION_START`, :data:`SELECTION_END`
        The window the products are ranked in (chapter 6.3: January to September 2011,
        before its backtest period).
    n_products : int, default :data:`N_PRODUCTS`

    Returns
    -------
    BookDemand
        ``Y`` (:func:`daily_demand` of the chosen products over every day of ``tx``, in
        order of units sold), ``closed`` (:func:`closed_days` of all of ``tx``) and ``window``
        (the lines of the selection window).

    Raises
    ------
    ValueError
        ``start`` not before ``end``, or no sale in the window.
    """
    _check_lines(tx)
    n_products = _check_int(n_products, "n_products")
    try:
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    except (TypeError, ValueError) as err:
        raise ValueError(f"start and end must be dates, e.g. '2011-01-01' ({err})") from None
    if not lo < hi:
        raise ValueError(f"start {lo:%Y-%m-%d} must come before end {hi:%Y-%m-%d}")
    window = tx[(tx["InvoiceDate"] >= lo) & (tx["InvoiceDate"] < hi)]
    if window.empty:
        raise ValueError(f"no sale from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}; choose a window inside the data "
                         f"({tx['InvoiceDate'].min():%Y-%m-%d} to {tx['InvoiceDate'].max():%Y-%m-%d})")
    top = window.groupby("StockCode", observed=True)["Quantity"].sum().nlargest(n_products).index
    return BookDemand(daily_demand(tx, top), closed_days(tx), window)


def _as_closed(closed, name: str = "closed") -> pd.DatetimeIndex:
    """The closed calendar as a sorted DatetimeIndex of whole days (midnight); clear errors."""
    if isinstance(closed, (str, bytes)) or (closed is not None and np.ndim(closed) == 0):
        raise TypeError(f"{name} must be a collection of dates (e.g. closed_days(tx) or "
                        f"['2011-12-25', '2011-12-26']), got {closed!r}")
    try:
        idx = pd.DatetimeIndex([] if closed is None else list(closed))
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must hold dates, e.g. ['2011-12-25'] ({err})") from None
    if idx.hasnans:
        raise ValueError(f"{name} contains a missing date (NaT); drop it")
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    if (idx != idx.normalize()).any():
        bad = idx[idx != idx.normalize()][0]
        raise ValueError(f"{name} must hold whole days (midnight), got {bad}; use e.g. "
                         f"pd.DatetimeIndex({name}).normalize()")
    return idx.unique().sort_values()


def open_days(dates, closed) -> np.ndarray:
    """True for each of ``dates`` on which the shop is open (not in ``closed``).

    The forecasters learn from open days only: a closed day's 0 is the calendar, not a
    lack of demand.

    Parameters
    ----------
    dates : DatetimeIndex or date-likes
    closed : collection of dates
        Closed calendar (whole days), e.g. :func:`closed_days`.

    Returns
    -------
    ndarray of bool, shape (len(dates),)
    """
    return ~_as_dates(dates).normalize().isin(_as_closed(closed))


def zero_closed_days(forecast: pd.DataFrame, closed) -> pd.DataFrame:
    """``forecast`` (dates x products) with every closed day set to 0 (a copy).

    Every forecaster's ``predict`` ends with this step; call it yourself on forecasts made
    elsewhere (a spreadsheet, another library) to compare them on the same footing.
    """
    if not isinstance(forecast, pd.DataFrame):
        raise TypeError(f"forecast must be a DataFrame (dates x products), got {type(forecast).__name__}")
    F = forecast.copy()
    F.loc[~open_days(F.index, closed)] = 0.0
    return F


def _as_dates(dates, name: str = "dates") -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(dates)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be dates, e.g. pd.date_range('2011-12-01', periods=7) ({err})") from None


def backtest_origins(Y, n: int = BACKTEST_ORIGINS, horizon: int = HORIZON, offset: int = 0) -> pd.DatetimeIndex:
    """The first days of the last ``n`` whole ``horizon``-day windows of ``Y`` (chapter 6.3:
    the last 8 weeks), for :func:`backtest`.

    Parameters
    ----------
    Y : DataFrame (calendar days x products)
    n : int, default :data:`BACKTEST_ORIGINS`
    horizon : int, default :data:`HORIZON`
    offset : int, default 0
        Windows left out at the end: ``offset=n`` gives the ``n`` windows just before the
        default ones (a second origin set, for checking that a result holds in another period).

    Examples
    --------
    >>> Y = pd.DataFrame({"a": range(100)}, index=pd.date_range("2011-01-01", periods=100))
    >>> list(backtest_origins(Y, n=2).strftime("%m-%d"))
    ['03-28', '04-04']
    >>> list(backtest_origins(Y, n=2, offset=2).strftime("%m-%d"))
    ['03-14', '03-21']
    """
    Y = _check_Y(Y)
    n, horizon = _check_int(n, "n"), _check_int(horizon, "horizon")
    offset = _check_int(offset, "offset", 0)
    first = Y.index[-1] - pd.Timedelta(days=horizon * (n + offset) - 1)
    if first <= Y.index[0]:
        raise ValueError(f"{n + offset} windows of {horizon} days leave no training day before them in {len(Y)} "
                         "days of Y")
    return pd.date_range(first, periods=n, freq=f"{horizon}D")


def _not_fitted(est, call: str = "fit(Y)"):
    check_is_fitted(est, msg=f"This {type(est).__name__} is not fitted yet; call {call} before using it "
                             "(e.g. predict)")


class _Forecaster(BaseEstimator):
    """Shared plumbing: the closed calendar and the open-day history.

    ``fit`` checks the parameters and ``Y`` (consecutive unique increasing days, finite
    numbers, at least ``_min_days`` rows and one open day); ``predict`` checks the dates
    (present, after the training data) and forecasts closed days as 0.

    Fitted attributes: ``Y_`` (the history, float), ``open_`` (bool per day of ``Y_``),
    ``closed_`` (the closed calendar as a DatetimeIndex)."""

    _min_days: int = 1

    def fit(self, Y: pd.DataFrame) -> "_Forecaster":
        """Learn from ``Y`` (days x products, consecutive days up to the forecast origin)."""
        self._check_params()
        closed = _as_closed(self.closed)
        Y = _check_Y(Y)
        if len(Y) < self._min_days:
            raise ValueError(f"{type(self).__name__} needs at least {self._min_days} days of history, got {len(Y)}")
        open_ = open_days(Y.index, closed)
        if not open_.any():
            raise ValueError("every day of Y is in the closed calendar; there is no sale to learn from")
        self.closed_ = closed
        self.Y_ = Y.astype(float)
        self.open_ = open_
        self._fit()
        return self

    def _check_params(self):
        pass

    def _fit(self):
        pass

    def _check_dates(self, dates, last=None) -> pd.DatetimeIndex:
        _not_fitted(self)
        dates = _as_dates(dates)
        if len(dates) == 0:
            raise ValueError("dates is empty; pass the days to forecast, e.g. pd.date_range(origin, periods=7)")
        if dates.hasnans:
            raise ValueError("dates contains a missing date (NaT)")
        last = self.Y_.index[-1] if last is None else last
        if dates.min() <= last:
            raise ValueError(f"forecast dates must come after the training data's last day {last:%Y-%m-%d}, "
                             f"got {dates.min():%Y-%m-%d}; fit on the days before the first forecast day")
        return dates

    def predict(self, dates) -> pd.DataFrame:
        """Forecast ``dates`` (after the training data): DataFrame dates x products, >= 0,
        0 on closed days."""
        dates = self._check_dates(dates)
        F = pd.DataFrame(self._predict(dates), index=dates, columns=self.Y_.columns)
        return zero_closed_days(F, self.closed_).clip(lower=0)


class Naive(_Forecaster):
    """Every future day = the last open day's sales.

    Parameters
    ----------
    closed : collection of dates, default ()
        The shop's closed days (e.g. :func:`closed_days`): skipped in the history,
        forecast as 0.
    """

    def __init__(self, closed=()):
        self.closed = closed

    def _predict(self, dates):
        last = self.Y_[self.open_].iloc[-1].to_numpy()
        return np.tile(last, (len(dates), 1))


class SeasonalNaive(_Forecaster):
    """Same day last week (lag 7); further ahead, the same weekday of the last observed week.

    Parameters
    ----------
    closed : collection of dates, default ()
        The shop's closed days, forecast as 0.
    """

    _min_days = 7

    def __init__(self, closed=()):
        self.closed = closed

    def _predict(self, dates):
        last_week = self.Y_.iloc[-7:]
        by_dow = {d.day_of_week: row for d, row in zip(last_week.index, last_week.to_numpy())}
        return np.stack([by_dow[d.day_of_week] for d in dates])


class MovingAverage(_Forecaster):
    """Mean of the last ``window`` open days.

    Parameters
    ----------
    window : int, default 28
        Open days averaged (chapter 6.3's choice: four weeks).
    closed : collection of dates, default ()
        The shop's closed days: skipped in the average, forecast as 0.
    """

    def __init__(self, window: int = 28, closed=()):
        self.window = window
        self.closed = closed

    def _check_params(self):
        _check_int(self.window, "window")

    def _predict(self, dates):
        m = self.Y_[self.open_].iloc[-self.window:].mean().to_numpy()
        return np.tile(m, (len(dates), 1))


class WeekdayProfile(_Forecaster):
    """Recent level times a weekday profile: the mean of each weekday over the last
    ``weeks`` weeks (open days only).

    Parameters
    ----------
    weeks : int, default 8
        Weeks of history averaged per weekday (chapter 6.3's choice).
    closed : collection of dates, default ()
        The shop's closed days: skipped in the means, forecast as 0.
    """

    def __init__(self, weeks: int = 8, closed=()):
        self.weeks = weeks
        self.closed = closed

    def _check_params(self):
        _check_int(self.weeks, "weeks")

    def _fit(self):
        recent = self.Y_.iloc[-7 * self.weeks:]
        recent = recent[open_days(recent.index, self.closed_)]
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

    Parameters
    ----------
    alpha, gamma : float in [0, 1], default 0.1
        Smoothing weights of the level and of the season (chapter 6.3's choice).
    closed : collection of dates, default ()
        The shop's closed days: skipped in the updates, forecast as 0.
    """

    _min_days = 7

    def __init__(self, alpha: float = 0.1, gamma: float = 0.1, closed=()):
        self.alpha = alpha
        self.gamma = gamma
        self.closed = closed

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


def _check_covariates(X, name: str = "X") -> pd.DataFrame:
    """Covariates known in advance: a DataFrame on unique days with finite numbers."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame of covariates indexed by date (one column per covariate, "
                        f"or columns (covariate, product)), got {type(X).__name__}")
    if not isinstance(X.index, pd.DatetimeIndex):
        raise TypeError(f"{name} must have a DatetimeIndex of days (got {type(X.index).__name__}); e.g. "
                        f"{name}.index = pd.to_datetime({name}.index)")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no columns; pass None for no covariates")
    if X.index.hasnans or X.index.has_duplicates:
        raise ValueError(f"{name}'s index must hold each day once, without NaT")
    if X.columns.has_duplicates:
        raise ValueError(f"{name} has duplicate columns {list(X.columns[X.columns.duplicated()][:3])}")
    if isinstance(X.columns, pd.MultiIndex) and X.columns.nlevels != 2:
        raise ValueError(f"{name}'s columns must be covariate names, or a 2-level MultiIndex (covariate, product); "
                         f"got {X.columns.nlevels} levels")
    bad = [c for c in X.columns if pd.api.types.is_bool_dtype(X[c]) or not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise TypeError(f"{name} must hold numbers; column(s) {bad[:3]} are not numeric (code flags as 0/1)")
    v = X.to_numpy(dtype=float)
    if not np.isfinite(v).all():
        raise ValueError(f"{name} has NaN or infinite values on {int((~np.isfinite(v)).any(axis=1).sum())} day(s); "
                         "covariates must be known for every day used")
    return X


_LOSSES = ("mae", "mse")


class KerasGlobal(_Forecaster):
    """One Keras MLP for all products: the last ``lags`` days (scaled by each product's mean),
    calendar features of the ``horizon`` target days and, optionally, covariates known in
    advance for those days -> the next ``horizon`` days.

    Calendar features: day of week (one-hot) and a closed-day flag for each target day.
    ``fit`` trains once on every window of ``Y`` (all products pooled). To forecast from a
    later origin without retraining (as the backtest of chapter 6.3 does), pass the history
    up to that origin: ``predict(dates, history=Y_until_origin)``; :func:`backtest` does so
    for the methods named in its ``prefitted`` argument.

    Extra regressors (promotions, prices, holidays) known in advance enter as ``X``: a
    DataFrame indexed by day with one column per covariate (the same value for every
    product) or with 2-level columns ``(covariate, product)`` (a value per product). ``fit``
    needs a row for every day of ``Y``; ``predict`` then needs the covariates of the
    ``horizon`` days from the first forecast day (the network reads the whole week).
    Covariates are standardised with their mean and standard deviation in ``fit``.

    Parameters
    ----------
    lags : int, default 28
        Days of history the network reads (chapter 6.3's choice).
    horizon : int, default :data:`HORIZON` (7)
        Days forecast at once.
    hidden : sequence of int, default (64, 32)
        Widths of the hidden ReLU layers.
    epochs, batch_size : int, default 40, 256
    learning_rate : float, default 0.002
        Adam's step size.
    loss : {"mae", "mse"}, default "mae"
        Training loss on scaled units. The mean absolute error ("mae") makes the network
        forecast the conditional *median* of each day's demand, the mean squared error
        ("mse") its *mean*; for skewed daily demand the median lies well below the mean, so
        "mae" forecasts fewer units in total.
    seed : int, default 0
        Seeds weights and shuffling; the same seed gives the same forecasts.
    closed : collection of dates, default ()
        The shop's closed days: a calendar input, and forecast as 0.

    Attributes
    ----------
    model_ : keras.Model
    history_ : DataFrame indexed by "epoch" (from 1): loss, seconds
    Y_ : DataFrame
        The training days (the default history for ``predict``).
    scale_ : ndarray
        Each product's mean daily units in ``Y_`` (the scaling of inputs and outputs).
    columns_ : Index
        Products, in training order.
    covariates_ : list or None
        Covariate names from ``X`` (None when fitted without).
    n_params_ : int
    """

    def __init__(self, lags=28, horizon=HORIZON, hidden=(64, 32), epochs=40, batch_size=256,
                 learning_rate=0.002, loss="mae", seed=0, closed=()):
        self.lags = lags
        self.horizon = horizon
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.loss = loss
        self.seed = seed
        self.closed = closed

    def _check_params(self):
        for name in ("lags", "horizon", "epochs", "batch_size"):
            _check_int(getattr(self, name), name)
        _check_number(self.learning_rate, "learning_rate", 0, low_open=True)
        if not isinstance(self.loss, str) or self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {self.loss!r}")
        _check_int(self.seed, "seed", 0)
        if isinstance(self.hidden, (str, bytes)) or not np.iterable(self.hidden):
            raise TypeError(f"hidden must be a sequence of layer widths, e.g. (64, 32), got {self.hidden!r}")
        for w in self.hidden:
            _check_int(w, "hidden (each layer width)")

    def _calendar(self, dates):
        dates = pd.DatetimeIndex(dates)
        dow = np.eye(7)[dates.day_of_week]
        return np.c_[dow, ~open_days(dates, self.closed_)].ravel()

    # ---------------------------------------------------------------- covariates

    def _covariate_layout(self, X, columns):
        """Covariate names and whether they are per product; checks products are covered."""
        if isinstance(X.columns, pd.MultiIndex):
            names = list(dict.fromkeys(X.columns.get_level_values(0)))
            missing = [(c, p) for c in names for p in columns if (c, p) not in X.columns]
            if missing:
                raise ValueError(f"X has per-product covariates but misses column(s) {missing[:3]}; give every "
                                 "covariate for every product of Y")
            return names, True
        return list(X.columns), False

    def _covariate_values(self, X, dates, name: str = "X") -> np.ndarray:
        """Scaled covariates on ``dates``: shape (len(dates), n_products, n_covariates)."""
        X = _check_covariates(X, name)
        names, per_product = self._covariate_layout(X, self.columns_)
        if names != self.covariates_ or per_product != self.per_product_:
            raise ValueError(f"{name} must have the covariates KerasGlobal was fitted with: {self.covariates_} "
                             f"({'per product' if self.per_product_ else 'one value per day'}); got {names}")
        missing = dates.difference(X.index)
        if len(missing):
            raise ValueError(f"{name} has no row for {len(missing)} day(s) it needs, e.g. {missing[0]:%Y-%m-%d}; "
                             f"give the covariates of every day from {dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d} "
                             "(their future values are known in advance: planned promotions, list prices)")
        if per_product:
            C = np.stack([X[c].reindex(index=dates, columns=self.columns_).to_numpy(dtype=float) for c in names],
                         axis=-1)
        else:
            C = np.repeat(X[names].reindex(dates).to_numpy(dtype=float)[:, None, :], len(self.columns_), axis=1)
        return (C - self.cov_mean_) / self.cov_scale_

    # ---------------------------------------------------------------- training

    def _windows(self, Y: pd.DataFrame, scale, C=None):
        Z = Y.to_numpy() / scale
        X, T = [], []
        idx = Y.index
        for end in range(self.lags, len(Y) - self.horizon + 1):
            cal = self._calendar(idx[end:end + self.horizon])
            for j in range(Z.shape[1]):
                if C is None:
                    X.append(np.r_[Z[end - self.lags:end, j], cal])
                else:
                    X.append(np.r_[Z[end - self.lags:end, j], cal, C[end:end + self.horizon, j].ravel()])
                T.append(Z[end:end + self.horizon, j])
        return np.asarray(X, "float32"), np.asarray(T, "float32")

    def fit(self, Y: pd.DataFrame, X: pd.DataFrame | None = None) -> "KerasGlobal":
        """Train on every window of ``Y`` (days x products); ``X``: optional covariates known in
        advance, with a row for every day of ``Y`` (see the class docstring)."""
        self._check_params()
        closed = _as_closed(self.closed)
        Y = _check_Y(Y)
        if len(Y) < self.lags + self.horizon:
            raise ValueError(f"training needs at least lags + horizon = {self.lags + self.horizon} days, got {len(Y)}")
        if not open_days(Y.index, closed).any():
            raise ValueError("every day of Y is in the closed calendar; there is no sale to learn from")
        C = None
        if X is not None:
            X = _check_covariates(X)
            names, per_product = self._covariate_layout(X, Y.columns)
            missing = Y.index.difference(X.index)
            if len(missing):
                raise ValueError(f"X has no row for {len(missing)} day(s) of Y, e.g. {missing[0]:%Y-%m-%d}; give "
                                 "the covariates of every training day")
        from .repro import import_tensorflow

        import_tensorflow()
        import keras

        self.closed_ = closed
        self.Y_ = Y.astype(float)
        self.open_ = open_days(Y.index, closed)
        self.columns_ = self.Y_.columns
        self.scale_ = np.maximum(self.Y_.mean().to_numpy(), 1e-6)
        self.covariates_, self.per_product_ = (None, False) if X is None else (names, per_product)
        if X is not None:
            self.cov_mean_, self.cov_scale_ = 0.0, 1.0
            raw = self._covariate_values(X, Y.index)
            self.cov_mean_ = raw.mean(axis=(0, 1))
            sd = raw.std(axis=(0, 1))
            self.cov_scale_ = np.where(sd > 0, sd, 1.0)
            C = (raw - self.cov_mean_) / self.cov_scale_
        keras.utils.set_random_seed(self.seed)
        inputs, targets = self._windows(self.Y_, self.scale_, C)
        L = keras.layers
        model = keras.Sequential([keras.Input((inputs.shape[1],))]
                                 + [L.Dense(int(h), activation="relu") for h in self.hidden]
                                 + [L.Dense(self.horizon)])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=self.loss)
        timer = epoch_timer(keras)
        h = model.fit(inputs, targets, epochs=self.epochs, batch_size=self.batch_size, verbose=0, shuffle=True,
                      callbacks=[timer])
        self.model_ = model
        self.history_ = history_frame(h.history, timer.seconds)
        self.n_params_ = model.count_params()
        return self

    # ---------------------------------------------------------------- forecasting

    def predict(self, dates, history: pd.DataFrame | None = None, X: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast the consecutive ``dates`` (at most ``horizon``) right after the history.

        Parameters
        ----------
        dates : DatetimeIndex
        history : DataFrame (days x products), optional
            Demand up to the new forecast origin (default: the training data). Same
            products, in the same order, and at least ``lags`` days; the network is not
            retrained.
        X : DataFrame, optional
            Covariates with a row for each of the ``horizon`` days from ``dates[0]``;
            required when fitted with ``X``.
        """
        _not_fitted(self)
        if history is None:
            base = self.Y_
        else:
            base = _check_Y(history, "history")
            if list(base.columns) != list(self.columns_):
                raise ValueError(f"history must have the products KerasGlobal was fitted on, in the same order "
                                 f"({list(self.columns_[:3])}...); use history[model.columns_]")
            if len(base) < self.lags:
                raise ValueError(f"history needs at least lags = {self.lags} days, got {len(base)}")
        dates = self._check_dates(dates, last=base.index[-1])
        if len(dates) > self.horizon:
            raise ValueError(f"KerasGlobal forecasts at most horizon = {self.horizon} days ahead, got {len(dates)}")
        expected = pd.date_range(base.index[-1] + pd.Timedelta(days=1), periods=len(dates))
        if not dates.equals(expected):
            raise ValueError(f"KerasGlobal forecasts the consecutive days right after its history: "
                             f"{expected[0]:%Y-%m-%d} onwards, got {dates[0]:%Y-%m-%d} ...")
        if self.covariates_ is None and X is not None:
            raise ValueError("X was given but this KerasGlobal was fitted without covariates; refit with "
                             "fit(Y, X) or pass X=None")
        if self.covariates_ is not None and X is None:
            raise ValueError(f"this KerasGlobal was fitted with covariates {self.covariates_}; pass their values "
                             f"for the forecast days: predict(dates, X=...)")
        Z = base.to_numpy(dtype=float)[-self.lags:] / self.scale_
        target = pd.date_range(dates[0], periods=self.horizon)
        cal = self._calendar(target)
        inputs = np.c_[Z.T, np.tile(cal, (Z.shape[1], 1))]
        if self.covariates_ is not None:
            C = self._covariate_values(X, target)  # (horizon, products, covariates)
            inputs = np.c_[inputs, C.transpose(1, 0, 2).reshape(Z.shape[1], -1)]
        out = self.model_.predict(inputs.astype("float32"), verbose=0).T[: len(dates)]
        F = pd.DataFrame(out * self.scale_[None, :], index=dates, columns=self.columns_)
        return zero_closed_days(F, self.closed_).clip(lower=0)


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


def backtest(Y: pd.DataFrame, methods: dict, origins, horizon: int = HORIZON, *, prefitted=(),
             X: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Rolling-origin evaluation: at each origin, fit on days before it, forecast ``horizon`` days.

    Parameters
    ----------
    Y : DataFrame (calendar days x products)
    methods : dict of name -> forecaster
        Refitted at each origin on the days before it (``fit`` starts from scratch), except
        those named in ``prefitted``.
    origins : sequence of dates
        First forecast day of each window (e.g. :func:`backtest_origins`).
    horizon : int, default :data:`HORIZON`
    prefitted : collection of str, default ()
        Names of methods already fitted on days before the first origin (e.g. a network
        trained once, as in chapter 6.3); at each origin they forecast from the history up to
        it with ``predict(dates, history=...)`` instead of being refitted. Their training data
        must end before the first origin (else the evaluation would leak), which is checked.
    X : DataFrame, optional
        Covariates known in advance (see :class:`KerasGlobal`), passed as ``X`` to the
        methods whose ``fit`` takes it (the days before each origin) and to their ``predict``;
        of the prefitted methods, to those fitted with covariates.

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
    if isinstance(prefitted, str):
        prefitted = [prefitted]
    prefitted = set(prefitted)
    unknown = sorted(prefitted - set(methods), key=str)
    if unknown:
        raise ValueError(f"prefitted names {unknown} that are not in methods {list(methods)}")
    takes_x = {}
    for name, model in methods.items():
        if name not in prefitted:
            takes_x[name] = X is not None and "X" in inspect.signature(model.fit).parameters
            continue
        try:
            _not_fitted(model)
        except NotFittedError:
            raise NotFittedError(f"method {name!r} is listed in prefitted but is not fitted; fit it on the days "
                                 f"before {origins.min():%Y-%m-%d} first") from None
        if "history" not in inspect.signature(model.predict).parameters:
            raise TypeError(f"method {name!r} cannot forecast from a new origin without refitting (its predict "
                            "takes no history); leave it out of prefitted")
        takes_x[name] = X is not None and getattr(model, "covariates_", None) is not None
        last = model.Y_.index[-1]
        if last >= origins.min():
            raise ValueError(f"method {name!r} was fitted on data up to {last:%Y-%m-%d}, not before the first "
                             f"origin {origins.min():%Y-%m-%d}: its forecasts would have seen the answers. Fit it "
                             "on Y[Y.index < origins[0]]")
    if X is not None and not any(takes_x.values()):
        raise ValueError("X was given but no method takes covariates (e.g. KerasGlobal, or a prefitted one "
                         "fitted with X)")
    rows, forecasts = [], {name: [] for name in methods}
    for origin in origins:
        train = Y[Y.index < origin]
        dates = pd.date_range(origin, periods=horizon)
        actual = Y.reindex(dates)
        if actual.isna().any().any():
            raise ValueError(f"the window starting {origin:%Y-%m-%d} runs past the data")
        scale = seasonal_naive_scale(train)
        for name, model in methods.items():
            extra = {"X": X} if takes_x[name] else {}
            if name in prefitted:
                F = model.predict(dates, history=train, **extra)
            else:
                F = model.fit(train, **({"X": X.reindex(train.index)} if extra else {})).predict(dates, **extra)
            forecasts[name].append(F)
            m = forecast_metrics(actual, F, scale)
            rows.append((name, origin, m["mae"].mean(), m["abs_error"].sum(), m["units"].sum(), m["mase"].mean()))
    d = pd.DataFrame(rows, columns=["method", "origin", "mae", "abs_error", "units", "mase"])
    summary = d.groupby("method", sort=False).agg(MAE=("mae", "mean"), abs_error=("abs_error", "sum"),
                                                   units=("units", "sum"), MASE=("mase", "mean"))
    summary["WAPE"] = summary["abs_error"] / summary["units"]
    return summary[["MAE", "WAPE", "MASE"]], {k: pd.concat(v) for k, v in forecasts.items()}


def forecast_bias(actual: pd.DataFrame, forecast: pd.DataFrame) -> float:
    """Total forecast over total actual units, minus 1 (all products and days together).

    -0.3 means the forecasts add up to 30% fewer units than were sold; a policy that orders
    by them runs short. Compared on ``forecast``'s days, which ``actual`` must contain.

    Examples
    --------
    >>> idx = pd.date_range("2011-01-03", periods=2)
    >>> forecast_bias(pd.DataFrame({"a": [10, 30]}, idx), pd.DataFrame({"a": [10.0, 20.0]}, idx))
    -0.25
    """
    for name, d in (("actual", actual), ("forecast", forecast)):
        if not isinstance(d, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame (dates x products), got {type(d).__name__}")
    missing = forecast.index.difference(actual.index)
    if len(missing) or not set(forecast.columns) <= set(actual.columns):
        raise ValueError("actual must cover every day and product of forecast; pass the whole demand table")
    total = float(actual.loc[forecast.index, forecast.columns].to_numpy(dtype=float).sum())
    if total <= 0:
        raise ValueError("actual sums to 0 units on the forecast days; the bias is undefined")
    return float(forecast.to_numpy(dtype=float).sum()) / total - 1


def policy_backtest(Y: pd.DataFrame, forecasts: dict, origins, unit_value: pd.Series, **policy) -> pd.DataFrame:
    """Chapter 6.3's policy protocol on backtest forecasts: each method's daily error standard
    deviation (per product) is estimated on the windows of the first half of ``origins``, and
    the order-up-to policy (:func:`compare_policies`) runs on the days of the second half, so
    no method's safety stock has seen the demand it is judged on.

    Parameters
    ----------
    Y : DataFrame (calendar days x products)
        Actual demand (covers every forecast day).
    forecasts : dict of name -> DataFrame
        The forecasts :func:`backtest` returned for ``origins``.
    origins : sequence of dates
        The backtest's origins (at least 2; consecutive windows of :data:`HORIZON` days).
    unit_value : Series (products)
    **policy
        Passed to :func:`compare_policies` (``service_level``, ``lead_time``, ...).

    Returns
    -------
    DataFrame (method): the columns of :func:`compare_policies`.
    """
    origins = pd.DatetimeIndex(origins)
    if len(origins) < 2:
        raise ValueError("policy_backtest needs at least 2 origins: the first half estimates the error spread, "
                         "the second half is simulated")
    half = origins[len(origins) // 2]
    days = pd.date_range(half, origins[-1] + pd.Timedelta(days=HORIZON - 1))
    sigmas, policy_forecasts = {}, {}
    for name, F in forecasts.items():
        err = Y.loc[F.index] - F
        sigmas[name] = err[err.index < half].std()
        policy_forecasts[name] = F.loc[days]
    return compare_policies(Y.loc[days], policy_forecasts, sigmas, unit_value, **policy)


def repeated_backtest(Y: pd.DataFrame, baselines: dict, model, origin_sets: dict, seeds=SEEDS, *,
                      name: str = "Keras global MLP", unit_value: pd.Series | None = None) -> pd.DataFrame:
    """A backtest repeated over training seeds and origin sets: does a model's result travel?

    For each origin set, the deterministic ``baselines`` run once (:func:`backtest`, refitted at
    each origin) and ``model`` is trained once per seed on the days before the set's first
    origin (a clone with ``seed`` set; forecasting from later origins without retraining).

    Parameters
    ----------
    Y : DataFrame (calendar days x products)
    baselines : dict of name -> forecaster
        Methods without randomness (one run per origin set).
    model : estimator with a ``seed`` parameter and ``predict(dates, history=...)``
        E.g. ``KerasGlobal(closed=closed)``; its other parameters are kept.
    origin_sets : dict of label -> origins
        E.g. ``{"last 8 weeks": backtest_origins(Y), "8 weeks before": backtest_origins(Y, offset=8)}``.
    seeds : sequence of int, default :data:`SEEDS`
    name : str
        The model's name in the result.
    unit_value : Series (products), optional
        When given, each run also gets the inventory policy's outcome (:func:`policy_backtest`):
        ``total_cost``, ``turnover_days``, ``fill_rate``.

    Returns
    -------
    DataFrame, one row per (period, method, seed): columns period, method, seed (-1 for the
    baselines), MAE, WAPE, MASE (as :func:`backtest`), bias (:func:`forecast_bias`) and, with
    ``unit_value``, the policy columns.
    """
    from sklearn.base import clone

    if not origin_sets:
        raise ValueError("origin_sets is empty; pass e.g. {'last 8 weeks': backtest_origins(Y)}")
    if name in baselines:
        raise ValueError(f"the model's name {name!r} is also a baseline's; pass another name")
    seeds = [_check_int(s, "seeds (each seed)", 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty; pass e.g. (0, 1, 2, 3, 4)")
    rows = []

    def add(period, origins, summary, forecasts, seed_of):
        policy = None if unit_value is None else policy_backtest(Y, forecasts, origins, unit_value)
        for method, F in forecasts.items():
            row = {"period": period, "method": method, "seed": seed_of(method), **summary.loc[method].to_dict(),
                   "bias": forecast_bias(Y, F)}
            if policy is not None:
                row.update(policy.loc[method, ["total_cost", "turnover_days", "fill_rate"]].to_dict())
            rows.append(row)

    for period, origins in origin_sets.items():
        origins = pd.DatetimeIndex(origins)
        summary, forecasts = backtest(Y, baselines, origins)
        add(period, origins, summary, forecasts, lambda m: -1)
        for seed in seeds:
            m = clone(model).set_params(seed=seed).fit(Y[Y.index < origins[0]])
            summary, forecasts = backtest(Y, {name: m}, origins, prefitted=[name])
            add(period, origins, summary, forecasts, lambda m, s=seed: s)
    return pd.DataFrame(rows)


def compare_with_best(runs: pd.DataFrame, model: str = "Keras global MLP", metric: str = "MASE") -> pd.DataFrame:
    """Per period of :func:`repeated_backtest`'s ``runs``: the model's ``metric`` over seeds
    against the best baseline's (lower is better), and a verdict word.

    Returns
    -------
    DataFrame (period): best (the baseline with the lowest ``metric``), best_value, mean, low,
    high (the model's mean, minimum and maximum over seeds), gain_low, gain_high (the model's
    relative improvement on the best baseline, ``1 - value / best_value``, at its worst and
    best seed), wins (seeds better than the best baseline), seeds, and verdict: "beats" when
    every seed is better, "loses to" when every seed is worse, else "ties with".

    Examples
    --------
    >>> runs = pd.DataFrame({"period": ["p"] * 4, "method": ["a", "b", "m", "m"],
    ...                      "seed": [-1, -1, 0, 1], "MASE": [0.9, 0.8, 0.7, 0.75]})
    >>> row = compare_with_best(runs, "m").loc["p"]
    >>> row["best"], int(row["wins"]), row["verdict"]
    ('b', 2, 'beats')
    """
    missing = {"period", "method", metric} - set(runs.columns)
    if missing:
        raise ValueError(f"runs misses column(s) {sorted(missing)}; pass repeated_backtest's result")
    rows = {}
    for period, d in runs.groupby("period", sort=False):
        mine = d.loc[d["method"] == model, metric]
        others = d[d["method"] != model].set_index("method")[metric]
        if mine.empty or others.empty:
            raise ValueError(f"period {period!r} needs runs of {model!r} and of at least one baseline")
        best, best_value = others.idxmin(), float(others.min())
        wins = int((mine < best_value).sum())
        verdict = "beats" if wins == len(mine) else "loses to" if (mine > best_value).all() else "ties with"
        rows[period] = {"best": best, "best_value": best_value, "mean": float(mine.mean()),
                        "low": float(mine.min()), "high": float(mine.max()),
                        "gain_low": 1 - float(mine.max()) / best_value, "gain_high": 1 - float(mine.min()) / best_value,
                        "wins": wins, "seeds": len(mine), "verdict": verdict}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "period"
    return out


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


def simulate_policy(demand, forecast, sigma, *, lead_time: int = LEAD_TIME, review_period: int = REVIEW_PERIOD,
                    service_level: float = SERVICE_LEVEL, holding: float = 0.02, penalty: float = 1.0,
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
                     lead_time: int = LEAD_TIME, review_period: int = REVIEW_PERIOD,
                     service_level: float = SERVICE_LEVEL,
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
