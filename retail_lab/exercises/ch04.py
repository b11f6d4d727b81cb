"""Exercises of chapter 4 Mathematics (notebooks/04_math.ipynb): each checker computes its answer."""

from __future__ import annotations

import numpy as np

from ._core import Question, register
from ._data import _clean_retail


def _sigmoid_slope_at_0() -> float:
    from ..nn import ACTIVATIONS

    return float(ACTIVATIONS["sigmoid"][1](np.zeros(1))[0])


def _conv_output_length() -> int:
    from ..nn import conv1d

    return len(conv1d(np.zeros(100), np.zeros(7)))


def _strongest_lag() -> int:
    from ..explore import daily_units
    from ..nn import least_squares_filter

    s = daily_units(_clean_retail().clean)
    kernel, _ = least_squares_filter(((s - s.mean()) / s.std()).to_numpy(), 14)
    return int(14 - np.argmax(kernel))


register(
    Question("ch04", "q1", _sigmoid_slope_at_0, "float", 1e-9,
             "Use sigma'(z) = sigma(z) (1 - sigma(z))."),
    Question("ch04", "q2", _conv_output_length, "int", 0.0,
             "The kernel must fit entirely inside the series at every position."),
    Question("ch04", "q3", _strongest_lag, "int", 0.0,
             "Column j of the window is lag 14 - j; find the largest kernel weight."),
)
