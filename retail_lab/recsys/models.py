"""Top-N recommenders for implicit feedback (purchases), scikit-learn style.

Every model follows scikit-learn's estimator convention (see :class:`Recommender`):
``__init__`` only stores hyperparameters; ``fit(data)`` validates them and the data, learns and
returns self; ``score(rows)`` gives a dense (n_rows, n_items) array; ``recommend(rows, k,
exclude_seen)`` ranks the full catalogue. What ``fit`` accepts: a
:class:`~retail_lab.recsys.RecSplit` (every recommender) or a user x item matrix (the
classical ones here; the Keras ones of :mod:`retail_lab.recsys.neural` need the split).

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
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from ._validation import ParameterTypeError, _positive_int, _real
from .data import RecSplit, item_descriptions, recency_matrix

__all__ = ["Recommender", "Popularity", "ItemKNN", "FusedItemKNN", "RepeatBuyer", "EASE", "Blend",
           "text_similarity", "top_k", "keep_top_per_row", "cosine_item_similarity", "check_interactions", "check_rows", "interactions_of"]


# --------------------------------------------------------------------------- input checks


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
    # Same result as the full stable sort, faster: the k largest by a partition (ties at the
    # k-th value: lowest indices), then only those k sorted, equal scores by index.
    s = scores
    if not np.isfinite(scores.sum()):      # a finite sum means no NaN (one pass, no mask)
        nan = np.isnan(scores)
        s = np.where(nan, -np.inf, scores) if nan.any() else scores
    cols = _top_per_row(s, k)
    cols.sort(axis=1)
    order = np.argsort(-np.take_along_axis(s, cols, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


def _top_per_row(S: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` largest values in each row of ``S`` (no NaN; 1 <= k <
    n_cols; any memory order), in no particular order. Ties at the k-th value keep the lowest
    indices, the entries a stable descending sort would keep; only rows where an entry left
    out ties with the k-th value need that rule."""
    # (-S, k - 1), not (S, n_cols - k): NumPy's selection is about 3x faster near the start
    cols = np.argpartition(-S, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(S, cols, axis=1)
    kth = vals.min(axis=1, keepdims=True)
    hard = np.flatnonzero((S == kth).sum(axis=1) > (vals == kth).sum(axis=1))
    if len(hard):
        s, t = S[hard], kth[hard]
        above = s > t
        tied = s == t
        keep = above | (tied & (np.cumsum(tied, axis=1) <= k - above.sum(axis=1, keepdims=True)))
        cols[hard] = np.nonzero(keep)[1].reshape(len(hard), k)
    return cols


def interactions_of(data, name: str = "X", dtype=np.float32) -> sp.csr_matrix:
    """The training user-item matrix of ``data``: a :class:`RecSplit`'s ``X`` or a matrix.

    Returns
    -------
    csr_matrix of ``dtype``, a checked copy (see :func:`check_interactions`)

    Raises
    ------
    TypeError, ValueError
        If ``data`` is neither a RecSplit nor a valid user-item matrix, or a RecSplit whose
        ``X`` does not match its users and items.
    """
    if isinstance(data, RecSplit):
        X = check_interactions(data.X, "split.X", dtype)
        if X.shape != (len(data.users), len(data.items)):
            raise ValueError(f"split.X has shape {X.shape} but the split has {len(data.users)} users "
                             f"and {len(data.items)} items")
        return X
    if data is None:
        raise TypeError(f"fit needs training data: a RecSplit (recsys.temporal_split or book_splits) "
                        f"or a users x items matrix (recsys.interaction_matrix), got None for {name}")
    return check_interactions(data, name, dtype)


class Recommender(BaseEstimator):
    """Base class of the recommenders, following scikit-learn's estimator convention.

    - ``__init__`` takes hyperparameters only (keyword arguments with defaults) and stores
      them unchanged, so ``sklearn.base.clone``, ``get_params`` and ``set_params`` work.
    - ``fit(data)`` validates the hyperparameters and the data, learns, sets fitted
      attributes with a trailing underscore (always ``X_``, the training user-item matrix)
      and returns ``self``; fitting again starts from scratch.
    - What ``fit`` accepts, one rule for all: every recommender's ``fit`` accepts a
      :class:`~retail_lab.recsys.RecSplit` (it trains on the split's training period). The
      classical models (:class:`Popularity`, :class:`ItemKNN`, :class:`FusedItemKNN`,
      :class:`RepeatBuyer`, :class:`EASE`, :class:`Blend`) also accept a users x items
      matrix (``split.X``, or any matrix from :func:`~retail_lab.recsys.interaction_matrix`);
      the Keras models (:mod:`retail_lab.recsys.neural`) need the RecSplit, because they
      read dates and side information from ``split.train``. Data-dependent inputs (texts,
      a precomputed similarity) are keyword arguments of ``fit``.
    - ``score(rows)`` and ``recommend(rows, ...)`` take row positions of the fitted matrix
      (see the module docstring) and refuse anything else with a TypeError/ValueError;
      before ``fit`` they raise ``sklearn.exceptions.NotFittedError``.

    Subclasses implement ``fit`` and ``score``.
    """

    X_: sp.csr_matrix

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "X_")

    def _check_fitted(self):
        if not hasattr(self, "X_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call fit(split) "
                                 "(or fit(X) with a user-item matrix) first")

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
        NotFittedError
            Before ``fit``.
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
        s = np.asarray(scores)
        if s.dtype != np.float32:   # float32 scores are ranked as they are (exact in float64)
            s = np.asarray(s, dtype=np.float64)
        n_items = self.X_.shape[1]
        if s.shape != (len(rows), n_items):
            raise ValueError(f"scores have shape {s.shape}, expected (len(rows), n_items) = {(len(rows), n_items)}")
        if not np.isfinite(s.sum()) and np.isnan(s).any():   # a finite sum means no NaN
            bad = np.flatnonzero(np.isnan(s).any(axis=1))
            raise ValueError(f"scores of {len(bad)} user(s) contain NaN (first row {int(rows[bad[0]])}); "
                             "the model is broken (e.g. training diverged): refit it, with a lower learning rate")
        seen = self._seen(exclude_seen)
        if seen is not None:
            s = s.copy()            # never write into the caller's scores
            s[seen[rows].nonzero()] = -np.inf
        if len(rows) == 0:
            return np.zeros((0, min(k, n_items)), dtype=np.int64)
        return top_k(s, min(k, n_items))


class Popularity(Recommender):
    """Rank items by how many distinct users bought them in training (same list for all).

    ``fit(data)``: a RecSplit or a users x items matrix. No hyperparameters.
    """

    def fit(self, data) -> "Popularity":
        self.X_ = interactions_of(data)
        self.counts_ = np.asarray((self.X_ > 0).sum(axis=0)).ravel().astype(float)
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
        return np.tile(self.counts_, (len(rows), 1))


def keep_top_per_row(S: np.ndarray, k: int) -> np.ndarray:
    """Zero all but the ``k`` largest values of each row of ``S``, in place; returns ``S``.

    Ties at the k-th largest value keep the lowest column indices (the same entries a stable
    descending sort would keep). Uses a partition (linear time per row) instead of a sort;
    only rows whose k-th value is tied with values beyond the k-th place need the tie rule.
    Zeros are never "kept" in a way that matters: a zero entry is zero either way.
    """
    n_rows, n_cols = S.shape
    if k >= n_cols or n_rows == 0:
        return S
    cols = _top_per_row(S, k)
    vals = np.take_along_axis(S, cols, axis=1)
    S.fill(0)
    np.put_along_axis(S, cols, vals, axis=1)
    return S


def cosine_item_similarity(X: sp.csr_matrix, n_neighbors: int | None = None) -> np.ndarray:
    """Item-item cosine similarity of binary purchases, zero diagonal, float32.

    ``s_ij = |U_i & U_j| / sqrt(|U_i| |U_j|)`` (U_i: buyers of item i). With ``n_neighbors``,
    each column i keeps only its ``n_neighbors`` largest similarities (ties: lower index),
    found with a partition rather than a full sort (:func:`keep_top_per_row` on the columns).
    ``X`` must be a checked matrix (:func:`check_interactions`); it is not modified.
    """
    X = sp.csr_matrix(X, dtype=np.float32, copy=True)
    X.data[:] = 1.0
    norms = np.sqrt(np.asarray(X.sum(axis=0)).ravel())      # float32, as every step here
    norms[norms == 0] = 1.0
    S = np.ascontiguousarray((X.T @ X).toarray())             # co-purchase counts (exact)
    S /= norms[:, None]
    S /= norms[None, :]
    np.fill_diagonal(S, 0.0)
    n = S.shape[0]
    if n_neighbors is not None and n_neighbors < n:
        # the neighbours of item i are the largest entries of column i (the float32 matrix is
        # not exactly symmetric: (c / n_i) / n_j and (c / n_j) / n_i can differ in the last bit);
        # select on the transposed view and write the kept entries into a zero matrix
        rows = _top_per_row(np.ascontiguousarray(S.T), n_neighbors)   # row i: the kept rows of column i
        cols = np.arange(n)[:, None]
        kept = np.zeros_like(S)
        kept[rows, cols] = S[rows, cols]
        return kept
    return S


class ItemKNN(Recommender):
    """Item-item collaborative filtering with cosine similarity on binary purchases.

    ``s_ij = |U_i & U_j| / sqrt(|U_i| |U_j|)`` (U_i: buyers of item i); a user's score for
    item i is ``sum_j s_ij x_uj`` over the ``n_neighbors`` most similar items j of i.
    ``fit(data)``: a RecSplit or a users x items matrix (purchases are binarised).

    Parameters
    ----------
    n_neighbors : int or None, default None
        Keep only each item's most similar items (None: all); a positive integer.
    """

    def __init__(self, n_neighbors: int | None = None):
        self.n_neighbors = n_neighbors

    def fit(self, data) -> "ItemKNN":
        n_neighbors = _positive_int("n_neighbors", self.n_neighbors, allow_none=True)
        X = interactions_of(data)
        X.data[:] = 1.0
        self.X_ = X
        self.similarity_ = cosine_item_similarity(X, n_neighbors)
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

    The descriptions are data, not a hyperparameter, so they go to ``fit``:
    ``fit(split)`` takes each item's most frequent description in ``split.train``
    (:func:`~retail_lab.recsys.item_descriptions`); ``fit(X, texts=texts)`` takes one
    description per column of ``X``; ``fit(data, text_sim=S)`` takes a precomputed
    ``text_similarity(texts)``, to reuse it across several ``alpha``.

    Parameters
    ----------
    alpha : float in [0, 1], default 0.5
        Weight of the purchase similarity.
    n_neighbors : int or None, default None
        As in :class:`ItemKNN` (applied to the purchase similarity).
    """

    def __init__(self, alpha: float = 0.5, n_neighbors: int | None = None):
        self.alpha = alpha
        self.n_neighbors = n_neighbors

    def fit(self, data, texts=None, text_sim: np.ndarray | None = None) -> "FusedItemKNN":
        """Fit on ``data`` (a RecSplit or a users x items matrix) and the item descriptions.

        Parameters
        ----------
        data : RecSplit or matrix
        texts : sequence of str, optional
            One description per item (column order of the matrix). Default with a RecSplit:
            ``item_descriptions(split.train, split.items)``; required with a matrix unless
            ``text_sim`` is given.
        text_sim : ndarray (n_items, n_items), optional
            A precomputed ``text_similarity(texts)``; give either ``texts`` or ``text_sim``.

        Returns
        -------
        self
        """
        if isinstance(self.alpha, (list, tuple, np.ndarray)) or (
                hasattr(self.alpha, "__len__") and not isinstance(self.alpha, (str, bytes))):
            raise ParameterTypeError(
                f"alpha must be a real number in [0, 1], got a {type(self.alpha).__name__}; the "
                "descriptions are a fit argument now: FusedItemKNN(alpha=...).fit(X, texts=texts)")
        alpha = _real("alpha", self.alpha, 0, 1)
        if texts is not None and text_sim is not None:
            raise ValueError("give either texts or text_sim (= text_similarity(texts)), not both")
        X = interactions_of(data)
        n_items = X.shape[1]
        if text_sim is None:
            if texts is None:
                if not isinstance(data, RecSplit):
                    raise ValueError("FusedItemKNN.fit needs the item descriptions: fit(X, texts=texts) "
                                     "with one description per column of X, or fit(X, text_sim=S); "
                                     "with a RecSplit they are taken from split.train")
                texts = item_descriptions(data.train, data.items)
            if isinstance(texts, (str, bytes)) or not hasattr(texts, "__len__"):
                raise TypeError(f"texts must be a sequence of descriptions (one per item), "
                                f"got {type(texts).__name__}")
            if len(texts) != n_items:
                raise ValueError(f"{len(texts)} texts for {n_items} items; give one description per item")
            T = text_similarity(texts)
        else:
            T = np.asarray(text_sim, dtype=np.float32)
            if T.shape != (n_items, n_items):
                raise ValueError(f"text_sim has shape {T.shape}, expected {(n_items, n_items)} (items x items)")
            if not np.isfinite(T).all():
                raise ValueError("text_sim contains NaN or infinite values; compute it with text_similarity(texts)")
        super().fit(X)
        self.similarity_ = (alpha * self.similarity_ + (1 - alpha) * T).astype(np.float32)
        return self


class RepeatBuyer(Recommender):
    """The user's own history, re-ranked: recency-weighted purchase counts first.

    Items the user never bought follow, ordered by overall popularity, so the ranking covers
    the whole catalogue.

    ``fit(split)`` weighs the split's training purchases by recency to its cutoff
    (:func:`~retail_lab.recsys.recency_matrix` with ``half_life_days``); ``fit(W)`` takes a
    users x items matrix of weights as they are (``half_life_days`` is then not used).

    Parameters
    ----------
    half_life_days : float, default 90.0
        A purchase this many days before the cutoff counts half (> 0).
    """

    def __init__(self, half_life_days: float = 90.0):
        self.half_life_days = half_life_days

    def fit(self, data) -> "RepeatBuyer":
        half_life = _real("half_life_days", self.half_life_days, 0, None, low_inclusive=False)
        if isinstance(data, RecSplit):
            interactions_of(data)  # the split itself is consistent
            if data.cutoff is None:
                raise ValueError("the split has no cutoff (split.cutoff is None); make it with "
                                 "recsys.temporal_split, which records the cutoff")
            W = check_interactions(recency_matrix(data.train, data.users, data.items, data.cutoff,
                                                  half_life), "W")
        else:
            W = interactions_of(data, "W")
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
    diagonal of B is zero, so an item never recommends itself. ``fit(data)``: a RecSplit or
    a users x items matrix.

    Parameters
    ----------
    l2 : float, default 200.0
        Ridge penalty (> 0, finite); chosen on a validation split.
    """

    def __init__(self, l2: float = 200.0):
        self.l2 = l2

    def fit(self, data) -> "EASE":
        l2 = _real("l2", self.l2, 0, None, low_inclusive=False)
        X = interactions_of(data, dtype=np.float64)
        G = (X.T @ X).toarray()
        G[np.diag_indices_from(G)] += l2
        P = _spd_inverse(G)        # G is symmetric positive definite: Cholesky, not LU
        d = np.diag(P).copy()
        P /= -d[None, :]           # B = -P diag(1 / diag(P)), in place
        np.fill_diagonal(P, 0.0)
        if not np.isfinite(P).all():
            raise ValueError(f"EASE weights are not finite with l2={l2:g} (the Gram matrix is "
                             "numerically singular); use a larger l2")
        self.X_ = X
        self.B_ = P.astype(np.float32)
        return self

    def score(self, rows) -> np.ndarray:
        """Scores ``X_u B`` of the users in ``rows``, all of them in one sparse product."""
        rows = self._rows(rows)
        return np.asarray(self.X_[rows] @ self.B_)


def _spd_inverse(G: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix by Cholesky (LAPACK potrf + potri),
    about twice as fast as a general inverse; overwrites ``G``.

    Raises
    ------
    ValueError
        If ``G`` is not numerically positive definite.
    """
    from scipy.linalg import lapack

    # G is symmetric, so G.T is the same matrix in Fortran order: LAPACK works on it in place
    c, info = lapack.dpotrf(G.T, lower=False, overwrite_a=True, clean=False)
    if info == 0:
        c, info = lapack.dpotri(c, lower=False, overwrite_c=True)
    if info != 0:
        raise ValueError(f"EASE: the regularised Gram matrix is not positive definite (LAPACK info "
                         f"{info}); use a larger l2")
    P = c.T                    # C order; potri filled c's upper triangle = P's lower triangle
    n, b = P.shape[0], 256
    for i in range(0, n, b):   # mirror it into the upper triangle, block by block
        d = P[i:i + b, i:i + b]
        upper = np.triu_indices(d.shape[0], 1)
        d[upper] = d.T[upper]
        P[i:i + b, i + b:] = P[i + b:, i:i + b].T
    return P


class Blend(Recommender):
    """Weighted sum of several recommenders' scores, each scaled per user to [0, 1].

    Lets a model combine signals, e.g. the repeat baseline (what the user buys again) with a
    discovery model (what is new to them): ``s = sum_m w_m * minmax_u(s_m)``.

    ``fit()`` (no data) blends the models as they are: each must be fitted already, all on
    the same users and items; ``models_`` are those very objects. ``fit(data)`` (a RecSplit,
    or a matrix when every part accepts one) fits a fresh clone of each model on ``data``
    into ``models_``; the models passed in are left untouched.

    Parameters
    ----------
    models : dict of name -> Recommender
    weights : dict of name -> float, optional
        Non-negative and finite, at least one > 0; missing names weigh 0. Default: 1 each.
    """

    def __init__(self, models: dict, weights: dict | None = None):
        self.models = models
        self.weights = weights

    def _checked_weights(self) -> dict:
        models, weights = self.models, self.weights
        if not isinstance(models, dict) or not models:
            raise ValueError(f"models must be a non-empty dict of name -> Recommender, got {models!r}")
        for name, m in models.items():
            if not isinstance(m, Recommender):
                raise TypeError(f"models[{name!r}] is a {type(m).__name__}, not a retail_lab Recommender")
        if weights is None:
            return {name: 1.0 for name in models}
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
        return {name: float(weights.get(name, 0.0)) for name in models}

    def fit(self, data=None) -> "Blend":
        """Blend fitted models (``fit()``) or fit clones of them on ``data`` (``fit(data)``).

        Raises
        ------
        NotFittedError
            ``fit()`` with a model that is not fitted (fit it, or pass data to fit).
        ValueError, TypeError
            Bad ``models`` or ``weights``, or models fitted on different users x items.
        """
        weights = self._checked_weights()
        if data is None:
            for name, m in self.models.items():
                if not m.__sklearn_is_fitted__():
                    raise NotFittedError(f"models[{name!r}] ({type(m).__name__}) is not fitted; fit it "
                                         "first, or call Blend.fit(data) to fit every model on data")
            fitted = dict(self.models)
        else:
            fitted = {name: clone(m).fit(data) for name, m in self.models.items()}
        shapes = {name: m.X_.shape for name, m in fitted.items()}
        if len(set(shapes.values())) > 1:
            raise ValueError(f"models are fitted on different users x items: {shapes}; fit all on the same matrix")
        self.models_ = fitted
        self.weights_ = weights
        self.X_ = next(iter(fitted.values())).X_
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
        total = None
        for name, w in self.weights_.items():
            if w == 0:
                continue
            s = np.asarray(self.models_[name].score(rows), dtype=np.float64)
            lo, hi = s.min(axis=1, keepdims=True), s.max(axis=1, keepdims=True)
            s = (s - lo) / np.where(hi > lo, hi - lo, 1.0)
            total = w * s if total is None else total + w * s
        return total
