"""Experiments that turn the article's pros and cons of deep learning into measurements."""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .nn import MLP
from ._checks import as_vector

__all__ = ["train_mlp", "scaling_study", "learning_curve", "corruption_study", "mlp_fitter",
           "logistic_fitter", "holdout_auc", "gradient_check_case", "gradient_check_errors"]


def _binary(y, name: str = "y") -> np.ndarray:
    """Labels as a 1-D float array of 0/1 (these studies fit binary classifiers: a label 2
    would silently become a third class or a target outside the sigmoid's range)."""
    v = as_vector(y, name, "row", hint="0/1 labels are needed; convert them, e.g. (y == 'yes').astype(int)")
    bad = ~np.isin(v, (0.0, 1.0))
    if bad.any():
        raise ValueError(f"{name} must hold only 0 and 1 (a binary outcome); found {np.unique(v[bad])[:5].tolist()}")
    return v


def _aligned(X, y, name_X: str = "X", name_y: str = "y"):
    """Refuse an X (DataFrame) and y (Series) whose row labels differ: converting both to
    arrays would pair each row with another row's label."""
    if isinstance(X, pd.DataFrame) and isinstance(y, pd.Series) and not X.index.equals(y.index):
        raise ValueError(f"{name_X} and {name_y} have different row labels (index), so their rows would be "
                         f"paired by position with the wrong labels; align them first: "
                         f"{name_y} = {name_y}.loc[{name_X}.index]")


def _same_columns(X, X_test):
    """X_test with X's column order when both are DataFrames (refused if the columns differ)."""
    if isinstance(X, pd.DataFrame) and isinstance(X_test, pd.DataFrame) and not X.columns.equals(X_test.columns):
        if set(X.columns) != set(X_test.columns) or X.columns.has_duplicates:
            diff = sorted(map(str, set(X.columns) ^ set(X_test.columns)))[:5]
            raise ValueError(f"X and X_test have different columns: {diff}")
        return X_test[X.columns]
    return X_test


def train_mlp(X, y, hidden: Sequence[int] = (16, 8), optimizer: str = "adam",
              learning_rate: float = 0.003, epochs: int = 60, batch_size: int | None = 32,
              seed: int = 0, validation_data=None) -> MLP:
    """Fit a ReLU network with a sigmoid output and cross-entropy loss (binary target).

    Parameters
    ----------
    X : array, shape (n_samples, n_features)
    y : array of 0/1, shape (n_samples,)
        Other values are an error (the loss is binary cross-entropy).
    hidden : sequence of int
        Hidden layer widths.
    optimizer, learning_rate, epochs, batch_size, seed
        Hyperparameters of :class:`retail_lab.nn.MLP` (``optimizer`` a name or an
        optimizer object).
    validation_data : (X_val, y_val), optional
        As in :meth:`retail_lab.nn.MLP.fit`.

    Returns
    -------
    MLP
        The fitted network (``history_`` holds the loss curves).
    """
    _aligned(X, y)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (samples x features), got shape {X.shape}")
    y = _binary(y)
    sizes = (X.shape[1], *hidden, 1)
    net = MLP(sizes, ["relu"] * len(hidden) + ["sigmoid"], loss="bce", seed=seed, optimizer=optimizer,
              learning_rate=learning_rate, epochs=epochs, batch_size=batch_size)
    return net.fit(X, y, validation_data=validation_data)


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
    _aligned(X, y)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    _binary(y)  # checked, but passed on with the caller's dtype
    if isinstance(repeats, (bool, np.bool_)) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be a whole number >= 1, got {repeats!r}")
    for n in sizes:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"every training size must be a whole number >= 2 (both classes are needed), got {n!r}")
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
    if not rows and models:
        raise ValueError("no training subset held both classes; use larger sizes or more repeats")
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
    y : array of 0/1
        Binary labels (flipping is ``1 - y``).
    label_noise, missing : sequences of float
        Rates in [0, 1] and [0, 1) respectively.

    Returns
    -------
    DataFrame
        fault ("label noise" or "missing values"), rate, repeat, auc.
    """
    _aligned(X, y)
    X, y = np.asarray(X, dtype=float), _binary(y)
    for rate in label_noise:
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.integer, np.floating)) \
                or not 0 <= rate <= 1:
            raise ValueError(f"label_noise rates are shares of labels flipped, in [0, 1]; got {rate!r}")
    for rate in missing:
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.integer, np.floating)) \
                or not 0 <= rate < 1:
            raise ValueError(f"missing rates are shares of entries blanked, in [0, 1); got {rate!r}")
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
            empty = np.isnan(Xc).all(axis=0)
            if empty.any():
                raise ValueError(f"at missing rate {rate}, column(s) {np.flatnonzero(empty).tolist()} lost every "
                                 "value, so there is no mean to impute; use a lower rate or more rows")
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

    Raises
    ------
    ValueError
        Labels other than 0/1; a DataFrame ``X`` and Series ``y`` with different row labels
        (they would be paired by position); ``X_test`` with other columns than ``X``
        (the same columns in another order are reordered to ``X``'s).
    """
    from sklearn.preprocessing import StandardScaler

    _aligned(X, y)
    _aligned(X_test, y_test, "X_test", "y_test")
    X_test = _same_columns(X, X_test)
    y, y_test = _binary(y), _binary(y_test, "y_test")
    X, X_test = np.asarray(X, dtype=float), np.asarray(X_test, dtype=float)
    if standardize:
        sc = StandardScaler().fit(X)
        X, X_test = sc.transform(X), sc.transform(X_test)
    return float(roc_auc_score(y_test, fit(X, y)(X_test)))


def gradient_check_case(seed: int = 0, sizes: Sequence[int] = (4, 5, 3, 1),
                        activations: Sequence[str] = ("tanh", "relu", "sigmoid"), n_examples: int = 6,
                        bias_shift: float = 0.0):
    """The small network and batch on which chapter 4 checks its gradients.

    Parameters
    ----------
    seed : int
        Draws the untrained weights (``MLP(seed=seed)``) and, from
        ``np.random.default_rng(seed)``, the inputs (standard normal) and the 0/1 labels.
    sizes, activations
        The network, as for :class:`retail_lab.nn.MLP`.
    n_examples : int
    bias_shift : float
        Added to every bias, e.g. to keep ReLU inputs away from the kink at 0, where a finite
        difference straddles two slopes.

    Returns
    -------
    net : MLP (initialised, not trained), X : ndarray (n_examples, sizes[0]), y : ndarray (n_examples,)
    """
    rng = np.random.default_rng(seed)
    net = MLP(tuple(sizes), tuple(activations), loss="bce", seed=seed).initialize()
    X = rng.normal(size=(n_examples, sizes[0]))
    y = (rng.random(n_examples) < 0.5).astype(float)
    for b in net.biases_:
        b += bias_shift
    return net, X, y


def gradient_check_errors(net: MLP, X, y, h: float = 1e-5) -> list[float]:
    """Largest relative error of back-propagation against central finite differences with step
    ``h``, per parameter array (``W_1, b_1, W_2, ...``): ``|g - n| / max(|g| + |n|, 1e-8)``."""
    from .nn import numerical_gradients

    _, grads = net.loss_and_gradients(X, y)
    num = numerical_gradients(net, X, y, h=h)
    return [float((np.abs(g - n) / np.maximum(np.abs(g) + np.abs(n), 1e-8)).max()) for g, n in zip(grads, num)]
