"""Finding, downloading and verifying the data files.

Where files live (the *data home*), in order of precedence:

1. the ``data_home`` argument of a loader;
2. the environment variable ``RETAIL_LAB_DATA``;
3. a per-user cache directory (``pooch.os_cache("retail_lab")``, e.g.
   ``~/.cache/retail_lab`` on Linux).

A missing file is downloaded once from its upstream address (unless ``download=False`` or
``RETAIL_LAB_OFFLINE=1``), verified, and written atomically: a download or conversion that
is interrupted leaves no half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import zipfile
from pathlib import Path
from typing import Mapping

import pandas as pd

from .registry import DatasetSpec, get_spec

__all__ = [
    "DataNotFoundError",
    "DataIntegrityError",
    "data_home",
    "fetch",
    "sha256sum",
    "verify_fingerprints",
    "check_columns",
    "online_retail_facts",
    "convert_online_retail_archive",
]

ENV_DATA = "RETAIL_LAB_DATA"
ENV_OFFLINE = "RETAIL_LAB_OFFLINE"


class DataNotFoundError(FileNotFoundError):
    """A data file is not in the data home and could not be downloaded."""


class DataIntegrityError(ValueError):
    """A data file exists but is not the expected content (truncated, altered, wrong schema)."""


def data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the directory where data files are read from and downloaded to.

    Parameters
    ----------
    data_home : path-like, optional
        Explicit directory. If omitted, ``$RETAIL_LAB_DATA`` is used, else the per-user
        cache directory.

    Returns
    -------
    pathlib.Path
        The directory (not created here).

    Examples
    --------
    >>> data_home("/tmp/retail-data").name
    'retail-data'
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(ENV_DATA)
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("retail_lab"))


_resolve_home = data_home  # loaders take an argument named ``data_home`` too


def sha256sum(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def _offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes"}


def _not_found(spec: DatasetSpec, home: Path, reason: str) -> DataNotFoundError:
    return DataNotFoundError(
        f"{spec.title or spec.name}: the file {spec.filename!r} is not in the data directory "
        f"{home} and {reason}.\n"
        f"  Put the file there (or point ${ENV_DATA} or the loader's data_home= argument at "
        f"the directory that holds it), or let the loader download it from:\n"
        f"    {spec.url}\n"
        f"  License: {spec.license}."
    )


def _atomic_target(path: Path) -> Path:
    return path.with_name(f".{path.name}.part-{os.getpid()}")


def _download_to(url: str, target: Path, sha256: str | None) -> Path:
    """Download ``url`` to ``target`` with pooch (temporary file, then rename)."""
    import pooch

    known_hash = f"sha256:{sha256}" if sha256 else None
    target.parent.mkdir(parents=True, exist_ok=True)
    out = pooch.retrieve(
        url=url,
        known_hash=known_hash,
        fname=target.name,
        path=target.parent,
        progressbar=False,
    )
    return Path(out)


def fetch(
    name: str,
    data_home: str | os.PathLike | None = None,
    *,
    download: bool = True,
) -> Path:
    """Return the local path of a registered dataset, downloading it once if needed.

    Parameters
    ----------
    name : str
        Registry key: ``"online_retail"``, ``"hillstrom"`` or ``"bitext_support"``.
    data_home : path-like, optional
        See :func:`data_home`.
    download : bool, default True
        Try the upstream address when the file is missing. ``RETAIL_LAB_OFFLINE=1`` turns
        downloads off everywhere.

    Returns
    -------
    pathlib.Path
        Path of the verified file.

    Raises
    ------
    DataNotFoundError
        The file is missing and could not be downloaded; the message says where to put it
        and where to get it.
    DataIntegrityError
        The file (or the download) does not have the expected SHA-256.
    """
    spec = get_spec(name)
    home = _resolve_home(data_home)
    path = home / spec.filename
    if not path.exists():
        if not download or _offline():
            why = "downloads are off (download=False)" if not download else (
                f"downloads are off (${ENV_OFFLINE} is set)"
            )
            raise _not_found(spec, home, why)
        try:
            if spec.archive_member:
                zpath = _download_to(spec.url, home / "downloads" / f"{spec.name}.zip", None)
                convert_online_retail_archive(zpath, path, spec)
            else:
                _download_to(spec.url, path, spec.sha256)
        except DataIntegrityError:
            raise
        except ValueError as exc:  # pooch: hash mismatch of the downloaded bytes
            raise DataIntegrityError(
                f"{spec.filename}: the download from {spec.url} failed verification: {exc}"
            ) from exc
        except Exception as exc:  # network errors, HTTP errors, permissions
            raise _not_found(
                spec, home, f"the download failed ({type(exc).__name__}: {exc})"
            ) from exc
    if spec.sha256 is not None:
        digest = sha256sum(path)
        if digest != spec.sha256:
            raise DataIntegrityError(
                f"{path.name}: SHA-256 is {digest}, expected {spec.sha256}. The file is "
                f"truncated, altered or a different version. Delete it so the loader can "
                f"download it again, or copy the original from {spec.url}."
            )
    return path


def check_columns(df: pd.DataFrame, spec: DatasetSpec, source: str) -> None:
    """Raise :class:`DataIntegrityError` naming every required column that is missing."""
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise DataIntegrityError(
            f"{source}: wrong schema, missing column(s) {missing}; found {list(df.columns)}. "
            f"Expected the {spec.title or spec.name} columns {list(spec.columns)}."
        )


def verify_fingerprints(
    facts: Mapping[str, float], spec: DatasetSpec, source: str, *, tol: float = 5e-4
) -> None:
    """Compare measured content facts with the registry's; raise on any mismatch.

    Parameters
    ----------
    facts : mapping of str to number
        Measured facts, keyed like ``spec.fingerprints``.
    spec : DatasetSpec
        Registry entry with the expected facts.
    source : str
        File name for the message.
    tol : float
        Absolute tolerance for non-integer facts (sums are compared to 3 decimals).

    Raises
    ------
    DataIntegrityError
        Lists each fact that does not match, with measured and expected values.
    """
    bad = []
    for key, expected in spec.fingerprints.items():
        got = facts.get(key)
        if got is None:
            bad.append(f"{key}: not measured")
            continue
        if isinstance(expected, int) and not isinstance(expected, bool):
            ok = int(got) == expected and float(got) == float(int(got))
        else:
            ok = math.isclose(float(got), float(expected), rel_tol=0.0, abs_tol=tol)
        if not ok:
            bad.append(f"{key} is {got:,} but should be {expected:,}")
    if bad:
        raise DataIntegrityError(
            f"{source}: content does not match {spec.title or spec.name}: "
            + "; ".join(bad)
            + ". The file is truncated, altered or a different version; delete it so the "
            f"loader can download it again, or get the original from {spec.url}."
        )


def online_retail_facts(raw: pd.DataFrame) -> dict[str, float]:
    """Content facts of an Online Retail table in its upstream schema.

    Parameters
    ----------
    raw : DataFrame
        Columns InvoiceNo, StockCode, Description, Quantity, UnitPrice, CustomerID, Country.

    Returns
    -------
    dict
        The facts named in the registry (rows, distinct counts, sums, missing counts).
    """
    qty = pd.to_numeric(raw["Quantity"], errors="coerce")
    price = pd.to_numeric(raw["UnitPrice"], errors="coerce")
    return {
        "rows": len(raw),
        "distinct InvoiceNo": raw["InvoiceNo"].astype(str).nunique(),
        "distinct StockCode": raw["StockCode"].astype(str).nunique(),
        "distinct CustomerID": raw["CustomerID"].nunique(),
        "distinct Country": raw["Country"].nunique(),
        "sum Quantity": int(qty.sum()),
        "sum Quantity*UnitPrice": round(float((qty * price).sum()), 3),
        "missing Description": int(raw["Description"].isna().sum()),
        "missing CustomerID": int(raw["CustomerID"].isna().sum()),
    }


def _online_retail_upstream_schema(x: pd.DataFrame) -> pd.DataFrame:
    """Bring an xlsx read of Online Retail into the parquet schema (text ids and dates)."""
    out = pd.DataFrame(
        {
            "InvoiceNo": x["InvoiceNo"].astype(str),
            "StockCode": x["StockCode"].astype(str),
            "Description": x["Description"].astype(object).where(x["Description"].notna(), None),
            "Quantity": pd.to_numeric(x["Quantity"]).astype("int64"),
            "InvoiceDate": pd.to_datetime(x["InvoiceDate"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "UnitPrice": pd.to_numeric(x["UnitPrice"]).astype("float64"),
            "CustomerID": pd.to_numeric(x["CustomerID"]).astype("float64"),
            "Country": x["Country"].astype(str),
        }
    )
    out["Description"] = out["Description"].map(lambda v: v if v is None else str(v))
    return out


def convert_online_retail_archive(
    zip_path: str | os.PathLike, out_path: str | os.PathLike, spec: DatasetSpec | None = None
) -> Path:
    """Convert the upstream ``online+retail.zip`` (an xlsx inside) to a verified parquet.

    The xlsx is parsed once (slow: about two minutes for the full file); the parquet is
    checked against the registry's fingerprints before it is moved into place, so a bad
    archive never becomes a cached file.

    Parameters
    ----------
    zip_path : path-like
        The downloaded archive.
    out_path : path-like
        Final parquet path; written via a temporary file and an atomic rename.
    spec : DatasetSpec, optional
        Defaults to the registry's ``online_retail`` entry.

    Returns
    -------
    pathlib.Path
        ``out_path``.
    """
    spec = spec or get_spec("online_retail")
    out_path = Path(out_path)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            names = zf.namelist()
            if spec.archive_member not in names:
                raise DataIntegrityError(
                    f"{Path(zip_path).name}: the archive has no member "
                    f"{spec.archive_member!r} (members: {names}). Delete it and download it "
                    f"again from {spec.url}."
                )
            blob = zf.read(spec.archive_member)
    except zipfile.BadZipFile as exc:
        raise DataIntegrityError(
            f"{Path(zip_path).name}: not a valid zip archive ({exc}); it is truncated or "
            f"not the upstream file. Delete it and download it again from {spec.url}."
        ) from exc
    try:
        x = pd.read_excel(io.BytesIO(blob), engine="openpyxl")
    except Exception as exc:
        raise DataIntegrityError(
            f"{spec.archive_member}: cannot be read as an Excel workbook ({exc})."
        ) from exc
    check_columns(x, spec, spec.archive_member)
    table = _online_retail_upstream_schema(x)
    verify_fingerprints(online_retail_facts(table), spec, spec.archive_member)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _atomic_target(out_path)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out_path
