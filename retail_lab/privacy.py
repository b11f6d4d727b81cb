"""Privacy tools for chapter 12: the Laplace mechanism and a k-anonymity check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["laplace_mechanism", "laplace_error_study", "KAnonymity", "k_anonymity"]


def _positive(v, name: str) -> float:
    """A finite number > 0 (NaN would pass a ``<= 0`` test and make every answer NaN; an
    infinite epsilon is no privacy at all)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number > 0, got {v!r}")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v}")
    return float(v)


def _rng(rng) -> np.random.Generator:
    """None (fresh entropy), a non-negative int seed, or a Generator (used as it is)."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise TypeError(f"rng must be None, a non-negative int seed or np.random.default_rng(...), got {rng!r}")
    return np.random.default_rng(int(rng))


def laplace_mechanism(values, sensitivity: float, epsilon: float, rng=None) -> np.ndarray:
    """Add Laplace noise of scale ``sensitivity / epsilon``: epsilon-differential privacy.

    Parameters
    ----------
    values : float or array
        True query answers (e.g. a histogram of counts).
    sensitivity : float
        L1 sensitivity: the most the whole answer vector can change when one person's data
        is added or removed (1 for a count each person enters once).
    epsilon : float
        Privacy budget, > 0 (smaller = more private, noisier).
    rng : numpy Generator or int seed, optional
        None draws fresh noise (the usual case for a real release).

    Returns
    -------
    ndarray, same shape as ``values``

    Raises
    ------
    ValueError
        sensitivity or epsilon not a finite number > 0; a NaN or infinite true answer.
    """
    sensitivity, epsilon = _positive(sensitivity, "sensitivity"), _positive(epsilon, "epsilon")
    rng = _rng(rng)
    try:
        v = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"values must be numbers (query answers), got {err}") from None
    if not np.isfinite(v).all():
        raise ValueError("values contain NaN or infinite answers; compute the true counts first")
    return v + rng.laplace(0.0, sensitivity / epsilon, size=v.shape)


def laplace_error_study(values, sensitivity: float, epsilons: Sequence[float],
                        n_draws: int = 200, seed: int = 0) -> pd.DataFrame:
    """Mean absolute error of the Laplace mechanism against epsilon, measured and in theory.

    Returns
    -------
    DataFrame
        epsilon, mean_abs_error (over draws and entries), theory (= sensitivity / epsilon,
        the mean absolute value of a Laplace variable).
    """
    rng = _rng(seed)
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("values is empty; pass the true query answers (e.g. a histogram)")
    if isinstance(n_draws, (bool, np.bool_)) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be a whole number >= 1, got {n_draws!r}")
    sensitivity = _positive(sensitivity, "sensitivity")
    rows = []
    for eps in epsilons:
        noisy = np.stack([laplace_mechanism(v, sensitivity, eps, rng) for _ in range(n_draws)])
        rows.append((eps, float(np.abs(noisy - v).mean()), sensitivity / eps))
    return pd.DataFrame(rows, columns=["epsilon", "mean_abs_error", "theory"])


@dataclass
class KAnonymity:
    """Result of :func:`k_anonymity`.

    Attributes
    ----------
    k : int
        Size of the smallest equivalence class (the table is k-anonymous for this k).
    class_sizes : Series
        For each row, how many rows share its quasi-identifier values.
    n_classes : int
    """

    k: int
    class_sizes: pd.Series
    n_classes: int

    def share_below(self, k: int) -> float:
        """Share of rows in classes smaller than ``k`` (re-identifiable within < k people).

        ``k`` must be a whole number >= 1 (every class has at least one row)."""
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be a whole number >= 1, got {k!r}")
        if k < 1:
            raise ValueError(f"k must be >= 1 (a class holds at least one person), got {k}")
        return float((self.class_sizes < k).mean()) if len(self.class_sizes) else 0.0


def k_anonymity(table: pd.DataFrame, quasi_identifiers: Sequence[str]) -> KAnonymity:
    """Check k-anonymity: every combination of quasi-identifiers shared by at least k rows.

    Parameters
    ----------
    table : DataFrame
        One row per person.
    quasi_identifiers : sequence of str (or one str)
        Columns an attacker could link with outside data (country, dates, bands); at least
        one. Rows are grouped on the values themselves, missing values forming one class.

    Returns
    -------
    KAnonymity

    Examples
    --------
    >>> t = pd.DataFrame({"country": ["UK", "UK", "FR"], "band": ["a", "a", "b"]})
    >>> k_anonymity(t, ["country", "band"]).k
    1
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (one row per person), got {type(table).__name__}")
    if isinstance(quasi_identifiers, str):
        quasi_identifiers = [quasi_identifiers]
    qi = list(quasi_identifiers)
    if not qi:
        raise ValueError("give at least one quasi-identifier column; with none, every row looks alike")
    missing = [c for c in qi if c not in table.columns]
    if missing:
        raise ValueError(f"quasi-identifier column(s) {missing} not in the table")
    if table.empty:
        return KAnonymity(0, pd.Series(dtype=int), 0)
    # group on the values (no string joining: "a|b" + "c" and "a" + "b|c" are different people)
    codes = [pd.factorize(table[c], use_na_sentinel=False)[0] for c in dict.fromkeys(qi)]
    key = pd.Series(pd.MultiIndex.from_arrays(codes).factorize()[0], index=table.index)
    counts = np.bincount(key.to_numpy())
    sizes = pd.Series(counts[key.to_numpy()], index=table.index, name="class_size")
    return KAnonymity(int(sizes.min()), sizes, int(len(counts)))
