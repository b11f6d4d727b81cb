"""Data-quality checks and cleaning for transaction tables (article section 2.4).

Every rule reports how many rows fail it and why. Cleaning returns the clean table AND the
removed rows with the rule that removed each, so nothing disappears unreported:
``len(clean) + len(removed) == len(raw)`` always holds.

The table must have the Online Retail columns: InvoiceNo, StockCode, Description,
Quantity, InvoiceDate, UnitPrice, CustomerID, Country (as returned by
:func:`retail_lab.datasets.load_online_retail`, or simulated logs in the same schema).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "REQUIRED_COLUMNS",
    "NON_PRODUCT_CODES",
    "Rule",
    "QualityReport",
    "CleanResult",
    "rules",
    "check",
    "clean",
    "match_cancellations",
    "inject_faults",
]

REQUIRED_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

#: StockCodes that are services or bookkeeping, not products (upper-cased before matching).
NON_PRODUCT_CODES = frozenset(
    {
        "POST",  # postage
        "DOT",  # dotcom postage
        "C2",  # carriage
        "M",  # manual adjustment
        "D",  # discount
        "S",  # samples
        "B",  # adjust bad debt
        "BANK CHARGES",
        "AMAZONFEE",
        "CRUK",  # charity commission
    }
)
_NON_PRODUCT_PREFIXES = ("GIFT_0001_",)  # gift vouchers


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


def _validate(df: pd.DataFrame) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"the table misses column(s) {missing}; quality checks need the Online Retail "
            f"columns {list(REQUIRED_COLUMNS)} (load it with "
            f"retail_lab.datasets.load_online_retail or rename your columns)"
        )
    if not pd.api.types.is_numeric_dtype(df["Quantity"]):
        raise TypeError(
            f"Quantity must be numeric, got dtype {df['Quantity'].dtype}; convert it with "
            f"pd.to_numeric(df['Quantity'], errors='coerce')"
        )
    if not pd.api.types.is_numeric_dtype(df["UnitPrice"]):
        raise TypeError(
            f"UnitPrice must be numeric, got dtype {df['UnitPrice'].dtype}; convert it with "
            f"pd.to_numeric(df['UnitPrice'], errors='coerce')"
        )


def _dates(df: pd.DataFrame) -> pd.Series:
    d = df["InvoiceDate"]
    if pd.api.types.is_datetime64_any_dtype(d):
        return d
    return pd.to_datetime(d, format="%Y-%m-%d %H:%M:%S", errors="coerce")


def _is_cancellation(df: pd.DataFrame) -> np.ndarray:
    return df["InvoiceNo"].astype("string").str.upper().str.startswith("C").fillna(False).to_numpy(bool)


def match_cancellations(df: pd.DataFrame) -> pd.DataFrame:
    """Pair each cancellation line with the purchase line it reverses.

    A purchase matches a cancellation when customer, StockCode and absolute quantity are
    equal and the purchase is not later than the cancellation; among candidates the most
    recent purchase is taken, and each purchase reverses at most one cancellation.

    Parameters
    ----------
    df : DataFrame
        Transactions with the Online Retail columns.

    Returns
    -------
    DataFrame
        One row per matched pair: ``cancel_index`` and ``original_index`` (labels of
        ``df.index``), ``CustomerID``, ``StockCode``, ``Quantity`` (the cancelled units).
    """
    _validate(df)
    dates = _dates(df)
    work = pd.DataFrame(
        {
            "row": np.arange(len(df)),
            "CustomerID": df["CustomerID"].astype("string"),
            "StockCode": df["StockCode"].astype("string"),
            "units": df["Quantity"].abs(),
            "date": dates,
        }
    )
    canc = _is_cancellation(df) & (df["Quantity"].to_numpy() < 0)
    keep = work["CustomerID"].notna().to_numpy() & work["date"].notna().to_numpy()
    c = work[canc & keep]
    p = work[~_is_cancellation(df) & (df["Quantity"].to_numpy() > 0) & keep]
    if c.empty or p.empty:
        return pd.DataFrame(
            columns=["cancel_index", "original_index", "CustomerID", "StockCode", "Quantity"]
        )
    cand = c.merge(p, on=["CustomerID", "StockCode", "units"], suffixes=("_c", "_p"))
    cand = cand[cand["date_p"] <= cand["date_c"]]
    cand = cand.sort_values(["date_c", "row_c", "date_p", "row_p"],
                            ascending=[True, True, False, False])
    # Greedy rounds: each open cancellation takes its most recent unused original; an
    # original claimed twice goes to the earlier cancellation, the loser tries again.
    matched = []
    while not cand.empty:
        m = cand.drop_duplicates("row_c", keep="first").drop_duplicates("row_p", keep="first")
        matched.append(m)
        cand = cand[~cand["row_c"].isin(m["row_c"]) & ~cand["row_p"].isin(m["row_p"])]
    m = pd.concat(matched) if matched else cand
    m = m.sort_values(["date_c", "row_c"])
    idx = df.index.to_numpy()
    return pd.DataFrame(
        {
            "cancel_index": idx[m["row_c"].to_numpy()],
            "original_index": idx[m["row_p"].to_numpy()],
            "CustomerID": m["CustomerID"].to_numpy(),
            "StockCode": m["StockCode"].to_numpy(),
            "Quantity": m["units"].to_numpy(),
        }
    ).reset_index(drop=True)


def _non_product(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    code = df["StockCode"].astype("string").str.strip().str.upper()
    hit = code.isin(NON_PRODUCT_CODES)
    for prefix in _NON_PRODUCT_PREFIXES:
        hit |= code.str.startswith(prefix)
    return hit.fillna(False).to_numpy(bool)


def _outlier(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    q = df["Quantity"].to_numpy(dtype=float)
    pos = q > 0
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
    threshold = float(np.exp(med + ctx["outlier_z"] * mad))
    ctx["outlier_threshold"] = threshold
    out[pos] = q[pos] > threshold
    return out


def _cancelled_original(df: pd.DataFrame, ctx: dict) -> np.ndarray:
    if "cancellation_pairs" not in ctx:  # computed once per check, reused in the report
        ctx["cancellation_pairs"] = match_cancellations(df)
    pairs = ctx["cancellation_pairs"]
    return df.index.isin(pairs["original_index"])


def rules() -> list[Rule]:
    """The default rules, in the order used to attribute a removed row to one reason.

    The outlier rule reads its limit (``outlier_z``) from the context :func:`check` passes.
    """
    return [
        Rule(
            "unparseable_date",
            "InvoiceDate is missing or not a valid date-time",
            lambda df, ctx: _dates(df).isna().to_numpy(),
        ),
        Rule(
            "missing_customer_id",
            "CustomerID is missing: the line cannot be tied to a customer",
            lambda df, ctx: df["CustomerID"].isna().to_numpy(),
        ),
        Rule(
            "duplicate_row",
            "exact copy of an earlier row (all columns equal)",
            lambda df, ctx: df.duplicated(keep="first").to_numpy(),
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
            lambda df, ctx: ((df["Quantity"] <= 0) | df["Quantity"].isna()).to_numpy()
            & ~_is_cancellation(df),
        ),
        Rule(
            "non_positive_price",
            "UnitPrice <= 0 or missing (free items, bad-debt adjustments)",
            lambda df, ctx: ((df["UnitPrice"] <= 0) | df["UnitPrice"].isna()).to_numpy(),
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
        Which rule each row fails, indexed like the input.
    n_rows : int
        Rows checked.
    details : dict
        Extra facts: matched cancellation pairs, the outlier threshold in units.
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


def check(df: pd.DataFrame, *, outlier_z: float = 4.0, rule_set: Sequence[Rule] | None = None) -> QualityReport:
    """Run every rule on a transaction table and report failures per rule.

    Parameters
    ----------
    df : DataFrame, shape (n_rows, >=8)
        Transactions with the Online Retail columns.
    outlier_z : float, default 4.0
        Limit on the robust z-score (median and 1.4826 * MAD) of log quantity among
        positive quantities; on Online Retail this means about 2,000 units or more.
    rule_set : sequence of Rule, optional
        Defaults to :func:`rules`.

    Returns
    -------
    QualityReport

    Raises
    ------
    TypeError, ValueError
        The input is not a DataFrame, misses columns, or has non-numeric Quantity/UnitPrice.

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
    if outlier_z <= 0:
        raise ValueError(f"outlier_z must be > 0, got {outlier_z}")
    ctx: dict = {"outlier_z": float(outlier_z)}
    rs = list(rule_set) if rule_set is not None else rules()
    flags = pd.DataFrame(
        {r.name: np.asarray(r.mask(df, ctx), dtype=bool) for r in rs}, index=df.index
    )
    n = len(df)
    first = np.full(n, -1)
    for j in range(len(rs) - 1, -1, -1):
        first = np.where(flags.iloc[:, j].to_numpy(), j, first)
    n_removed = np.bincount(first[first >= 0], minlength=len(rs)) if n else np.zeros(len(rs), int)
    table = pd.DataFrame(
        {
            "rule": [r.name for r in rs],
            "why": [r.why for r in rs],
            "n_failing": flags.sum(axis=0).to_numpy().astype(int),
            "share_failing": (flags.sum(axis=0).to_numpy() / n) if n else np.zeros(len(rs)),
            "n_removed": n_removed.astype(int),
        }
    )
    details = {
        "cancellation_pairs": (ctx["cancellation_pairs"] if "cancellation_pairs" in ctx
                               else match_cancellations(df)),
        "outlier_threshold_units": ctx.get("outlier_threshold", np.nan),
    }
    return QualityReport(table=table, flags=flags, n_rows=n, details=details)


@dataclass
class CleanResult:
    """What :func:`clean` returns.

    Attributes
    ----------
    clean : DataFrame
        Rows that pass every applied rule, in input order.
    removed : DataFrame
        Every removed row with two extra columns: ``reason`` (first failing rule) and
        ``all_reasons`` (every failing rule, ``;``-separated).
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
) -> CleanResult:
    """Remove the rows failing the chosen rules and report each removal.

    Parameters
    ----------
    df : DataFrame
        Transactions with the Online Retail columns.
    apply : sequence of str, optional
        Names of the rules that remove rows (default: all rules). Rules not applied are
        still reported in ``report.table`` (``n_failing``) but remove nothing.
    outlier_z : float, default 4.0
        See :func:`check`.

    Returns
    -------
    CleanResult
        ``len(result.clean) + len(result.removed) == len(df)``.

    Raises
    ------
    ValueError
        An unknown rule name in ``apply`` (the message lists the valid names).
    """
    report = check(df, outlier_z=outlier_z)
    names = list(report.flags.columns)
    apply = names if apply is None else list(apply)
    unknown = [a for a in apply if a not in names]
    if unknown:
        raise ValueError(f"unknown rule(s) {unknown}; valid rules are {names}")
    applied = report.flags[[n for n in names if n in apply]]
    removed_mask = applied.any(axis=1).to_numpy()
    first = applied.idxmax(axis=1).where(removed_mask)
    fl = applied.to_numpy()
    cols = np.array(applied.columns)
    all_reasons = [";".join(cols[row]) for row in fl[removed_mask]]
    removed = df.loc[removed_mask].copy()
    removed["reason"] = first[removed_mask].to_numpy()
    removed["all_reasons"] = all_reasons
    kept = df.loc[~removed_mask].copy()
    table = report.table.copy()
    counts = removed["reason"].value_counts()
    table["n_removed"] = [int(counts.get(n, 0)) for n in table["rule"]]
    table["applied"] = table["rule"].isin(apply)
    new_report = QualityReport(table=table, flags=report.flags, n_rows=report.n_rows, details=report.details)
    assert len(kept) + len(removed) == len(df)
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
