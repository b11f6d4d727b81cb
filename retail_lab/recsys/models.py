"""Top-N recommenders for implicit feedback (purchases), scikit-learn style.

Every model: ``fit(X)`` on a user-item matrix returns self; ``score(rows)`` gives a dense
(n_rows, n_items) array; ``recommend(rows, k, exclude_seen)`` ranks the full catalogue.

``rows`` are always *row positions* in the fitted user-item matrix (integers ``0 .. n_users
- 1``), never customer ids: a negative, fractional, boolean, NaN, string or out-of-range row
is refused with an error (map customer ids to rows with ``users.get_indexer(ids)``, or serve
by id with :class:`retail_lab.recsys.RecommendationService`). A user-item matrix must be
numeric, finite and non-negative, with at least one user and one item.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = ["Recommender", "Popularity", "ItemKNN", "FusedItemKNN", "RepeatBuyer", "EASE", "Blend",
           "text_similarity", "top_k", "check_interactions", "check_rows"]


# --------------------------------------------------------------------------- input checks


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type. Both a TypeError and a ValueError, so code written
    against either (the book's earlier versions raised ValueError) catches it."""


def _positive_int(name: str, value, allow_none: bool = False):
    """``value`` as an int >= 1; TypeError/ValueError naming ``name`` otherwise."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(f"{name} must be a positive integer{' or None' if allow_none else ''}, "
                        f"got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")
    return int(value)


def _real(name: str, value, low=None, high=None, low_inclusive=True, high_inclusive=True) -> float:
    """``value`` as a finite float within the given bounds; TypeError/ValueError otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ParameterTypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    lo_ok = low is None or (v >= low if low_inclusive else v > low)
    hi_ok = high is None or (v <= high if high_inclusive else v < high)
    if not (lo_ok and hi_ok):
        lo = "" if low is None else f"{'[' if low_inclusive else '('}{low}, "
        hi = "inf)" if high is None else f"{high}{']' if high_inclusive else ')'}"
        raise ValueError(f"{name} must be in {lo or '(-inf, '}{hi}, got {value!r}")
    return v


def check_interactions(X, name: str = "X", dtype=np.float32) -> sp.csr_matrix:
    """A user-item matrix checked and converted to a CSR copy of ``dtype``.

    Parameters
    ----------
    X : sparse matrix or 2-D array-like of numbers (bool allowed)
        Rows are users, columns items; entries are purchases (counts, 0/1 or recency weights).
    name : str
        Used in error messages.

    Returns
    -------
    csr_matrix of ``dtype``, a copy (the caller's matrix is never modified)

    Raises
    ------
    TypeError
        If ``X`` is not numeric (strings, objects) or not 2-D.
    ValueError
        If ``X`` has no user or no item, or an entry is NaN, infinite or negative.
    """
    if sp.issparse(X):
        M = X
    else:
        try:
            M = np.asarray(X)
        except Exception as err:  # ragged lists and the like
            raise TypeError(f"{name} must be a sparse matrix or a 2-D numeric array, got "
                            f"{type(X).__name__} ({err})") from None
        if M.ndim != 2:
            raise TypeError(f"{name} must be 2-D (users x items), got {M.ndim}-D with shape {M.shape}")
    if M.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers (purchase counts or weights), got dtype {M.dtype}; "
                        "build it with recsys.interaction_matrix")
    n_users, n_items = M.shape
    if n_users == 0 or n_items == 0:
        raise ValueError(f"{name} has shape {M.shape}: a recommender needs at least one user and one item")
    M = sp.csr_matrix(M, dtype=dtype, copy=True)
    values = M.data
    if not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise ValueError(f"{name} has {bad} NaN or infinite entries; purchases must be finite numbers "
                         "(drop or fill the missing values before fitting)")
    if (values < 0).any():
        raise ValueError(f"{name} has {int((values < 0).sum())} negative entries (min {values.min():g}); "
                         "purchases must be >= 0 (remove returns/cancellations first, e.g. quality.clean)")
    M.eliminate_zeros()
    return M


def check_rows(rows, n_rows: int) -> np.ndarray:
    """Row positions ``rows`` checked against a matrix of ``n_rows`` users; int64, 1-D.

    Raises
    ------
    TypeError
        If ``rows`` is a single value or holds anything but integers (floats such as 2.7 or
        NaN, booleans, strings such as '12346': rows are positions, not customer ids).
    ValueError
        If ``rows`` is not 1-D or a row is outside ``0 .. n_rows - 1`` (negative rows do not
        count from the end here).
    """
    if isinstance(rows, (str, bytes)) or np.ndim(rows) == 0:
        raise TypeError(f"rows must be a 1-D sequence of row positions, got the single value {rows!r}; "
                        "for one user pass [row]")
    if isinstance(rows, (list, tuple)):  # NumPy would turn [0, True] into [0, 1] silently
        for v in rows:
            if isinstance(v, (bool, np.bool_)):
                raise TypeError(f"rows must be integers, got the bool {v!r}; True is not row 1")
    try:
        arr = np.asarray(rows)
    except Exception as err:
        raise TypeError(f"rows must be a 1-D sequence of integers ({err})") from None
    if arr.ndim != 1:
        raise ValueError(f"rows must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    hint = ("rows are positions 0 .. n_users - 1 in the user-item matrix, not customer ids; map ids "
            "with users.get_indexer(ids) or serve by id with recsys.RecommendationService")
    if arr.dtype.kind == "O":
        for v in arr:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
                raise TypeError(f"rows must be integers, got {v!r} ({type(v).__name__}); {hint}")
        bad = [int(v) for v in arr if not 0 <= v < n_rows]
    elif arr.dtype.kind in "iu":
        bad = arr[(arr < 0) | (arr >= n_rows)].tolist()
    else:
        first = arr[0]
        if arr.dtype.kind == "f":
            odd = ~np.isfinite(arr) | (arr != np.round(arr))
            first = arr[odd][0] if odd.any() else arr[0]
        kind = {"b": "bool", "f": "float", "U": "str", "S": "bytes"}.get(arr.dtype.kind, str(arr.dtype))
        raise TypeError(f"rows must be integers, got {kind} values such as {first.item()!r}; {hint}"
                        + ("; convert whole numbers with np.asarray(rows, dtype=int)" if kind == "float" else ""))
    if bad:
        raise ValueError(f"{len(bad)} row(s) outside 0 .. {n_rows - 1} (the fitted matrix has {n_rows} users), "
                         f"e.g. {bad[0]}; negative rows do not count from the end here")
    return arr.astype(np.int64)


def _check_k(k) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise ValueError(f"k must be a positive integer, got {k!r} ({type(k).__name__})")
    if k < 1:
        raise ValueError(f"k must be a positive integer (>= 1), got {k}")
    return int(k)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores per row, best first; exact ties broken by lower index.

    The ranking compares scores exactly, so it is the same on every machine as long as the
    scores are: the book's models compute them with sparse products and element-wise
    operations (no CPU-dependent BLAS kernel), Keras models with the pinned kernels
    (:data:`retail_lab.repro.NUMERIC_ENV`), and EASE stores its float64 solution as float32
    (which hides the solver's last-bit differences between CPUs, except for the rare value at
    a float32 rounding midpoint).
    Scores must not be rounded before ranking: models encode secondary keys in small
    differences (the repeat model adds popularity times 1e-6 to order unbought products).
    """
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
    """Base class: subclasses implement ``fit`` and ``score``.

    ``score(rows)`` and ``recommend(rows, ...)`` take row positions of the fitted matrix
    (see the module docstring); both refuse anything else with a TypeError/ValueError.
    """

    X_: sp.csr_matrix

    def _check_fitted(self):
        if not hasattr(self, "X_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(X) first")

    def _rows(self, rows) -> np.ndarray:
        """``rows`` checked against the fitted matrix (fitted first)."""
        self._check_fitted()
        return check_rows(rows, self.X_.shape[0])

    def recommend(self, rows, k: int = 10, exclude_seen=False) -> np.ndarray:
        """Top-k item indices for the users in ``rows``, shape (len(rows), min(k, n_items)).

        Parameters
        ----------
        rows : sequence of int
            Row positions ``0 .. n_users - 1`` of the fitted matrix (not customer ids). An
            empty sequence gives an empty (0, min(k, n_items)) array.
        k : int
            Positive; larger than the catalogue means the whole catalogue (``n_items`` columns).
        exclude_seen : bool, None or matrix
            False/None: rank everything. True: drop the items in the fitted matrix. A user-item
            matrix of the fitted shape: drop its non-zeros (e.g. the full training history
            when the model was fitted on a part of it). When fewer than ``k`` items are left
            for a user, the excluded items fill the end of that user's row (scored -inf), so
            every row has the same length.

        Raises
        ------
        TypeError, ValueError
            For rows that are not valid row positions, or k that is not a positive integer.
        """
        rows = self._rows(rows)
        k = _check_k(k)
        if len(rows) == 0:
            return np.zeros((0, min(k, self.X_.shape[1])), dtype=np.int64)
        return self.rank(self.score(rows), rows, k, exclude_seen)

    def _seen(self, exclude_seen):
        """The matrix of items to exclude, or None."""
        if exclude_seen is None or (isinstance(exclude_seen, (bool, np.bool_)) and not exclude_seen):
            return None
        if isinstance(exclude_seen, (bool, np.bool_)):
            return self.X_
        if not (sp.issparse(exclude_seen) or isinstance(exclude_seen, np.ndarray)):
            raise TypeError(f"exclude_seen must be True, False, None or a user-item matrix, "
                            f"got {type(exclude_seen).__name__}")
        M = sp.csr_matrix(exclude_seen)
        if M.shape != self.X_.shape:
            raise ValueError(f"exclude_seen has shape {M.shape}, the fitted matrix {self.X_.shape}; "
                             "pass a matrix over the same users and items")
        return M

    def rank(self, scores, rows, k: int = 10, exclude_seen=False) -> np.ndarray:
        """Top-k of precomputed ``scores`` (shape (len(rows), n_items)) for users ``rows``;
        ``exclude_seen`` as in :meth:`recommend`. Lets one scoring serve several protocols.

        Raises
        ------
        ValueError
            If ``scores`` has the wrong shape or holds NaN (a model that diverged in
            training; refit it, e.g. with a lower learning rate).
        """
        rows = self._rows(rows)
        k = _check_k(k)
        s = np.array(scores, dtype=float)
        n_items = self.X_.shape[1]
        if s.shape != (len(rows), n_items):
            raise ValueError(f"scores have shape {s.shape}, expected (len(rows), n_items) = {(len(rows), n_items)}")
        if np.isnan(s).any():
            bad = np.flatnonzero(np.isnan(s).any(axis=1))
            raise ValueError(f"scores of {len(bad)} user(s) contain NaN (first row {int(rows[bad[0]])}); "
                             "the model is broken (e.g. training diverged): refit it, with a lower learning rate")
        seen = self._seen(exclude_seen)
        if seen is not None:
            s[seen[rows].nonzero()] = -np.inf
        if len(rows) == 0:
            return np.zeros((0, min(k, n_items)), dtype=np.int64)
        return top_k(s, min(k, n_items))


class Popularity(Recommender):
    """Rank items by how many distinct users bought them in training (same list for all)."""

    def fit(self, X) -> "Popularity":
        self.X_ = check_interactions(X)
        self.counts_ = np.asarray((self.X_ > 0).sum(axis=0)).ravel().astype(float)
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
        return np.tile(self.counts_, (len(rows), 1))


class ItemKNN(Recommender):
    """Item-item collaborative filtering with cosine similarity on binary purchases.

    ``s_ij = |U_i & U_j| / sqrt(|U_i| |U_j|)`` (U_i: buyers of item i); a user's score for
    item i is ``sum_j s_ij x_uj`` over the ``n_neighbors`` most similar items j of i.

    Parameters
    ----------
    n_neighbors : int or None, default None
        Keep only each item's most similar items (None: all); a positive integer.
    """

    def __init__(self, n_neighbors: int | None = None):
        _positive_int("n_neighbors", n_neighbors, allow_none=True)
        self.n_neighbors = n_neighbors

    def fit(self, X) -> "ItemKNN":
        X = check_interactions(X)
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
        rows = self._rows(rows)
        return np.asarray(self.X_[rows] @ self.similarity_)


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

    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of descriptions (one per item), got a single string")
    docs = ["" if t is None or t != t else str(t) for t in texts]
    if not docs:
        raise ValueError("texts is empty: give one description per item")
    if not any(d.strip() for d in docs):
        return np.zeros((len(docs), len(docs)), dtype=np.float32)  # no words: nothing is similar
    try:
        V = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(docs)
    except ValueError:  # only stop words / single characters: no vocabulary
        return np.zeros((len(docs), len(docs)), dtype=np.float32)
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
        _real("alpha", alpha, 0, 1)
        if isinstance(texts, (str, bytes)) or not hasattr(texts, "__len__"):
            raise TypeError(f"texts must be a sequence of descriptions (one per item), got {type(texts).__name__}")
        super().__init__(n_neighbors=n_neighbors)
        self.texts, self.alpha = texts, alpha

    def fit(self, X, text_sim: np.ndarray | None = None) -> "FusedItemKNN":
        """Fit; pass a precomputed ``text_similarity(texts)`` to reuse it across alphas."""
        X = check_interactions(X)
        if len(self.texts) != X.shape[1]:
            raise ValueError(f"{len(self.texts)} texts for {X.shape[1]} items")
        super().fit(X)
        T = text_similarity(self.texts) if text_sim is None else np.asarray(text_sim, dtype=np.float32)
        if T.shape != self.similarity_.shape:
            raise ValueError(f"text_sim has shape {T.shape}, expected {self.similarity_.shape} (items x items)")
        if not np.isfinite(T).all():
            raise ValueError("text_sim contains NaN or infinite values; compute it with text_similarity(texts)")
        self.similarity_ = (self.alpha * self.similarity_ + (1 - self.alpha) * T).astype(np.float32)
        return self


class RepeatBuyer(Recommender):
    """The user's own history, re-ranked: recency-weighted purchase counts first.

    Items the user never bought follow, ordered by overall popularity, so the ranking covers
    the whole catalogue. Fit on a :func:`retail_lab.recsys.data.recency_matrix`.
    """

    def fit(self, W) -> "RepeatBuyer":
        W = check_interactions(W, "W")
        self.X_ = W
        pop = np.asarray((W > 0).sum(axis=0)).ravel().astype(np.float64)
        self.tiebreak_ = 1e-6 * pop / max(pop.max(), 1.0)
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
        return self.X_[rows].toarray() + self.tiebreak_[None, :]


class EASE(Recommender):
    """Embarrassingly shallow autoencoder (Steck, 2019): a closed-form linear item-item model.

    ``B = I - P diag(1 / diag(P))`` with ``P = (X^T X + l2 I)^{-1}``; scores ``X_u B``. The
    diagonal of B is zero, so an item never recommends itself.

    Parameters
    ----------
    l2 : float
        Ridge penalty (> 0, finite); chosen on a validation split.
    """

    def __init__(self, l2: float = 200.0):
        _real("l2", l2, 0, None, low_inclusive=False)
        self.l2 = l2

    def fit(self, X) -> "EASE":
        X = check_interactions(X, dtype=np.float64)
        self.X_ = X
        G = (X.T @ X).toarray()
        G[np.diag_indices_from(G)] += self.l2
        P = np.linalg.inv(G)
        B = -P / np.diag(P)[None, :]
        np.fill_diagonal(B, 0.0)
        if not np.isfinite(B).all():
            raise ValueError(f"EASE weights are not finite with l2={self.l2:g} (the Gram matrix is "
                             "numerically singular); use a larger l2")
        self.B_ = B.astype(np.float32)
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
        return np.asarray(self.X_[rows] @ self.B_)


class Blend(Recommender):
    """Weighted sum of several fitted recommenders' scores, each scaled per user to [0, 1].

    Lets a model combine signals, e.g. the repeat baseline (what the user buys again) with a
    discovery model (what is new to them): ``s = sum_m w_m * minmax_u(s_m)``.

    Parameters
    ----------
    models : dict of name -> fitted Recommender
        All fitted on the same users and items.
    weights : dict of name -> float
        Non-negative and finite, at least one > 0; missing names weigh 0.
    """

    def __init__(self, models: dict, weights: dict):
        if not isinstance(models, dict) or not models:
            raise ValueError("Blend needs at least one model, as a dict of name -> fitted Recommender")
        if not isinstance(weights, dict):
            raise TypeError(f"weights must be a dict of name -> float, got {type(weights).__name__}")
        unknown = set(weights) - set(models)
        if unknown:
            raise ValueError(f"weights name unknown models {sorted(map(str, unknown))}; "
                             f"models are {sorted(map(str, models))}")
        for name, w in weights.items():
            try:
                _real(f"weight of {name!r}", w)
            except (TypeError, ValueError) as err:
                raise type(err)(f"weights must be finite numbers >= 0: {err}") from None
        if any(w < 0 for w in weights.values()):
            raise ValueError(f"weights must be >= 0, got {weights}")
        if not any(w > 0 for w in weights.values()):
            raise ValueError(f"every weight is 0 ({weights}); give at least one model a weight > 0")
        shapes = {}
        for name, m in models.items():
            if not isinstance(m, Recommender):
                raise TypeError(f"model {name!r} is a {type(m).__name__}, not a retail_lab Recommender")
            m._check_fitted()
            shapes[name] = m.X_.shape
        if len(set(shapes.values())) > 1:
            raise ValueError(f"models are fitted on different users x items: {shapes}; fit all on the same matrix")
        self.models, self.weights = models, weights
        self.X_ = next(iter(models.values())).X_

    def fit(self, X=None) -> "Blend":
        """Nothing to fit: the parts are fitted already. Returns self."""
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
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
