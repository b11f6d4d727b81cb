"""Finding, downloading and verifying the data files.

Where files live (the *data home*), in order of precedence:

1. the ``data_home`` argument of a loader;
2. the environment variable ``RETAIL_LAB_DATA``;
3. a per-user cache directory (``pooch.os_cache("retail_lab")``, e.g.
   ``~/.cache/retail_lab`` on Linux).

A missing file is downloaded once from its upstream address (unless ``download=False`` or
``RETAIL_LAB_OFFLINE`` is true), verified, and written atomically: a download or conversion
writes to ``.<file name>.part-<process id>`` next to the final file and renames it only once
it is complete and verified. Such temporary files left behind by a process that was killed
are removed on the next run (see :func:`remove_stale_partials`). A directory named by
``$RETAIL_LAB_DATA`` is never created (a mistyped name would silently start a second copy of
the data); the per-user cache and a ``data_home=`` argument are.

Errors name the actual fault: :class:`DataNotFoundError` (the file is not there),
:class:`DataAccessError` (it is there but cannot be read: permission denied, a directory or
other non-file in its place), :class:`DataIntegrityError` (it can be read but its content is
not the expected one: truncated, corrupt, altered, wrong schema). No message advises
deleting a file: a file the loader did not write itself may be the user's only copy.

The Online Retail parquet is our conversion of an xlsx, so its bytes depend on the pyarrow
version; its *content* is verified instead, by a SHA-256 of a canonical form of every column
(:func:`online_retail_digests`) besides counts and sums (:func:`online_retail_facts`).
"""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
import platform
import re
import stat
import time
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from .registry import REGISTRY, DatasetSpec, get_spec

__all__ = [
    "DataNotFoundError",
    "DataIntegrityError",
    "DataAccessError",
    "data_home",
    "env_flag",
    "fetch",
    "sha256sum",
    "verify_fingerprints",
    "verify_content",
    "check_columns",
    "online_retail_facts",
    "online_retail_digests",
    "canonical_online_retail",
    "read_data_file",
    "convert_online_retail_archive",
    "remove_stale_partials",
]

ENV_DATA = "RETAIL_LAB_DATA"
ENV_OFFLINE = "RETAIL_LAB_OFFLINE"

#: Accepted spellings of boolean environment switches (compared after strip() and lower()).
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")

#: A temporary file of an interrupted write is removed on the next run when the process that
#: wrote it is gone, or when it has not been modified for this many seconds.
STALE_PART_AGE_S = 6 * 3600

_PART_RE = re.compile(r"^\.(?P<name>.+?)\.part-(?:(?P<host>[A-Za-z0-9_.-]+)-)?(?P<pid>[0-9]{1,10})$")


class DataNotFoundError(FileNotFoundError):
    """A data file is not in the data home and could not be downloaded."""


class DataIntegrityError(ValueError):
    """A data file exists but is not the expected content (truncated, altered, wrong schema)."""


class DataAccessError(OSError):
    """A data file exists but cannot be read as a file (permission denied, a directory, ...).

    The content may well be intact, so the message never suggests replacing it.
    """


# ---------------------------------------------------------------- environment and data home
def env_flag(name: str, default: bool = False) -> bool:
    """Read a boolean environment switch, leniently.

    Parameters
    ----------
    name : str
        Variable name, e.g. ``"RETAIL_LAB_OFFLINE"``.
    default : bool, default False
        Value when the variable is unset or empty.

    Returns
    -------
    bool
        True for ``1``, ``true``, ``yes``, ``on``; False for ``0``, ``false``, ``no``,
        ``off`` (any case, surrounding spaces ignored).

    Raises
    ------
    ValueError
        Any other value; the message names the variable, the value and the accepted values.

    Examples
    --------
    >>> import os
    >>> os.environ["RETAIL_LAB_EXAMPLE_FLAG"] = " On "
    >>> env_flag("RETAIL_LAB_EXAMPLE_FLAG")
    True
    >>> del os.environ["RETAIL_LAB_EXAMPLE_FLAG"]
    >>> env_flag("RETAIL_LAB_EXAMPLE_FLAG")
    False
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(
        f"environment variable {name}={raw!r} is not a yes/no value. Use one of "
        f"{', '.join(TRUE_WORDS)} (on) or {', '.join(FALSE_WORDS)} (off), any case, or unset "
        f"it."
    )


def _offline() -> bool:
    return env_flag(ENV_OFFLINE)


_ORIGINS = {
    "argument": "the data_home= argument",
    "environment": f"${ENV_DATA}",
    "cache": "the per-user cache",
}


def _home_and_origin(data_home: str | os.PathLike | None) -> tuple[Path, str]:
    if data_home is not None:
        return Path(data_home).expanduser(), "argument"
    env = os.environ.get(ENV_DATA)
    if env and env.strip():
        return Path(env).expanduser(), "environment"
    import pooch

    return Path(pooch.os_cache("retail_lab")), "cache"


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
    return _home_and_origin(data_home)[0]


_resolve_home = data_home  # loaders take an argument named ``data_home`` too


def sha256sum(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------- messages
def _q(path: Path) -> str:
    """A path quoted for a shell command in a message."""
    return "'" + str(path).replace("'", "'\\''") + "'"


def _aside_advice(path: Path, spec: DatasetSpec) -> str:
    """What to do with a file whose content is wrong: keep it, move it aside, fetch anew."""
    return (
        f"Keep the file, but move it out of the way, e.g. `mv {_q(path)} {_q(path)}.bad`, "
        f"then load again to download a fresh copy from {spec.url}; or pass data_home= (or "
        f"set ${ENV_DATA}) to another directory and download there."
    )


def _not_found(spec: DatasetSpec, home: Path, reason: str) -> DataNotFoundError:
    return DataNotFoundError(
        f"{spec.title or spec.name}: the file {spec.filename!r} is not in the data directory "
        f"{home} and {reason}.\n"
        f"  Put the file there (or point ${ENV_DATA} or the loader's data_home= argument at "
        f"the directory that holds it), or let the loader download it from:\n"
        f"    {spec.url}\n"
        f"  License: {spec.license}."
    )


def _access_error(
    path: Path, spec: DatasetSpec, exc: OSError | None = None, *, in_directory: bool = False
) -> Exception:
    """Translate a failure to open or read ``path`` into an error that names the fault.

    ``in_directory``: the failure was looking the name up, so the directory is the problem.
    """
    title = spec.title or spec.name
    if isinstance(exc, PermissionError) and in_directory:
        return DataAccessError(
            f"{path}: permission denied ({exc.strerror or exc}): this user may not look into "
            f"the data directory {path.parent}, so whether the {title} file is there cannot be "
            f"checked. Give access (e.g. `chmod u+rx {_q(path.parent)}`, or ask its owner), or "
            f"point data_home= / ${ENV_DATA} at a readable copy."
        )
    if isinstance(exc, PermissionError):
        return DataAccessError(
            f"{path}: permission denied ({exc.strerror or exc}): this user may not read the "
            f"{title} file. Nothing suggests the file is damaged, so keep it: give read "
            f"permission (e.g. `chmod u+r {_q(path)}`, or ask its owner), or point data_home= "
            f"/ ${ENV_DATA} at a readable copy."
        )
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if isinstance(exc, IsADirectoryError) or (st is not None and stat.S_ISDIR(st.st_mode)):
        return DataAccessError(
            f"{path} is a directory, but the {title} data must be a regular file of that name. "
            f"The loader did not create this directory and will not touch it: move or rename it "
            f"(e.g. `mv {_q(path)} {_q(path)}.dir`) so the loader can put the file there, or "
            f"point data_home= / ${ENV_DATA} at the directory that holds the file."
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        return DataAccessError(
            f"{path} is not a regular file (mode {stat.filemode(st.st_mode)}), so the {title} "
            f"data cannot be read from it. Move or rename it (e.g. `mv {_q(path)} "
            f"{_q(path)}.aside`), or point data_home= / ${ENV_DATA} at the directory that "
            f"holds the file."
        )
    if exc is not None and getattr(exc, "errno", None) == errno.EIO:
        return DataAccessError(
            f"{path}: input/output error while reading ({exc}): the disk or network file "
            f"system failed. Try again; if it persists, copy the file from another source."
        )
    if exc is None:
        return DataAccessError(
            f"{path} cannot be used as the {title} file (a broken link, or it cannot be "
            f"examined). Move it aside (e.g. `mv {_q(path)} {_q(path)}.aside`), or point "
            f"data_home= / ${ENV_DATA} at the directory that holds the file."
        )
    return DataAccessError(f"{path}: cannot be opened ({type(exc).__name__}: {exc}).")


def _stat_data_file(path: Path, spec: DatasetSpec) -> os.stat_result | None:
    """``stat`` of the data file, None when it does not exist; raise when it is not usable."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):  # a symbolic link whose target is gone
            raise DataAccessError(
                f"{path} is a symbolic link to {os.readlink(path)!r}, which does not exist. "
                f"Fix the link, or move it aside (e.g. `mv {_q(path)} {_q(path)}.link`) so "
                f"the loader can download the file."
            ) from None
        return None
    except PermissionError as exc:
        raise _access_error(path, spec, exc, in_directory=True) from exc
    except NotADirectoryError:
        raise DataAccessError(
            f"the data directory {path.parent} is not a directory (a file of that name "
            f"exists). Point data_home= / ${ENV_DATA} at the directory that holds "
            f"{spec.filename!r}."
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise _access_error(path, spec)
    if st.st_size == 0:
        raise DataIntegrityError(
            f"{path} is empty (0 bytes): an interrupted copy or download. "
            + _aside_advice(path, spec)
        )
    return st


def read_data_file(path: str | os.PathLike, spec: DatasetSpec) -> bytes:
    """Read a data file's bytes, turning OS errors into errors that name the fault.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataAccessError
        Permission denied, a directory or other non-file in place of the file, I/O error.
    DataIntegrityError
        The file is empty.
    """
    path = Path(path)
    if _stat_data_file(path, spec) is None:
        raise DataNotFoundError(f"{path} does not exist.")
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError as exc:
        raise DataNotFoundError(
            f"{path} disappeared while it was being read (another process moved it?). "
            f"Load again."
        ) from exc
    except OSError as exc:
        raise _access_error(path, spec, exc) from exc


# ---------------------------------------------------------------- interrupted writes
def _host() -> str:
    """This machine's name, in the characters a temporary file name may hold."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", platform.node() or "localhost")[:64]


def _partial_name(path: Path) -> Path:
    # the host is part of the name: in a data folder shared between machines or containers,
    # another host's process id says nothing here, so only the age rule applies to its files
    return path.with_name(f".{path.name}.part-{_host()}-{os.getpid()}")




def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be writing it
    if os.name == "nt" or pid <= 0:  # os.kill(pid, 0) would terminate the process on Windows
        return True  # unknown: only the age rule applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except (OSError, OverflowError):
        return False
    return True


def _own_file_names() -> set[str]:
    names = set()
    for spec in REGISTRY.values():
        names.add(spec.filename)
        if spec.archive_member:
            names.add(f"{spec.name}.zip")
    return names


def remove_stale_partials(
    directory: str | os.PathLike,
    names: set[str] | None = None,
    *,
    max_age_s: float = STALE_PART_AGE_S,
) -> list[Path]:
    """Remove temporary files that an interrupted download or conversion left behind.

    Only files this package writes are considered: ``.<name>.part-<host>-<pid>`` (or the
    older ``.<name>.part-<pid>``) where ``<name>`` is a registered data file (or a downloaded
    archive) and ``<pid>`` the writing process on machine ``<host>``. Such a file is removed
    when that process no longer exists on this machine, or when the file has not been
    modified for ``max_age_s`` seconds (a process id can be reused; a file written by another
    host, in a shared folder, is judged by its age alone). Anything else in
    the directory is left alone. Files that cannot be removed are skipped.

    Parameters
    ----------
    directory : path-like
        Directory to clean (a missing one is fine).
    names : set of str, optional
        Final file names whose temporaries may be removed; default: every file name in the
        registry and ``<name>.zip`` for archives.
    max_age_s : float
        Age after which a temporary is stale even if a process with its id is running.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    names = _own_file_names() if names is None else set(names)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    removed = []
    now = time.time()
    for entry in entries:
        m = _PART_RE.match(entry.name)
        if not m or m.group("name") not in names:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        other_host = m.group("host") is not None and m.group("host") != _host()
        alive = True if other_host else _pid_alive(int(m.group("pid")))
        if alive and now - st.st_mtime < max_age_s:
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def _make_dirs(path: Path) -> list[Path]:
    """``mkdir -p path``; return the directories that were created (outermost first)."""
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


def _remove_empty_dirs(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            d.rmdir()  # only succeeds when empty
        except OSError:
            break


def _download_to(url: str, target: Path, sha256: str | None, spec: DatasetSpec) -> Path:
    """Download ``url`` to ``target`` via ``.target.part-PID``; verify, then rename.

    An existing ``target`` is reused when no ``sha256`` is known (the archive of a
    conversion), so a failed conversion does not download the archive again.
    """
    import pooch

    if os.path.lexists(target) and not target.is_file():
        raise _access_error(target, spec)  # a directory (or other non-file) in the way
    if sha256 is None and target.is_file():
        return target
    tmp = _partial_name(target)
    try:
        pooch.HTTPDownloader(progressbar=False)(url, str(tmp), None)
        if sha256 is not None:
            digest = sha256sum(tmp)
            if digest != sha256:
                raise DataIntegrityError(
                    f"{target.name}: the download from {url} failed verification: its SHA-256 "
                    f"is {digest}, expected {sha256} (an interrupted transfer, or the upstream "
                    f"file changed). Nothing was kept; try again later, or put a copy of the "
                    f"original file at {target}."
                )
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


# ---------------------------------------------------------------- fetch
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
        Try the upstream address when the file is missing. ``RETAIL_LAB_OFFLINE`` set to a
        true value (``1``, ``true``, ``yes``, ``on``) turns downloads off everywhere.

    Returns
    -------
    pathlib.Path
        Path of the file, verified by SHA-256 where the registry has one (the content of
        the Online Retail parquet is verified by its loader).

    Raises
    ------
    DataNotFoundError
        The file is missing and could not be downloaded (or the directory named by
        ``$RETAIL_LAB_DATA`` does not exist); the message says where to put it and where to
        get it.
    DataAccessError
        The file exists but cannot be read (permission denied, a directory in its place).
    DataIntegrityError
        The file (or the download) does not have the expected SHA-256, or is empty.
    ValueError
        ``RETAIL_LAB_OFFLINE`` holds a value that is not a yes/no word.
    """
    spec = get_spec(name)
    offline = _offline()  # an unknown value is an error before anything else happens
    home, origin = _home_and_origin(data_home)
    try:
        home_st: os.stat_result | None = os.stat(home)
    except (FileNotFoundError, NotADirectoryError):
        home_st = None
    except PermissionError as exc:
        raise DataAccessError(
            f"the data directory {home}: permission denied ({exc.strerror or exc}): this user "
            f"may not look into a directory above it. Give access, or pass data_home= (or set "
            f"${ENV_DATA}) to a directory this user can read."
        ) from exc
    home_exists = home_st is not None
    if home_st is not None and not stat.S_ISDIR(home_st.st_mode):
        raise DataAccessError(
            f"the data directory {home} (from {_ORIGINS[origin]}) is a file, not a "
            f"directory. Point it at the directory that holds {spec.filename!r}."
        )
    remove_stale_partials(home)
    remove_stale_partials(home / "downloads")
    path = home / spec.filename
    if _stat_data_file(path, spec) is None:
        if not download or offline:
            why = "downloads are off (download=False)" if not download else (
                f"downloads are off (${ENV_OFFLINE}={os.environ.get(ENV_OFFLINE)!r})"
            )
            if not home_exists:
                why += f"; the directory {home} does not even exist"
                if origin == "environment":
                    why += f" (check ${ENV_DATA} for a typo)"
            raise _not_found(spec, home, why)
        if origin == "environment" and not home_exists:
            raise _not_found(
                spec,
                home,
                f"that directory does not exist. ${ENV_DATA} names it, and the loader does not "
                f"create a directory from ${ENV_DATA} in case the name is mistyped: check the "
                f"spelling, or create it (`mkdir -p {_q(home)}`) to download there",
            )
        created: list[Path] = []
        try:
            created = _make_dirs(home)
            if spec.archive_member:
                created += _make_dirs(home / "downloads")
                zpath = _download_to(spec.url, home / "downloads" / f"{spec.name}.zip", None, spec)
                convert_online_retail_archive(zpath, path, spec)
            else:
                _download_to(spec.url, path, spec.sha256, spec)
        except BaseException as exc:
            if not path.exists():
                _remove_empty_dirs(created)
            if isinstance(exc, (DataIntegrityError, DataAccessError, DataNotFoundError)):
                raise
            if isinstance(exc, PermissionError):
                raise DataAccessError(
                    f"cannot write to the data directory {home} ({exc}). Give this user write "
                    f"permission there, or pass data_home= (or set ${ENV_DATA}) to a writable "
                    f"directory."
                ) from exc
            if isinstance(exc, Exception):  # network errors, HTTP errors
                raise _not_found(
                    spec, home, f"the download failed ({type(exc).__name__}: {exc})"
                ) from exc
            raise
    if spec.sha256 is not None:
        digest = hashlib.sha256(read_data_file(path, spec)).hexdigest()
        if digest != spec.sha256:
            raise DataIntegrityError(
                f"{path}: SHA-256 is {digest}, expected {spec.sha256}. The file is truncated, "
                f"altered or a different version. " + _aside_advice(path, spec)
            )
    return path


# ---------------------------------------------------------------- content checks
def check_columns(df: pd.DataFrame, spec: DatasetSpec, source: str) -> None:
    """Raise :class:`DataIntegrityError` naming every required column that is missing."""
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise DataIntegrityError(
            f"{source}: wrong schema, missing column(s) {missing}; found {list(df.columns)}. "
            f"Expected the {spec.title or spec.name} columns {list(spec.columns)}."
        )


def _content_advice(spec: DatasetSpec, path: Path | None) -> str:
    if path is None:
        return f"Get the original from {spec.url}."
    return _aside_advice(path, spec)


def verify_fingerprints(
    facts: Mapping[str, float],
    spec: DatasetSpec,
    source: str,
    *,
    tol: float = 5e-4,
    path: str | os.PathLike | None = None,
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
    path : path-like, optional
        The file checked; the message then says how to set it aside.

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
            ok = (
                math.isfinite(float(got))
                and float(got) == float(int(got))
                and int(got) == expected
            )
        else:
            ok = math.isclose(float(got), float(expected), rel_tol=0.0, abs_tol=tol)
        if not ok:
            bad.append(f"{key} is {got:,} but should be {expected:,}")
    if bad:
        raise DataIntegrityError(
            f"{source}: content does not match {spec.title or spec.name}: "
            + "; ".join(bad)
            + ". The file is truncated, altered or a different version. "
            + _content_advice(spec, None if path is None else Path(path))
        )


def verify_content(
    digests: Mapping[str, str],
    spec: DatasetSpec,
    source: str,
    *,
    path: str | os.PathLike | None = None,
) -> None:
    """Compare canonical column digests with the registry's ``content_sha256``.

    Parameters
    ----------
    digests : mapping of str to str
        Measured digests, e.g. from :func:`online_retail_digests`.
    spec : DatasetSpec
        Registry entry; nothing is checked when its ``content_sha256`` is empty.
    source : str
        File name for the message.
    path : path-like, optional
        The file checked; the message then says how to set it aside.

    Raises
    ------
    DataIntegrityError
        Names every column whose content differs.
    """
    bad = [c for c, want in spec.content_sha256.items() if digests.get(c) != want]
    if bad:
        raise DataIntegrityError(
            f"{source}: content differs from {spec.title or spec.name} in column(s) "
            f"{', '.join(bad)}: the SHA-256 of the canonical form of "
            f"{'that column' if len(bad) == 1 else 'those columns'} does not match the "
            f"registry (counts and sums were checked before, so single values were edited, "
            f"rows reordered, or this is a different version of the data). "
            + _content_advice(spec, None if path is None else Path(path))
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
    total = float((qty * price).sum())
    qsum = float(qty.sum())
    return {
        "rows": len(raw),
        "distinct InvoiceNo": raw["InvoiceNo"].astype(str).nunique(),
        "distinct StockCode": raw["StockCode"].astype(str).nunique(),
        "distinct CustomerID": raw["CustomerID"].nunique(),
        "distinct Country": raw["Country"].nunique(),
        "sum Quantity": int(qsum) if math.isfinite(qsum) and qsum.is_integer() else qsum,
        "sum Quantity*UnitPrice": round(total, 3) if math.isfinite(total) else total,
        "missing Description": int(raw["Description"].isna().sum()),
        "missing CustomerID": int(raw["CustomerID"].isna().sum()),
    }


# ---------------------------------------------------------------- canonical content hash
#: Version tag hashed into every column digest; change it when the canonical form changes.
CANONICAL_VERSION = "retail_lab-canonical-v1"

#: The Online Retail columns in canonical order, each with its canonical kind.
ONLINE_RETAIL_CANONICAL = (
    ("InvoiceNo", "utf8"),
    ("StockCode", "utf8"),
    ("Description", "utf8"),
    ("Quantity", "f8"),
    ("InvoiceDate", "ns"),
    ("UnitPrice", "f8"),
    ("CustomerID", "f8"),
    ("Country", "utf8"),
)

#: Format of InvoiceDate when it is stored as text (the upstream parquet and our conversion).
INVOICE_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

#: Mis-decoded UTF-8 pound sign (32 descriptions of the third-party parquet); the upstream
#: xlsx has ``£``. The canonical form uses ``£`` so both copies have the same digest.
MOJIBAKE = {"Â£": "£"}


def _as_text(s: pd.Series) -> pd.Series:
    """Present values as str (non-str ones through ``str``), missing ones as None."""
    obj = s.astype(object)
    miss = s.isna().to_numpy()
    out = [None if m else (v if isinstance(v, str) else str(v)) for v, m in zip(obj, miss)]
    return pd.Series(out, index=s.index, dtype=object)


def _utf8_arrays(s: pd.Series) -> tuple[np.ndarray, np.ndarray, memoryview]:
    """(validity uint8, byte lengths int64, concatenated UTF-8 bytes) of a text column."""
    import pyarrow as pa

    try:
        arr = pa.array(s, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(_as_text(s), type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8)
    arr = arr.fill_null("")
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        arr.offset : arr.offset + len(arr) + 1
    ]
    data = arr.buffers()[2]
    body = memoryview(data)[offsets[0] : offsets[-1]] if data is not None else memoryview(b"")
    return valid, np.diff(offsets).astype("<i8"), body


def canonical_online_retail(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """The canonical values of each Online Retail column (the input of the content hash).

    Text columns: str values, missing ones as missing; Description with ``Â£`` read as ``£``.
    Quantity, UnitPrice, CustomerID: float64 by value (text parsed as numbers, unparseable
    ones missing). InvoiceDate: datetime64[ns], text parsed with ``%Y-%m-%d %H:%M:%S``
    (unparseable text missing). Row order is the file's.
    """
    out: dict[str, pd.Series] = {}
    for col, kind in ONLINE_RETAIL_CANONICAL:
        s = raw[col]
        if kind == "utf8":
            if col == "Description":
                s = s.astype("string")
                for bad, good in MOJIBAKE.items():
                    s = s.str.replace(bad, good, regex=False)
            out[col] = s
        elif kind == "f8":
            out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            if pd.api.types.is_datetime64_any_dtype(s):
                d = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
            else:
                d = pd.to_datetime(s, format=INVOICE_DATE_FORMAT, errors="coerce")
            out[col] = d.astype("datetime64[ns]")
    return out


def _column_digest(col: str, kind: str, s: pd.Series) -> str:
    h = hashlib.sha256(f"{CANONICAL_VERSION}\x00{col}\x00{kind}\x00".encode())
    if kind == "utf8":
        valid, lengths, body = _utf8_arrays(s)
        h.update(valid.tobytes())
        h.update(lengths.tobytes())
        h.update(body)
        return h.hexdigest()
    if kind == "f8":
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        valid = ~np.isnan(values)
        payload = np.where(valid, values, 0.0) + 0.0  # + 0.0 turns -0.0 into 0.0
    else:
        valid = s.notna().to_numpy()
        payload = np.where(valid, s.to_numpy(dtype="datetime64[ns]").view("int64"), 0)
    h.update(valid.astype(np.uint8).tobytes())
    h.update(payload.astype("<f8" if kind == "f8" else "<i8").tobytes())
    return h.hexdigest()


def online_retail_digests(
    raw: pd.DataFrame, canonical: Mapping[str, pd.Series] | None = None
) -> dict[str, str]:
    """SHA-256 of the canonical form of every Online Retail column.

    The canonical form (version ``retail_lab-canonical-v1``) of a table with ``n`` rows, in
    the order of the file (the upstream order), is, for each column separately:

    * a header: ``"retail_lab-canonical-v1\\0<column>\\0<kind>\\0"`` in UTF-8;
    * ``n`` validity bytes, 1 for a present value, 0 for a missing one (None, NaN, NaT,
      <NA>, text that does not parse as a number or date);
    * the payload, by kind:

      - ``utf8`` (InvoiceNo, StockCode, Description, Country): ``n`` little-endian int64
        byte lengths (0 for missing), then the UTF-8 bytes of the present values, one after
        another. Description has ``Â£`` replaced by ``£`` (the one known difference between
        the third-party parquet and the upstream xlsx). No other normalisation: spaces and
        case count.
      - ``f8`` (Quantity, UnitPrice, CustomerID): ``n`` little-endian IEEE-754 float64
        values by *value* (6, 6.0 and "6" are equal; exact for integers below 2**53), 0.0
        for missing, -0.0 written as 0.0.
      - ``ns`` (InvoiceDate): ``n`` little-endian int64 nanoseconds since 1970-01-01 of the
        naive timestamp, 0 for missing; text is parsed with ``%Y-%m-%d %H:%M:%S``.

    The digests are hashed with ``hashlib.sha256`` over whole columns (numpy and Arrow
    buffers, no Python loop per row): about 0.2 s for the full file.

    Parameters
    ----------
    raw : DataFrame
        Online Retail in its upstream schema (the parquet as read, or the xlsx conversion).
    canonical : mapping, optional
        The output of :func:`canonical_online_retail` for ``raw``, when already computed.

    Returns
    -------
    dict of str to str
        Column name to hex digest, in canonical order.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"InvoiceNo": ["536365"], "StockCode": ["85123A"],
    ...                   "Description": ["HEART"], "Quantity": [6],
    ...                   "InvoiceDate": ["2010-12-01 08:26:00"], "UnitPrice": [2.55],
    ...                   "CustomerID": [17850.0], "Country": ["United Kingdom"]})
    >>> d = online_retail_digests(t)
    >>> list(d)[:3], len(d["Country"])
    (['InvoiceNo', 'StockCode', 'Description'], 64)
    >>> t2 = t.assign(Quantity=["6"])  # the same value, stored as text
    >>> online_retail_digests(t2) == d
    True
    """
    canon = canonical if canonical is not None else canonical_online_retail(raw)
    return {col: _column_digest(col, kind, canon[col]) for col, kind in ONLINE_RETAIL_CANONICAL}


# ---------------------------------------------------------------- conversion
def _online_retail_upstream_schema(x: pd.DataFrame) -> pd.DataFrame:
    """Bring an xlsx read of Online Retail into the parquet schema (text ids and dates)."""
    out = pd.DataFrame(
        {
            "InvoiceNo": x["InvoiceNo"].astype(str),
            "StockCode": x["StockCode"].astype(str),
            "Description": x["Description"].astype(object).where(x["Description"].notna(), None),
            "Quantity": pd.to_numeric(x["Quantity"]).astype("int64"),
            "InvoiceDate": pd.to_datetime(x["InvoiceDate"]).dt.strftime(INVOICE_DATE_FORMAT),
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

    The xlsx is parsed once (slow: about two minutes for the full file); the table is
    checked against the registry's fingerprints and canonical column digests before it is
    written, so a bad archive never becomes a cached file.

    Parameters
    ----------
    zip_path : path-like
        The downloaded archive.
    out_path : path-like
        Final parquet path; written via ``.<name>.part-<pid>`` and an atomic rename
        (temporaries of killed conversions are removed first, see
        :func:`remove_stale_partials`).
    spec : DatasetSpec, optional
        Defaults to the registry's ``online_retail`` entry.

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    DataIntegrityError
        The archive is not a zip, lacks the member, the member is not an xlsx, or its
        content does not match the registry (the message names the facts or columns).
    DataAccessError
        The archive cannot be read (permission denied, a directory).
    """
    spec = spec or get_spec("online_retail")
    out_path = Path(out_path)
    zip_path = Path(zip_path)
    blob_zip = read_data_file(zip_path, spec)
    try:
        with zipfile.ZipFile(io.BytesIO(blob_zip)) as zf:
            names = zf.namelist()
            if spec.archive_member not in names:
                raise DataIntegrityError(
                    f"{zip_path}: the archive has no member {spec.archive_member!r} (members: "
                    f"{names}). " + _aside_advice(zip_path, spec)
                )
            blob = zf.read(spec.archive_member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise DataIntegrityError(
            f"{zip_path}: not a valid zip archive ({exc}); it is truncated or not the upstream "
            f"file. " + _aside_advice(zip_path, spec)
        ) from exc
    try:
        x = pd.read_excel(io.BytesIO(blob), engine="openpyxl")
    except ImportError:
        raise
    except Exception as exc:
        raise DataIntegrityError(
            f"{zip_path} ({spec.archive_member}): cannot be read as an Excel workbook ({exc}). "
            + _aside_advice(zip_path, spec)
        ) from exc
    check_columns(x, spec, spec.archive_member)
    table = _online_retail_upstream_schema(x)
    verify_fingerprints(online_retail_facts(table), spec, spec.archive_member, path=zip_path)
    verify_content(online_retail_digests(table), spec, spec.archive_member, path=zip_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out_path.parent, {out_path.name})
    tmp = _partial_name(out_path)
    try:
        table.to_parquet(tmp, index=False)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out_path
