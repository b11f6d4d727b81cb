"""Data-quality checks and cleaning for transaction tables (article section 2.4).

Every rule reports how many rows fail it and why. Cleaning returns the clean table AND the
removed rows with the rule that removed each, so nothing disappears unreported:
``len(clean) + len(removed) == len(raw)`` always holds.

The table must have the columns of the transaction schema
(:data:`retail_lab.schema.TRANSACTION_COLUMNS`: InvoiceNo, StockCode, Description,
Quantity, InvoiceDate, UnitPrice, CustomerID, Country), as returned by
:func:`retail_lab.datasets.load_online_retail`; another shop's table gets them from
:func:`retail_lab.schema.standardize` (``standardize(df, columns={"order_id": "InvoiceNo",
...})``). Service and bookkeeping lines (postage, fees, adjustments, tests, vouchers) are
recognised by rule (:class:`NonProductRule`), not by a list of one file's codes.

What is a row fault and what is an input fault
----------------------------------------------
A fault in a single row (a missing value, a future date, a fractional quantity, an
infinite price, ...) removes that row, with its rule as the reason. A fault of the whole
input is an error instead: not a DataFrame, a missing or doubled required column, a
non-numeric (or boolean / complex) Quantity or UnitPrice, a numeric or boolean
InvoiceDate (epoch numbers are ambiguous), or an input that already has the ``reason`` /
``all_reasons`` columns :func:`clean` adds.

Rows are told apart by position, never by index label: the index may be unsorted or
hold repeated labels (``pd.concat`` without ``ignore_index``), and both outputs keep the
caller's labels. Ties (two rows with equal dates) are broken by row content, then by
label, so shuffling the rows does not change which rows are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

import re

from ._checks import as_date
from .schema import COLUMN_NAMES, check_transactions

__all__ = [
    "REQUIRED_COLUMNS",
    "NON_PRODUCT_CODES",
    "NON_PRODUCT_PATTERN",
    "NonProductRule",
    "is_non_product",
    "Rule",
    "QualityReport",
    "CleanResult",
    "rules",
    "check",
    "clean",
    "match_cancellations",
    "inject_faults",
]

#: The columns every function here needs: the whole transaction schema
#: (:data:`retail_lab.schema.TRANSACTION_COLUMNS`).
REQUIRED_COLUMNS = COLUMN_NAMES

#: Service or bookkeeping StockCodes that carry a digit, so that the pattern below cannot
#: tell them from products (compared stripped and upper-cased). Add your shop's with
#: ``NonProductRule(extra_codes=...)``.
NON_PRODUCT_CODES = frozenset({"C2"})  # carriage

#: The rule for every other non-product line, matched against the whole code (stripped,
#: upper-cased):
#:
#: * a code without any digit: POST (postage), DOT (dotcom postage), M (manual), D
#:   (discount), S (samples), B (bad debt), CRUK (charity), BANK CHARGES, AMAZONFEE, PADS
#:   (a 0.001 placeholder), ADJUST, ...: product codes carry a number, service codes are
#:   words;
#: * adjustments and tests: ``ADJUST...`` (ADJUST2), ``TEST...`` (TEST001);
#: * gift vouchers: ``GIFT...`` (GIFT_0001_20);
#: * ``SP`` followed by digits only (SP1002: a special order line).
#:
#: A code with a digit that matches none of these is a product: 85123A, 22423, POST1,
#: DCGS0003. Online Retail has two products without a digit (DCGSSBOY, DCGSSGIRL, party
#: bags sold without a customer id, so missing_customer_id removes them first); a shop with
#: such products names them in ``NonProductRule(products=...)``.
NON_PRODUCT_PATTERN = r"[^0-9]+|ADJUST.*|TEST.*|GIFT.*|SP[0-9]+"


def _code_set(values, name: str) -> frozenset:
    if isinstance(values, str) or not isinstance(values, (set, frozenset, list, tuple)):
        raise TypeError(f"{name} must be a set or list of StockCodes, got {values!r}; "
                        f"write {name}={{{values!r}}}" if isinstance(values, str) else
                        f"{name} must be a set or list of StockCodes, got "
                        f"{type(values).__name__}")
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must hold StockCodes as text, got {bad[:3]!r}")
    return frozenset(str(v).strip().upper() for v in values)


@dataclass(frozen=True)
class NonProductRule:
    """Which StockCodes are services or bookkeeping lines, not products.

    A code is a non-product when it is in :data:`NON_PRODUCT_CODES` or ``extra_codes``, or
    matches (in full) :data:`NON_PRODUCT_PATTERN` or ``extra_pattern``, and is not in
    ``products``. Codes are compared stripped and upper-cased; missing codes are never
    non-products (``missing_value`` reports them).

    Parameters
    ----------
    extra_codes : set of str
        Your shop's service codes that the rule misses (e.g. ``{"FEE1", "SHIP2"}``).
    extra_pattern : str, optional
        A regular expression for more of them, matched against the whole upper-cased code
        (e.g. ``r"SVC-\\d+"``).
    products : set of str
        Codes that are products although the rule says otherwise (e.g. ``{"DCGSSBOY"}``).

    Examples
    --------
    >>> rule = NonProductRule(extra_codes={"FEE1"}, products={"GIFTBOX"})
    >>> rule.mask(["POST", "85123A", "ADJUST2", "fee1", "GIFTBOX", "POST1"]).tolist()
    [True, False, True, True, False, False]
    """

    extra_codes: frozenset = frozenset()
    extra_pattern: str | None = None
    products: frozenset = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra_codes", _code_set(self.extra_codes, "extra_codes"))
        object.__setattr__(self, "products", _code_set(self.products, "products"))
        if self.extra_pattern is not None:
            if not isinstance(self.extra_pattern, str):
                raise TypeError(f"extra_pattern must be a regular expression (text), got "
                                f"{self.extra_pattern!r}")
            try:
                re.compile(self.extra_pattern)
            except re.error as err:
                raise ValueError(f"extra_pattern {self.extra_pattern!r} is not a valid "
                                 f"regular expression ({err})") from None

    def mask(self, codes) -> np.ndarray:
        """One bool per code: True for a non-product line."""
        code = pd.Series(codes).astype("string").str.strip().str.upper()
        pattern = NON_PRODUCT_PATTERN
        if self.extra_pattern:
            pattern = f"{pattern}|(?:{self.extra_pattern})"
        hit = code.isin(NON_PRODUCT_CODES | self.extra_codes)
        hit |= code.str.fullmatch(pattern)
        hit &= ~code.isin(self.products) & ~code.str.lower().isin(_MISSING_TEXT)
        return hit.fillna(False).to_numpy(bool)


def is_non_product(codes, rule: NonProductRule | None = None) -> np.ndarray:
    """True for each StockCode that is a service or bookkeeping line (see
    :class:`NonProductRule`; ``rule`` defaults to ``NonProductRule()``).

    Examples
    --------
    >>> is_non_product(["POST", "85123A", "ADJUST", "SP1002", "TEST001", "PADS", "C2"]).tolist()
    [True, False, True, True, True, True, True]
    """
    return (NonProductRule() if rule is None else rule).mask(codes)


@dataclass(frozen=True)
class Rule:
    """One data-quality rule.

    Attributes
    ----------
    name : str
        Identifier used in reports and gate thresholds.
    why : str
        One sentence a reader understands: what the failing rows are.
    mask : callable
        ``mask(df, context) -> bool ndarray`` of failing rows.
    """

    name: str
    why: str
    mask: Callable[[pd.DataFrame, dict], np.ndarray]


#: Columns whose value every row needs (Description is a free-text label and may be
#: missing: 1,454 Online Retail lines lack it, all of them without a customer id).
VALUE_COLUMNS = ("InvoiceNo", "StockCode", "Quantity", "UnitPrice", "Country")

#: Upper bound on a plausible unit price. The largest in Online Retail is 38,970 (a manual
#: adjustment); a price above this is a unit or typing error (``absurd_price``).
MAX_UNIT_PRICE = 100_000.0

#: ``isolated_late_date``: rows after a gap longer than this with no rows at all ...
LATE_GAP_DAYS = 30
#: ... that hold at most this share of the dated rows. (Online Retail's longest gap is
#: 11.7 days, over Christmas 2010.)
LATE_MAX_SHARE = 0.01

#: Strings that mean "no value" when a missing value was turned into text
#: (``astype(str)`` writes NaN as "nan" and pd.NA as "<NA>"); compared stripped, lower-case.
_MISSING_TEXT = frozenset({"", "nan", "none", "null", "<na>", "nat"})

_ADDED_COLUMNS = ("reason", "all_reasons")


def _validate(df: pd.DataFrame) -> None:
    check_transactions(df, what="the table")
    for col in ("Quantity", "UnitPrice"):
        dtype = df[col].dtype
        if (not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_complex_dtype(dtype)):
            raise TypeError(
                f"{col} must be numeric (integers or floats), got dtype {dtype}; convert it "
                f"with pd.to_numeric(df['{col}'], errors='coerce')"
            )
    dtype = df["InvoiceDate"].dtype
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise TypeError(
            f"InvoiceDate must be datetime64 or text, got dtype {dtype} (numbers are ambiguous: "
            f"seconds? days? since when?); convert it, e.g. "
            f"pd.to_datetime(df['InvoiceDate'], unit='s')"
        )


def _dates(df: pd.DataFrame) -> pd.Series:
    d = df["InvoiceDate"]
    if pd.api.types.is_datetime64_any_dtype(d):
        return d
    return pd.to_datetime(d, format="%Y-%m-%d %H:%M:%S", errors="coerce")


def _number(df: pd.DataFrame, col: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing (works for nullable dtypes)."""
    return df[col].to_numpy(dtype=float, na_value=np.nan)


def _missing(s: pd.Series) -> np.ndarray:
    """Missing, blank, or a missing value written as text ("nan", "None", "<NA>")."""
    out = np.array(s.isna(), dtype=bool)
    dtype = s.dtype
    if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)):
        text = s.astype("string").str.strip().str.lower()
        out |= np.array(text.isin(_MISSING_TEXT).fillna(False), dtype=bool)
    return out


def _codes(values) -> np.ndarray:
    """Integer codes that order ``values`` by content (missing first), for any hashables."""
    try:
        codes, _ = pd.factorize(values, sort=True)
        return np.asarray(codes)
    except TypeError:  # mixed types that do not compare with each other, or unhashable
        pass
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable values (lists, dicts)
        codes, uniques = pd.factorize(pd.Index([repr(v) for v in values], dtype=object))
    keys = [(type(u).__name__, repr(u)) for u in uniques]
    rank = np.empty(len(keys), dtype=np.int64)
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    codes = np.asarray(codes)
    return np.where(codes >= 0, rank[np.clip(codes, 0, None)] if len(keys) else codes, -1)


def _content_codes(df: pd.DataFrame) -> np.ndarray:
    """(n_rows, n_columns) codes of every column; equal rows have equal codes."""
    if df.shape[1] == 0:
        return np.zeros((len(df), 0), dtype=np.int64)
    return np.column_stack([_codes(df.iloc[:, j]) for j in range(df.shape[1])])


def _canonical_rank(df: pd.DataFrame, ctx: dict | None = None) -> np.ndarray:
    """Rank of each row in an order fixed by content, then index label, then position.

    Used to break ties, so results do not depend on the row order or on the index.
    """
    if ctx is not None and "rank" in ctx:
        return ctx["rank"]
    content = _content_codes(df)
    labels = _codes(df.index.to_flat_index() if isinstance(df.index, pd.MultiIndex) else df.index)
    dates = _dates(df)
    date_key = (dates.to_numpy(dtype="datetime64[ns]").astype(np.int64) if len(df)
                else np.zeros(0, np.int64))  # NaT sorts first
    keys = [np.arange(len(df)), labels]
    keys += [content[:, j] for j in range(content.shape[1] - 1, -1, -1)]
    order = np.lexsort(keys + [date_key])  # last key is the primary one: date first
    rank = np.empty(len(df), dtype=np.int64)
    rank[order] = np.arange(len(df))
    if ctx is not None:
        ctx["rank"], ctx["content"], ctx["order"] = rank, content, order
    return rank


def _is_cancellation(df: pd.DataFrame) -> np.ndarray:
    inv = df["InvoiceNo"].astype("string").str.strip().str.upper()
    return inv.str.startswith("C").fillna(False).to_numpy(bool)


def _as_of(as_of) -> pd.Timestamp:
    if as_of is None:
        return pd.Timestamp.now()
    return as_date(as_of, "as_of", "2011-12-10")


def match_cancellations(df: pd.DataFrame) -> pd.DataFrame:
    """Pair each cancellation line with the purchase line it reverses.

    A purchase matches a cancellation when customer, StockCode and absolute quantity are
    equal and the purchase is not later than the cancellation; among candidates the most
    recent purchase is taken, and each purchase reverses at most one cancellation. Rows
    without a customer id (missing, blank, or "nan" text) are never paired: they may
    belong to different people. Rows are paired by position, so repeated or unsorted
    index labels cannot pair one customer's cancellation with another customer's row;
    ties in date are broken by row content, so the row order does not matter either.

    Parameters
    ----------
    df : DataFrame
        Transactions with the Online Retail columns.

    Returns
    -------
    DataFrame
        One row per matched pair: ``cancel_index`` and ``original_index`` (labels of
        ``df.index``, possibly repeated), ``cancel_row`` and ``original_row`` (positions,
        unique), ``CustomerID``, ``StockCode``, ``Quantity`` (the cancelled units).
    """
    _validate(df)
    return _match(df, {})


def _match(df: pd.DataFrame, ctx: dict) -> pd.DataFrame:
    cols = ["cancel_index", "original_index", "cancel_row", "original_row", "CustomerID",
            "StockCode", "Quantity"]
    dates = _dates(df)
    q = _number(df, "Quantity")
    work = pd.DataFrame(
        {
            "row": np.arange(len(df)),
            "rank": _canonical_rank(df, ctx),
            "CustomerID": df["CustomerID"].astype("string").str.strip().to_numpy(),
            "StockCode": df["StockCode"].astype("string").str.strip().str.upper().to_numpy(),
            "units": np.abs(q),
            "date": dates.to_numpy(),
        }
    )
    canc = _is_cancellation(df)
    keep = (~_missing(df["CustomerID"]) & ~_missing(df["StockCode"]) & dates.notna().to_numpy()
            & np.isfinite(q))
    c = work[canc & (q < 0) & keep]
    p = work[~canc & (q > 0) & keep]
    if c.empty or p.empty:
        dtypes = {"cancel_row": np.int64, "original_row": np.int64, "Quantity": float}
        return pd.DataFrame({k: pd.Series(dtype=dtypes.get(k, object)) for k in cols})
    cand = c.merge(p, on=["CustomerID", "StockCode", "units"], suffixes=("_c", "_p"))
    cand = cand[cand["date_p"] <= cand["date_c"]]
    cand = cand.sort_values(["date_c", "rank_c", "date_p", "rank_p"],
                            ascending=[True, True, False, False])
    # Greedy rounds: each open cancellation takes its most recent unused original; an
    # original claimed twice goes to the earlier cancellation, the loser tries again.
    matched = []
    while not cand.empty:
        m = cand.drop_duplicates("row_c", keep="first").drop_duplicates("row_p", keep="first")
        matched.append(m)
        cand = cand[~cand["row_c"].isin(m["row_c"]) & ~cand["row_p"].isin(m["row_p"])]
    m = pd.concat(matched) if matched else cand
    m = m.sort_values(["date_c", "rank_c"])
    idx = df.index.to_numpy()
    return pd.DataFrame(
        {
            "cancel_index": idx[m["row_c"].to_numpy()],
            "original_index": idx[m["row_p"].to_numpy()],
            "cancel_row": m["row_c"].to_numpy(np.int64),
            "original_row": m["row_p"].to_numpy(np.int64),
            "CustomerID": m["CustomerID"].to_numpy(),
            "StockCode": m["StockCode"].to_numpy(),
            "Quantity": m["units"].to_numpy(),
        }
    ).reset_index(drop=True)


def _non_product(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    return is_non_product(df["StockCode"], ctx.get("non_product"))


def _outlier(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    q = _number(df, "Quantity")
    pos = np.isfinite(q) & (q > 0)
    out = np.zeros(len(df), dtype=bool)
    if pos.sum() < 2:
        ctx["outlier_threshold"] = np.nan
        return out
    logq = np.log(q[pos])
    med = np.median(logq)
    mad = 1.4826 * np.median(np.abs(logq - med))
    if mad == 0:
        ctx["outlier_threshold"] = np.nan
        return out
    threshold = float(np.exp(med + ctx.get("outlier_z", 4.0) * mad))
    ctx["outlier_threshold"] = threshold
    out[pos] = q[pos] > threshold
    return out


def _cancelled_original(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    if "cancellation_pairs" not in ctx:  # computed once per check, reused in the report
        ctx["cancellation_pairs"] = _match(df, ctx)
    out = np.zeros(len(df), dtype=bool)
    out[ctx["cancellation_pairs"]["original_row"].to_numpy(np.int64)] = True
    return out


def _duplicate(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    # An exact copy (every column equal) of a row that comes earlier in the canonical
    # order (content, then label, then position): with a RangeIndex in file order that
    # is the first copy in the file, and it does not depend on how rows are shuffled.
    # Equal rows have equal dates and codes, so the canonical order puts them side by side.
    rank = _canonical_rank(df, ctx)
    content = ctx["content"] if "content" in ctx else _content_codes(df)
    out = np.zeros(len(df), dtype=bool)
    if len(df) < 2:
        return out
    order = np.empty_like(rank)
    order[rank] = np.arange(len(rank))  # the inverse permutation
    cs = content[order]
    out[order[1:]] = np.all(cs[1:] == cs[:-1], axis=1)
    return out


def _aligned_as_of(ctx: dict, dates: pd.Series) -> pd.Timestamp:
    as_of = ctx["as_of"] if "as_of" in ctx else pd.Timestamp.now()
    tz = getattr(dates.dt, "tz", None)
    if tz is not None and as_of.tzinfo is None:
        return as_of.tz_localize(tz)
    if tz is None and as_of.tzinfo is not None:
        return as_of.tz_convert(None)
    return as_of


def _future(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    dates = _dates(df)
    if len(df) == 0:
        return np.zeros(0, dtype=bool)
    as_of = _aligned_as_of(ctx, dates)
    return (dates.dt.normalize() > as_of.normalize()).fillna(False).to_numpy(bool)


def _late(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    dates = _dates(df)
    out = np.zeros(len(df), dtype=bool)
    ctx["late_date_start"] = pd.NaT
    ok = dates.notna().to_numpy()
    if ok.sum() < 2:
        return out
    ns = dates[ok].to_numpy(dtype="datetime64[ns]").astype(np.int64) if dates.dt.tz is None \
        else dates[ok].dt.tz_convert(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    days = np.unique(ns)
    gaps = np.diff(days)
    limit = int(LATE_GAP_DAYS * 86_400 * 1e9)
    sorted_ns = np.sort(ns)
    for k in np.flatnonzero(gaps > limit):  # earliest qualifying gap: the largest tail
        start = days[k + 1]
        tail = len(sorted_ns) - np.searchsorted(sorted_ns, start, side="left")
        if tail <= LATE_MAX_SHARE * len(ns):
            out[np.flatnonzero(ok)[ns >= start]] = True
            ctx["late_date_start"] = pd.Timestamp(start)
            break
    return out


def _missing_values(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    out = np.zeros(len(df), dtype=bool)
    for col in VALUE_COLUMNS:
        out |= _missing(df[col])
    return out


def rules() -> list[Rule]:
    """The default rules, in the order used to attribute a removed row to one reason.

    The outlier rule reads its limit (``outlier_z``) and the future-date rule its reference
    date (``as_of``) from the context :func:`check` passes.

    The rules that judge a row by itself or with its own customer's rows are all but two:
    ``isolated_late_date`` and ``outlier_quantity`` compare a row with the whole table
    (where the bulk of the dates / quantities lies), so by design they depend on the
    other rows.
    """
    return [
        Rule(
            "unparseable_date",
            "InvoiceDate is missing or not a valid date-time",
            lambda df, ctx: _dates(df).isna().to_numpy(),
        ),
        Rule(
            "future_date",
            "InvoiceDate is on a day after as_of (default: today): a clock or typing error",
            _future,
        ),
        Rule(
            "isolated_late_date",
            f"InvoiceDate after a gap of more than {LATE_GAP_DAYS} days with no rows, and "
            f"such rows are at most {LATE_MAX_SHARE:.0%} of the table: far after the bulk",
            _late,
        ),
        Rule(
            "missing_customer_id",
            "CustomerID is missing: the line cannot be tied to a customer",
            lambda df, ctx: _missing(df["CustomerID"]),
        ),
        Rule(
            "missing_value",
            "InvoiceNo, StockCode, Quantity, UnitPrice or Country is missing or blank",
            _missing_values,
        ),
        Rule(
            "duplicate_row",
            "exact copy of an earlier row (all columns equal)",
            _duplicate,
        ),
        Rule(
            "cancellation",
            "InvoiceNo starts with 'C': a cancelled order line",
            lambda df, ctx: _is_cancellation(df),
        ),
        Rule(
            "cancelled_original",
            "purchase reversed by a later cancellation (same customer, product, quantity)",
            _cancelled_original,
        ),
        Rule(
            "non_positive_quantity",
            "Quantity <= 0 on an invoice that is not a cancellation (stock adjustment)",
            lambda df, ctx: (lambda q: ((q <= 0) | np.isnan(q)) & ~_is_cancellation(df))(
                _number(df, "Quantity")),
        ),
        Rule(
            "non_integer_quantity",
            "Quantity is not a whole number (2.5 units) or is infinite",
            lambda df, ctx: (lambda q: np.isinf(q) | (np.isfinite(q) & (q != np.round(q))))(
                _number(df, "Quantity")),
        ),
        Rule(
            "non_positive_price",
            "UnitPrice <= 0 or missing (free items, bad-debt adjustments)",
            lambda df, ctx: (lambda p: (p <= 0) | np.isnan(p))(_number(df, "UnitPrice")),
        ),
        Rule(
            "absurd_price",
            f"UnitPrice is infinite or above {MAX_UNIT_PRICE:,.0f} per unit (a unit or "
            f"typing error)",
            lambda df, ctx: (lambda p: np.isinf(p) | (p > MAX_UNIT_PRICE))(
                _number(df, "UnitPrice")),
        ),
        Rule(
            "non_product_stockcode",
            "a service or bookkeeping line, not a product (postage, fees, vouchers, ...)",
            _non_product,
        ),
        Rule(
            "outlier_quantity",
            "Quantity far above usual (robust z-score of log quantity above the limit)",
            _outlier,
        ),
    ]


@dataclass
class QualityReport:
    """Per-rule results of :func:`check`.

    Attributes
    ----------
    table : DataFrame
        One row per rule: ``rule``, ``why``, ``n_failing`` (rows failing this rule, rules
        may overlap), ``share_failing`` (of all rows), ``n_removed`` (rows whose first
        failing rule, in rule order, is this one; sums to the rows removed).
    flags : DataFrame of bool, shape (n_rows, n_rules)
        Which rule each row fails, indexed like the input (labels may repeat; use
        positions, ``flags.iloc``, to tie a flag to a row).
    n_rows : int
        Rows checked.
    details : dict
        Extra facts: matched cancellation pairs, the outlier threshold in units, the
        ``as_of`` date, where the isolated late rows start (NaT if none) and the price bound.
    """

    table: pd.DataFrame
    flags: pd.DataFrame
    n_rows: int
    details: dict

    def share(self, rule: str) -> float:
        """Share of rows failing ``rule`` (0 for an empty table)."""
        row = self.table.loc[self.table["rule"] == rule]
        if row.empty:
            raise KeyError(f"no rule named {rule!r}; rules are {list(self.table['rule'])}")
        return float(row["share_failing"].iloc[0])

    def __repr__(self) -> str:
        return (
            f"QualityReport({self.n_rows:,} rows, "
            f"{int(self.table['n_removed'].sum()):,} would be removed)\n"
            + self.table[["rule", "n_failing", "share_failing", "n_removed"]].to_string(
                index=False
            )
        )


def _check_z(outlier_z) -> float:
    if isinstance(outlier_z, (bool, np.bool_)) or not isinstance(outlier_z, (int, float, np.number)):
        raise TypeError(f"outlier_z must be a number, got {outlier_z!r}")
    if not np.isfinite(outlier_z) or outlier_z <= 0:
        raise ValueError(
            f"outlier_z must be a finite number > 0, got {outlier_z}; to switch the outlier "
            f"rule off, leave 'outlier_quantity' out of clean(apply=...)"
        )
    return float(outlier_z)


def check(df: pd.DataFrame, *, outlier_z: float = 4.0, rule_set: Sequence[Rule] | None = None,
          as_of=None, non_product: NonProductRule | None = None) -> QualityReport:
    """Run every rule on a transaction table and report failures per rule.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, >=8)
        Transactions with the Online Retail columns. Any index works: unsorted, repeated
        labels, not a RangeIndex.
    outlier_z : float, default 4.0
        Limit on the robust z-score (median and 1.4826 * MAD) of log quantity among
        positive quantities; on Online Retail this means about 2,000 units or more.
    rule_set : sequence of Rule, optional
        Defaults to :func:`rules`.
    as_of : date-like, optional
        The day the data was extracted: rows dated on a later calendar day fail
        ``future_date``. Defaults to today (the machine's clock). Whole days are compared,
        so a time-zone difference of a few hours is never called future.
    non_product : NonProductRule, optional
        Which StockCodes ``non_product_stockcode`` flags; defaults to ``NonProductRule()``
        (services and bookkeeping recognised by rule, see :data:`NON_PRODUCT_PATTERN`).
        Pass ``NonProductRule(extra_codes=..., products=...)`` for your shop's codes.

    Returns
    -------
    QualityReport

    Raises
    ------
    TypeError, ValueError
        The input is not a DataFrame, misses or doubles a required column, has a
        non-numeric Quantity/UnitPrice or a numeric InvoiceDate; a parameter is invalid; a
        rule's mask does not have one boolean per row.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"InvoiceNo": ["1", "C2"], "StockCode": ["A", "A"],
    ...     "Description": ["a", "a"], "Quantity": [2, -2],
    ...     "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-02"]),
    ...     "UnitPrice": [1.0, 1.0], "CustomerID": ["7", "7"], "Country": ["UK", "UK"]})
    >>> check(t).table.set_index("rule")["n_failing"][["cancellation", "cancelled_original"]].tolist()
    [1, 1]
    """
    _validate(df)
    if non_product is not None and not isinstance(non_product, NonProductRule):
        raise TypeError(f"non_product must be a NonProductRule, e.g. NonProductRule("
                        f"extra_codes={{'FEE'}}), got {type(non_product).__name__}")
    ctx: dict = {"outlier_z": _check_z(outlier_z), "as_of": _as_of(as_of),
                 "non_product": non_product}
    rs = list(rules() if rule_set is None else rule_set)
    n = len(df)
    masks = {}
    for r in rs:
        m = np.asarray(r.mask(df, ctx))
        if m.shape != (n,):
            raise ValueError(f"rule {r.name!r} returned a mask of shape {m.shape}, expected ({n},)")
        masks[r.name] = m.astype(bool)
    if len(masks) != len(rs):
        raise ValueError(f"rule names must be unique, got {[r.name for r in rs]}")
    flags = pd.DataFrame(masks, index=df.index)
    F = flags.to_numpy(bool).reshape(n, len(rs))
    first = np.where(F.any(axis=1), F.argmax(axis=1) if len(rs) else 0, -1)
    n_removed = np.bincount(first[first >= 0], minlength=len(rs))
    n_failing = F.sum(axis=0).astype(int)
    table = pd.DataFrame(
        {
            "rule": [r.name for r in rs],
            "why": [r.why for r in rs],
            "n_failing": n_failing,
            "share_failing": (n_failing / n) if n else np.zeros(len(rs)),
            "n_removed": n_removed.astype(int),
        }
    )
    details = {
        "cancellation_pairs": (ctx["cancellation_pairs"] if "cancellation_pairs" in ctx
                               else _match(df, ctx)),
        "outlier_threshold_units": ctx.get("outlier_threshold", np.nan),
        "as_of": ctx["as_of"],
        "late_date_start": ctx.get("late_date_start", pd.NaT),
        "max_unit_price": MAX_UNIT_PRICE,
    }
    return QualityReport(table=table, flags=flags, n_rows=n, details=details)


@dataclass
class CleanResult:
    """What :func:`clean` returns.

    Attributes
    ----------
    clean : DataFrame
        Rows that pass every applied rule, in input order, with their original labels.
    removed : DataFrame
        Every removed row (input order, original labels) with two extra columns:
        ``reason`` (first failing rule) and ``all_reasons`` (every failing applied rule,
        ``;``-separated).
    report : QualityReport
        The per-rule report, with ``n_removed`` restricted to the applied rules.
    """

    clean: pd.DataFrame
    removed: pd.DataFrame
    report: QualityReport

    def summary(self) -> str:
        """One line: rows in, kept, removed."""
        n = self.report.n_rows
        return (
            f"{n:,} rows in, {len(self.clean):,} kept, {len(self.removed):,} removed "
            f"({len(self.removed) / n:.1%})" if n else "0 rows in, 0 kept, 0 removed"
        )


def clean(
    df: pd.DataFrame,
    *,
    apply: Sequence[str] | None = None,
    outlier_z: float = 4.0,
    as_of=None,
    non_product: NonProductRule | None = None,
) -> CleanResult:
    """Remove the rows failing the chosen rules and report each removal.

    Parameters
    ----------
    df : DataFrame
        Transactions with the Online Retail columns; any index (unsorted, repeated labels).
    apply : sequence of str, optional
        Names of the rules that remove rows (default: all rules). Rules not applied are
        still reported in ``report.table`` (``n_failing``) but remove nothing; an empty
        list removes nothing (every row is kept and accounted for).
    outlier_z : float, default 4.0
        See :func:`check`.
    as_of : date-like, optional
        See :func:`check`: rows dated after this day are removed as ``future_date``.
        Defaults to today.
    non_product : NonProductRule, optional
        See :func:`check`: which StockCodes are services, not products.

    Returns
    -------
    CleanResult
        ``len(result.clean) + len(result.removed) == len(df)``; both keep ``df``'s labels.

    Raises
    ------
    TypeError
        ``apply`` is a single string instead of a list of names.
    ValueError
        An unknown rule name in ``apply`` (the message lists the valid names); the input
        already has a ``reason`` or ``all_reasons`` column.
    """
    _validate(df)
    clash = [c for c in _ADDED_COLUMNS if c in df.columns]
    if clash:
        raise ValueError(
            f"the table already has column(s) {clash}, which clean() adds to the removed "
            f"rows (is it the .removed of an earlier clean?); rename them first, e.g. "
            f"df.rename(columns={{'reason': 'old_reason'}})"
        )
    if isinstance(apply, str):
        raise TypeError(f"apply must be a list of rule names, got the string {apply!r}; "
                        f"write apply=[{apply!r}]")
    report = check(df, outlier_z=outlier_z, as_of=as_of, non_product=non_product)
    names = list(report.flags.columns)
    apply = names if apply is None else list(apply)
    unknown = [a for a in apply if a not in names]
    if unknown:
        raise ValueError(f"unknown rule(s) {unknown}; valid rules are {names}")
    cols = np.array([n for n in names if n in apply], dtype=object)
    n = len(df)
    A = report.flags[list(cols)].to_numpy(bool).reshape(n, len(cols))
    removed_mask = A.any(axis=1)
    rows_removed = np.flatnonzero(removed_mask)
    removed = df.iloc[rows_removed].copy()
    if len(cols):
        removed["reason"] = cols[A[rows_removed].argmax(axis=1)] if len(rows_removed) else []
        # one string per distinct pattern of failing rules, not per row
        R = A[rows_removed]
        if len(cols) <= 62:
            bits = R.astype(np.int64) @ (np.int64(1) << np.arange(len(cols), dtype=np.int64))
            _, first_row, inverse = np.unique(bits, return_index=True, return_inverse=True)
            texts = np.array([";".join(cols[R[i]]) for i in first_row], dtype=object)
            removed["all_reasons"] = texts[np.asarray(inverse).reshape(-1)] if len(R) else []
        else:
            removed["all_reasons"] = [";".join(cols[r]) for r in R]
    else:
        removed["reason"] = pd.Series([], dtype=object, index=removed.index)
        removed["all_reasons"] = pd.Series([], dtype=object, index=removed.index)
    kept = df.iloc[np.flatnonzero(~removed_mask)].copy()
    table = report.table.copy()
    counts = pd.Series(removed["reason"]).value_counts()
    table["n_removed"] = [int(counts.get(r, 0)) for r in table["rule"]]
    table["applied"] = table["rule"].isin(apply)
    new_report = QualityReport(table=table, flags=report.flags, n_rows=report.n_rows,
                               details=report.details)
    if len(kept) + len(removed) != n:  # pragma: no cover - an invariant, not input
        raise RuntimeError("quality.clean lost rows; please report this as a bug")
    return CleanResult(clean=kept, removed=removed, report=new_report)


def inject_faults(
    df: pd.DataFrame,
    *,
    unparseable_dates: float = 0.0,
    missing_customer_id: float = 0.0,
    duplicate_rows: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Return a copy of ``df`` with known faults, to show what the checks and the gate catch.

    Parameters
    ----------
    df : DataFrame
        Transactions with the Online Retail columns.
    unparseable_dates, missing_customer_id : float in [0, 1]
        Share of rows whose InvoiceDate becomes NaT / whose CustomerID becomes missing.
    duplicate_rows : float in [0, 1]
        Share of rows appended again as exact copies (the result is longer).
    seed : int
        Seed for choosing the rows.

    Returns
    -------
    DataFrame
        The faulty copy; ``df`` is not modified.
    """
    _validate(df)
    for name, share in (("unparseable_dates", unparseable_dates),
                        ("missing_customer_id", missing_customer_id),
                        ("duplicate_rows", duplicate_rows)):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} must be a share in [0, 1], got {share}")
    rng = np.random.default_rng(seed)
    out = df.copy()
    n = len(out)
    if unparseable_dates:
        rows = rng.choice(n, size=int(round(unparseable_dates * n)), replace=False)
        dates = _dates(out).copy()
        dates.iloc[rows] = pd.NaT
        out["InvoiceDate"] = dates
    if missing_customer_id:
        rows = rng.choice(n, size=int(round(missing_customer_id * n)), replace=False)
        out["CustomerID"] = out["CustomerID"].astype("string")
        out.iloc[rows, out.columns.get_loc("CustomerID")] = pd.NA
    if duplicate_rows:
        rows = rng.choice(n, size=int(round(duplicate_rows * n)), replace=False)
        out = pd.concat([out, out.iloc[np.sort(rows)]], ignore_index=True)
    return out
