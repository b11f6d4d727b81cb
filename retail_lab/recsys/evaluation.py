"""Evaluating recommenders on a split's protocol: per-user metrics, one number for model
selection, a table with bootstrap intervals, and the two baselines the book refits often."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from . import metrics
from .data import RecSplit, interaction_matrix
from .models import Popularity, RepeatBuyer

__all__ = ["evaluate", "mean_metric", "recent_popularity", "repeat_baseline", "evaluation_table"]


def evaluate(model, split: RecSplit, protocol: str, ks=(10, 20)):
    """Fit-free evaluation of a fitted model on a split's protocol.

    Returns
    -------
    per_user : DataFrame
        HR, NDCG, Recall and MAP at each k for every evaluated user.
    recommended : ndarray, shape (n_users, max(ks))
        The ranked item indices (for coverage).
    """
    rows, relevant, exclude = split.protocol(protocol)
    recs = model.recommend(rows, k=max(ks), exclude_seen=split.X if exclude else False)
    return metrics.evaluate_rankings(list(recs), relevant, ks), recs


def mean_metric(model, split: RecSplit, protocol: str, metric: str = "NDCG@10") -> float:
    """One number for model selection: ``metric`` (e.g. "NDCG@10") averaged over the users of
    ``split``'s ``protocol``. Use it on a validation split, never on the test split."""
    name, _, k = str(metric).partition("@")
    if name not in ("HR", "NDCG", "Recall", "MAP") or not k.isdigit() or int(k) < 1:
        raise ValueError(f"metric must look like 'NDCG@10' (HR, NDCG, Recall or MAP at a positive "
                         f"integer k), got {metric!r}")
    k = int(k)
    return float(evaluate(model, split, protocol, ks=(k,))[0][metric].mean())


def recent_popularity(split: RecSplit, days: int = 30) -> Popularity:
    """Popularity fitted on the last ``days`` days of ``split.train`` (buyers per item)."""
    if isinstance(days, bool) or not isinstance(days, numbers.Real) or not days > 0 or days == float("inf"):
        raise ValueError(f"days must be a positive, finite number of days, got {days!r}")
    recent = split.train[split.train["InvoiceDate"] >= split.cutoff - pd.Timedelta(days=days)]
    return Popularity().fit(interaction_matrix(recent, split.users, split.items))


def repeat_baseline(split: RecSplit, half_life_days: float = 90.0) -> RepeatBuyer:
    """The repeat baseline of ``split``: each user's history, recency-weighted to the cutoff
    (``RepeatBuyer(half_life_days).fit(split)``)."""
    return RepeatBuyer(half_life_days=half_life_days).fit(split)


def evaluation_table(models: dict, split: RecSplit, protocols=("all", "new"),
                     metric_names=("HR@10", "NDCG@10", "Recall@20"), n_boot: int = 1000,
                     seed: int = 0, return_per_user: bool = False):
    """Mean and 95% bootstrap interval (over users) of each metric, per model and protocol.

    Parameters
    ----------
    models : dict of name -> fitted Recommender
    return_per_user : bool, default False
        Also return the per-user metrics behind the table (for paired comparisons of models
        on the same users), so that nothing is scored twice.

    Returns
    -------
    DataFrame
        protocol, model, metric, mean, low, high, users, coverage@10 (share of items shown).
    per_user : dict of (protocol, model) -> DataFrame
        Only with ``return_per_user``: HR, NDCG, Recall and MAP at 10 and 20 for every
        evaluated user of the protocol (rows in ``split.protocol(protocol)`` order), as
        :func:`evaluate` gives them.
    """
    prot_rows = {p: split.protocol(p) for p in protocols}
    union = np.unique(np.concatenate([r for r, _, _ in prot_rows.values()]))
    results = {}
    for name, model in models.items():
        scores = model.score(union)  # score each user once, rank per protocol
        for prot, (rows, relevant, exclude) in prot_rows.items():
            recs = model.rank(scores[np.searchsorted(union, rows)], rows, k=20,
                              exclude_seen=split.X if exclude else False)
            results[prot, name] = (metrics.evaluate_rankings(list(recs), relevant, (10, 20)), recs)
    rows = []
    for prot in protocols:
        for name in models:
            per_user, recs = results[prot, name]
            cov = metrics.catalog_coverage(recs, len(split.items), 10)
            for m in metric_names:
                mean, lo, hi = metrics.bootstrap_ci(per_user[m], n_boot=n_boot, seed=seed)
                rows.append((prot, name, m, mean, lo, hi, len(per_user), cov))
    table = pd.DataFrame(rows, columns=["protocol", "model", "metric", "mean", "low", "high",
                                        "users", "coverage@10"])
    if return_per_user:
        return table, {key: per_user for key, (per_user, _) in results.items()}
    return table
