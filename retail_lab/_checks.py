"""Input checks shared by the package's modules: one date parser, one 1-D numeric coercion.

Every error says what was wrong and how to fix it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_date(value, name: str, example: str = "2011-09-01") -> pd.Timestamp:
    """``value`` as a Timestamp; ValueError naming ``name`` for text that is no date, None/NaT.

    Examples
    --------
    >>> as_date("2011-09-01", "cutoff")
    Timestamp('2011-09-01 00:00:00')
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a date such as '{example}', got {value!r} ({err})") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"{name} must be a date such as '{example}', got a missing value ({value!r})")
    return ts


def as_vector(a, name: str, per: str = "unit", *, finite: bool = False,
              hint: str = "convert it, e.g. pd.to_numeric(...)") -> np.ndarray:
    """``a`` as a 1-D float array (one value per ``per``).

    Raises
    ------
    TypeError
        Values that are not numbers (the message ends with ``hint``).
    ValueError
        More or fewer than one dimension; with ``finite=True``, NaN or infinite values (the
        message names the first position).
    """
    try:
        v = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numbers ({err}); {hint}") from None
    if v.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one value per {per}), got shape {v.shape}; "
                         "pass a single column")
    if finite and not np.isfinite(v).all():
        first = int(np.flatnonzero(~np.isfinite(v))[0])
        raise ValueError(f"{name} has NaN or infinite values (first at {per} {first}); repair them first")
    return v
