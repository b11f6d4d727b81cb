"""The quality rules of :func:`retail_lab.quality.clean`, run by Apache Spark.

Same rules, same names, same order, same accounting as the pandas path: every input line
is either kept or removed, each removed line carries its first failing rule (``reason``) and
all of them (``all_reasons``), and ``kept + removed == in`` is checked. The rules' names,
explanations and parameters (the non-product pattern, the price bound, the late-date gap,
the outlier limit, the text that means "missing") are read from :mod:`retail_lab.quality`;
only their evaluation is written here, as Spark column expressions.

Lines are identified by a ``_row`` column (a long): :func:`to_spark` sets it to the line's
position in a pandas frame, :func:`read_transactions` to a unique id from Spark. Both outputs
keep it, so a line can be followed through the cleaning.

How each rule runs
------------------
Row rules (dates, missing values, signs, prices, codes) are column expressions, evaluated
where the data lie. The table-wide rules collect one small summary to the driver: the
outlier limit (exact median and MAD of log quantity, Spark's ``percentile``), and the late-
date rule (per calendar day: first and last time and line count, a few hundred rows).
Exact duplicates: a window over all columns, the first line (lowest ``_row``) stays.
Cancelled originals: only lines whose (customer, product, units) also has a cancellation
can be paired; Spark groups those by that key and pairs each group with the pandas path's
own matching function (:func:`retail_lab.quality.match_cancellations`' greedy rule), so the
pairing rule exists once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import quality as _q
from ..schema import COLUMN_NAMES

__all__ = ["ROW", "SparkCleanResult", "to_spark", "read_transactions", "standardize", "clean"]

#: The column that identifies a line (its position in the pandas input, or a unique id).
ROW = "_row"

_SCHEMA_DDL = {"InvoiceNo": "string", "StockCode": "string", "Description": "string",
               "Quantity": "double", "InvoiceDate": "timestamp", "UnitPrice": "double",
               "CustomerID": "string", "Country": "string"}


def _F():
    from pyspark.sql import functions as F

    return F


def to_spark(spark, df: pd.DataFrame):
    """A typed pandas transaction table (``load_online_retail()``, ``schema.standardize``) as a
    Spark DataFrame with the schema's columns and ``_row`` = the line's position.

    Text columns become strings (missing: null), Quantity and UnitPrice doubles (NaN stays
    NaN), InvoiceDate a timestamp (NaT: null), read in the session's time zone (UTC in
    :func:`retail_lab.spark.local_session`, so the wall-clock times are kept).
    """
    _q._validate(df)
    out = {}
    for col in COLUMN_NAMES:
        s = df[col]
        if col == "InvoiceDate":
            out[col] = _q._dates(df).to_numpy(dtype="datetime64[ns]")
        elif col in ("Quantity", "UnitPrice"):
            out[col] = s.to_numpy(dtype=float, na_value=np.nan)
        else:
            text = s.astype("string")
            out[col] = np.where(text.isna(), None, text.astype(object)).astype(object)
    out[ROW] = np.arange(len(df), dtype=np.int64)
    ddl = ", ".join(f"`{c}` {t}" for c, t in {**_SCHEMA_DDL, ROW: "long"}.items())
    return spark.createDataFrame(pd.DataFrame(out), schema=ddl)


def standardize(sdf):
    """Bring a Spark table with the schema's column names to the schema's types: CustomerID
    as text without ``.0`` (17850.0 -> "17850"), InvoiceDate as a timestamp (text in the
    form ``2010-12-01 08:26:00``), Quantity and UnitPrice as doubles; adds ``_row`` (a unique
    id) when missing."""
    F = _F()
    from pyspark.sql import types as T

    missing = [c for c in COLUMN_NAMES if c not in sdf.columns]
    if missing:
        raise ValueError(f"the table misses column(s) {missing}; retail_lab uses the Online "
                         f"Retail names {list(COLUMN_NAMES)}")
    types = dict(sdf.dtypes)
    cols = {}
    for c in ("InvoiceNo", "StockCode", "Description", "Country"):
        cols[c] = F.col(c).cast("string")
    cid = F.col("CustomerID")
    if isinstance(sdf.schema["CustomerID"].dataType, T.NumericType):
        cols["CustomerID"] = F.when(cid.isNull() | F.isnan(cid.cast("double")), None) \
            .otherwise(cid.cast("long").cast("string"))
    else:
        cols["CustomerID"] = cid.cast("string")
    if types["InvoiceDate"] == "string":
        cols["InvoiceDate"] = F.to_timestamp("InvoiceDate", "yyyy-MM-dd HH:mm:ss")
    else:
        cols["InvoiceDate"] = F.col("InvoiceDate").cast("timestamp")
    cols["Quantity"] = F.col("Quantity").cast("double")
    cols["UnitPrice"] = F.col("UnitPrice").cast("double")
    row = F.col(ROW).cast("long") if ROW in sdf.columns else F.monotonically_increasing_id()
    return sdf.select(*[cols[c].alias(c) for c in COLUMN_NAMES], row.alias(ROW))


def read_transactions(spark, path: str):
    """Read transaction lines (parquet, Online Retail's columns) with Spark, typed by
    :func:`standardize`. ``path`` may be a local path or any storage URL Spark reads
    (``s3a://bucket/lines/``, ``hdfs://...``, ``abfss://...``)."""
    return standardize(spark.read.parquet(str(path)))


@dataclass
class SparkCleanResult:
    """What :func:`clean` returns (the Spark counterpart of :class:`retail_lab.quality.CleanResult`).

    Attributes
    ----------
    clean : pyspark DataFrame
        Lines that pass every applied rule (schema columns and ``_row``).
    removed : pyspark DataFrame
        Every removed line with ``reason`` (first failing applied rule) and ``all_reasons``
        (every failing applied rule, ``;``-separated).
    report : DataFrame (pandas)
        One row per rule: ``rule``, ``why``, ``n_failing``, ``share_failing``, ``n_removed``,
        ``applied``, as ``CleanResult.report.table``.
    n_rows, n_kept, n_removed : int
        Lines in, kept and removed (``n_kept + n_removed == n_rows``, checked).
    details : dict
        ``outlier_threshold_units``, ``as_of``, ``late_date_start``, ``max_unit_price``.
    """

    clean: object
    removed: object
    report: pd.DataFrame
    n_rows: int
    n_kept: int
    n_removed: int
    details: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line: rows in, kept, removed."""
        n = self.n_rows
        return (f"{n:,} rows in, {self.n_kept:,} kept, {self.n_removed:,} removed "
                f"({self.n_removed / n:.1%})" if n else "0 rows in, 0 kept, 0 removed")


# --------------------------------------------------------------------------- expressions


def _strip(c):
    F = _F()
    return F.regexp_replace(c, r"^\s+|\s+$", "")


def _missing_text(col: str):
    F = _F()
    text = F.lower(_strip(F.col(col)))
    return F.col(col).isNull() | text.isin(*sorted(_q._MISSING_TEXT))


def _missing(col: str, numeric: bool):
    F = _F()
    if numeric:
        return F.col(col).isNull() | F.isnan(F.col(col))
    return _missing_text(col)


def _cancellation():
    F = _F()
    inv = F.upper(_strip(F.col("InvoiceNo")))
    return F.coalesce(inv.startswith("C"), F.lit(False))


def _java_pattern(python_pattern: str) -> str:
    """A Python full-match pattern as a Java regular expression anchored at both ends."""
    return f"^(?:{python_pattern})\\z"


def _non_product(rule: "_q.NonProductRule"):
    F = _F()
    code = F.upper(_strip(F.col("StockCode")))
    pattern = _q.NON_PRODUCT_PATTERN
    if rule.extra_pattern:
        pattern = f"{pattern}|(?:{rule.extra_pattern})"
    hit = code.isin(*sorted(_q.NON_PRODUCT_CODES | rule.extra_codes)) | code.rlike(_java_pattern(pattern))
    if rule.products:
        hit = hit & ~code.isin(*sorted(rule.products))
    hit = hit & ~F.lower(code).isin(*sorted(_q._MISSING_TEXT))
    return F.coalesce(hit, F.lit(False))


def _late_start(sdf):
    """Start of the isolated late dates (a Timestamp) or None, as ``quality``'s rule decides."""
    F = _F()
    days = (sdf.where(F.col("InvoiceDate").isNotNull())
            .groupBy(F.to_date("InvoiceDate").alias("day"))
            .agg(F.min(F.unix_micros("InvoiceDate")).alias("first"),
                 F.max(F.unix_micros("InvoiceDate")).alias("last"), F.count("*").alias("n"))
            .toPandas().sort_values("first"))
    n = int(days["n"].sum())
    if n < 2 or len(days) < 2:
        return None
    # gaps between consecutive distinct times: within a day they are < 1 day, so only the
    # gaps from one day's last time to the next day's first time can exceed the limit
    gaps = days["first"].to_numpy()[1:] - days["last"].to_numpy()[:-1]
    limit = _q.LATE_GAP_DAYS * 86_400 * 1_000_000
    tails = n - np.cumsum(days["n"].to_numpy())[:-1]  # lines from the next day on
    for k in np.flatnonzero(gaps > limit):
        if tails[k] <= _q.LATE_MAX_SHARE * n:
            return pd.Timestamp(int(days["first"].iloc[k + 1]), unit="us")
    return None


def _outlier_threshold(sdf, outlier_z: float) -> float:
    """exp(median + z * 1.4826 * MAD) of log positive quantities, exactly as ``quality``."""
    F = _F()
    q = F.col("Quantity")
    pos = sdf.where(q.isNotNull() & ~F.isnan(q) & (q > 0) & (q < float("inf"))) \
        .select(F.log(q).alias("lq"))
    row = pos.agg(F.count("*").alias("n"), F.percentile("lq", 0.5).alias("med")).first()
    if row["n"] < 2:
        return float("nan")
    med = float(row["med"])
    mad = 1.4826 * float(pos.agg(F.percentile(F.abs(F.col("lq") - F.lit(med)), 0.5)).first()[0])
    if mad == 0:
        return float("nan")
    return float(np.exp(med + outlier_z * mad))


def _pair_partition(batches):
    """Run the pandas pairing rule on one partition (whole (customer, product, units) groups:
    lines of different groups never pair, and the rule orders lines by content and
    ``_row``, which a subset keeps); yield the ``_row`` of each reversed purchase line."""
    parts = list(batches)
    if not parts:
        return
    pdf = pd.concat(parts, ignore_index=True)
    if pdf.empty:
        return
    df = pdf.set_index(ROW)[list(COLUMN_NAMES)]
    df.index.name = None
    pairs = _q._match(df, {})
    yield pd.DataFrame({ROW: pairs["original_index"].to_numpy(np.int64)})


def _cancelled_originals(sdf):
    """``_row`` of each purchase line reversed by a cancellation (a Spark DataFrame)."""
    F = _F()
    q = F.col("Quantity")
    keep = (~_missing_text("CustomerID") & ~_missing_text("StockCode")
            & F.col("InvoiceDate").isNotNull() & q.isNotNull() & ~F.isnan(q)
            & (F.abs(q) < float("inf")))
    keyed = (sdf.withColumn("_cust", _strip(F.col("CustomerID")))
             .withColumn("_code", F.upper(_strip(F.col("StockCode"))))
             .withColumn("_units", F.abs(q)).withColumn("_canc", _cancellation())
             .where(keep & ((F.col("_canc") & (q < 0)) | (~F.col("_canc") & (q > 0)))))
    keys = keyed.where("_canc").select("_cust", "_code", "_units").distinct()
    cand = keyed.join(keys, ["_cust", "_code", "_units"], "left_semi")
    parts = int(sdf.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    return (cand.repartition(parts, "_cust", "_code", "_units").select(*COLUMN_NAMES, ROW)
            .mapInPandas(_pair_partition, f"{ROW} long"))


def clean(sdf, *, apply=None, outlier_z: float = 4.0, as_of=None, non_product=None,
          cache: bool = True) -> SparkCleanResult:
    """Remove the lines failing the chosen rules and report each removal, with Spark.

    The same contract as :func:`retail_lab.quality.clean` (same rules, order, names and
    parameters); ``sdf`` comes from :func:`to_spark` or :func:`read_transactions`.

    Parameters
    ----------
    sdf : pyspark DataFrame
        Schema columns (typed as :func:`standardize` makes them) and ``_row``.
    apply, outlier_z, as_of, non_product
        As in :func:`retail_lab.quality.clean`.
    cache : bool, default True
        Keep the flagged table in Spark's memory (spilling to disk) while the report, the
        kept and the removed lines are computed from it.

    Returns
    -------
    SparkCleanResult
    """
    F = _F()
    if isinstance(apply, str):
        raise TypeError(f"apply must be a list of rule names, got the string {apply!r}; "
                        f"write apply=[{apply!r}]")
    if non_product is not None and not isinstance(non_product, _q.NonProductRule):
        raise TypeError(f"non_product must be a NonProductRule, got {type(non_product).__name__}")
    missing = [c for c in (*COLUMN_NAMES, ROW) if c not in sdf.columns]
    if missing:
        raise ValueError(f"the table misses column(s) {missing}; build it with "
                         f"retail_lab.spark.to_spark or read_transactions")
    clash = [c for c in _q._ADDED_COLUMNS if c in sdf.columns]
    if clash:
        raise ValueError(f"the table already has column(s) {clash}, which clean() adds")
    z = _q._check_z(outlier_z)
    when = _q._as_of(as_of)
    rule = non_product or _q.NonProductRule()
    sdf = sdf.select(*COLUMN_NAMES, ROW)
    q, p, d = F.col("Quantity"), F.col("UnitPrice"), F.col("InvoiceDate")
    inf = float("inf")

    late = _late_start(sdf)
    threshold = _outlier_threshold(sdf, z)
    originals = _cancelled_originals(sdf).withColumn("_orig", F.lit(True))
    sdf = sdf.join(originals, ROW, "left")

    exprs = {
        "unparseable_date": d.isNull(),
        "future_date": F.coalesce(F.to_date(d) > F.lit(when.date()), F.lit(False)),
        "isolated_late_date": (F.coalesce(d >= F.lit(late.to_pydatetime()), F.lit(False))
                               if late is not None else F.lit(False)),
        "missing_customer_id": _missing_text("CustomerID"),
        "missing_value": F.lit(False),
        "duplicate_row": F.row_number().over(
            __import__("pyspark.sql.window", fromlist=["Window"]).Window
            .partitionBy(*COLUMN_NAMES).orderBy(ROW)) > 1,
        "cancellation": _cancellation(),
        "cancelled_original": F.coalesce(F.col("_orig"), F.lit(False)),
        "non_positive_quantity": F.coalesce((q <= 0) | F.isnan(q), F.lit(True)) & ~_cancellation(),
        "non_integer_quantity": F.coalesce((F.abs(q) == inf)
                                           | ((F.abs(q) < inf) & (q != F.round(q))), F.lit(False)),
        "non_positive_price": F.coalesce((p <= 0) | F.isnan(p), F.lit(True)),
        "absurd_price": F.coalesce((F.abs(p) == inf) | (p > _q.MAX_UNIT_PRICE), F.lit(False)),
        "non_product_stockcode": _non_product(rule),
        "outlier_quantity": (F.coalesce((q > 0) & (F.abs(q) < inf) & (q > threshold), F.lit(False))
                             if np.isfinite(threshold) else F.lit(False)),
    }
    numeric = {"Quantity", "UnitPrice"}
    mv = F.lit(False)
    for col in _q.VALUE_COLUMNS:
        mv = mv | _missing(col, col in numeric)
    exprs["missing_value"] = mv

    rules = _q.rules()
    names = [r.name for r in rules]
    unknown_here = [n for n in names if n not in exprs]
    if unknown_here:  # a rule added to quality.py needs its Spark expression here
        raise NotImplementedError(f"no Spark expression for quality rule(s) {unknown_here}")
    applied = names if apply is None else list(apply)
    bad = [a for a in applied if a not in names]
    if bad:
        raise ValueError(f"unknown rule(s) {bad}; valid rules are {names}")
    applied_in_order = [n for n in names if n in applied]

    flagged = sdf.select(*COLUMN_NAMES, ROW, *[exprs[n].alias(f"_f_{n}") for n in names])
    reason = F.coalesce(*[F.when(F.col(f"_f_{n}"), F.lit(n)) for n in applied_in_order],
                        F.lit(None).cast("string")) if applied_in_order else F.lit(None).cast("string")
    all_reasons = (F.concat_ws(";", *[F.when(F.col(f"_f_{n}"), F.lit(n)) for n in applied_in_order])
                   if applied_in_order else F.lit(""))
    flagged = flagged.withColumn("reason", reason).withColumn("all_reasons", all_reasons)
    if cache:
        flagged = flagged.persist()
    aggs = [F.count("*").alias("_n")]
    aggs += [F.sum(F.col(f"_f_{n}").cast("long")).alias(f"fail_{n}") for n in names]
    aggs += [F.sum((F.col("reason") == n).cast("long")).alias(f"rem_{n}") for n in names]
    aggs += [F.count("reason").alias("_removed")]
    counts = flagged.agg(*aggs).first().asDict()
    n = int(counts["_n"])
    n_failing = np.array([int(counts[f"fail_{r}"] or 0) for r in names])
    table = pd.DataFrame({
        "rule": names,
        "why": [r.why for r in rules],
        "n_failing": n_failing,
        "share_failing": n_failing / n if n else np.zeros(len(names)),
        "n_removed": [int(counts[f"rem_{r}"] or 0) for r in names],
        "applied": [r in applied for r in names],
    })
    n_removed = int(counts["_removed"])
    keep_cols = [*COLUMN_NAMES, ROW]
    kept = flagged.where(F.col("reason").isNull()).select(*keep_cols)
    removed = flagged.where(F.col("reason").isNotNull()).select(*keep_cols, "reason", "all_reasons")
    n_kept = n - n_removed
    if int(table["n_removed"].sum()) != n_removed:  # pragma: no cover - an invariant
        raise RuntimeError("spark.quality.clean lost lines; please report this as a bug")
    details = {"outlier_threshold_units": threshold, "as_of": when,
               "late_date_start": late if late is not None else pd.NaT,
               "max_unit_price": _q.MAX_UNIT_PRICE}
    return SparkCleanResult(clean=kept, removed=removed, report=table, n_rows=n, n_kept=n_kept,
                            n_removed=n_removed, details=details)
