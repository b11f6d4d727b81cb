"""The NumPy network against finite differences, tf.GradientTape, a hand-worked 2-2-1 example,
and Keras' optimizers; conv1d against keras.layers.Conv1D."""

from __future__ import annotations

import numpy as np
import pytest

import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from retail_lab.nn import (MLP, SGD, Adam, Momentum, conv1d, make_optimizer, numerical_gradients,
                           permutation_importance)
from retail_lab.repro import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402


def data(n=12, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(float)
    return X, y


CASES = [
    ((4, 5, 3, 1), ("tanh", "relu", "sigmoid"), "bce"),
    ((4, 6, 1), ("sigmoid", "sigmoid"), "bce"),
    ((4, 3, 2), ("relu", "linear"), "mse"),
    ((4, 5, 5, 1), ("tanh", "tanh", "linear"), "mse"),
]


@pytest.mark.parametrize("sizes,acts,loss", CASES)
def test_backprop_matches_finite_differences(sizes, acts, loss):
    X, y = data()
    if sizes[-1] == 2:
        y = np.c_[y, 1 - y]
    net = MLP(sizes, acts, loss=loss, seed=1).initialize()
    for b in net.biases_:
        b += 0.1  # away from ReLU kinks at exactly zero
    _, grads = net.loss_and_gradients(X, y)
    num = numerical_gradients(net, X, y)
    for g, n in zip(grads, num):
        rel = np.abs(g - n) / np.maximum(np.abs(g) + np.abs(n), 1e-8)
        assert rel.max() < 1e-7, rel.max()


@pytest.mark.parametrize("sizes,acts,loss", CASES[:2])
def test_backprop_matches_gradient_tape(sizes, acts, loss):
    X, y = data()
    net = MLP(sizes, acts, loss=loss, seed=2).initialize()
    _, grads = net.loss_and_gradients(X, y)
    tvars = [tf.Variable(p.T if p.ndim == 2 else p) for p in net.params_]  # (n_in, n_out) kernels
    with tf.GradientTape() as tape:
        a = tf.constant(X)
        tf_act = {"sigmoid": tf.math.sigmoid, "tanh": tf.math.tanh, "relu": tf.nn.relu}
        for i, act in enumerate(acts):
            a = tf_act[act](a @ tvars[2 * i] + tvars[2 * i + 1])
        p = tf.clip_by_value(a[:, 0], 1e-7, 1 - 1e-7)
        L = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
    tg = tape.gradient(L, tvars)
    for g, t in zip(grads, tg):
        t = t.numpy()
        assert np.abs(g - (t.T if t.ndim == 2 else t)).max() < 1e-6


def test_hand_worked_2_2_1():
    # x = (1, 2), y = 1; W1 = [[0.1, 0.2], [-0.3, 0.4]], b1 = (0, 0.1); W2 = [[0.5, -0.6]], b2 = 0.2
    # sigmoid everywhere, squared error L = (a2 - y)^2 (Keras MSE over one sample)
    net = MLP((2, 2, 1), ("sigmoid", "sigmoid"), loss="mse").initialize()
    net.weights_[0][...] = [[0.1, 0.2], [-0.3, 0.4]]
    net.biases_[0][...] = [0.0, 0.1]
    net.weights_[1][...] = [[0.5, -0.6]]
    net.biases_[1][...] = [0.2]
    s = lambda z: 1 / (1 + np.exp(-z))
    z11, z12 = 0.1 * 1 + 0.2 * 2 + 0.0, -0.3 * 1 + 0.4 * 2 + 0.1    # 0.5, 0.6
    a11, a12 = s(z11), s(z12)
    z2 = 0.5 * a11 - 0.6 * a12 + 0.2
    a2 = s(z2)
    d2 = 2 * (a2 - 1) * a2 * (1 - a2)                            # delta_2
    d11, d12 = 0.5 * d2 * a11 * (1 - a11), -0.6 * d2 * a12 * (1 - a12)  # delta_1 = W2^T d2 * s'
    loss, g = net.loss_and_gradients(np.array([[1.0, 2.0]]), np.array([1.0]))
    assert loss == pytest.approx((a2 - 1) ** 2, abs=1e-15)
    np.testing.assert_allclose(g[2], [[d2 * a11, d2 * a12]], atol=1e-15)
    np.testing.assert_allclose(g[3], [d2], atol=1e-15)
    np.testing.assert_allclose(g[0], [[d11 * 1, d11 * 2], [d12 * 1, d12 * 2]], atol=1e-15)
    np.testing.assert_allclose(g[1], [d11, d12], atol=1e-15)


def keras_twin(net):
    return net.to_keras("float64")


@pytest.mark.parametrize("name,ours,theirs", [
    ("sgd", lambda: SGD(0.1), lambda: keras.optimizers.SGD(0.1)),
    ("momentum", lambda: Momentum(0.1, 0.9), lambda: keras.optimizers.SGD(0.1, momentum=0.9)),
    ("adam", lambda: Adam(0.01), lambda: keras.optimizers.Adam(0.01)),
])
def test_optimizers_match_keras_after_10_steps(name, ours, theirs):
    X, y = data(n=40, seed=3)
    net = MLP((4, 8, 1), ("tanh", "sigmoid"), loss="bce", seed=4).initialize()
    model = keras_twin(net)
    opt_ours, opt_keras = ours(), theirs()
    bce = keras.losses.BinaryCrossentropy()
    for step in range(10):
        idx = np.arange(step * 4, step * 4 + 4) % 40  # same mini-batches for both
        _, grads = net.loss_and_gradients(X[idx], y[idx])
        opt_ours.step(net.params_, grads)
        with tf.GradientTape() as tape:
            loss = bce(y[idx][:, None], model(X[idx], training=True))
        opt_keras.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))
    for a, b in zip(net.keras_weights(), model.get_weights()):
        assert np.abs(a - b).max() < 1e-6, name


def test_fit_reduces_loss_and_validates_inputs():
    X, y = data(n=200, seed=5)
    net = MLP((4, 8, 1), ("relu", "sigmoid"), seed=0, optimizer="adam", learning_rate=0.01, epochs=20,
              batch_size=32)
    before = net.initialize().compute_loss(X, y)
    net.fit(X, y, validation_data=(X, y))
    assert net.history_["loss"].iloc[-1] < before and len(net.history_["val_loss"]) == 20
    with pytest.raises(ValueError, match="shape"):
        net.predict_proba(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        net.predict_proba(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="activations"):
        MLP((2, 2, 1), ("relu",)).fit(X[:, :2], y)
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("rmsprop")
    with pytest.raises(ValueError, match="rows"):
        net.fit(X, y[:10])


def test_gd_is_full_batch_sgd():
    X, y = data(n=30, seed=6)
    a = MLP((4, 3, 1), ("tanh", "sigmoid"), seed=1, optimizer=SGD(0.5), epochs=3, batch_size=None).fit(X, y)
    b = MLP((4, 3, 1), ("tanh", "sigmoid"), seed=1).initialize()
    for _ in range(3):
        _, g = b.loss_and_gradients(X, y)
        SGD(0.5).step(b.params_, g)
    for p, q in zip(a.params_, b.params_):
        np.testing.assert_allclose(p, q, atol=1e-12)


def test_conv1d_matches_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    w = rng.normal(size=7)
    layer = keras.layers.Conv1D(1, 7, padding="valid")
    layer.build((None, 50, 1))
    layer.set_weights([w.reshape(7, 1, 1).astype("float32"), np.array([0.3], "float32")])
    ref = layer(x.reshape(1, 50, 1).astype("float32")).numpy().ravel()
    assert np.abs(conv1d(x, w, 0.3) - ref).max() < 1e-6
    assert conv1d([1, 2, 3], [1, 1, 1]).tolist() == [6.0]
    with pytest.raises(ValueError):
        conv1d([1, 2], [1, 2, 3])


def test_permutation_importance_finds_the_signal():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 1]
    score = lambda A, t: -np.mean((A[:, 1] - t) ** 2)
    imp = permutation_importance(score, X, y, n_repeats=3)
    assert imp.shape == (3, 3)
    assert imp[1].mean() > 1 and np.allclose(imp[[0, 2]], 0)


# ---------------------------------------------------------------- the estimator convention
def _hand_trained(X, y, sizes, acts, opt, epochs, batch_size, seed, shuffle=True):
    """A second implementation of MLP.fit's loop: Glorot weights from ``seed``, then
    ``epochs`` passes over batches in the order drawn from a second generator with ``seed``."""
    net = MLP(sizes, acts, seed=seed).initialize()
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        total = 0.0
        for s in range(0, len(X), batch_size or len(X)):
            idx = order[s:s + (batch_size or len(X))]
            loss, g = net.loss_and_gradients(X[idx], y[idx])
            opt.step(net.params_, g)
            total += loss * len(idx)
        losses.append(total / len(X))
    return net, losses


@pytest.mark.parametrize("name,opt,lr,ref", [
    ("adam", "adam", 0.01, lambda: Adam(0.01)),
    ("momentum object", Momentum(0.05, 0.5), None, lambda: Momentum(0.05, 0.5)),
    ("sgd object, learning_rate overrides", SGD(9.0), 0.2, lambda: SGD(0.2)),
])
def test_fit_matches_a_hand_written_loop(name, opt, lr, ref):
    X, y = data(n=50, seed=7)
    net = MLP((4, 5, 1), ("tanh", "sigmoid"), seed=3, optimizer=opt, learning_rate=lr, epochs=4,
              batch_size=16).fit(X, y, validation_data=(X[:10], y[:10]))
    twin, losses = _hand_trained(X, y, (4, 5, 1), ("tanh", "sigmoid"), ref(), 4, 16, 3)
    for p, q in zip(net.params_, twin.params_):
        np.testing.assert_array_equal(p, q)
    h = net.history_
    assert isinstance(h, pd.DataFrame) and h.index.name == "epoch" and list(h.index) == [1, 2, 3, 4]
    np.testing.assert_allclose(h["loss"], losses, rtol=1e-15)
    assert h["val_loss"].iloc[-1] == pytest.approx(twin.compute_loss(X[:10], y[:10]), rel=1e-15)


def test_optimizer_object_is_never_mutated_and_refit_starts_over():
    X, y = data(n=40, seed=8)
    opt = Adam(0.01)
    net = MLP((4, 3, 1), ("relu", "sigmoid"), optimizer=opt, epochs=3, seed=5)
    first = net.fit(X, y).predict_proba(X)
    assert opt._t == 0 and opt._m == [] and opt.learning_rate == 0.01
    np.testing.assert_array_equal(net.fit(X, y).predict_proba(X), first)   # refit from scratch
    other = MLP((4, 3, 1), ("relu", "sigmoid"), optimizer=opt, epochs=3, seed=5).fit(X, y)
    np.testing.assert_array_equal(other.predict_proba(X), first)         # the same object, reused
    np.testing.assert_array_equal(clone(net).fit(X, y).predict_proba(X), first)


def test_init_only_stores_and_unfitted_use_is_refused():
    sizes, acts = [3, 2, 1], ["relu", "sigmoid"]
    net = MLP(sizes, acts, loss="nonsense", epochs=-1)  # nothing is checked here
    assert net.layer_sizes is sizes and net.activations is acts
    assert set(vars(net)) == set(net.get_params())
    for use in (lambda: net.predict_proba(np.zeros((1, 3))), lambda: net.params_, net.keras_weights,
                lambda: net.forward(np.zeros((1, 3)))):
        with pytest.raises(NotFittedError, match="MLP.*fit"):
            use()
    with pytest.raises(ValueError, match="loss"):
        net.fit(np.zeros((2, 3)), [0, 1])
    assert MLP((7, 32, 16, 1), ("relu", "relu", "sigmoid")).n_params() == 7 * 32 + 32 + 32 * 16 + 16 + 16 + 1


@pytest.mark.parametrize("param,value,match", [
    ("layer_sizes", (4,), "layer_sizes"),
    ("layer_sizes", "4, 3, 1", "layer_sizes"),
    ("activations", ("relu", "softmax"), "activations"),
    ("optimizer", "rmsprop", "optimizer"),
    ("optimizer", 0.01, "optimizer"),
    ("learning_rate", 0.0, "learning_rate"),
    ("epochs", 0, "epochs"),
    ("batch_size", 2.5, "batch_size"),
    ("seed", -1, "seed"),
    ("shuffle", "yes", "shuffle"),
])
def test_bad_hyperparameters_fail_in_fit(param, value, match):
    X, y = data(n=10)
    net = MLP((4, 3, 1), ("relu", "sigmoid")).set_params(**{param: value})
    with pytest.raises((ValueError, TypeError), match=match):
        net.fit(X, y)


def test_fit_refuses_bad_data():
    X, y = data(n=10)
    net = MLP((4, 3, 1), ("relu", "sigmoid"), epochs=1)
    with pytest.raises(ValueError, match=r"layer_sizes\[0\]"):
        net.fit(X[:, :3], y)
    with pytest.raises(ValueError, match="validation_data"):
        net.fit(X, y, validation_data=(X[:, :2], y))
    with pytest.raises(TypeError, match="validation_data"):
        net.fit(X, y, validation_data=X)
