"""The book's recommendation protocol: temporal split, user-item matrix, two test protocols."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._checks import as_date
from ._validation import _positive_int, _real
from ..schema import check_transactions

__all__ = ["RecSplit", "interaction_matrix", "temporal_split", "history_split", "item_descriptions", "recency_matrix",
           "book_splits", "splits_by_months", "check_no_leakage", "VALIDATION_CUTOFF", "TEST_CUTOFF"]

#: The book's protocol: hyperparameters are chosen on a validation split (train before
#: VALIDATION_CUTOFF, validate up to TEST_CUTOFF), then models are refit on everything
#: before TEST_CUTOFF and tested from TEST_CUTOFF to the end of the data. These are the
#: dates of Online Retail (2010-12-01 to 2011-12-09); :func:`book_splits` takes other
#: cutoffs for other data, and :func:`splits_by_months` derives them from the data.
VALIDATION_CUTOFF = "2011-08-01"
TEST_CUTOFF = "2011-09-01"


def _check_lines(tx, columns, what="transactions") -> None:
    check_transactions(tx, columns, what=what)


def _labels(labels, name: str) -> pd.Index:
    """``labels`` as a unique Index without missing values."""
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of ids (an Index), got the single string {labels!r}")
    idx = labels if isinstance(labels, pd.Index) else pd.Index(labels)
    if not idx.is_unique:
        raise ValueError(f"{name} must be unique (one row/column per id), but "
                         f"{idx[idx.duplicated()][:3].tolist()} appear more than once")
    if idx.hasnans:
        raise ValueError(f"{name} contains a missing id (NaN/None)")
    return idx


def _check_dates(tx: pd.DataFrame, what="transactions") -> None:
    d = tx["InvoiceDate"]
    if not pd.api.types.is_datetime64_any_dtype(d):
        raise TypeError(f"{what}' InvoiceDate must be datetime64, got {d.dtype}; convert it with "
                        "pd.to_datetime(tx['InvoiceDate'])")
    if d.isna().any():
        raise ValueError(f"{what} have {int(d.isna().sum())} line(s) without an InvoiceDate; "
                         "clean them first (retail_lab.quality.clean)")


def _no_match_error(tx, users, items, r, c) -> ValueError:
    which = []
    if not (r >= 0).any():
        which.append(f"no CustomerID is among users (CustomerID dtype {tx['CustomerID'].dtype}, "
                     f"e.g. {tx['CustomerID'].iloc[0]!r}; users dtype {users.dtype}, e.g. "
                     f"{users[0] if len(users) else None!r})")
    if not (c >= 0).any():
        which.append(f"no StockCode is among items (StockCode dtype {tx['StockCode'].dtype}, "
                     f"e.g. {tx['StockCode'].iloc[0]!r}; items dtype {items.dtype}, e.g. "
                     f"{items[0] if len(items) else None!r})")
    reason = "; ".join(which) or "no line has both a known user and a known item"
    return ValueError(f"none of the {len(tx)} lines falls in the matrix: {reason}. Ids of different "
                      "types (e.g. 12347.0 vs '12347') never match: convert both the same way")


def interaction_matrix(tx: pd.DataFrame, users: pd.Index, items: pd.Index, binary: bool = True) -> sp.csr_matrix:
    """User-item matrix from purchase lines; rows follow ``users``, columns ``items``.

    Parameters
    ----------
    tx : DataFrame
        Lines with CustomerID, StockCode (and Quantity when ``binary=False``).
    users, items : Index
        Row and column labels; lines with other users or items are ignored.
    binary : bool, default True
        1 if the user ever bought the item, else the number of lines.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (len(users), len(items)), float32

    Raises
    ------
    ValueError
        If ``users`` or ``items`` repeat an id, or ``tx`` has lines but none of them falls
        in the matrix (usually ids of different types, e.g. 12347.0 vs '12347').
    """
    _check_lines(tx, ["CustomerID", "StockCode"])
    users, items = _labels(users, "users"), _labels(items, "items")
    if not isinstance(binary, (bool, np.bool_)):
        raise TypeError(f"binary must be True or False, got {binary!r}")
    r = users.get_indexer(tx["CustomerID"])
    c = items.get_indexer(tx["StockCode"])
    ok = (r >= 0) & (c >= 0)
    if len(tx) and not ok.any():
        raise _no_match_error(tx, users, items, r, c)
    m = sp.csr_matrix((np.ones(ok.sum(), dtype=np.float32), (r[ok], c[ok])),
                      shape=(len(users), len(items)))
    m.sum_duplicates()
    if binary:
        m.data[:] = 1.0
    return m


@dataclass
class RecSplit:
    """A temporal split for top-N recommendation.

    Attributes
    ----------
    train, test : DataFrame
        Clean purchase lines before the cutoff / from the cutoff to ``end``.
    users : Index
        Every customer with a training purchase (rows of ``X``).
    items : Index
        Every product bought in training (columns of ``X``; the ranking is over all of them).
    X : csr_matrix, shape (n_users, n_items)
        Binary training interactions.
    cutoff : Timestamp
        First instant of the test period (every training line is before it).
    """

    train: pd.DataFrame
    test: pd.DataFrame
    users: pd.Index
    items: pd.Index
    X: sp.csr_matrix
    cutoff: pd.Timestamp | None = None

    def protocol(self, name: str) -> tuple[np.ndarray, list[set], bool]:
        """Evaluation users, their relevant items, and whether to exclude seen items.

        ``"all"``: every test purchase counts, repeats included; nothing is excluded.
        ``"new"``: only items the user had not bought before the cutoff count, and those
        already bought are removed from the ranking; users with no new item are dropped.

        Returns
        -------
        rows : ndarray of int
            Row indices into ``X`` of the evaluated users.
        relevant : list of set of int
            Column indices of each user's test items.
        exclude_seen : bool
        """
        if name not in ("all", "new"):
            raise ValueError(f"protocol must be 'all' or 'new', got {name!r}")
        t = self.test
        r = self.users.get_indexer(t["CustomerID"])
        c = self.items.get_indexer(t["StockCode"])
        ok = (r >= 0) & (c >= 0)
        pairs = pd.DataFrame({"r": r[ok], "c": c[ok]}).drop_duplicates()
        if name == "new":
            seen = self.X[pairs["r"].to_numpy(), pairs["c"].to_numpy()].A1 > 0
            pairs = pairs[~seen]
        groups = pairs.groupby("r")["c"].apply(lambda s: set(s.tolist()))
        return groups.index.to_numpy(), groups.tolist(), name == "new"

    def summary(self) -> dict:
        rows_all, _, _ = self.protocol("all")
        rows_new, _, _ = self.protocol("new")
        return {
            "train_lines": len(self.train), "test_lines": len(self.test),
            "train_users": len(self.users), "items": len(self.items),
            "eval_users_all": len(rows_all), "eval_users_new": len(rows_new),
        }


def temporal_split(tx: pd.DataFrame, cutoff: str = "2011-09-01", end: str | None = None,
                   start: str | None = None) -> RecSplit:
    """Split clean purchase lines at ``cutoff``: train before, test from cutoff to ``end``.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines (``retail_lab.quality.clean(...).clean``) with CustomerID,
        StockCode, InvoiceDate (datetime64).
    cutoff : str
        First instant of the test period.
    end : str, optional
        End of the test period (exclusive); default: the end of the data.
    start : str, optional
        Drop training lines before this date.

    Returns
    -------
    RecSplit
    """
    _check_lines(tx, ["CustomerID", "StockCode", "InvoiceDate"])
    _check_dates(tx)
    cut = as_date(cutoff, "cutoff")
    d = tx["InvoiceDate"]
    train = tx[(d < cut) & tx["CustomerID"].notna()]
    if start is not None:
        train = train[train["InvoiceDate"] >= as_date(start, "start")]
    test = tx[(d >= cut) & tx["CustomerID"].notna()]
    if end is not None:
        end_t = as_date(end, "end")
        if end_t <= cut:
            raise ValueError(f"end {end!r} must be after cutoff {cutoff!r}")
        test = test[test["InvoiceDate"] < end_t]
    if train.empty or test.empty:
        lines = tx[tx["CustomerID"].notna()]["InvoiceDate"]
        span = (f"the data's purchases with a CustomerID run from {_day(lines.min())} to {_day(lines.max())}"
                if len(lines) else "the data have no purchase with a CustomerID")
        period = "training" if train.empty else "test"
        if start is not None:
            span += f", training from start {_day(as_date(start, 'start'))}"
        if end is not None:
            span += f", testing until end {_day(as_date(end, 'end'))}"
        raise ValueError(f"cutoff {_day(cut)} leaves an empty {period} period ({len(train)} training, "
                         f"{len(test)} test lines): {span}; choose a cutoff "
                         "inside that range (recsys.splits_by_months(tx) picks month boundaries "
                         "from the data)")
    if train["StockCode"].isna().any():
        raise ValueError(f"{int(train['StockCode'].isna().sum())} training line(s) have no StockCode; "
                         "clean the lines first (retail_lab.quality.clean)")
    users = pd.Index(np.sort(train["CustomerID"].unique()), name="CustomerID")
    items = pd.Index(np.sort(train["StockCode"].unique()), name="StockCode")
    return RecSplit(train, test, users, items, interaction_matrix(train, users, items), cut)


def history_split(tx: pd.DataFrame) -> RecSplit:
    """Every clean purchase line as training data and no test period: what a model that goes
    live is fitted on (after a temporal split chose it).

    The cutoff is one second after the last purchase, so models that measure ages or periods
    from the cutoff (``Reranker``, ``recency_matrix``) see the whole history.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines with CustomerID, StockCode, InvoiceDate (datetime64); lines
        without a CustomerID are not used.

    Returns
    -------
    RecSplit
        With an empty ``test``.
    """
    _check_lines(tx, ["CustomerID", "StockCode", "InvoiceDate"])
    _check_dates(tx)
    train = tx[tx["CustomerID"].notna()]
    if train.empty:
        raise ValueError("the data have no purchase with a CustomerID: there is nothing to fit on")
    if train["StockCode"].isna().any():
        raise ValueError(f"{int(train['StockCode'].isna().sum())} line(s) have no StockCode; "
                         "clean the lines first (retail_lab.quality.clean)")
    cut = train["InvoiceDate"].max() + pd.Timedelta(seconds=1)
    users = pd.Index(np.sort(train["CustomerID"].unique()), name="CustomerID")
    items = pd.Index(np.sort(train["StockCode"].unique()), name="StockCode")
    return RecSplit(train, train.iloc[:0], users, items, interaction_matrix(train, users, items), cut)


def _day(ts: pd.Timestamp) -> str:
    """A timestamp as a date when it is midnight, else in full (for messages)."""
    return str(ts.date()) if ts == ts.normalize() else str(ts)


def item_descriptions(tx: pd.DataFrame, items: pd.Index) -> list[str]:
    """The most frequent Description of each StockCode in ``items`` ('' when none)."""
    _check_lines(tx, ["StockCode", "Description"])
    items = _labels(items, "items")
    d = tx.dropna(subset=["Description"])
    top = (d.groupby(["StockCode", "Description"], observed=True).size().rename("n").reset_index()
           .sort_values(["StockCode", "n", "Description"], ascending=[True, False, True])
           .drop_duplicates("StockCode").set_index("StockCode")["Description"])
    return [str(top.get(i, "")) for i in items]


def recency_matrix(tx: pd.DataFrame, users: pd.Index, items: pd.Index, cutoff,
                   half_life_days: float = 60.0) -> sp.csr_matrix:
    """Recency-weighted purchase counts: each invoice of (user, item) adds ``0.5 ** (age / half_life)``.

    Parameters
    ----------
    tx : DataFrame
        Purchase lines before ``cutoff`` with CustomerID, StockCode, InvoiceNo, InvoiceDate.
    cutoff : str or Timestamp
        Ages are measured from here (days).
    half_life_days : float
        A purchase this old counts half; > 0.

    Returns
    -------
    csr_matrix, shape (len(users), len(items)), float32
    """
    _real("half_life_days", half_life_days, 0, None, low_inclusive=False)
    _check_lines(tx, ["CustomerID", "StockCode", "InvoiceNo", "InvoiceDate"])
    _check_dates(tx)
    users, items = _labels(users, "users"), _labels(items, "items")
    t = tx.drop_duplicates(["CustomerID", "StockCode", "InvoiceNo"])
    age = (as_date(cutoff, "cutoff") - t["InvoiceDate"]).dt.total_seconds().to_numpy() / 86400.0
    if (age < 0).any():
        raise ValueError("transactions after the cutoff would leak into the weights")
    w = np.power(0.5, age / half_life_days).astype(np.float32)
    r = users.get_indexer(t["CustomerID"])
    c = items.get_indexer(t["StockCode"])
    ok = (r >= 0) & (c >= 0)
    if len(t) and not ok.any():
        raise _no_match_error(t, users, items, r, c)
    m = sp.csr_matrix((w[ok], (r[ok], c[ok])), shape=(len(users), len(items)))
    m.sum_duplicates()
    return m


def _book_cutoffs(validation_cutoff, test_cutoff) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The book protocol's two cutoffs as timestamps; ValueError unless the test cutoff is
    after the validation cutoff (the validation period lies between them)."""
    val_cut = as_date(validation_cutoff, "validation_cutoff")
    test_cut = as_date(test_cutoff, "test_cutoff")
    if not test_cut > val_cut:
        raise ValueError(f"test_cutoff ({test_cut.date()}) must be after validation_cutoff "
                         f"({val_cut.date()}): the validation period lies between them")
    return val_cut, test_cut


def book_splits(tx: pd.DataFrame, validation_cutoff=VALIDATION_CUTOFF,
                test_cutoff=TEST_CUTOFF) -> tuple[RecSplit, RecSplit]:
    """The validation and test splits of the book's protocol, checked for leakage.

    Parameters
    ----------
    tx : DataFrame
        Clean product lines (``retail_lab.quality.clean(...).clean``).
    validation_cutoff : str or Timestamp, default :data:`VALIDATION_CUTOFF` ("2011-08-01")
        Start of the validation period (training before it).
    test_cutoff : str or Timestamp, default :data:`TEST_CUTOFF` ("2011-09-01")
        End of the validation period and start of the test period (to the end of the data);
        after ``validation_cutoff``. The defaults are the book's dates for Online Retail;
        for other data give dates inside it, or use :func:`splits_by_months`.

    Returns
    -------
    validation : RecSplit
        Train before ``validation_cutoff``, validate until ``test_cutoff``.
    test : RecSplit
        Train before ``test_cutoff``, test from ``test_cutoff`` to the end of the data.

    Raises
    ------
    ValueError
        If a cutoff is not a date, ``test_cutoff`` is not after ``validation_cutoff``, or a
        cutoff leaves an empty training, validation or test period (the message gives the
        data's date range).
    RuntimeError
        If any training line is not strictly before its split's cutoff, or a test line
        falls outside its test period (would mean leakage). Checked explicitly, so the check
        also runs under ``python -O``.
    """
    val_cut, test_cut = _book_cutoffs(validation_cutoff, test_cutoff)
    val = temporal_split(tx, cutoff=val_cut, end=test_cut)
    test = temporal_split(tx, cutoff=test_cut)
    for s, end in ((val, test_cut), (test, None)):
        check_no_leakage(s, end)
    return val, test


def splits_by_months(tx: pd.DataFrame, test_months: int = 1,
                     validation_months: int = 1) -> tuple[RecSplit, RecSplit]:
    """:func:`book_splits` with cutoffs at month boundaries read from the data.

    The test period is the data's last ``test_months`` calendar months (the last one may be
    partial: it ends with the data); the validation period the ``validation_months`` months
    before it. On Online Retail (last purchase 2011-12-09), ``test_months=4`` gives the
    book's cutoffs 2011-08-01 and 2011-09-01.

    Parameters
    ----------
    tx : DataFrame
        Clean product lines with InvoiceDate (datetime64) and CustomerID.
    test_months, validation_months : int
        Positive.

    Returns
    -------
    validation, test : RecSplit
        As :func:`book_splits`; the cutoffs are ``validation.cutoff`` and ``test.cutoff``.

    Raises
    ------
    ValueError
        If the data are too short for the periods asked (no training line before the
        validation cutoff); the message gives the data's date range.
    """
    _check_lines(tx, ["CustomerID", "StockCode", "InvoiceDate"])
    _check_dates(tx)
    test_months = _positive_int("test_months", test_months)
    validation_months = _positive_int("validation_months", validation_months)
    dates = tx.loc[tx["CustomerID"].notna(), "InvoiceDate"]
    if dates.empty:
        raise ValueError("tx has no purchase with a CustomerID; there is nothing to split")
    last_month = dates.max().to_period("M")
    test_cut = (last_month - (test_months - 1)).start_time
    val_cut = (last_month - (test_months - 1) - validation_months).start_time
    if not dates.min() < val_cut:
        raise ValueError(f"the data run from {dates.min()} to {dates.max()}: too short for "
                         f"{validation_months} validation and {test_months} test month(s) with a "
                         f"training period before {val_cut.date()}; ask for fewer months")
    return book_splits(tx, val_cut, test_cut)


def check_no_leakage(split: RecSplit, end=None) -> None:
    """Raise RuntimeError if a training line is at or after ``split.cutoff``, a test line is
    before it, or (with ``end``) a test line is at or after ``end``."""
    problems = []
    if len(split.train) and not split.train["InvoiceDate"].max() < split.cutoff:
        problems.append(f"a training line at or after the cutoff {split.cutoff.date()}")
    if len(split.test) and not split.test["InvoiceDate"].min() >= split.cutoff:
        problems.append(f"a test line before the cutoff {split.cutoff.date()}")
    if end is not None and len(split.test) and not split.test["InvoiceDate"].max() < pd.Timestamp(end):
        problems.append(f"a test line at or after the end of its period {pd.Timestamp(end).date()}")
    if problems:
        raise RuntimeError("leakage between training and test data: " + "; ".join(problems))
