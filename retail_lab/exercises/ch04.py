"""Exercises of chapter 4 Mathematics (notebooks/04_math.ipynb): each checker computes its answer
with the chapter's own task functions."""

from __future__ import annotations

import inspect

import numpy as np

from ._core import Question, register

#: The gradient check of the chapter: seed of the network and batch, and the shift of every
#: bias away from the ReLU kink.
SEED = 0
BIAS_SHIFT = 0.1
#: The finite-difference step exercise 4.3 asks about.
EXERCISE_STEP = 1e-2


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    from ..evaluation import gradient_check_case
    from ..nn import numerical_gradients

    _, X, _ = gradient_check_case(seed=SEED, bias_shift=BIAS_SHIFT)
    return {"seed": SEED, "n_examples": len(X), "bias_shift": BIAS_SHIFT,
            "step": inspect.signature(numerical_gradients).parameters["h"].default}


def _sigmoid_slope_at_0() -> float:
    from ..nn import ACTIVATIONS

    return float(ACTIVATIONS["sigmoid"][1](np.zeros(1))[0])


def _conv_output_length() -> int:
    from ..nn import conv1d

    return len(conv1d(np.zeros(100), np.zeros(7)))


def _gradient_error_at_step() -> float:
    from ..evaluation import gradient_check_case, gradient_check_errors

    net, X, y = gradient_check_case(seed=SEED, bias_shift=BIAS_SHIFT)
    return max(gradient_check_errors(net, X, y, h=EXERCISE_STEP))


register(
    Question("ch04", "q1", _sigmoid_slope_at_0, "float", 1e-9,
             "Use sigma'(z) = sigma(z) (1 - sigma(z))."),
    Question("ch04", "q2", _conv_output_length, "int", 0.0,
             "The kernel must fit entirely inside the series at every position."),
    Question("ch04", "q3", _gradient_error_at_step, "float", 0.05,
             "max(evaluation.gradient_check_errors(net, X, y, h=1e-2)) on the network of the "
             "gradient-check cell (biases shifted by 0.1); answer a number such as 1.5e-4.",
             needs_code=True),
)
