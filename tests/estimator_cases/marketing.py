"""Conformance cases for the uplift models of ``retail_lab.marketing`` (chapter 6.2)."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from estimator_cases import Case
from retail_lab import marketing as mk


def _experiment(n: int = 400):
    """A randomised experiment: the treatment helps units with x0 > 0."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    t = np.tile([0, 1], n // 2)
    y = (rng.random(n) < 0.2 + 0.3 * t * (X[:, 0] > 0)).astype(int)
    return X, t, y


X_NEW = np.random.default_rng(1).normal(size=(20, 3))


def _uplift(est):
    return est.predict(X_NEW)


CASES = [
    Case(mk.TLearner, {"estimator": LogisticRegression(max_iter=200)}, _experiment, _uplift, _uplift,
         bad_params={"estimator": "logistic"}),
    Case(mk.ClassTransformation, {"estimator": LogisticRegression(max_iter=200)}, _experiment, _uplift, _uplift,
         bad_params={"estimator": object()}),
    Case(mk.KerasUplift, {"hidden": (4,), "epochs": 2, "batch_size": 64, "seed": 0}, _experiment, _uplift,
         _uplift, bad_params={"hidden": "wide", "epochs": 0, "batch_size": -1, "learning_rate": -1.0,
                              "seed": 1.5}),
]
