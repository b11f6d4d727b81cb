"""Top-k ranking metrics with full ranking (every item scored; no sampled negatives).

Inputs are per user: ``recommended`` (item indices in rank order) and ``relevant`` (the
set of items the user actually bought in the test period). Relevance is binary.
Each function returns one value per user, so confidence intervals can be bootstrapped.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "hit_rate_at_k",
    "ndcg_at_k",
    "recall_at_k",
    "precision_at_k",
    "map_at_k",
    "catalog_coverage",
    "evaluate_rankings",
    "bootstrap_ci",
]


def _check(recommended, relevant, k):
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be a positive integer, got {k!r} ({type(k).__name__})")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if len(recommended) != len(relevant):
        raise ValueError(
            f"recommended has {len(recommended)} users but relevant has {len(relevant)}")


def _hits(recommended, relevant, k):
    return [np.fromiter((i in rel for i in np.asarray(rec)[:k]), dtype=bool)
            for rec, rel in zip(recommended, relevant)]


def hit_rate_at_k(recommended: Sequence, relevant: Sequence[set], k: int) -> np.ndarray:
    """1 if any relevant item is in the top k, else 0; shape (n_users,)."""
    _check(recommended, relevant, k)
    return np.array([h.any() for h in _hits(recommended, relevant, k)], dtype=float)


def precision_at_k(recommended, relevant, k: int) -> np.ndarray:
    """Relevant items in the top k, divided by k; shape (n_users,)."""
    _check(recommended, relevant, k)
    return np.array([h.sum() / k for h in _hits(recommended, relevant, k)])


def recall_at_k(recommended, relevant, k: int) -> np.ndarray:
    """Relevant items in the top k divided by all relevant items; NaN for users with none."""
    _check(recommended, relevant, k)
    return np.array([h.sum() / len(rel) if rel else np.nan
                     for h, rel in zip(_hits(recommended, relevant, k), relevant)])


def ndcg_at_k(recommended, relevant, k: int) -> np.ndarray:
    """Normalised discounted cumulative gain with binary gains.

    ``DCG = sum_{r=1..k} rel_r / log2(r + 1)``, divided by the DCG of an ideal ranking
    (all ``min(k, |relevant|)`` relevant items first). NaN for users with no relevant item.
    """
    _check(recommended, relevant, k)
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = []
    for h, rel in zip(_hits(recommended, relevant, k), relevant):
        if not rel:
            out.append(np.nan)
            continue
        ideal = disc[: min(k, len(rel))].sum()
        out.append(float((h * disc[: len(h)]).sum() / ideal))
    return np.array(out)


def map_at_k(recommended, relevant, k: int) -> np.ndarray:
    """Average precision at k: ``sum_r P@r * rel_r / min(k, |relevant|)``; NaN without relevant."""
    _check(recommended, relevant, k)
    out = []
    for h, rel in zip(_hits(recommended, relevant, k), relevant):
        if not rel:
            out.append(np.nan)
            continue
        prec = np.cumsum(h) / np.arange(1, len(h) + 1)
        out.append(float((prec * h).sum() / min(k, len(rel))))
    return np.array(out)


def catalog_coverage(recommended: Iterable, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    if n_items < 1:
        raise ValueError("n_items must be >= 1")
    shown = set()
    for rec in recommended:
        shown.update(np.asarray(rec)[:k].tolist())
    return len(shown) / n_items


def evaluate_rankings(recommended, relevant, ks=(10, 20)) -> pd.DataFrame:
    """Per-user HR, NDCG, Recall and MAP at each k: DataFrame (n_users, 4 * len(ks))."""
    cols = {}
    for k in ks:
        cols[f"HR@{k}"] = hit_rate_at_k(recommended, relevant, k)
        cols[f"NDCG@{k}"] = ndcg_at_k(recommended, relevant, k)
        cols[f"Recall@{k}"] = recall_at_k(recommended, relevant, k)
        cols[f"MAP@{k}"] = map_at_k(recommended, relevant, k)
    return pd.DataFrame(cols)


def bootstrap_ci(values, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """Mean and percentile bootstrap interval over users (NaNs dropped).

    Returns
    -------
    (mean, low, high)
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    a = (1 - level) / 2
    return float(v.mean()), float(np.quantile(means, a)), float(np.quantile(means, 1 - a))
