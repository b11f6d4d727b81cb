"""The transaction schema: one table of columns, one validator, one way to bring your own data.

Every part of the package that reads transaction lines (cleaning, features, exploration,
the pipeline, recommendation data, inventory) speaks the column names of UCI Online
Retail, listed once here in :data:`TRANSACTION_COLUMNS`, and checks them with the one
validator :func:`check_transactions`.

Another shop's table almost never uses these names: UCI's own second year ("Online Retail
II") calls them Invoice, Price and Customer ID, a point-of-sale export may say
``order_id``, ``sku``, ``qty``. The documented way in is :func:`standardize`: it renames
the columns with a mapping and gives each its type, and everything downstream then works
unchanged::

    tx = standardize(raw, columns={"order_id": "InvoiceNo", "sku": "StockCode", ...})
    result = quality.clean(tx)

:func:`standardize` is also the typing step of
:func:`retail_lab.datasets.load_online_retail`, so the book's data and yours are typed by
the same code.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"Invoice": ["489434"], "StockCode": ["85048"],
...     "Description": ["LED CANDLE"], "Quantity": ["12"],
...     "InvoiceDate": ["2009-12-01 07:45:00"], "Price": [6.95],
...     "Customer ID": [13085.0], "Country": ["United Kingdom"]})
>>> tx = standardize(raw)              # Online Retail II names are mapped by default
>>> list(tx.columns) == list(TRANSACTION_COLUMNS)
True
>>> tx["CustomerID"].iloc[0], int(tx["Quantity"].iloc[0]), str(tx["InvoiceDate"].dtype)
('13085', 12, 'datetime64[ns]')
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = ["Column", "TRANSACTION_COLUMNS", "COLUMN_NAMES", "ONLINE_RETAIL_II_NAMES",
           "check_transactions", "standardize"]


@dataclass(frozen=True)
class Column:
    """One column of the transaction schema: its pandas dtype after :func:`standardize`, and
    what it means."""

    dtype: str
    meaning: str


#: The transaction schema: canonical column name -> :class:`Column` (dtype, meaning), in the
#: order of the Online Retail file. One row per invoice line.
TRANSACTION_COLUMNS: Mapping[str, Column] = MappingProxyType({
    "InvoiceNo": Column("string", "invoice (basket) id; a leading 'C' marks a cancellation"),
    "StockCode": Column("string", "product code, or a service/bookkeeping code (postage, "
                                  "fees, adjustments: see quality.is_non_product)"),
    "Description": Column("string", "product name; <NA> when missing"),
    "Quantity": Column("int64", "units on the line; negative on cancellations (float64 when "
                                "a value is missing or fractional)"),
    "InvoiceDate": Column("datetime64[ns]", "date and time of the invoice (NaT if unparseable)"),
    "UnitPrice": Column("float64", "price per unit in the shop's currency"),
    "CustomerID": Column("string", "customer id as text (whole numbers without '.0'); <NA> "
                                   "when unknown"),
    "Country": Column("category", "the customer's country"),
})

#: The canonical column names, in order.
COLUMN_NAMES: tuple[str, ...] = tuple(TRANSACTION_COLUMNS)

#: The names UCI "Online Retail II" (2009-2011) uses where they differ from Online Retail's;
#: :func:`standardize` applies them unless told otherwise (``aliases=False``).
ONLINE_RETAIL_II_NAMES: Mapping[str, str] = MappingProxyType({
    "Invoice": "InvoiceNo",
    "Price": "UnitPrice",
    "Customer ID": "CustomerID",
})

_EXAMPLE_MAP = "{'Invoice': 'InvoiceNo', 'Price': 'UnitPrice', 'Customer ID': 'CustomerID'}"


def _shown(cols: Iterable, limit: int = 20) -> str:
    cols = [str(c) for c in cols]
    more = f" ... ({len(cols)} in all)" if len(cols) > limit else ""
    return f"{cols[:limit]}{more}"


def _suggestion(missing: list[str], present: list) -> str:
    """A concrete mapping for the missing names, from aliases and close spellings."""
    pairs = {}
    text = {str(c): c for c in present if isinstance(c, str)}
    for name in missing:
        alias = [a for a, target in ONLINE_RETAIL_II_NAMES.items() if target == name and a in text]
        if alias:
            pairs[alias[0]] = name
            continue
        keyed = {k.lower().replace(" ", "").replace("_", ""): k for k in text}
        close = difflib.get_close_matches(name.lower(), list(keyed), n=1, cutoff=0.75)
        if close:
            pairs[keyed[close[0]]] = name
    if pairs:
        return f"e.g. retail_lab.schema.standardize(df, columns={pairs!r})"
    return f"e.g. retail_lab.schema.standardize(df, columns={_EXAMPLE_MAP})"


def check_transactions(tx, columns: Iterable[str] | None = None, what: str = "transactions"):
    """Check that ``tx`` is a DataFrame with each of ``columns`` exactly once.

    Parameters
    ----------
    tx : DataFrame
        The table to check.
    columns : iterable of str, optional
        The columns the caller needs; default: all of :data:`TRANSACTION_COLUMNS`.
    what : str, default "transactions"
        How error messages name the table ("the table", "raw transactions", ...).

    Returns
    -------
    DataFrame
        ``tx`` itself (unchanged), so a call can be chained.

    Raises
    ------
    TypeError
        ``tx`` is not a DataFrame, or ``columns`` is a single string.
    ValueError
        A needed column is missing (the message lists the frame's columns and says how to
        map another shop's names with :func:`standardize`), or a needed column appears more
        than once.

    Examples
    --------
    >>> import pandas as pd
    >>> check_transactions(pd.DataFrame({"Invoice": ["1"]}), ["InvoiceNo"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: transactions misses column(s) ['InvoiceNo'] (it has ['Invoice']); ...
    """
    if not isinstance(tx, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame of transaction lines, got "
                        f"{type(tx).__name__}")
    if isinstance(columns, str):
        raise TypeError(f"columns must be a list of column names, got the string {columns!r}; "
                        f"write columns=[{columns!r}]")
    needed = COLUMN_NAMES if columns is None else tuple(columns)
    missing = [c for c in needed if c not in tx.columns]
    if missing:
        raise ValueError(
            f"{what} misses column(s) {missing} (it has {_shown(tx.columns)}); retail_lab "
            f"uses the Online Retail names {list(COLUMN_NAMES)}: load the book's data with "
            f"retail_lab.datasets.load_online_retail, or map another shop's names and types "
            f"with {_suggestion(missing, list(tx.columns))}"
        )
    doubled = [c for c in needed if int((tx.columns == c).sum()) > 1]
    if doubled:
        raise ValueError(
            f"{what} has more than one column named {doubled}; keep one of each, e.g. "
            f"df.loc[:, ~df.columns.duplicated()]"
        )
    return tx


def _check_mapping(columns, df: pd.DataFrame, aliases: bool) -> dict:
    if columns is None:
        columns = {}
    if not isinstance(columns, Mapping):
        raise TypeError(f"columns must be a dict from your column names to the schema's "
                        f"names, e.g. {_EXAMPLE_MAP}; got {type(columns).__name__}")
    mapping = {}
    if aliases:
        mapping.update({a: t for a, t in ONLINE_RETAIL_II_NAMES.items()
                        if a in df.columns and t not in df.columns
                        and t not in columns.values() and a not in columns})
    for src, dst in columns.items():
        if dst not in TRANSACTION_COLUMNS:
            close = difflib.get_close_matches(str(dst), COLUMN_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"columns maps {src!r} to {dst!r}, which is not a schema column"
                             f"{hint}; the targets are {list(COLUMN_NAMES)}")
        if src not in df.columns:
            raise ValueError(f"columns maps {src!r} to {dst!r}, but the table has no column "
                             f"{src!r}; its columns are {_shown(df.columns)}")
        mapping[src] = dst
    targets = pd.Series(list(mapping.values()), dtype=object)
    twice = sorted(set(targets[targets.duplicated()]))
    if twice:
        raise ValueError(f"columns maps more than one column to {twice}: "
                         f"{ {s: d for s, d in mapping.items() if d in twice} }; keep one")
    clash = [d for s, d in mapping.items() if d in df.columns and d != s and d not in mapping]
    if clash:
        raise ValueError(f"the table already has column(s) {clash}, and columns maps another "
                         f"column onto each; drop or rename the old one first")
    return mapping


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string")


def _number(s: pd.Series, name: str, counts: dict) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_complex_dtype(s):
        raise TypeError(f"{name} must hold numbers, got dtype {s.dtype}; convert it, e.g. "
                        f"df[{name!r}].astype(float)")
    if pd.api.types.is_numeric_dtype(s):
        return pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
    v = pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype("float64")
    bad = int((v.isna() & ~_absent(s)).sum())
    if bad:
        counts[name] = bad
    return v


def _absent(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return s.isna() | text.eq("").fillna(True)


def standardize(df: pd.DataFrame, columns: Mapping[str, str] | None = None, *,
                aliases: bool = True, date_format: str | None = None) -> pd.DataFrame:
    """Rename another shop's columns to the schema's names and give each its type.

    Parameters
    ----------
    df : DataFrame
        Transaction lines, one row per invoice line, with the eight columns of
        :data:`TRANSACTION_COLUMNS` under any names.
    columns : dict, optional
        Your column name -> schema name, e.g. ``{"order_id": "InvoiceNo", "sku":
        "StockCode", "qty": "Quantity"}``. Columns already named as in the schema need no
        entry. A shop that has no Description or Country column can add a constant one
        first (``df["Country"] = "Unknown"``).
    aliases : bool, default True
        Also map UCI Online Retail II's names (:data:`ONLINE_RETAIL_II_NAMES`: Invoice,
        Price, Customer ID) when the schema's name is absent; ``columns`` wins over them.
    date_format : str, optional
        ``strftime`` format of text dates (e.g. ``"%d/%m/%Y %H:%M"``); default: inferred
        by pandas from the first date. Day-first dates need it.

    Returns
    -------
    DataFrame
        A new frame: the eight schema columns first, in schema order, with the dtypes of
        :data:`TRANSACTION_COLUMNS`, then any other columns unchanged. No row is dropped
        or reordered and the index is kept. Values that cannot be read (a date that does
        not parse, a quantity "twelve") become missing and are counted in
        ``result.attrs["unparseable"]`` (column -> rows), and :func:`retail_lab.quality.clean`
        then removes those rows with a reason.

    Raises
    ------
    TypeError
        ``df`` is not a DataFrame; ``columns`` is not a dict; InvoiceDate is numeric
        (seconds? days? since when?) or Quantity/UnitPrice/CustomerID hold True/False.
    ValueError
        A mapping names a column the table lacks or a target outside the schema, maps two
        columns to one name, or a schema column is still missing or doubled after renaming.

    Notes
    -----
    Types: InvoiceNo, StockCode, Description as pandas strings (not stripped: the quality
    rules strip and upper-case where they compare); Quantity as int64 when every value is
    a whole number, float64 otherwise; UnitPrice float64; CustomerID as text, numbers
    written without ``.0`` (17850.0 -> "17850"); InvoiceDate as time-zone-naive
    datetime64[ns] (aware dates are converted to UTC); Country categorical.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame of transaction lines, got "
                        f"{type(df).__name__}")
    if not isinstance(aliases, (bool, np.bool_)):
        raise TypeError(f"aliases must be True or False, got {aliases!r}")
    if date_format is not None and not isinstance(date_format, str):
        raise TypeError(f"date_format must be a strftime format such as '%d/%m/%Y %H:%M', "
                        f"got {date_format!r}")
    mapping = _check_mapping(columns, df, bool(aliases))
    renamed = df.rename(columns=mapping)
    check_transactions(renamed, what="the table (after renaming)")
    counts: dict[str, int] = {}
    out = {}
    for name in ("InvoiceNo", "StockCode", "Description"):
        out[name] = _text(renamed[name])
    q = _number(renamed["Quantity"], "Quantity", counts)
    whole = bool(q.notna().all()) and bool(np.isfinite(q).all()) and bool((q % 1 == 0).all())
    out["Quantity"] = q.astype("int64") if whole else q
    d = renamed["InvoiceDate"]
    if pd.api.types.is_datetime64_any_dtype(d):
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_convert(None)
    elif pd.api.types.is_numeric_dtype(d) or pd.api.types.is_bool_dtype(d):
        raise TypeError(f"InvoiceDate must be dates or text, got dtype {d.dtype} (numbers are "
                        f"ambiguous: seconds? days? since when?); convert it, e.g. "
                        f"pd.to_datetime(df['InvoiceDate'], unit='s')")
    else:
        with warnings.catch_warnings():  # unreadable dates are counted below instead
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            parsed = pd.to_datetime(d, format=date_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        bad = int((parsed.isna() & ~_absent(d)).sum())
        if bad:
            counts["InvoiceDate"] = bad
        d = parsed
    out["InvoiceDate"] = d.astype("datetime64[ns]")
    out["UnitPrice"] = _number(renamed["UnitPrice"], "UnitPrice", counts)
    c = renamed["CustomerID"]
    if pd.api.types.is_bool_dtype(c):
        raise TypeError("CustomerID holds True/False values, not ids; map the right column")
    if pd.api.types.is_numeric_dtype(c):
        v = pd.Series(c.to_numpy(dtype=float, na_value=np.nan), index=c.index)
        frac = v.notna() & (v % 1 != 0)
        if frac.any():
            raise ValueError(f"CustomerID holds {int(frac.sum())} non-integer number(s), e.g. "
                             f"{v[frac].iloc[0]}; ids must be whole numbers or text")
        out["CustomerID"] = v.astype("Int64").astype("string")
    else:
        out["CustomerID"] = _text(c)
    out["Country"] = renamed["Country"].astype("category")
    result = pd.DataFrame(out, index=renamed.index)
    rest = [c for c in renamed.columns if c not in TRANSACTION_COLUMNS]
    if rest:
        result = pd.concat([result, renamed[rest]], axis=1)
    result.attrs = {**df.attrs, "unparseable": counts}
    return result
