"""Descriptive statistics of a transaction table (the chapter 1 data tour)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .features import line_revenue
from .schema import check_transactions

__all__ = [
    "monthly_revenue",
    "basket_sizes",
    "item_popularity",
    "top_share",
    "customers_by_country",
    "cancellations_by_month",
    "daily_units",
]


def _need(tx: pd.DataFrame, cols: tuple[str, ...]) -> None:
    check_transactions(tx, cols, what="the table")


def monthly_revenue(tx: pd.DataFrame) -> pd.DataFrame:
    """Revenue, invoices and customers per calendar month.

    Parameters
    ----------
    tx : DataFrame
        Purchase lines with InvoiceNo, Quantity, UnitPrice, InvoiceDate (datetime64),
        CustomerID.

    Returns
    -------
    DataFrame, one row per month (index: month start, Timestamp)
        revenue (GBP), invoices, customers, days_observed (distinct trading days with
        data) and partial (True when the month is cut by the start or end of the data).
    """
    _need(tx, ("InvoiceNo", "Quantity", "UnitPrice", "InvoiceDate", "CustomerID"))
    if tx.empty:
        return pd.DataFrame(columns=["revenue", "invoices", "customers", "days_observed", "partial"])
    t = tx.assign(_rev=line_revenue(tx), _month=tx["InvoiceDate"].dt.to_period("M"))
    g = t.groupby("_month")
    out = pd.DataFrame(
        {
            "revenue": g["_rev"].sum(),
            "invoices": g["InvoiceNo"].nunique(),
            "customers": g["CustomerID"].nunique(),
            "days_observed": g["InvoiceDate"].agg(lambda d: d.dt.normalize().nunique()),
        }
    )
    first, last = t["InvoiceDate"].min(), t["InvoiceDate"].max()
    out["partial"] = [
        (p.start_time < first.normalize()) or (p.end_time.normalize() > last.normalize())
        for p in out.index
    ]
    out.index = out.index.to_timestamp()
    out.index.name = "month"
    return out


def basket_sizes(tx: pd.DataFrame, by: str = "lines") -> pd.Series:
    """Size of each invoice (basket).

    Parameters
    ----------
    tx : DataFrame
        Purchase lines with InvoiceNo, StockCode, Quantity.
    by : {"lines", "units", "products"}
        Count order lines, sum units, or count distinct products.

    Returns
    -------
    Series, shape (n_invoices,), index InvoiceNo
    """
    _need(tx, ("InvoiceNo", "StockCode", "Quantity"))
    g = tx.groupby("InvoiceNo", observed=True)
    if by == "lines":
        s = g.size()
    elif by == "units":
        s = g["Quantity"].sum()
    elif by == "products":
        s = g["StockCode"].nunique()
    else:
        raise ValueError(f"by must be 'lines', 'units' or 'products', got {by!r}")
    return s.rename(f"basket_{by}")


def item_popularity(tx: pd.DataFrame) -> pd.DataFrame:
    """Products ranked by units sold, with cumulative shares (the long tail).

    Returns
    -------
    DataFrame, one row per StockCode, sorted by units (descending)
        units, invoices, rank (1 = best seller), share (of all units), cum_share,
        cum_product_share (rank / n_products).
    """
    _need(tx, ("InvoiceNo", "StockCode", "Quantity"))
    g = tx.groupby("StockCode", observed=True)
    pop = pd.DataFrame({"units": g["Quantity"].sum(), "invoices": g["InvoiceNo"].nunique()})
    pop = pop.sort_values(["units", "invoices"], ascending=False, kind="mergesort")
    n = len(pop)
    total = pop["units"].sum()
    pop["rank"] = np.arange(1, n + 1)
    pop["share"] = pop["units"] / total if total else 0.0
    pop["cum_share"] = pop["share"].cumsum()
    pop["cum_product_share"] = pop["rank"] / n if n else 0.0
    return pop


def top_share(popularity: pd.DataFrame, top: float = 0.2) -> float:
    """Share of units sold by the top ``top`` fraction of products (e.g. the "80/20" check).

    Parameters
    ----------
    popularity : DataFrame
        Output of :func:`item_popularity`.
    top : float in (0, 1]
    """
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    if popularity.empty:
        return float("nan")
    k = max(1, int(np.ceil(top * len(popularity))))
    return float(popularity["share"].iloc[:k].sum())


def customers_by_country(tx: pd.DataFrame) -> pd.DataFrame:
    """Distinct customers and revenue per country, sorted by customers (descending)."""
    _need(tx, ("Country", "CustomerID", "Quantity", "UnitPrice"))
    t = tx.assign(_rev=line_revenue(tx))
    g = t.groupby("Country", observed=True)
    out = pd.DataFrame({"customers": g["CustomerID"].nunique(), "revenue": g["_rev"].sum()})
    out["customer_share"] = out["customers"] / out["customers"].sum()
    return out.sort_values(["customers", "revenue"], ascending=False)


def cancellations_by_month(raw: pd.DataFrame) -> pd.DataFrame:
    """Cancelled lines and value per month, against all order lines.

    Parameters
    ----------
    raw : DataFrame
        The raw table (cancellations included): InvoiceNo, Quantity, UnitPrice,
        InvoiceDate (datetime64).

    Returns
    -------
    DataFrame, index month start
        lines, cancelled_lines, cancelled_value (GBP, positive), line_share (cancelled
        lines / lines).
    """
    _need(raw, ("InvoiceNo", "Quantity", "UnitPrice", "InvoiceDate"))
    is_c = raw["InvoiceNo"].astype("string").str.upper().str.startswith("C").fillna(False)
    t = raw.assign(
        _c=is_c.to_numpy(),
        _cval=np.where(is_c, -line_revenue(raw), 0.0),
        _month=raw["InvoiceDate"].dt.to_period("M"),
    )
    g = t.groupby("_month")
    out = pd.DataFrame(
        {"lines": g.size(), "cancelled_lines": g["_c"].sum(), "cancelled_value": g["_cval"].sum()}
    )
    out["line_share"] = out["cancelled_lines"] / out["lines"]
    out.index = out.index.to_timestamp()
    out.index.name = "month"
    return out


def daily_units(tx: pd.DataFrame, stock_code: str | None = None) -> pd.Series:
    """Units sold per calendar day, days without sales filled with 0.

    Parameters
    ----------
    tx : DataFrame
        Purchase lines with StockCode, Quantity, InvoiceDate (datetime64).
    stock_code : str, optional
        One product; default all products together.

    Returns
    -------
    Series, index: every calendar day from the first to the last sale (DatetimeIndex)
    """
    _need(tx, ("StockCode", "Quantity", "InvoiceDate"))
    t = tx if stock_code is None else tx[tx["StockCode"] == stock_code]
    if t.empty:
        raise ValueError(f"no sales for StockCode {stock_code!r}")
    s = t.groupby(t["InvoiceDate"].dt.normalize())["Quantity"].sum()
    full = pd.date_range(s.index.min(), s.index.max(), freq="D")
    return s.reindex(full, fill_value=0).rename("units").rename_axis("day")
