"""Customer features computed strictly from data before a cutoff, and labels after it."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FEATURE_COLUMNS", "line_revenue", "customer_features", "repurchase_labels",
           "repurchase_dataset"]

FEATURE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket_value",
    "avg_basket_lines",
    "distinct_products",
)

_NEEDED = ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID")


def _check(tx: pd.DataFrame) -> None:
    if not isinstance(tx, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(tx).__name__}")
    missing = [c for c in _NEEDED if c not in tx.columns]
    if missing:
        raise ValueError(f"transactions miss column(s) {missing}; need {list(_NEEDED)}")
    if not pd.api.types.is_datetime64_any_dtype(tx["InvoiceDate"]):
        raise TypeError(
            "InvoiceDate must be datetime64; parse it first, e.g. "
            "pd.to_datetime(tx['InvoiceDate'])"
        )


def line_revenue(tx: pd.DataFrame) -> pd.Series:
    """Quantity * UnitPrice per line (GBP), shape (n_lines,)."""
    return tx["Quantity"].astype(float) * tx["UnitPrice"].astype(float)


def customer_features(tx: pd.DataFrame, cutoff: str | pd.Timestamp) -> pd.DataFrame:
    """RFM-style features per customer from transactions strictly before ``cutoff``.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines (see :func:`retail_lab.quality.clean`) with InvoiceNo,
        StockCode, Quantity, InvoiceDate (datetime64), UnitPrice, CustomerID.
    cutoff : str or Timestamp
        Nothing at or after this instant is used.

    Returns
    -------
    DataFrame, shape (n_customers, 7), index CustomerID
        recency_days (days from last purchase to cutoff), frequency (distinct invoices),
        monetary (total GBP), tenure_days (days from first purchase to cutoff),
        avg_basket_value (GBP per invoice), avg_basket_lines (lines per invoice),
        distinct_products. Customers with no purchase before the cutoff are absent.

    Raises
    ------
    TypeError, ValueError
        Wrong input type, missing columns or unparsed dates.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"InvoiceNo": ["1", "2"], "StockCode": ["A", "B"],
    ...     "Quantity": [2, 1], "UnitPrice": [1.5, 4.0], "CustomerID": ["7", "7"],
    ...     "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-11"])})
    >>> customer_features(tx, "2011-01-21").loc["7", ["recency_days", "frequency", "monetary"]].tolist()
    [10.0, 2.0, 7.0]
    """
    _check(tx)
    cutoff = pd.Timestamp(cutoff)
    past = tx[(tx["InvoiceDate"] < cutoff) & tx["CustomerID"].notna()]
    cols = list(FEATURE_COLUMNS)
    if past.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="CustomerID"), dtype=float)
    past = past.assign(_rev=line_revenue(past))
    g = past.groupby("CustomerID", observed=True)
    baskets = past.groupby(["CustomerID", "InvoiceNo"], observed=True).agg(
        value=("_rev", "sum"), lines=("StockCode", "size")
    )
    bg = baskets.groupby(level="CustomerID", observed=True)
    day = pd.Timedelta(days=1)
    out = pd.DataFrame(
        {
            "recency_days": (cutoff - g["InvoiceDate"].max()) / day,
            "frequency": g["InvoiceNo"].nunique().astype(float),
            "monetary": g["_rev"].sum(),
            "tenure_days": (cutoff - g["InvoiceDate"].min()) / day,
            "avg_basket_value": bg["value"].mean(),
            "avg_basket_lines": bg["lines"].mean(),
            "distinct_products": g["StockCode"].nunique().astype(float),
        }
    )
    out.index.name = "CustomerID"
    return out[cols].astype(float)


def repurchase_labels(
    tx: pd.DataFrame, customers: pd.Index, cutoff: str | pd.Timestamp, horizon_days: int = 90
) -> pd.Series:
    """1 if a customer buys in ``[cutoff, cutoff + horizon_days)``, else 0.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines, as for :func:`customer_features`.
    customers : Index
        CustomerIDs to label (usually the index of :func:`customer_features`).
    cutoff : str or Timestamp
        Start of the label window.
    horizon_days : int, default 90
        Window length in days; must be positive.

    Returns
    -------
    Series of int8, shape (len(customers),), index CustomerID
    """
    _check(tx)
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    start = pd.Timestamp(cutoff)
    end = start + pd.Timedelta(days=horizon_days)
    window = tx[(tx["InvoiceDate"] >= start) & (tx["InvoiceDate"] < end)]
    buyers = set(window["CustomerID"].dropna().unique())
    y = pd.Series(np.fromiter((c in buyers for c in customers), dtype=bool, count=len(customers)),
                  index=customers, name="repurchase")
    return y.astype("int8")


def repurchase_dataset(tx: pd.DataFrame, cutoff: str | pd.Timestamp, horizon_days: int = 90,
                       log: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """Features before ``cutoff`` and repurchase labels after it, for every active customer.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines (see :func:`customer_features`).
    cutoff : str or Timestamp
    horizon_days : int, default 90
    log : bool, default True
        Apply ``log1p`` to the (non-negative, heavy-tailed) features.

    Returns
    -------
    X : DataFrame, shape (n_customers, 7), index CustomerID
    y : Series of int8, shape (n_customers,)

    Raises
    ------
    ValueError
        If the label window runs past the end of the data (labels would be wrong).
    """
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=horizon_days)
    if tx["InvoiceDate"].max() < end - pd.Timedelta(days=1):
        raise ValueError(
            f"the label window ends {end:%Y-%m-%d}, after the data end "
            f"({tx['InvoiceDate'].max():%Y-%m-%d}); choose an earlier cutoff or shorter horizon"
        )
    X = customer_features(tx, cutoff)
    y = repurchase_labels(tx, X.index, cutoff, horizon_days)
    if log:
        X = np.log1p(X.clip(lower=0))
    return X, y
