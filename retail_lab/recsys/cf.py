"""Collaborative filtering on a rating scale: the article's formula and the standard forms.

- :func:`article_score` implements the article's section 4.3 formula literally:
  ``r_ui = <u> + <i> + sum_j w_ji x_uj`` (it adds two means, so it leaves the rating scale;
  with the article's inputs it gives 8.3, not the 7.3 the article prints).
- :class:`BaselinePredictor`: ``b_ui = mu + b_u + b_i`` with L2-regularised biases,
  fitted by alternating least squares (Koren 2010).
- :class:`ItemKNNRating`: mean-centred item-kNN,
  ``r_ui = b_ui + sum_{j in N_k(i;u)} s_ij (r_uj - b_uj) / sum_j |s_ij|``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from ._validation import _positive_int, _real

__all__ = ["article_score", "BaselinePredictor", "ItemKNNRating", "TOY_RATINGS"]

#: A small explicit-rating example (1-5 stars): 4 users, 4 items, 11 ratings. Chapter 5 works
#: it by hand; the tests check the models on it against independent implementations.
TOY_RATINGS = pd.DataFrame(
    [("u1", "i1", 5), ("u1", "i2", 3), ("u1", "i3", 4),
     ("u2", "i1", 4), ("u2", "i2", 2),
     ("u3", "i2", 4), ("u3", "i3", 5), ("u3", "i4", 2),
     ("u4", "i1", 2), ("u4", "i3", 1), ("u4", "i4", 5)],
    columns=["user", "item", "rating"],
)


def article_score(user_mean: float, item_mean: float, similarities: Sequence[float],
                  behaviours: Sequence[float]) -> float:
    """The article's formula, as printed: ``<u> + <i> + sum_j w_ji x_uj``.

    With the article's own inputs it gives 8.3; the article prints 7.3 (an arithmetic
    slip on top of the modelling error of adding two means).

    >>> round(article_score(4.0, 3.5, [0.8], [1]), 10)
    8.3
    """
    _real("user_mean", user_mean)
    _real("item_mean", item_mean)
    try:
        w = np.asarray(similarities, dtype=float)
        x = np.asarray(behaviours, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"similarities and behaviours must be sequences of numbers ({err})") from None
    if w.shape != x.shape:
        raise ValueError(f"similarities {w.shape} and behaviours {x.shape} must have the same shape")
    if not (np.isfinite(w).all() and np.isfinite(x).all()):
        raise ValueError("similarities and behaviours must be finite numbers (no NaN or inf)")
    return float(user_mean + item_mean + np.sum(w * x))


def _ratings(df: pd.DataFrame) -> pd.DataFrame:
    need = {"user", "item", "rating"}
    if not isinstance(df, pd.DataFrame) or not need <= set(df.columns):
        raise ValueError(f"ratings must be a DataFrame with columns {sorted(need)}")
    if df.empty:
        raise ValueError("ratings are empty")
    if not pd.api.types.is_numeric_dtype(df["rating"]) or pd.api.types.is_bool_dtype(df["rating"]):
        raise TypeError(f"ratings' rating column must be numeric, got dtype {df['rating'].dtype}; "
                        "convert it with pd.to_numeric")
    if df["rating"].isna().any():
        raise ValueError("ratings contain NaN; drop unrated pairs instead of storing NaN")
    if not np.isfinite(df["rating"].to_numpy(float)).all():
        raise ValueError("ratings contain infinite values; ratings must be finite numbers")
    for col in ("user", "item"):
        if df[col].isna().any():
            raise ValueError(f"ratings have {int(df[col].isna().sum())} row(s) without a {col}; drop them")
    if df.duplicated(["user", "item"]).any():
        raise ValueError("a (user, item) pair appears twice; keep one rating per pair")
    return df


class BaselinePredictor(BaseEstimator):
    """``mu + b_u + b_i`` with biases shrunk towards 0.

    Minimises ``sum (r_ui - mu - b_u - b_i)^2 + reg_user sum b_u^2 + reg_item sum b_i^2``
    with ``mu`` the global mean, by alternating exact updates of the item and user biases.
    ``fit(ratings)`` takes a DataFrame with columns user, item, rating (one row per rated
    pair); ``predict(users, items)`` scores pairs.

    Parameters
    ----------
    reg_user, reg_item : float
        L2 penalties (>= 0).
    n_iter : int
        Alternating rounds (each is exact given the other biases).
    """

    def __init__(self, reg_user: float = 5.0, reg_item: float = 5.0, n_iter: int = 100):
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_iter = n_iter

    def fit(self, ratings: pd.DataFrame) -> "BaselinePredictor":
        reg_user = _real("reg_user", self.reg_user, 0, None)
        reg_item = _real("reg_item", self.reg_item, 0, None)
        n_iter = _positive_int("n_iter", self.n_iter)
        df = _ratings(ratings)
        self.users_ = pd.Index(pd.unique(df["user"]))
        self.items_ = pd.Index(pd.unique(df["item"]))
        u = self.users_.get_indexer(df["user"])
        i = self.items_.get_indexer(df["item"])
        r = df["rating"].to_numpy(float)
        self.mu_ = float(r.mean())
        bu, bi = np.zeros(len(self.users_)), np.zeros(len(self.items_))
        nu, ni = np.bincount(u, minlength=len(bu)), np.bincount(i, minlength=len(bi))
        for _ in range(n_iter):
            bi = np.bincount(i, r - self.mu_ - bu[u], len(bi)) / (reg_item + ni)
            bu = np.bincount(u, r - self.mu_ - bi[i], len(bu)) / (reg_user + nu)
        self.user_bias_ = pd.Series(bu, index=self.users_)
        self.item_bias_ = pd.Series(bi, index=self.items_)
        return self

    def predict(self, users, items) -> np.ndarray:
        """``mu + b_u + b_i``; an unseen user or item contributes a bias of 0."""
        if not hasattr(self, "mu_"):
            raise NotFittedError("This BaselinePredictor instance is not fitted yet; call fit(ratings) first")
        users, items = np.atleast_1d(np.asarray(users, dtype=object)), np.atleast_1d(np.asarray(items, dtype=object))
        if users.ndim != 1 or items.ndim != 1 or len(users) != len(items):
            raise ValueError(f"users and items must be 1-D and of the same length (one pair each), "
                             f"got shapes {users.shape} and {items.shape}")
        bu = self.user_bias_.reindex(users).fillna(0.0).to_numpy()
        bi = self.item_bias_.reindex(items).fillna(0.0).to_numpy()
        return self.mu_ + bu + bi


class ItemKNNRating(BaseEstimator):
    """Mean-centred item-kNN on top of a baseline predictor.

    Similarity: cosine of baseline residuals ``e_uj = r_uj - b_uj`` over users who rated both
    items (adjusted cosine). Prediction for (u, i): the ``k`` items rated by u most similar
    to i (positive similarity only) vote with their residuals.

    Parameters
    ----------
    k : int
        Neighbours per prediction.
    baseline : BaselinePredictor, optional
        The baseline's settings; ``fit`` fits a clone of it into ``baseline_`` (the object
        passed in stays unfitted). Defaults to ``BaselinePredictor()``.

    ``fit(ratings)`` takes a DataFrame with columns user, item, rating.
    """

    def __init__(self, k: int = 20, baseline: BaselinePredictor | None = None):
        self.k = k
        self.baseline = baseline

    def fit(self, ratings: pd.DataFrame) -> "ItemKNNRating":
        _positive_int("k", self.k)
        if self.baseline is not None and not isinstance(self.baseline, BaselinePredictor):
            raise TypeError(f"baseline must be a BaselinePredictor or None, got {type(self.baseline).__name__}")
        df = _ratings(ratings)
        base = BaselinePredictor() if self.baseline is None else clone(self.baseline)
        self.baseline_ = base.fit(df)
        resid = df["rating"].to_numpy(float) - self.baseline_.predict(df["user"], df["item"])
        E = pd.DataFrame({"user": df["user"], "item": df["item"], "e": resid}).pivot(
            index="user", columns="item", values="e")
        self.residuals_ = E
        M = E.to_numpy()
        mask = ~np.isnan(M)
        Z = np.where(mask, M, 0.0)
        num = Z.T @ Z
        sq = (Z**2).T @ mask.astype(float)  # sq[i, j] = sum over users rating both of e_ui^2
        den = np.sqrt(sq * sq.T)
        with np.errstate(invalid="ignore", divide="ignore"):
            S = np.where(den > 0, num / den, 0.0)
        np.fill_diagonal(S, 0.0)
        self.similarity_ = pd.DataFrame(S, index=E.columns, columns=E.columns)
        return self

    def predict_one(self, user, item) -> float:
        """Predicted rating of ``item`` by ``user`` (the baseline for an unseen user or item)."""
        self._check_fitted()
        base = float(self.baseline_.predict([user], [item])[0])
        if user not in self.residuals_.index or item not in self.similarity_.index:
            return base
        e_u = self.residuals_.loc[user].dropna().drop(item, errors="ignore")
        s = self.similarity_.loc[item, e_u.index]
        s = s[s > 0].sort_values(ascending=False, kind="mergesort").iloc[: self.k]
        if s.empty:
            return base
        return base + float((s * e_u[s.index]).sum() / s.abs().sum())

    def _check_fitted(self):
        if not hasattr(self, "similarity_"):
            raise NotFittedError("This ItemKNNRating instance is not fitted yet; call fit(ratings) first")

    def predict(self, users, items) -> np.ndarray:
        """Predicted ratings of the pairs ``zip(users, items)``; both of the same length."""
        self._check_fitted()
        users, items = np.atleast_1d(np.asarray(users, dtype=object)), np.atleast_1d(np.asarray(items, dtype=object))
        if users.ndim != 1 or items.ndim != 1 or len(users) != len(items):
            raise ValueError(f"users and items must be 1-D and of the same length (one pair each), "
                             f"got shapes {users.shape} and {items.shape}")
        return np.array([self.predict_one(u, i) for u, i in zip(users, items)], dtype=float)
