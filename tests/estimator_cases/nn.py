"""Conformance cases for the NumPy network (chapters 3-4): :class:`retail_lab.nn.MLP`."""

from __future__ import annotations

import numpy as np

from estimator_cases import Case
from retail_lab.nn import MLP, Momentum


def _points():
    """40 points in the plane, label 1 above the line x0 + 0.5 x1 = 0 (with a little noise)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=40) > 0).astype(float)
    return X, y


def _validation():
    X, y = _points()
    return {"validation_data": (X[:10], y[:10])}


CASES = [
    Case(
        cls=MLP,
        params=dict(layer_sizes=(2, 4, 1), activations=("tanh", "sigmoid"), loss="bce", seed=0,
                    optimizer="adam", learning_rate=0.01, epochs=3, batch_size=8),
        fit_args=_points,
        fit_kwargs=_validation,
        output=lambda net: net.predict_proba(_points()[0]),
        unfitted=lambda net: net.predict_proba(_points()[0]),
        bad_params={"layer_sizes": (2,), "activations": ("tanh", "softmax"), "loss": "hinge",
                    "optimizer": "rmsprop", "learning_rate": -1.0, "epochs": 0, "batch_size": 0,
                    "seed": -3, "shuffle": "yes"},
    ),
    Case(
        cls=MLP,
        params=dict(layer_sizes=(2, 3, 1), activations=("relu", "linear"), loss="mse", seed=1,
                    optimizer=Momentum(0.05, 0.9), epochs=2, batch_size=None, shuffle=False),
        fit_args=_points,
        output=lambda net: np.concatenate([p.ravel() for p in net.params_]),
        unfitted=lambda net: net.keras_weights(),
        bad_params={"optimizer": object()},
        id="MLP-momentum-full-batch",
    ),
]
