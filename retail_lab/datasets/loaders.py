"""Typed loaders for the book's three real datasets."""

from __future__ import annotations

import io
import os

import pandas as pd

from .fetch import (
    MOJIBAKE,
    DataIntegrityError,
    _aside_advice,
    canonical_online_retail,
    check_columns,
    fetch,
    online_retail_digests,
    online_retail_facts,
    read_data_file,
    verify_content,
    verify_fingerprints,
)
from ..schema import standardize
from .registry import get_spec

__all__ = ["load_online_retail", "load_hillstrom", "load_bitext_support", "MOJIBAKE"]

HILLSTROM_HISTORY_SEGMENTS = [
    "1) $0 - $100",
    "2) $100 - $200",
    "3) $200 - $350",
    "4) $350 - $500",
    "5) $500 - $750",
    "6) $750 - $1,000",
    "7) $1,000 +",
]
HILLSTROM_SEGMENTS = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]


def _read(reader, path, spec, **kwargs) -> pd.DataFrame:
    """Read ``path`` with ``reader``; OS faults and parse faults get their own messages."""
    data = read_data_file(path, spec)  # DataAccessError: permission, directory, I/O error
    try:
        return reader(io.BytesIO(data), **kwargs)
    except Exception as exc:
        raise DataIntegrityError(
            f"{path}: cannot be read ({type(exc).__name__}: {exc}). The file is truncated, "
            f"corrupt or not the expected format. " + _aside_advice(path, spec)
        ) from exc


def load_online_retail(
    data_home: str | os.PathLike | None = None,
    *,
    download: bool = True,
    repair_mojibake: bool = True,
) -> pd.DataFrame:
    """Load UCI Online Retail with types, verified against its content fingerprints.

    Parameters
    ----------
    data_home : path-like, optional
        Data directory (see :func:`retail_lab.datasets.data_home`).
    download : bool, default True
        Download and convert the upstream archive when the parquet is missing.
    repair_mojibake : bool, default True
        Replace ``Â£`` by ``£`` in descriptions; the number of repaired rows is reported in
        ``df.attrs["repaired_descriptions"]``.

    Returns
    -------
    DataFrame, shape (541909, 8)
        ======================  ==================  =========================================
        column                  dtype               meaning
        ======================  ==================  =========================================
        InvoiceNo               string              6 digits; ``C`` prefix = cancellation
        StockCode               string              product code (or POST, M, ... services)
        Description             string              product name; <NA> when missing
        Quantity                int64               units; negative on cancellations
        InvoiceDate             datetime64[ns]      invoice time (NaT if unparseable)
        UnitPrice               float64             GBP per unit
        CustomerID              string              5 digits; <NA> when unknown
        Country                 category            customer's country
        ======================  ==================  =========================================

        ``df.attrs`` holds ``dataset``, ``repaired_descriptions`` and ``unparseable_dates``.

    Raises
    ------
    DataNotFoundError
        The file is missing and could not be downloaded.
    DataAccessError
        The file exists but cannot be read: permission denied, or a directory (or other
        non-file) has the file's name. The message says what to change; the file is kept.
    DataIntegrityError
        The file is empty, truncated or corrupt, misses columns, or its content differs
        from the registry's: a count or sum (``fingerprints``), or the SHA-256 of the
        canonical form of a column (``content_sha256``, see
        :func:`retail_lab.datasets.online_retail_digests`), so a single edited value in any
        column is found. The message names the facts or columns that differ.

    Examples
    --------
    With the data directory set (``$RETAIL_LAB_DATA`` or ``data_home=``), the file is read
    from there; otherwise the first call downloads and converts it once (minutes). Both
    need the real data, so these lines are not run as a test:

    >>> df = load_online_retail()  # doctest: +SKIP
    >>> df.shape  # doctest: +SKIP
    (541909, 8)
    >>> df.attrs["repaired_descriptions"]  # doctest: +SKIP
    32

    Offline (``download=False``, or ``RETAIL_LAB_OFFLINE=1``), a missing file is an error
    that says where to put it and where to get it:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:  # doctest: +ELLIPSIS
    ...     load_online_retail(empty, download=False)
    Traceback (most recent call last):
    ...
    retail_lab.datasets.fetch.DataNotFoundError: UCI Online Retail (id 352): the file ...
    """
    spec = get_spec("online_retail")
    path = fetch("online_retail", data_home, download=download)
    raw = _read(pd.read_parquet, path, spec)
    check_columns(raw, spec, path.name)
    verify_fingerprints(online_retail_facts(raw), spec, path.name, path=path)
    canon = canonical_online_retail(raw)
    verify_content(online_retail_digests(raw, canon), spec, path.name, path=path)

    desc = raw["Description"].astype("string")
    repaired = 0
    if repair_mojibake:
        for bad in MOJIBAKE:
            repaired += int(desc.str.contains(bad, regex=False, na=False).sum())
        desc = canon["Description"].astype("string")
    dates = canon["InvoiceDate"]
    customer = canon["CustomerID"]
    if (customer.dropna() % 1 != 0).any():
        raise DataIntegrityError(f"{path}: CustomerID holds non-integer values")
    # The typing step is the public one every other shop's table goes through too.
    df = standardize(pd.DataFrame({"InvoiceNo": raw["InvoiceNo"],
                                   "StockCode": raw["StockCode"],
                                   "Description": desc,
                                   "Quantity": raw["Quantity"],
                                   "InvoiceDate": dates,
                                   "UnitPrice": raw["UnitPrice"],
                                   "CustomerID": customer,
                                   "Country": raw["Country"]}), aliases=False)
    df.attrs = {
        "dataset": "online_retail",
        "repaired_descriptions": repaired,
        "unparseable_dates": int(dates.isna().sum()),
    }
    return df


def load_hillstrom(
    data_home: str | os.PathLike | None = None, *, download: bool = True
) -> pd.DataFrame:
    """Load the Hillstrom e-mail experiment (64,000 randomised customers).

    Parameters
    ----------
    data_home : path-like, optional
        Data directory (see :func:`retail_lab.datasets.data_home`).
    download : bool, default True
        Download the CSV when it is missing (verified by SHA-256).

    Returns
    -------
    DataFrame, shape (64000, 12)
        recency (int16, months since last purchase), history_segment (ordered category),
        history (float64, dollars spent in the past year), mens, womens (int8, bought
        men's/women's merchandise), zip_code (category: Urban, Surburban [sic], Rural),
        newbie (int8, new customer in the past year), channel (category: Phone, Web,
        Multichannel), segment (category, treatment: No E-Mail, Mens E-Mail, Womens
        E-Mail), visit, conversion (int8, outcome within two weeks), spend (float64,
        dollars spent within two weeks).

    Raises
    ------
    DataNotFoundError, DataAccessError, DataIntegrityError
        As for :func:`load_online_retail`.
    """
    spec = get_spec("hillstrom")
    path = fetch("hillstrom", data_home, download=download)
    raw = _read(pd.read_csv, path, spec)
    check_columns(raw, spec, path.name)
    facts = {"rows": len(raw)}
    counts = raw["segment"].value_counts()
    for seg in HILLSTROM_SEGMENTS:
        facts[f"segment {seg}"] = int(counts.get(seg, 0))
    verify_fingerprints(facts, spec, path.name, path=path)
    df = pd.DataFrame(
        {
            "recency": raw["recency"].astype("int16"),
            "history_segment": pd.Categorical(
                raw["history_segment"], categories=HILLSTROM_HISTORY_SEGMENTS, ordered=True
            ),
            "history": raw["history"].astype("float64"),
            "mens": raw["mens"].astype("int8"),
            "womens": raw["womens"].astype("int8"),
            "zip_code": raw["zip_code"].astype("category"),
            "newbie": raw["newbie"].astype("int8"),
            "channel": raw["channel"].astype("category"),
            "segment": pd.Categorical(raw["segment"], categories=HILLSTROM_SEGMENTS),
            "visit": raw["visit"].astype("int8"),
            "conversion": raw["conversion"].astype("int8"),
            "spend": raw["spend"].astype("float64"),
        }
    )
    df.attrs = {"dataset": "hillstrom"}
    return df


def load_bitext_support(
    data_home: str | os.PathLike | None = None, *, download: bool = True
) -> pd.DataFrame:
    """Load the Bitext customer-support sample (4,514 utterances, 27 intents).

    Parameters
    ----------
    data_home : path-like, optional
        Data directory (see :func:`retail_lab.datasets.data_home`).
    download : bool, default True
        Download the CSV when it is missing (verified by SHA-256).

    Returns
    -------
    DataFrame, shape (4514, 11)
        instruction (string, the customer's utterance), intent (category, 27 values),
        category (category, 11 values), response (string, a model answer with
        ``{{placeholders}}``), entity_type, entity_value (string, <NA> when the utterance
        names no entity), start_offset, end_offset (Int64, character span of the entity),
        context, role, tags (string).

    Raises
    ------
    DataNotFoundError, DataAccessError, DataIntegrityError
        As for :func:`load_online_retail`.
    """
    spec = get_spec("bitext_support")
    path = fetch("bitext_support", data_home, download=download)
    raw = _read(pd.read_csv, path, spec)
    check_columns(raw, spec, path.name)
    facts = {
        "rows": len(raw),
        "distinct intent": raw["intent"].nunique(),
        "distinct category": raw["category"].nunique(),
    }
    verify_fingerprints(facts, spec, path.name, path=path)
    df = pd.DataFrame(
        {
            "instruction": raw["instruction"].astype("string"),
            "intent": raw["intent"].astype("category"),
            "category": raw["category"].astype("category"),
            "response": raw["response"].astype("string"),
        }
    )
    for col in ("entity_type", "entity_value", "context", "role", "tags"):
        if col in raw:
            df[col] = raw[col].astype("string")
    for col in ("start_offset", "end_offset"):
        if col in raw:
            df[col] = pd.to_numeric(raw[col]).astype("Int64")
    df.attrs = {"dataset": "bitext_support"}
    return df
