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

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

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


def make_optimizer(name: str, **kwargs):
    """``"gd"`` and ``"sgd"`` -> :class:`SGD`, ``"momentum"`` -> :class:`Momentum`,
    ``"adam"`` -> :class:`Adam`."""
    table = {"gd": SGD, "sgd": SGD, "momentum": Momentum, "adam": Adam}
    if name not in table:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(table)}")
    return table[name](**kwargs)


class MLP:
    """Fully connected network with explicit forward and backward passes.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_inputs, hidden_1, ..., n_outputs)``; at least two entries.
    activations : sequence of str
        One per layer (``len(layer_sizes) - 1``): sigmoid, tanh, relu or linear.
    loss : {"bce", "mse"}
        Binary cross-entropy (on probabilities, clipped like Keras) or mean squared error.
    seed : int
        Seed for Glorot-uniform initial weights (biases start at 0), as Keras' Dense.

    Attributes
    ----------
    weights : list of ndarray, shapes (n_l, n_{l-1})
    biases : list of ndarray, shapes (n_l,)
    history_ : dict of lists
        After :meth:`fit`: ``loss`` per epoch and, with validation data, ``val_loss``.

    Examples
    --------
    >>> net = MLP((2, 3, 1), ("tanh", "sigmoid"), seed=0)
    >>> net.predict_proba(np.zeros((4, 2))).shape
    (4,)
    """

    def __init__(self, layer_sizes, activations, loss: str = "bce", seed: int = 0):
        layer_sizes = [int(s) for s in layer_sizes]
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError(f"layer_sizes needs >= 2 positive sizes, got {layer_sizes}")
        if len(activations) != len(layer_sizes) - 1:
            raise ValueError(
                f"need {len(layer_sizes) - 1} activations (one per layer), got {len(activations)}"
            )
        for a in activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}; choose from {sorted(ACTIVATIONS)}")
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose from {sorted(LOSSES)}")
        self.layer_sizes, self.activations, self.loss_name, self.seed = (
            layer_sizes, list(activations), loss, seed)
        rng = np.random.default_rng(seed)
        self.weights, self.biases = [], []
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            limit = np.sqrt(6.0 / (n_in + n_out))
            self.weights.append(rng.uniform(-limit, limit, size=(n_out, n_in)))
            self.biases.append(np.zeros(n_out))
        self.history_: dict[str, list[float]] = {}

    # ------------------------------------------------------------------ parameters
    @property
    def params(self) -> list[np.ndarray]:
        """``[W_1, b_1, W_2, b_2, ...]`` (the arrays themselves, updated in place)."""
        out = []
        for W, b in zip(self.weights, self.biases):
            out += [W, b]
        return out

    def n_params(self) -> int:
        return int(sum(p.size for p in self.params))

    def keras_weights(self) -> list[np.ndarray]:
        """Weights in Keras Dense layout: kernel (n_in, n_out) = W.T, then bias."""
        out = []
        for W, b in zip(self.weights, self.biases):
            out += [W.T.copy(), b.copy()]
        return out

    def to_keras(self, dtype: str = "float32"):
        """A Keras ``Sequential`` twin: same layers, activations and current weights.

        Its loss is ``"binary_crossentropy"`` or ``"mean_squared_error"`` to match; compile
        it with an optimizer of your choice.
        """
        from .repro import import_tensorflow

        import_tensorflow()  # the book's numeric configuration first
        import keras

        old = keras.config.floatx()
        keras.config.set_floatx(dtype)
        try:
            model = keras.Sequential(
                [keras.Input((self.layer_sizes[0],))]
                + [keras.layers.Dense(n, activation=a)
                   for n, a in zip(self.layer_sizes[1:], self.activations)])
            model.set_weights([w.astype(dtype) for w in self.keras_weights()])
        finally:
            keras.config.set_floatx(old)
        return model

    def set_keras_weights(self, weights) -> "MLP":
        """Load weights from ``keras_model.get_weights()`` (Dense layers only)."""
        for i in range(len(self.weights)):
            self.weights[i][...] = np.asarray(weights[2 * i], dtype=float).T
            self.biases[i][...] = np.asarray(weights[2 * i + 1], dtype=float)
        return self

    # ------------------------------------------------------------------ passes
    def _check_X(self, X):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"X must have shape (n_samples, {self.layer_sizes[0]}), got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values; impute or drop them first")
        return X

    def forward(self, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Return ``(Z, A)``: pre-activations Z_1..Z_L and activations A_0..A_L (columns = samples)."""
        A = [self._check_X(X).T]
        Z = []
        for W, b, act in zip(self.weights, self.biases, self.activations):
            Z.append(W @ A[-1] + b[:, None])
            A.append(ACTIVATIONS[act][0](Z[-1]))
        return Z, A

    def backward(self, Z, A, y) -> tuple[float, list[np.ndarray]]:
        """Loss and gradients ``[dW_1, db_1, ...]`` by the delta recursion."""
        Y = _as_2d(y, self.layer_sizes[-1])
        if Y.shape != A[-1].shape:
            raise ValueError(
                f"y has shape {np.shape(y)}; expected ({A[-1].shape[1]},) or "
                f"({A[-1].shape[1]}, {A[-1].shape[0]})")
        loss, dA = LOSSES[self.loss_name](A[-1], Y)
        L = len(self.weights)
        grads = [None] * (2 * L)
        delta = dA * ACTIVATIONS[self.activations[-1]][1](Z[-1])
        for l in range(L - 1, -1, -1):
            grads[2 * l] = delta @ A[l].T
            grads[2 * l + 1] = delta.sum(axis=1)
            if l > 0:
                delta = (self.weights[l].T @ delta) * ACTIVATIONS[self.activations[l - 1]][1](Z[l - 1])
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
        if not 0 <= layer <= len(self.weights):
            raise ValueError(f"layer must be in [0, {len(self.weights)}], got {layer}")
        A = np.asarray(A_layer, dtype=float)
        for W, b, act in zip(self.weights[layer:], self.biases[layer:], self.activations[layer:]):
            A = ACTIVATIONS[act][0](W @ A + b[:, None])
        return LOSSES[self.loss_name](A, _as_2d(y, self.layer_sizes[-1]))[0]

    def loss(self, X, y) -> float:
        _, A = self.forward(X)
        return LOSSES[self.loss_name](A[-1], _as_2d(y, self.layer_sizes[-1]))[0]

    def predict_proba(self, X) -> np.ndarray:
        """Network output; shape (n_samples,) for one output unit, else (n_samples, n_out)."""
        out = self.forward(X)[1][-1].T
        return out[:, 0] if out.shape[1] == 1 else out

    predict = predict_proba

    # ------------------------------------------------------------------ training
    def fit(self, X, y, optimizer=None, epochs: int = 10, batch_size: int | None = 32,
            validation_data=None, shuffle: bool = True, seed: int | None = None) -> "MLP":
        """Train with an optimizer from this module; records ``history_``.

        Parameters
        ----------
        X : array, shape (n_samples, n_inputs)
        y : array, shape (n_samples,) or (n_samples, n_outputs)
        optimizer : SGD, Momentum or Adam, default ``Adam()``
        epochs : int
        batch_size : int or None
            None = full batch (gradient descent).
        validation_data : (X_val, y_val), optional
        shuffle : bool
            Reshuffle sample order each epoch (seeded by ``seed``, default ``self.seed``).

        Returns
        -------
        self
        """
        X = self._check_X(X)
        y = np.asarray(y, dtype=float)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        opt = optimizer or Adam()
        rng = np.random.default_rng(self.seed if seed is None else seed)
        n = len(X)
        bs = n if batch_size is None else int(batch_size)
        self.history_ = {"loss": []} | ({"val_loss": []} if validation_data is not None else {})
        for _ in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            total = 0.0
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                loss, grads = self.loss_and_gradients(X[idx], y[idx])
                opt.step(self.params, grads)
                total += loss * len(idx)
            self.history_["loss"].append(total / n)
            if validation_data is not None:
                self.history_["val_loss"].append(self.loss(*validation_data))
        return self


def numerical_gradients(net: MLP, X, y, h: float = 1e-5) -> list[np.ndarray]:
    """Central finite differences ``(L(p + h) - L(p - h)) / 2h`` for every parameter.

    The default step balances truncation error (~h^2) against float64 rounding
    (~1e-16 / h): near the cube root of machine epsilon.
    """
    grads = []
    for p in net.params:
        g = np.zeros_like(p)
        it = np.nditer(p, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = p[i]
            p[i] = old + h
            up = net.loss(X, y)
            p[i] = old - h
            down = net.loss(X, y)
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
