"""Privacy tools for chapter 12: the Laplace mechanism and a k-anonymity check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["laplace_mechanism", "laplace_error_study", "KAnonymity", "k_anonymity"]


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
    rng : numpy Generator, optional

    Returns
    -------
    ndarray, same shape as ``values``
    """
    if sensitivity <= 0 or epsilon <= 0:
        raise ValueError(f"sensitivity and epsilon must be > 0, got {sensitivity}, {epsilon}")
    rng = rng or np.random.default_rng()
    v = np.asarray(values, dtype=float)
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
    rng = np.random.default_rng(seed)
    v = np.asarray(values, dtype=float)
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
        """Share of rows in classes smaller than ``k`` (re-identifiable within < k people)."""
        return float((self.class_sizes < k).mean()) if len(self.class_sizes) else 0.0


def k_anonymity(table: pd.DataFrame, quasi_identifiers: Sequence[str]) -> KAnonymity:
    """Check k-anonymity: every combination of quasi-identifiers shared by at least k rows.

    Parameters
    ----------
    table : DataFrame
        One row per person.
    quasi_identifiers : sequence of str
        Columns an attacker could link with outside data (country, dates, bands).

    Returns
    -------
    KAnonymity

    Examples
    --------
    >>> t = pd.DataFrame({"country": ["UK", "UK", "FR"], "band": ["a", "a", "b"]})
    >>> k_anonymity(t, ["country", "band"]).k
    1
    """
    missing = [c for c in quasi_identifiers if c not in table.columns]
    if missing:
        raise ValueError(f"quasi-identifier column(s) {missing} not in the table")
    if table.empty:
        return KAnonymity(0, pd.Series(dtype=int), 0)
    keys = table[list(quasi_identifiers)].astype(str).agg("|".join, axis=1)
    sizes = keys.map(keys.value_counts())
    return KAnonymity(int(sizes.min()), sizes.rename("class_size"), int(keys.nunique()))
