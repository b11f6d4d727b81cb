"""Top-N recommenders for implicit feedback (purchases), scikit-learn style.

Every model: ``fit(X)`` on a user-item matrix returns self; ``score(rows)`` gives a dense
(n_rows, n_items) array; ``recommend(rows, k, exclude_seen)`` ranks the full catalogue.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["Recommender", "Popularity", "ItemKNN", "FusedItemKNN", "RepeatBuyer", "EASE", "Blend",
           "text_similarity", "top_k"]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores per row, best first; ties broken by lower index."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    n_rows, n_items = scores.shape
    k = min(k, n_items)
    if k * 4 >= n_items or n_rows == 0:
        return np.argsort(-scores, axis=1, kind="stable")[:, :k]
    # Same result as the full stable sort, faster: keep every score above the k-th largest,
    # then the lowest-index items among those tied with it, and sort only those k.
    s = np.where(np.isnan(scores), -np.inf, scores)
    kth = -np.partition(-s, k - 1, axis=1)[:, k - 1:k]
    above = s > kth
    tied = s == kth
    need = k - above.sum(axis=1, keepdims=True)
    keep = above | (tied & (np.cumsum(tied, axis=1) <= need))
    cols = np.nonzero(keep)[1].reshape(n_rows, k)
    order = np.argsort(-np.take_along_axis(s, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


class Recommender:
    """Base class: subclasses implement ``fit`` and ``score``."""

    X_: sp.csr_matrix

    def _check_fitted(self):
        if not hasattr(self, "X_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(X) first")

    def recommend(self, rows, k: int = 10, exclude_seen=False) -> np.ndarray:
        """Top-k item indices for the users in ``rows``, shape (len(rows), k).

        ``exclude_seen``: False; True (drop the items in the fitted matrix); or a user-item
        matrix whose non-zeros are dropped (e.g. the full training history when the model was
        fitted on a part of it).
        """
        self._check_fitted()
        rows = np.asarray(rows, dtype=int)
        return self.rank(self.score(rows), rows, k, exclude_seen)

    def rank(self, scores, rows, k: int = 10, exclude_seen=False) -> np.ndarray:
        """Top-k of precomputed ``scores`` (shape (len(rows), n_items)) for users ``rows``;
        ``exclude_seen`` as in :meth:`recommend`. Lets one scoring serve several protocols."""
        s = np.array(scores, dtype=float)
        if exclude_seen is not False and exclude_seen is not None:
            seen = (self.X_ if exclude_seen is True else sp.csr_matrix(exclude_seen))[np.asarray(rows, dtype=int)]
            s[seen.nonzero()] = -np.inf
        return top_k(s, k)


class Popularity(Recommender):
    """Rank items by how many distinct users bought them in training (same list for all)."""

    def fit(self, X) -> "Popularity":
        self.X_ = sp.csr_matrix(X)
        self.counts_ = np.asarray((self.X_ > 0).sum(axis=0)).ravel().astype(float)
        return self

    def score(self, rows) -> np.ndarray:
        self._check_fitted()
        return np.tile(self.counts_, (len(np.atleast_1d(rows)), 1))


class ItemKNN(Recommender):
    """Item-item collaborative filtering with cosine similarity on binary purchases.

    ``s_ij = |U_i & U_j| / sqrt(|U_i| |U_j|)`` (U_i: buyers of item i); a user's score for
    item i is ``sum_j s_ij x_uj`` over the ``n_neighbors`` most similar items j of i.

    Parameters
    ----------
    n_neighbors : int or None, default None
        Keep only each item's most similar items (None: all).
    """

    def __init__(self, n_neighbors: int | None = None):
        self.n_neighbors = n_neighbors

    def fit(self, X) -> "ItemKNN":
        X = sp.csr_matrix(X, dtype=np.float32)
        X.data[:] = 1.0
        self.X_ = X
        norms = np.sqrt(np.asarray(X.sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        co = (X.T @ X).toarray()
        S = co / norms[:, None] / norms[None, :]
        np.fill_diagonal(S, 0.0)
        if self.n_neighbors is not None and self.n_neighbors < S.shape[0]:
            k = self.n_neighbors
            # keep the k largest similarities in each column i (neighbours j of item i)
            drop = np.argsort(-S, axis=0, kind="stable")[k:, :]
            np.put_along_axis(S, drop, 0.0, axis=0)
        self.similarity_ = S.astype(np.float32)
        return self

    def score(self, rows) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.X_[np.asarray(rows, dtype=int)] @ self.similarity_)


def text_similarity(texts) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors (words and word pairs) of item descriptions.

    Parameters
    ----------
    texts : sequence of str, length n_items (missing descriptions as empty strings)

    Returns
    -------
    ndarray, shape (n_items, n_items), float32, zero diagonal
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["" if t is None or t != t else str(t) for t in texts]
    V = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(docs)
    S = (V @ V.T).toarray().astype(np.float32)
    np.fill_diagonal(S, 0.0)
    return S


class FusedItemKNN(ItemKNN):
    """Item-kNN on a blend of purchase similarity and description-text similarity.

    ``S = alpha * S_purchases + (1 - alpha) * S_text``: ``alpha = 1`` is :class:`ItemKNN`,
    ``alpha = 0`` recommends products whose descriptions resemble what the user bought.

    Parameters
    ----------
    texts : sequence of str
        One description per item, in the column order of ``X``.
    alpha : float in [0, 1]
    n_neighbors : int or None
    """

    def __init__(self, texts, alpha: float = 0.5, n_neighbors: int | None = None):
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        super().__init__(n_neighbors=n_neighbors)
        self.texts, self.alpha = texts, alpha

    def fit(self, X, text_sim: np.ndarray | None = None) -> "FusedItemKNN":
        """Fit; pass a precomputed ``text_similarity(texts)`` to reuse it across alphas."""
        if len(self.texts) != X.shape[1]:
            raise ValueError(f"{len(self.texts)} texts for {X.shape[1]} items")
        super().fit(X)
        T = text_similarity(self.texts) if text_sim is None else text_sim
        self.similarity_ = (self.alpha * self.similarity_ + (1 - self.alpha) * T).astype(np.float32)
        return self


class RepeatBuyer(Recommender):
    """The user's own history, re-ranked: recency-weighted purchase counts first.

    Items the user never bought follow, ordered by overall popularity, so the ranking covers
    the whole catalogue. Fit on a :func:`retail_lab.recsys.data.recency_matrix`.
    """

    def fit(self, W) -> "RepeatBuyer":
        W = sp.csr_matrix(W, dtype=np.float32)
        self.X_ = W
        pop = np.asarray((W > 0).sum(axis=0)).ravel().astype(np.float64)
        self.tiebreak_ = 1e-6 * pop / max(pop.max(), 1.0)
        return self

    def score(self, rows) -> np.ndarray:
        self._check_fitted()
        return self.X_[np.asarray(rows, dtype=int)].toarray() + self.tiebreak_[None, :]


class EASE(Recommender):
    """Embarrassingly shallow autoencoder (Steck, 2019): a closed-form linear item-item model.

    ``B = I - P diag(1 / diag(P))`` with ``P = (X^T X + l2 I)^{-1}``; scores ``X_u B``. The
    diagonal of B is zero, so an item never recommends itself.

    Parameters
    ----------
    l2 : float
        Ridge penalty (> 0); chosen on a validation split.
    """

    def __init__(self, l2: float = 200.0):
        if l2 <= 0:
            raise ValueError(f"l2 must be > 0, got {l2}")
        self.l2 = l2

    def fit(self, X) -> "EASE":
        X = sp.csr_matrix(X, dtype=np.float64)
        self.X_ = X
        G = (X.T @ X).toarray()
        G[np.diag_indices_from(G)] += self.l2
        P = np.linalg.inv(G)
        B = -P / np.diag(P)[None, :]
        np.fill_diagonal(B, 0.0)
        self.B_ = B.astype(np.float32)
        return self

    def score(self, rows) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.X_[np.asarray(rows, dtype=int)] @ self.B_)


class Blend(Recommender):
    """Weighted sum of several fitted recommenders' scores, each scaled per user to [0, 1].

    Lets a model combine signals, e.g. the repeat baseline (what the user buys again) with a
    discovery model (what is new to them): ``s = sum_m w_m * minmax_u(s_m)``.

    Parameters
    ----------
    models : dict of name -> fitted Recommender
        All fitted on the same users and items.
    weights : dict of name -> float
        Non-negative; missing names weigh 0.
    """

    def __init__(self, models: dict, weights: dict):
        if not models:
            raise ValueError("Blend needs at least one model")
        unknown = set(weights) - set(models)
        if unknown:
            raise ValueError(f"weights name unknown models {sorted(unknown)}; models are {sorted(models)}")
        if any(w < 0 for w in weights.values()):
            raise ValueError(f"weights must be >= 0, got {weights}")
        self.models, self.weights = models, weights
        self.X_ = next(iter(models.values())).X_

    def fit(self, X=None) -> "Blend":
        """Nothing to fit: the parts are fitted already. Returns self."""
        return self

    def score(self, rows) -> np.ndarray:
        total = None
        for name, w in self.weights.items():
            if w == 0:
                continue
            s = np.asarray(self.models[name].score(rows), dtype=np.float64)
            lo, hi = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
            s = (s - lo) / np.where(hi > lo, hi - lo, 1.0)
            total = w * s if total is None else total + w * s
        if total is None:
            raise ValueError("every weight is 0")
        return total
