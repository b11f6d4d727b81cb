"""Parameter checks shared by the recommendation modules (private).

Kept apart from the models so that :mod:`retail_lab.recsys.data` can use them without
importing the models (the models import the data module, for :class:`RecSplit`).
"""

from __future__ import annotations

import numbers

import numpy as np


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type. Both a TypeError and a ValueError, so code written
    against either (the book's earlier versions raised ValueError) catches it."""


def _positive_int(name: str, value, allow_none: bool = False):
    """``value`` as an int >= 1; TypeError/ValueError naming ``name`` otherwise."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(f"{name} must be a positive integer{' or None' if allow_none else ''}, "
                                 f"got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")
    return int(value)


def _real(name: str, value, low=None, high=None, low_inclusive=True, high_inclusive=True) -> float:
    """``value`` as a finite float within the given bounds; TypeError/ValueError otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ParameterTypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    lo_ok = low is None or (v >= low if low_inclusive else v > low)
    hi_ok = high is None or (v <= high if high_inclusive else v < high)
    if not (lo_ok and hi_ok):
        lo = "" if low is None else f"{'[' if low_inclusive else '('}{low}, "
        hi = "inf)" if high is None else f"{high}{']' if high_inclusive else ')'}"
        raise ValueError(f"{name} must be in {lo or '(-inf, '}{hi}, got {value!r}")
    return v


def _seed(value) -> int:
    """A seed: an int in [0, 2**32); TypeError/ValueError naming ``seed`` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(f"seed must be a non-negative integer, got {value!r} ({type(value).__name__})")
    if value < 0 or value >= 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {value}")
    return int(value)


def _choice(name: str, value, options) -> str:
    """``value`` if it is one of ``options``; ValueError naming ``name`` otherwise."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return value
