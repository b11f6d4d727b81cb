"""Experiments that turn the article's pros and cons of deep learning into measurements."""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .nn import MLP, make_optimizer

__all__ = ["train_mlp", "scaling_study", "learning_curve", "corruption_study", "mlp_fitter",
           "logistic_fitter", "holdout_auc"]


def train_mlp(X, y, hidden: Sequence[int] = (16, 8), optimizer: str = "adam",
              learning_rate: float = 0.003, epochs: int = 60, batch_size: int | None = 32,
              seed: int = 0, validation_data=None) -> MLP:
    """Fit a ReLU network with a sigmoid output and cross-entropy loss (binary target).

    Parameters
    ----------
    X : array, shape (n_samples, n_features)
    y : array of 0/1, shape (n_samples,)
    hidden : sequence of int
        Hidden layer widths.
    optimizer, learning_rate, epochs, batch_size, seed, validation_data
        As in :meth:`retail_lab.nn.MLP.fit`.

    Returns
    -------
    MLP
        The fitted network (``history_`` holds the loss curves).
    """
    X = np.asarray(X, dtype=float)
    sizes = (X.shape[1], *hidden, 1)
    net = MLP(sizes, ["relu"] * len(hidden) + ["sigmoid"], loss="bce", seed=seed)
    return net.fit(X, np.asarray(y, dtype=float), make_optimizer(optimizer, learning_rate=learning_rate),
                   epochs=epochs, batch_size=batch_size, validation_data=validation_data)


def scaling_study(X, y, X_test, y_test, widths=(4, 16, 64, 256), depths=(1, 2, 3),
                  epochs: int = 30, seed: int = 0) -> pd.DataFrame:
    """Parameters, training time and test AUC as the network grows.

    Returns
    -------
    DataFrame
        width, depth, params, seconds (wall-clock training time; varies by machine), auc.
    """
    rows = []
    for depth in depths:
        for width in widths:
            t0 = time.perf_counter()
            net = train_mlp(X, y, hidden=[width] * depth, epochs=epochs, seed=seed)
            seconds = time.perf_counter() - t0
            rows.append((width, depth, net.n_params(), seconds,
                         roc_auc_score(y_test, net.predict_proba(X_test))))
    return pd.DataFrame(rows, columns=["width", "depth", "params", "seconds", "auc"])


def learning_curve(models: dict[str, Callable], X, y, X_test, y_test,
                   sizes=(100, 200, 400, 800, 1600), repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    """Test AUC of each model trained on random subsets of growing size.

    Parameters
    ----------
    models : dict of name -> callable(X, y) returning fitted probabilities function
        Each callable fits on (X, y) and returns ``predict(X_new) -> probabilities``.
    sizes : sequence of int
        Training-set sizes (capped at ``len(X)``).
    repeats : int
        Random subsets per size (stratification is not enforced; both classes required).

    Returns
    -------
    DataFrame
        model, size, repeat, auc.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        n = min(int(n), len(X))
        for r in range(repeats):
            idx = rng.choice(len(X), size=n, replace=False)
            if len(np.unique(y[idx])) < 2:
                continue
            for name, fit in models.items():
                predict = fit(X[idx], y[idx])
                rows.append((name, n, r, roc_auc_score(y_test, predict(X_test))))
    return pd.DataFrame(rows, columns=["model", "size", "repeat", "auc"])


def corruption_study(fit: Callable, X, y, X_test, y_test, label_noise=(0.0, 0.1, 0.2, 0.3, 0.4),
                     missing=(0.0, 0.1, 0.2, 0.3, 0.4), repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    """Test AUC when the training data is corrupted, one kind of fault at a time.

    Label noise flips the given share of training labels; missing values blank the given
    share of training feature entries, which are then imputed with the column mean of what
    remains (a common, naive repair). The test set is never corrupted.

    Parameters
    ----------
    fit : callable(X, y) -> predict(X_new) -> probabilities

    Returns
    -------
    DataFrame
        fault ("label noise" or "missing values"), rate, repeat, auc.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    rows = []
    for rate in label_noise:
        for r in range(repeats):
            yc = y.copy()
            flip = rng.random(len(y)) < rate
            yc[flip] = 1 - yc[flip]
            rows.append(("label noise", rate, r, roc_auc_score(y_test, fit(X, yc)(X_test))))
    for rate in missing:
        for r in range(repeats):
            Xc = X.copy()
            Xc[rng.random(X.shape) < rate] = np.nan
            means = np.nanmean(Xc, axis=0)
            Xc = np.where(np.isnan(Xc), means, Xc)
            rows.append(("missing values", rate, r, roc_auc_score(y_test, fit(Xc, y)(X_test))))
    return pd.DataFrame(rows, columns=["fault", "rate", "repeat", "auc"])


def mlp_fitter(hidden: Sequence[int] = (16, 8), epochs: int = 60, seed: int = 0) -> Callable:
    """A ``fit(X, y) -> predict`` function for :func:`learning_curve` and :func:`corruption_study`
    that trains :func:`train_mlp` and returns its ``predict_proba``."""

    def fit(X, y):
        return train_mlp(X, y, hidden=hidden, epochs=epochs, seed=seed).predict_proba

    return fit


def logistic_fitter(max_iter: int = 1000) -> Callable:
    """A ``fit(X, y) -> predict`` function for a scikit-learn logistic regression."""
    from sklearn.linear_model import LogisticRegression

    def fit(X, y):
        model = LogisticRegression(max_iter=max_iter).fit(X, y)
        return lambda Z: model.predict_proba(Z)[:, 1]

    return fit


def holdout_auc(fit: Callable, X, y, X_test, y_test, standardize: bool = True) -> float:
    """Test AUC of a model fitted on (X, y), inputs standardised with the training statistics.

    Parameters
    ----------
    fit : callable(X, y) -> predict(X_new) -> probabilities
        E.g. :func:`logistic_fitter` or :func:`mlp_fitter`.
    standardize : bool
        Scale features with a StandardScaler fitted on the training rows only.
    """
    from sklearn.preprocessing import StandardScaler

    X, X_test = np.asarray(X, dtype=float), np.asarray(X_test, dtype=float)
    if standardize:
        sc = StandardScaler().fit(X)
        X, X_test = sc.transform(X), sc.transform(X_test)
    return float(roc_auc_score(y_test, fit(X, np.asarray(y, dtype=float))(X_test)))
