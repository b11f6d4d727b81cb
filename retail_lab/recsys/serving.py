"""Serving a fitted recommender: ``recommend(user_id, k)`` with input checks and a fallback.

Customer ids
------------
The canonical id is the label type of the ``users`` index the model was fitted on. Online
Retail's CustomerID is a string of digits ("12347"), so on the book's data the canonical id
is ``str``. A request may name the customer in any of the forms a person or a spreadsheet
produces, and all of them find the same customer:

- a string, taken as written after trimming surrounding whitespace (" 12347 " is "12347";
  leading zeros are kept: "012347" is a different id); a string of a whole number with a
  decimal point ("12347.0", as Excel exports it) is "12347" (unless "12347.0" is itself an id);
- an int (Python or NumPy), written in decimal: 12347 is "12347";
- a float with a whole value: 12347.0 is "12347".

With an integer ``users`` index the same forms map to the int (e.g. "12347" -> 12347).
Refused with an error: bool (True is not customer 1), None / NaN / NaT (a missing id), an
empty string, infinite or fractional floats (12347.5 is no customer), and other types
(lists, bytes, dates). An id that passes these checks but is not in ``users`` is an unknown
customer: they get the popularity fallback, flagged in ``source``.
"""

from __future__ import annotations

import numbers
import re
import time

import numpy as np
import pandas as pd

from .models import Popularity, Recommender

__all__ = ["RecommendationService"]

_WHOLE = re.compile(r"([+-]?[0-9]+)(?:\.0*)?", re.ASCII)


def _id_kind(users: pd.Index) -> str:
    """'int' (integer labels), 'str' (string labels) or 'other' (mixed or other types)."""
    if users.dtype.kind in "iu":
        return "int"
    values = list(users)
    if values and all(isinstance(v, str) for v in values):
        return "str"
    if values and all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in values):
        return "int"
    return "other"


class RecommendationService:
    """Answer "what should customer X see?" from a fitted model.

    Unknown customers (no purchase in the training data) get the most popular products,
    with ``source`` saying so, rather than an error or a silent guess. How a customer id
    may be written is described in the module docstring (:mod:`retail_lab.recsys.serving`).

    Parameters
    ----------
    model : Recommender
        Fitted on ``users`` x ``items``.
    users, items : Index
        Customer ids (rows) and StockCodes (columns) the model was fitted on; unique.
    descriptions : sequence of str, optional
        One per item, shown next to the StockCode.
    exclude_seen : bool, default True
        Leave out products the customer already bought (a discovery list).
    """

    def __init__(self, model: Recommender, users: pd.Index, items: pd.Index, descriptions=None,
                 exclude_seen: bool = True):
        if not isinstance(model, Recommender):
            raise TypeError(f"model must be a fitted retail_lab Recommender, got {type(model).__name__}")
        model._check_fitted()
        users, items = pd.Index(users), pd.Index(items)
        if model.X_.shape != (len(users), len(items)):
            raise ValueError(f"model is fitted on {model.X_.shape} users x items, "
                             f"but {len(users)} users and {len(items)} items were given")
        for name, idx in (("users", users), ("items", items)):
            if not idx.is_unique:
                dup = idx[idx.duplicated()][:3].tolist()
                raise ValueError(f"{name} must be unique (one row/column per id), but {dup} appear more than once")
            if idx.hasnans:
                raise ValueError(f"{name} contains a missing id (NaN/None); every row/column needs an id")
        if not isinstance(exclude_seen, (bool, np.bool_)):
            raise TypeError(f"exclude_seen must be True or False, got {exclude_seen!r}")
        if descriptions is not None:
            if isinstance(descriptions, str):
                raise TypeError("descriptions must be a sequence with one description per item, got a single string")
            descriptions = ["" if d is None or (not isinstance(d, str) and pd.isna(d)) else str(d)
                            for d in descriptions]
            if len(descriptions) != len(items):
                raise ValueError(f"{len(descriptions)} descriptions for {len(items)} items; give one per item")
        self.model, self.users, self.items = model, users, items
        self.descriptions = descriptions
        self.exclude_seen = bool(exclude_seen)
        self.fallback_ = Popularity().fit(model.X_)
        self.id_kind_ = _id_kind(users)
        self._n_seen = np.diff(model.X_.tocsr().indptr)

    @staticmethod
    def _check_k(k):
        """``k`` as an int >= 1. Always ValueError (also for a wrong type), with the value."""
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise ValueError(f"k must be a positive integer, got {k!r} ({type(k).__name__})")
        if k <= 0:
            raise ValueError(f"k must be a positive integer, got {k}")
        return int(k)

    def canonical_id(self, user_id):
        """The id ``user_id`` stands for, in the label type of ``users`` (see the module docstring).

        Raises
        ------
        TypeError
            For a bool or a type that is no id (list, bytes, date, ...).
        ValueError
            For a missing (None, NaN, NaT), empty, infinite or fractional id.
        """
        if user_id is None or user_id is pd.NA or user_id is pd.NaT:
            raise ValueError(f"customer id is missing ({user_id!r}); give the customer's id, e.g. '12347'")
        if isinstance(user_id, (bool, np.bool_)):
            raise TypeError(f"customer id must be a str or an int, got the bool {user_id!r}")
        if isinstance(user_id, (float, np.floating)):
            if np.isnan(user_id):
                raise ValueError("customer id is missing (NaN); give the customer's id, e.g. '12347'")
            if not np.isfinite(user_id) or user_id != np.floor(user_id):
                raise ValueError(f"customer id {user_id!r} is not a whole number; ids are like '12347'")
            user_id = int(user_id)
        if isinstance(user_id, numbers.Integral):
            v = int(user_id)
            return str(v) if self.id_kind_ == "str" else v
        if isinstance(user_id, str):
            s = user_id.strip()
            if not s:
                raise ValueError(f"customer id is empty ({user_id!r}); give the customer's id, e.g. '12347'")
            m = _WHOLE.fullmatch(s)
            if self.id_kind_ == "int":
                return int(m.group(1)) if m else s
            if self.id_kind_ == "str" and m and s not in self.users and m.group(1) != s:
                return m.group(1)  # "12347.0" -> "12347"
            return s
        if self.id_kind_ == "other":
            try:
                hash(user_id)
            except TypeError:
                raise TypeError(f"customer id must be a str or an int, got {type(user_id).__name__}") from None
            return user_id
        raise TypeError(f"customer id must be a str or an int, got {user_id!r} ({type(user_id).__name__})")

    def row_of(self, user_id) -> int:
        """Row of ``user_id`` in the model's matrix, or -1 for an unknown customer."""
        cid = self.canonical_id(user_id)
        try:
            row = self.users.get_loc(cid)
        except (KeyError, TypeError, ValueError, OverflowError):
            return -1
        return int(row) if isinstance(row, (int, np.integer)) else -1

    def recommend(self, user_id, k: int = 10) -> pd.DataFrame:
        """Top-``k`` products for one customer.

        Parameters
        ----------
        user_id : str or int (or a float with a whole value)
            See the module docstring for the accepted forms.
        k : int
            Products wanted, >= 1. More than can be shown is clipped: a known customer gets
            at most the products they have not bought (with ``exclude_seen``), an unknown
            one at most the whole catalogue; so the frame can have fewer than ``k`` rows
            (none, for a customer who bought everything).

        Returns
        -------
        DataFrame, shape (min(k, available), 4)
            rank, StockCode, Description, source ("model" or "popularity fallback: unknown
            customer <id>"). ``attrs`` holds ``customer_id`` (canonical), ``source`` and
            ``k_requested``, also when the frame is empty.

        Raises
        ------
        ValueError
            If ``k`` is not a positive integer, or the id is missing/empty/not whole.
        TypeError
            If the id is a bool or of a type that is no id.
        """
        k = self._check_k(k)
        cid = self.canonical_id(user_id)
        row = self.row_of(cid)
        if row < 0:
            recs = self.fallback_.recommend([0], k=min(k, len(self.items)))[0]
            source = f"popularity fallback: unknown customer {cid!r}"
        else:
            available = len(self.items) - (int(self._n_seen[row]) if self.exclude_seen else 0)
            n = min(k, available)
            recs = (self.model.recommend([row], k=n, exclude_seen=self.exclude_seen)[0] if n > 0
                    else np.zeros(0, dtype=np.int64))
            source = "model"
        out = pd.DataFrame({
            "rank": np.arange(1, len(recs) + 1),
            "StockCode": self.items[recs],
            "Description": [self.descriptions[i] for i in recs] if self.descriptions else "",
            "source": source,
        })
        out.attrs.update(customer_id=cid, source=source, k_requested=k)
        return out

    def latency(self, user_ids, k: int = 10) -> np.ndarray:
        """Milliseconds per ``recommend`` call, one request at a time, shape (len(user_ids),)."""
        if isinstance(user_ids, (str, bytes)) or np.ndim(user_ids) == 0:
            raise TypeError(f"user_ids must be a sequence of customer ids, got the single value {user_ids!r}; "
                            "for one customer pass [user_id]")
        out = []
        for u in user_ids:
            t = time.perf_counter()
            self.recommend(u, k)
            out.append(1000.0 * (time.perf_counter() - t))
        return np.asarray(out)
