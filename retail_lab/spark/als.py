r"""A single-machine implicit ALS with the update rule of Spark MLlib's, to check
:class:`retail_lab.spark.SparkALS` against (the package's other ALS, in
:mod:`retail_lab.recsys.cf`, fits explicit ratings).

One sweep solves, for each item :math:`i` with buyers :math:`B_i` (then for each user with the
new items), :math:`A_i x_i = b_i` with

.. math::

    \begin{aligned}
    A_i &= Y^\top Y + \lambda \, |B_i| \, I \\
        &\quad + \alpha \textstyle\sum_{u \in B_i} y_u y_u^\top, \\
    b_i &= (1 + \alpha) \textstyle\sum_{u \in B_i} y_u
    \end{aligned}

in float64, and stores the factors as float32: the normal equations MLlib builds for a binary
purchase matrix (preference 1, confidence 1 + alpha, penalty scaled by the count), solved by
Cholesky as MLlib does when factors may be negative.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..recsys._validation import _positive_int, _real, _seed
from ..recsys.models import Recommender, interactions_of

__all__ = ["ImplicitALS", "als_half_sweep"]


def _als_settings(est) -> tuple[int, float, float, int, int]:
    """The checked hyperparameters of an implicit ALS (:class:`ImplicitALS` and
    :class:`retail_lab.spark.SparkALS` share them): rank, reg_param, alpha, max_iter, seed."""
    return (_positive_int("rank", est.rank), _real("reg_param", est.reg_param, 0, None),
            _real("alpha", est.alpha, 0, None, low_inclusive=False),
            _positive_int("max_iter", est.max_iter), _seed(est.seed))


def als_half_sweep(R: sp.csr_matrix, Y: np.ndarray, reg: float, alpha: float) -> np.ndarray:
    """New factors of the rows of ``R`` (binary, rows x cols) given the column factors ``Y``
    (float32, cols x rank); float32 (rows x rank). Rows without a purchase get zeros."""
    R = sp.csr_matrix(R)
    Yd = Y.astype(np.float64)
    YtY = Yd.T @ Yd
    rank = Y.shape[1]
    out = np.zeros((R.shape[0], rank), dtype=np.float32)
    for r in range(R.shape[0]):
        cols = R.indices[R.indptr[r]:R.indptr[r + 1]]
        if len(cols) == 0:
            continue
        Yc = Yd[cols]
        A = YtY + alpha * (Yc.T @ Yc) + reg * len(cols) * np.eye(rank)
        b = (1.0 + alpha) * Yc.sum(axis=0)
        L = np.linalg.cholesky(A)
        out[r] = np.linalg.solve(L.T, np.linalg.solve(L, b)).astype(np.float32)
    return out


class ImplicitALS(Recommender):
    """Implicit-feedback ALS on one machine (NumPy), MLlib's update rule (:func:`als_half_sweep`).

    ``fit(data)``: a RecSplit or a users x items matrix (purchases are binarised);
    ``fit(data, user_factors=U)`` starts from given user factors instead of random ones.

    Parameters
    ----------
    rank, reg_param, alpha, max_iter, seed : as :class:`retail_lab.spark.SparkALS`.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray, float32
    """

    def __init__(self, rank: int = 32, reg_param: float = 0.05, alpha: float = 10.0,
                 max_iter: int = 10, seed: int = 0):
        self.rank = rank
        self.reg_param = reg_param
        self.alpha = alpha
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, data, user_factors=None) -> "ImplicitALS":
        rank, reg, alpha, max_iter, seed = _als_settings(self)
        X = interactions_of(data)
        X.data[:] = 1.0
        if user_factors is None:
            rng = np.random.default_rng(seed)
            U = rng.normal(size=(X.shape[0], rank))
            U = (U / np.linalg.norm(U, axis=1, keepdims=True)).astype(np.float32)
        else:
            U = np.asarray(user_factors, dtype=np.float32)
            if U.shape != (X.shape[0], rank):
                raise ValueError(f"user_factors has shape {U.shape}, expected {(X.shape[0], rank)}")
        Xt = X.T.tocsr()
        for _ in range(max_iter):  # MLlib's order: items from users, then users from items
            V = als_half_sweep(Xt, U, reg, alpha)
            U = als_half_sweep(X, V, reg, alpha)
        self.X_ = X
        self.user_factors_, self.item_factors_ = U, V
        return self

    def score(self, rows) -> np.ndarray:
        rows = self._rows(rows)
        return self.user_factors_[rows].astype(float) @ self.item_factors_.T.astype(float)
