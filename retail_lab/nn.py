"""A fully connected network in NumPy, written from the book's equations (chapters 3-4).

Notation (column convention, as in the derivation): a batch is stored column-wise,
``A_0 = X.T`` with shape (n_features, n_samples), and for layers ``l = 1..L``

    Z_l = W_l A_{l-1} + b_l,        A_l = sigma_l(Z_l)

Backward, with ``delta_l = dL/dZ_l``:

    delta_L = dL/dA_L * sigma_L'(Z_L)
    delta_l = (W_{l+1}^T delta_{l+1}) * sigma_l'(Z_l)      (the recursion)
    dL/dW_l = delta_l A_{l-1}^T,    dL/db_l = delta_l summed over the batch

The optimizers follow Keras 3's update rules exactly, so the same initial weights and
batches give the same parameters (tests check this against Keras).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MLP",
    "SGD",
    "Momentum",
    "Adam",
    "make_optimizer",
    "numerical_gradients",
    "conv1d",
    "lag_windows",
    "least_squares_filter",
    "keras_conv_filter",
    "permutation_importance",
    "integrated_gradients",
]

_EPS = 1e-7  # Keras' backend epsilon, used to clip probabilities in cross-entropy


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # stable for large |z|


#: The activation functions :class:`MLP` accepts, by name: each a pair (function, derivative).
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    # name: (sigma(z), sigma'(z))
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
}


def _mse(p, y):
    return float(np.mean((p - y) ** 2)), 2.0 * (p - y) / p.size


def _bce(p, y):
    q = np.clip(p, _EPS, 1.0 - _EPS)
    loss = -np.mean(y * np.log(q) + (1.0 - y) * np.log(1.0 - q))
    grad = (q - y) / (q * (1.0 - q)) / p.size
    grad = np.where((p > _EPS) & (p < 1.0 - _EPS), grad, 0.0)  # clipping stops the gradient
    return float(loss), grad


#: The loss functions :class:`MLP` accepts, by name.
LOSSES: dict[str, Callable] = {
    # name: f(P, Y) -> (loss, dL/dP); P, Y shape (n_outputs, n_samples); mean over all entries
    "mse": _mse,
    "bce": _bce,
}


def _as_2d(y, n_out):
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :] if n_out == 1 else y
    elif y.ndim == 2:
        y = y.T
    return y


@dataclass
class SGD:
    """Plain (mini-batch) gradient descent: ``p -= lr * g``. Full-batch use = GD."""

    learning_rate: float = 0.01

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads):
            p -= self.learning_rate * g


@dataclass
class Momentum:
    """Keras 3 ``SGD(momentum=m)``: ``v = m v - lr g``; ``p += v``."""

    learning_rate: float = 0.01
    momentum: float = 0.9
    _v: list = field(default_factory=list, repr=False)

    def step(self, params, grads):
        if not self._v:
            self._v = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self._v):
            v *= self.momentum
            v -= self.learning_rate * g
            p += v


@dataclass
class Adam:
    """Keras 3 ``Adam``: bias correction folded into the step size, epsilon outside the root.

    ``alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t)``; ``m += (g - m)(1 - b1)``;
    ``v += (g^2 - v)(1 - b2)``; ``p -= alpha_t m / (sqrt(v) + eps)``.
    """

    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    _m: list = field(default_factory=list, repr=False)
    _v: list = field(default_factory=list, repr=False)
    _t: int = 0

    def step(self, params, grads):
        if not self._m:
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
        self._t += 1
        t = self._t
        alpha = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        for p, g, m, v in zip(params, grads, self._m, self._v):
            m += (g - m) * (1 - self.beta_1)
            v += (g * g - v) * (1 - self.beta_2)
            p -= alpha * m / (np.sqrt(v) + self.epsilon)


_OPTIMIZERS = {"gd": SGD, "sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, **kwargs):
    """``"gd"`` and ``"sgd"`` -> :class:`SGD`, ``"momentum"`` -> :class:`Momentum`,
    ``"adam"`` -> :class:`Adam`."""
    table = _OPTIMIZERS
    if name not in table:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(table)}")
    return table[name](**kwargs)


def _fresh_optimizer(optimizer, learning_rate):
    """A new optimizer (no moments, step count 0) from a name or an optimizer object.

    An :class:`SGD`, :class:`Momentum` or :class:`Adam` object is rebuilt from its public
    settings, any other object with a ``step(params, grads)`` method is deep-copied: the
    object passed in is never mutated, so one setting trains many networks. A
    ``learning_rate`` that is not None replaces the optimizer's own.
    """
    if isinstance(optimizer, str):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)} or an optimizer object "
                             f"(SGD, Momentum, Adam), got {optimizer!r}")
        opt = _OPTIMIZERS[optimizer]()
    elif isinstance(optimizer, (SGD, Momentum, Adam)) and is_dataclass(optimizer):
        opt = type(optimizer)(**{f.name: getattr(optimizer, f.name) for f in fields(optimizer)
                                 if not f.name.startswith("_")})
    elif callable(getattr(optimizer, "step", None)):
        opt = copy.deepcopy(optimizer)
    else:
        raise TypeError(f"optimizer must be a name ({', '.join(sorted(_OPTIMIZERS))}) or an object with a "
                        f"step(params, grads) method such as Adam(0.003), got {optimizer!r}")
    if learning_rate is not None:
        if isinstance(learning_rate, (bool, np.bool_)) or not isinstance(learning_rate, (int, float, np.number)) \
                or not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive number or None (the optimizer's own), "
                             f"got {learning_rate!r}")
        if not hasattr(opt, "learning_rate"):
            raise TypeError(f"learning_rate={learning_rate!r} given but optimizer {optimizer!r} has no "
                            "learning_rate to replace; set it on the optimizer and leave learning_rate=None")
        opt.learning_rate = float(learning_rate)  # on the fresh copy only
    return opt


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


class MLP(BaseEstimator):
    """Fully connected network with explicit forward and backward passes.

    Follows scikit-learn's estimator convention: the constructor only stores the
    hyperparameters, :meth:`fit` validates them, draws the initial weights and trains.
    :meth:`initialize` draws the initial weights without training (the untrained network
    that chapter 4 differentiates).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_inputs, hidden_1, ..., n_outputs)``; at least two entries.
    activations : sequence of str
        One per layer (``len(layer_sizes) - 1``): sigmoid, tanh, relu or linear.
    loss : {"bce", "mse"}
        Binary cross-entropy (on probabilities, clipped like Keras) or mean squared error.
    seed : int
        Seed for Glorot-uniform initial weights (biases start at 0), as Keras' Dense, and,
        from a second generator with the same seed, for the per-epoch shuffles.
    optimizer : {"adam", "sgd", "gd", "momentum"} or SGD, Momentum, Adam object
        ``fit`` trains a fresh copy (the object passed is never mutated).
    learning_rate : float, optional
        Replaces the optimizer's learning rate; None keeps it (Adam 0.001, SGD 0.01).
    epochs : int >= 1
    batch_size : int or None
        None = full batch (gradient descent).
    shuffle : bool
        Reshuffle sample order each epoch.

    Attributes
    ----------
    weights_ : list of ndarray, shapes (n_l, n_{l-1})
    biases_ : list of ndarray, shapes (n_l,)
    history_ : DataFrame
        After :meth:`fit`: one row per epoch (index ``epoch`` from 1), column ``loss`` and,
        with validation data, ``val_loss``.

    Examples
    --------
    >>> net = MLP((2, 3, 1), ("tanh", "sigmoid"), seed=0).initialize()
    >>> net.predict_proba(np.zeros((4, 2))).shape
    (4,)
    """

    def __init__(self, layer_sizes, activations, loss: str = "bce", seed: int = 0,
                 optimizer="adam", learning_rate: float | None = None, epochs: int = 10,
                 batch_size: int | None = 32, shuffle: bool = True):
        self.layer_sizes = layer_sizes
        self.activations = activations
        self.loss = loss
        self.seed = seed
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle

    # ------------------------------------------------------------------ parameters
    def _sizes(self) -> list[int]:
        """``layer_sizes`` checked and as a list of ints."""
        sizes = self.layer_sizes
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"layer_sizes must be a sequence of int such as (4, 8, 1), got {sizes!r}")
        if not all(_is_int(s) for s in sizes):
            raise TypeError(f"layer_sizes must hold whole numbers, got {list(sizes)!r}")
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"layer_sizes needs >= 2 positive sizes (inputs, ..., outputs), got {list(sizes)}")
        return [int(s) for s in sizes]

    def _validate_params(self) -> list[int]:
        sizes = self._sizes()
        acts = self.activations
        if isinstance(acts, (str, bytes)) or not hasattr(acts, "__len__"):
            raise TypeError(f"activations must be a sequence of names such as ('relu', 'sigmoid'), got {acts!r}")
        if len(acts) != len(sizes) - 1:
            raise ValueError(f"activations: need {len(sizes) - 1} activations (one per layer), got {len(acts)}")
        for a in acts:
            if a not in ACTIVATIONS:
                raise ValueError(f"activations: unknown activation {a!r}; choose from {sorted(ACTIVATIONS)}")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        _fresh_optimizer(self.optimizer, self.learning_rate)  # checks both
        if not _is_int(self.epochs) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.batch_size is not None and (not _is_int(self.batch_size) or self.batch_size < 1):
            raise ValueError(f"batch_size must be a positive integer or None (full batch), got {self.batch_size!r}")
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {self.shuffle!r}")
        return sizes

    def initialize(self) -> "MLP":
        """Draw the initial weights (Glorot uniform from ``seed``, biases 0) without training.

        :meth:`fit` starts from exactly these weights. Returns ``self``.
        """
        sizes = self._validate_params()
        rng = np.random.default_rng(self.seed)
        self.weights_, self.biases_ = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (n_in + n_out))
            self.weights_.append(rng.uniform(-limit, limit, size=(n_out, n_in)))
            self.biases_.append(np.zeros(n_out))
        self.n_features_in_ = sizes[0]
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first "
                                 "(or initialize() for the untrained network)")

    @property
    def params_(self) -> list[np.ndarray]:
        """``[W_1, b_1, W_2, b_2, ...]`` (the arrays themselves, updated in place)."""
        self._check_fitted()
        out = []
        for W, b in zip(self.weights_, self.biases_):
            out += [W, b]
        return out

    def n_params(self) -> int:
        """Number of weights and biases (from ``layer_sizes``; no fit needed)."""
        sizes = self._sizes()
        return int(sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))

    def keras_weights(self) -> list[np.ndarray]:
        """Weights in Keras Dense layout: kernel (n_in, n_out) = W.T, then bias."""
        self._check_fitted()
        out = []
        for W, b in zip(self.weights_, self.biases_):
            out += [W.T.copy(), b.copy()]
        return out

    def to_keras(self, dtype: str = "float32"):
        """A Keras ``Sequential`` twin: same layers, activations and current weights.

        Its loss is ``"binary_crossentropy"`` or ``"mean_squared_error"`` to match; compile
        it with an optimizer of your choice.
        """
        weights = self.keras_weights()
        from .repro import import_tensorflow

        import_tensorflow()  # the book's numeric configuration first
        import keras

        old = keras.config.floatx()
        keras.config.set_floatx(dtype)
        try:
            model = keras.Sequential(
                [keras.Input((self.weights_[0].shape[1],))]
                + [keras.layers.Dense(n, activation=a)
                   for n, a in zip([W.shape[0] for W in self.weights_], self.activations)])
            model.set_weights([w.astype(dtype) for w in weights])
        finally:
            keras.config.set_floatx(old)
        return model

    def set_keras_weights(self, weights) -> "MLP":
        """Load weights from ``keras_model.get_weights()`` (Dense layers only); an
        uninitialised network is initialised first."""
        if not hasattr(self, "weights_"):
            self.initialize()
        if len(weights) != 2 * len(self.weights_):
            raise ValueError(f"weights: expected {2 * len(self.weights_)} arrays (kernel and bias per layer), "
                             f"got {len(weights)}")
        for i in range(len(self.weights_)):
            self.weights_[i][...] = np.asarray(weights[2 * i], dtype=float).T
            self.biases_[i][...] = np.asarray(weights[2 * i + 1], dtype=float)
        return self

    # ------------------------------------------------------------------ passes
    def _check_X(self, X):
        self._check_fitted()
        n_in = self.weights_[0].shape[1]
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != n_in:
            raise ValueError(
                f"X must have shape (n_samples, {n_in}), got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values; impute or drop them first")
        return X

    def forward(self, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Return ``(Z, A)``: pre-activations Z_1..Z_L and activations A_0..A_L (columns = samples)."""
        A = [self._check_X(X).T]
        Z = []
        for W, b, act in zip(self.weights_, self.biases_, self.activations):
            Z.append(W @ A[-1] + b[:, None])
            A.append(ACTIVATIONS[act][0](Z[-1]))
        return Z, A

    def backward(self, Z, A, y) -> tuple[float, list[np.ndarray]]:
        """Loss and gradients ``[dW_1, db_1, ...]`` by the delta recursion."""
        Y = _as_2d(y, self.weights_[-1].shape[0])
        if Y.shape != A[-1].shape:
            raise ValueError(
                f"y has shape {np.shape(y)}; expected ({A[-1].shape[1]},) or "
                f"({A[-1].shape[1]}, {A[-1].shape[0]})")
        loss, dA = LOSSES[self.loss](A[-1], Y)
        L = len(self.weights_)
        grads = [None] * (2 * L)
        delta = dA * ACTIVATIONS[self.activations[-1]][1](Z[-1])
        for l in range(L - 1, -1, -1):
            grads[2 * l] = delta @ A[l].T
            grads[2 * l + 1] = delta.sum(axis=1)
            if l > 0:
                delta = (self.weights_[l].T @ delta) * ACTIVATIONS[self.activations[l - 1]][1](Z[l - 1])
        return loss, grads

    def loss_and_gradients(self, X, y):
        Z, A = self.forward(X)
        return self.backward(Z, A, y)

    def loss_from_layer(self, layer: int, A_layer, y) -> float:
        """Loss computed from the activations of ``layer`` onwards (0 = input).

        Used to check the backward recursion against the *definition*
        ``delta_l = dL/dA_l * sigma'(Z_l)`` by differentiating this function numerically.

        Parameters
        ----------
        layer : int in [0, L]
        A_layer : array, shape (n_l, n_samples) (column convention)
        y : array, shape (n_samples,)
        """
        self._check_fitted()
        if not 0 <= layer <= len(self.weights_):
            raise ValueError(f"layer must be in [0, {len(self.weights_)}], got {layer}")
        A = np.asarray(A_layer, dtype=float)
        for W, b, act in zip(self.weights_[layer:], self.biases_[layer:], self.activations[layer:]):
            A = ACTIVATIONS[act][0](W @ A + b[:, None])
        return LOSSES[self.loss](A, _as_2d(y, self.weights_[-1].shape[0]))[0]

    def compute_loss(self, X, y) -> float:
        """The loss (``loss``) of the current weights on (X, y)."""
        _, A = self.forward(X)
        return LOSSES[self.loss](A[-1], _as_2d(y, self.weights_[-1].shape[0]))[0]

    def predict_proba(self, X) -> np.ndarray:
        """Network output; shape (n_samples,) for one output unit, else (n_samples, n_out)."""
        out = self.forward(X)[1][-1].T
        return out[:, 0] if out.shape[1] == 1 else out

    predict = predict_proba

    # ------------------------------------------------------------------ training
    def fit(self, X, y, validation_data=None) -> "MLP":
        """Draw the initial weights (:meth:`initialize`) and train; records ``history_``.

        Parameters
        ----------
        X : array, shape (n_samples, n_inputs)
        y : array, shape (n_samples,) or (n_samples, n_outputs)
        validation_data : (X_val, y_val), optional
            Adds ``val_loss`` to ``history_``.

        Returns
        -------
        self
        """
        sizes = self._validate_params()
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != sizes[0]:
            raise ValueError(f"X must have shape (n_samples, {sizes[0]}) (layer_sizes[0] = {sizes[0]} inputs), "
                             f"got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values; impute or drop them first")
        y = np.asarray(y, dtype=float)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if len(X) == 0:
            raise ValueError("X is empty: at least one sample is needed")
        if validation_data is not None:
            try:
                X_val, y_val = validation_data
            except (TypeError, ValueError):
                raise TypeError("validation_data must be a pair (X_val, y_val)") from None
            X_val, y_val = np.asarray(X_val, dtype=float), np.asarray(y_val, dtype=float)
            if X_val.ndim != 2 or X_val.shape[1] != sizes[0] or len(y_val) != len(X_val):
                raise ValueError(f"validation_data must be (X_val, y_val) with X_val of shape (n, {sizes[0]}) "
                                 f"and n labels, got shapes {X_val.shape} and {y_val.shape}")
        opt = _fresh_optimizer(self.optimizer, self.learning_rate)
        self.initialize()
        rng = np.random.default_rng(self.seed)
        n = len(X)
        bs = n if self.batch_size is None else int(self.batch_size)
        rows = []
        for _ in range(self.epochs):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            total = 0.0
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                loss, grads = self.loss_and_gradients(X[idx], y[idx])
                opt.step(self.params_, grads)
                total += loss * len(idx)
            row = {"loss": total / n}
            if validation_data is not None:
                row["val_loss"] = self.compute_loss(X_val, y_val)
            rows.append(row)
        self.history_ = pd.DataFrame(rows, index=pd.RangeIndex(1, self.epochs + 1, name="epoch"))
        return self


def numerical_gradients(net: MLP, X, y, h: float = 1e-5) -> list[np.ndarray]:
    """Central finite differences ``(L(p + h) - L(p - h)) / 2h`` for every parameter.

    The default step balances truncation error (~h^2) against float64 rounding
    (~1e-16 / h): near the cube root of machine epsilon.
    """
    grads = []
    for p in net.params_:
        g = np.zeros_like(p)
        it = np.nditer(p, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = p[i]
            p[i] = old + h
            up = net.compute_loss(X, y)
            p[i] = old - h
            down = net.compute_loss(X, y)
            p[i] = old
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def conv1d(x, kernel, bias=0.0) -> np.ndarray:
    """1-D convolution as deep-learning libraries define it (cross-correlation, 'valid').

    ``y[t] = bias + sum_k kernel[k] * x[t + k]`` for ``t = 0 .. len(x) - len(kernel)``:
    a sliding dot product, as in Keras ``Conv1D(filters=1, padding="valid")``.

    Parameters
    ----------
    x : array, shape (n,)
    kernel : array, shape (k,), k <= n
    bias : float

    Returns
    -------
    ndarray, shape (n - k + 1,)

    Examples
    --------
    >>> conv1d([1, 2, 3, 4], [1, -1])
    array([-1., -1., -1.])
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(kernel, dtype=float)
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError("x and kernel must be 1-D arrays")
    if len(w) > len(x) or len(w) == 0:
        raise ValueError(f"kernel length {len(w)} must be between 1 and len(x) = {len(x)}")
    windows = np.lib.stride_tricks.sliding_window_view(x, len(w))
    return windows @ w + bias


def lag_windows(x, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows of length ``k`` and the value right after each.

    Returns
    -------
    X : ndarray, shape (n - k, k)
        ``X[t] = x[t : t + k]`` (oldest first, so column ``j`` is lag ``k - j``).
    y : ndarray, shape (n - k,)
        ``y[t] = x[t + k]``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or not 1 <= k < len(x):
        raise ValueError(f"need a 1-D series longer than k = {k}")
    W = np.lib.stride_tricks.sliding_window_view(x, k + 1)
    return W[:, :k].copy(), W[:, k].copy()


def least_squares_filter(x, k: int) -> tuple[np.ndarray, float]:
    """The linear filter (kernel, bias) that best predicts ``x[t + k]`` from ``x[t : t + k]``.

    Closed form (ordinary least squares); the reference a trained ``Conv1D`` should reach.
    """
    X, y = lag_windows(x, k)
    coef = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    return coef[:k], float(coef[k])


def keras_conv_filter(x, k: int, epochs: int = 400, learning_rate: float = 0.02,
                      seed: int = 0) -> tuple[np.ndarray, float, list[float]]:
    """Train a one-filter ``keras.layers.Conv1D`` to predict the next value of a series.

    The layer slides its kernel over ``x[:-1]``; output ``t`` is compared with ``x[t + k]``
    (mean squared error, full-batch Adam).

    Returns
    -------
    kernel : ndarray, shape (k,)
        Weight on ``x[t + j]``, i.e. on lag ``k - j``.
    bias : float
    losses : list of float
        Training loss per epoch.
    """
    from .repro import import_tensorflow

    import_tensorflow()  # the book's numeric configuration first
    import keras

    x = np.asarray(x, dtype="float32")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, 1)), keras.layers.Conv1D(1, k, padding="valid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    inp = x[:-1].reshape(1, -1, 1)
    target = x[k:].reshape(1, -1, 1)
    hist = model.fit(inp, target, epochs=epochs, batch_size=1, verbose=0, shuffle=False)
    w, b = model.layers[0].get_weights()
    return w[:, 0, 0].astype(float), float(b[0]), [float(v) for v in hist.history["loss"]]


def permutation_importance(score: Callable[[np.ndarray, np.ndarray], float], X, y,
                           n_repeats: int = 10, seed: int = 0) -> np.ndarray:
    """Drop in ``score(X, y)`` when each column of X is shuffled.

    Parameters
    ----------
    score : callable
        Higher is better (e.g. AUC of a fitted model on X).
    X : array, shape (n_samples, n_features)
    y : array, shape (n_samples,)
    n_repeats : int
    seed : int

    Returns
    -------
    ndarray, shape (n_features, n_repeats)
        ``score(X, y) - score(X with column j shuffled, y)`` per repeat.
    """
    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(seed)
    base = score(X, y)
    out = np.empty((X.shape[1], n_repeats))
    for j in range(X.shape[1]):
        for r in range(n_repeats):
            Xp = X.copy()
            Xp[:, j] = X[rng.permutation(len(X)), j]
            out[j, r] = base - score(Xp, y)
    return out


def integrated_gradients(model, x, baseline=None, steps: int = 64) -> tuple[np.ndarray, float]:
    """Integrated gradients (Sundararajan et al., 2017) of a Keras model's scalar output.

    ``IG_j = (x_j - x'_j) * integral_0^1 dF(x' + a (x - x')) / dx_j da``, approximated with
    the trapezoid rule on ``steps`` intervals. The attributions add up to
    ``F(x) - F(x')`` (completeness); the second return value is the gap, a built-in check.

    Parameters
    ----------
    model : keras.Model
        Maps (n, d) inputs to (n, 1) outputs.
    x : array, shape (d,)
    baseline : array, shape (d,), optional
        Reference input ``x'`` (default zeros: the training mean for standardised inputs).
    steps : int

    Returns
    -------
    attributions : ndarray, shape (d,)
    completeness_gap : float
        ``sum(attributions) - (F(x) - F(x'))``.
    """
    from .repro import import_tensorflow

    tf = import_tensorflow()
    x = np.asarray(x, dtype="float32")
    base = np.zeros_like(x) if baseline is None else np.asarray(baseline, dtype="float32")
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32")[:, None]
    path = tf.constant(base[None, :] + alphas * (x - base)[None, :])
    with tf.GradientTape() as tape:
        tape.watch(path)
        out = model(path)[:, 0]
    grads = tape.gradient(out, path).numpy()
    avg = (grads[:-1] + grads[1:]).mean(axis=0) / 2.0
    attributions = (x - base) * avg
    f = out.numpy()
    return attributions.astype(float), float(attributions.sum() - (f[-1] - f[0]))
