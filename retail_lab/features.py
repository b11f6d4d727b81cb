"""Customer features computed strictly from data before a cutoff, and labels after it.

The functions read transaction lines in the schema of :mod:`retail_lab.schema`; another
shop's table is brought to it once with :func:`retail_lab.schema.standardize`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import as_date
from .schema import check_transactions

__all__ = ["FEATURE_COLUMNS", "REPURCHASE_TRAIN_CUTOFF", "REPURCHASE_TEST_CUTOFF",
           "REPURCHASE_HORIZON_DAYS", "line_revenue", "customer_features", "repurchase_labels",
           "repurchase_dataset", "RepurchaseTask", "repurchase_task"]

#: The names of the customer feature columns, in order.
FEATURE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket_value",
    "avg_basket_lines",
    "distinct_products",
)

#: The book's repurchase task (chapters 3, 7, 8 and 9): features at the training cutoff,
#: labels from the 90 days after it; the test customers are described at the test cutoff.
REPURCHASE_TRAIN_CUTOFF = "2011-05-01"
REPURCHASE_TEST_CUTOFF = "2011-08-01"
REPURCHASE_HORIZON_DAYS = 90

#: The schema columns (retail_lab.schema) features need; another shop's table gets them
#: from retail_lab.schema.standardize.
_NEEDED = ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID")


def _check(tx: pd.DataFrame) -> None:
    """Schema and value checks shared by every function here (no silent NaN, NaT or text)."""
    check_transactions(tx, _NEEDED)
    if not pd.api.types.is_datetime64_any_dtype(tx["InvoiceDate"]):
        raise TypeError(
            "InvoiceDate must be datetime64; parse it first, e.g. "
            "pd.to_datetime(tx['InvoiceDate'])"
        )
    n_nat = int(tx["InvoiceDate"].isna().sum())
    if n_nat:
        raise ValueError(f"InvoiceDate is missing (NaT) on {n_nat} row(s); drop or repair those rows first "
                         "(quality.clean does), since their purchases cannot be placed before or after a cutoff")
    for col in ("Quantity", "UnitPrice"):
        v = _numeric(tx[col], col).to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise ValueError(f"{col} is NaN or infinite on {int(bad.sum())} row(s) (first at position "
                             f"{int(np.flatnonzero(bad)[0])}); drop or repair them first (quality.clean does)")


def _numeric(s: pd.Series, name: str) -> pd.Series:
    """``s`` as numbers: numeric dtypes as they are, numeric text converted; True/False and
    other text are a TypeError naming the column."""
    if pd.api.types.is_bool_dtype(s):
        raise TypeError(f"{name} holds True/False values, not numbers; convert it, e.g. tx['{name}'].astype(int)")
    if pd.api.types.is_numeric_dtype(s):
        return s
    try:
        return pd.to_numeric(s)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numeric (dtype {s.dtype} has a value that is not a number: {err}); "
                        f"convert it, e.g. pd.to_numeric(tx['{name}'])") from None


def _cutoff(cutoff, tx: pd.DataFrame, name: str = "cutoff") -> pd.Timestamp:
    """A cutoff as a Timestamp comparable with tx['InvoiceDate']; NaT/None are an error."""
    c = as_date(cutoff, name, "2011-05-01")
    data_tz = getattr(tx["InvoiceDate"].dt, "tz", None)
    if (c.tz is None) != (data_tz is None):
        raise TypeError(f"{name} {c} and InvoiceDate (time zone {data_tz}) must both have a time zone or "
                        "both have none; e.g. pd.Timestamp(cutoff).tz_localize(None)")
    return c


def line_revenue(tx: pd.DataFrame) -> pd.Series:
    """Quantity * UnitPrice per line (GBP), shape (n_lines,).

    Raises
    ------
    TypeError
        Quantity or UnitPrice is not numeric (numeric text is converted).
    """
    return _numeric(tx["Quantity"], "Quantity").astype(float) * _numeric(tx["UnitPrice"], "UnitPrice").astype(float)


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
        Wrong input type, missing columns, unparsed dates, a missing (NaT) date or cutoff,
        a NaN or infinite Quantity or UnitPrice.

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
    cutoff = _cutoff(cutoff, tx)
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


def _check_horizon(horizon_days) -> None:
    if isinstance(horizon_days, (bool, np.bool_)) or not isinstance(horizon_days,
                                                                    (int, float, np.integer, np.floating)):
        raise TypeError(f"horizon_days must be a number of days, got {horizon_days!r}")
    if not np.isfinite(horizon_days) or horizon_days <= 0:
        raise ValueError(f"horizon_days must be a positive, finite number of days, got {horizon_days}")


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

    Raises
    ------
    ValueError
        A customer id that never occurs in ``tx`` (often an id of the wrong type, e.g. int
        12347 for the text id "12347"), or a horizon that is not a positive number of days.
    """
    _check(tx)
    _check_horizon(horizon_days)
    start = _cutoff(cutoff, tx)
    end = start + pd.Timedelta(days=horizon_days)
    customers = customers if isinstance(customers, pd.Index) else pd.Index(customers)
    known = set(tx["CustomerID"].dropna().unique())
    unknown = [c for c in customers.unique() if c not in known]
    if unknown:
        as_text = {str(c) for c in known}
        hint = (" (the ids differ only in type: the transactions hold "
                f"{type(next(iter(known))).__name__}, you passed {type(unknown[0]).__name__}; convert them)"
                if str(unknown[0]) in as_text else "")
        raise ValueError(f"{len(unknown)} customer(s) have no transaction at all, e.g. {unknown[:3]}{hint}; "
                         "label the customers of customer_features(tx, cutoff).index")
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
        If the label window runs past the end of the data (labels would be wrong), the
        table is empty or no customer bought before the cutoff.
    """
    _check(tx)
    _check_horizon(horizon_days)
    if tx.empty:
        raise ValueError("the transaction table is empty; pass the clean purchase lines")
    end = _cutoff(cutoff, tx) + pd.Timedelta(days=horizon_days)
    if tx["InvoiceDate"].max() < end - pd.Timedelta(days=1):
        raise ValueError(
            f"the label window ends {end:%Y-%m-%d}, after the data end "
            f"({tx['InvoiceDate'].max():%Y-%m-%d}); choose an earlier cutoff or shorter horizon"
        )
    X = customer_features(tx, cutoff)
    if X.empty:
        raise ValueError(f"no customer has a purchase before the cutoff {cutoff}; choose a later cutoff")
    y = repurchase_labels(tx, X.index, cutoff, horizon_days)
    if log:
        X = np.log1p(X.clip(lower=0))
    return X, y


@dataclass(frozen=True)
class RepurchaseTask:
    """The train/test matrices of one repurchase task (what :func:`repurchase_task` returns).

    Attributes
    ----------
    X, X_test : DataFrame, shape (n_customers, 7), index CustomerID
        Features at the training / test cutoff, standardised with the training customers'
        means and standard deviations (unscaled when ``scaler`` is None).
    y, y_test : Series of int8
        1 if the customer bought within ``horizon_days`` after the cutoff.
    X_raw, X_test_raw : DataFrame
        The same features before standardising (``log1p``-transformed when ``log``).
    scaler : sklearn StandardScaler or None
        Fitted on the training customers only.
    train_cutoff, test_cutoff : Timestamp
    horizon_days : int
    log : bool
    """

    X: pd.DataFrame
    y: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    X_raw: pd.DataFrame
    X_test_raw: pd.DataFrame
    scaler: object
    train_cutoff: pd.Timestamp
    test_cutoff: pd.Timestamp
    horizon_days: int
    log: bool

    def validation_split(self, share: float = 0.2, seed: int = 0):
        """Hold out ``share`` of the training customers, stratified by label.

        Returns
        -------
        X_fit, X_val : ndarray of float, shapes (n_fit, 7), (n_val, 7)
        y_fit, y_val : ndarray of float
        """
        from sklearn.model_selection import train_test_split

        X_fit, X_val, y_fit, y_val = train_test_split(
            self.X.to_numpy(float), self.y.to_numpy(float), test_size=share, stratify=self.y,
            random_state=seed)
        return X_fit, X_val, y_fit, y_val


def repurchase_task(tx: pd.DataFrame, train_cutoff: str | pd.Timestamp = REPURCHASE_TRAIN_CUTOFF,
                    test_cutoff: str | pd.Timestamp = REPURCHASE_TEST_CUTOFF,
                    horizon_days: int = REPURCHASE_HORIZON_DAYS, log: bool = True,
                    standardize: bool = True, test_tx: pd.DataFrame | None = None) -> RepurchaseTask:
    """The book's repurchase task: will a customer buy again within ``horizon_days``?

    Training customers are described at ``train_cutoff`` and labelled by the following
    ``horizon_days``; test customers the same way at ``test_cutoff`` (a later period, so the
    model is judged on customers and a season it has not seen). Features are
    :func:`repurchase_dataset`'s; with ``standardize`` both sets are scaled with the training
    customers' statistics only.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines the training set is built from (and the test set, unless
        ``test_tx`` is given).
    train_cutoff, test_cutoff : str or Timestamp, defaults 2011-05-01 and 2011-08-01
    horizon_days : int, default 90
    log : bool, default True
        ``log1p`` the features (see :func:`repurchase_dataset`).
    standardize : bool, default True
    test_tx : DataFrame, optional
        Build the test set from another table, e.g. the clean lines when training on raw ones.

    Returns
    -------
    RepurchaseTask

    Raises
    ------
    ValueError
        As :func:`repurchase_dataset`, for either cutoff; a test cutoff not after the training
        cutoff.

    Examples
    --------
    >>> task = repurchase_task(tx)  # doctest: +SKIP
    >>> A, V, y_fit, y_val = task.validation_split()  # doctest: +SKIP
    """
    test_tx = tx if test_tx is None else test_tx
    X_raw, y = repurchase_dataset(tx, train_cutoff, horizon_days, log=log)
    X_test_raw, y_test = repurchase_dataset(test_tx, test_cutoff, horizon_days, log=log)
    train_cutoff, test_cutoff = _cutoff(train_cutoff, tx, "train_cutoff"), _cutoff(test_cutoff, test_tx, "test_cutoff")
    if test_cutoff <= train_cutoff:
        raise ValueError(f"test_cutoff {test_cutoff:%Y-%m-%d} must be after train_cutoff {train_cutoff:%Y-%m-%d}")
    scaler = None
    X, X_test = X_raw, X_test_raw
    if standardize:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X_raw.to_numpy(float))
        X = pd.DataFrame(scaler.transform(X_raw.to_numpy(float)), index=X_raw.index, columns=X_raw.columns)
        X_test = pd.DataFrame(scaler.transform(X_test_raw.to_numpy(float)), index=X_test_raw.index,
                              columns=X_test_raw.columns)
    return RepurchaseTask(X=X, y=y, X_test=X_test, y_test=y_test, X_raw=X_raw, X_test_raw=X_test_raw,
                          scaler=scaler, train_cutoff=train_cutoff, test_cutoff=test_cutoff, horizon_days=int(horizon_days), log=bool(log))
