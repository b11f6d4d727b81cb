"""Serving a fitted recommender: ``recommend(user_id, k)`` with input checks and a fallback."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .models import Popularity, Recommender

__all__ = ["RecommendationService"]


class RecommendationService:
    """Answer "what should customer X see?" from a fitted model.

    Unknown customers (no purchase in the training data) get the most popular products,
    with ``source`` saying so, rather than an error or a silent guess.

    Parameters
    ----------
    model : Recommender
        Fitted on ``users`` x ``items``.
    users, items : Index
        Customer ids (rows) and StockCodes (columns) the model was fitted on.
    descriptions : sequence of str, optional
        One per item, shown next to the StockCode.
    exclude_seen : bool, default True
        Leave out products the customer already bought (a discovery list).
    """

    def __init__(self, model: Recommender, users: pd.Index, items: pd.Index, descriptions=None,
                 exclude_seen: bool = True):
        model._check_fitted()
        if model.X_.shape != (len(users), len(items)):
            raise ValueError(f"model is fitted on {model.X_.shape} users x items, "
                             f"but {len(users)} users and {len(items)} items were given")
        self.model, self.users, self.items = model, pd.Index(users), pd.Index(items)
        self.descriptions = None if descriptions is None else list(descriptions)
        self.exclude_seen = exclude_seen
        self.fallback_ = Popularity().fit(model.X_)

    @staticmethod
    def _check_k(k):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"k must be a positive integer, got {k!r} ({type(k).__name__})")
        if k <= 0:
            raise ValueError(f"k must be a positive integer, got {k}")
        return int(k)

    def recommend(self, user_id, k: int = 10) -> pd.DataFrame:
        """Top-``k`` products for one customer.

        Returns
        -------
        DataFrame, shape (k, 4)
            rank, StockCode, Description, source ("model" or "popularity fallback: unknown
            customer <id>").

        Raises
        ------
        ValueError
            If ``k`` is not a positive integer.
        """
        k = self._check_k(k)
        row = self.users.get_indexer([user_id])[0] if user_id in self.users else -1
        if row < 0:
            recs = self.fallback_.recommend([0], k=k)[0]
            source = f"popularity fallback: unknown customer {user_id!r}"
        else:
            recs = self.model.recommend([row], k=k, exclude_seen=self.exclude_seen)[0]
            source = "model"
        return pd.DataFrame({
            "rank": np.arange(1, len(recs) + 1),
            "StockCode": self.items[recs],
            "Description": [self.descriptions[i] for i in recs] if self.descriptions else "",
            "source": source,
        })

    def latency(self, user_ids, k: int = 10) -> np.ndarray:
        """Milliseconds per ``recommend`` call, one request at a time, shape (len(user_ids),)."""
        out = []
        for u in user_ids:
            t = time.perf_counter()
            self.recommend(u, k)
            out.append(1000.0 * (time.perf_counter() - t))
        return np.asarray(out)
