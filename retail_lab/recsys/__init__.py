"""Recommendation: protocol (temporal split), metrics, models, and rating-scale CF."""

from . import cf, metrics
from .data import RecSplit, interaction_matrix, item_descriptions, recency_matrix, temporal_split
from .models import EASE, FusedItemKNN, ItemKNN, Popularity, Recommender, RepeatBuyer, text_similarity, top_k

__all__ = ["cf", "metrics", "RecSplit", "interaction_matrix", "item_descriptions", "recency_matrix",
           "temporal_split", "EASE", "RepeatBuyer",
           "ItemKNN", "FusedItemKNN", "Popularity", "Recommender", "text_similarity", "top_k",
           "evaluate", "evaluation_table"]


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


def evaluation_table(models: dict, split: RecSplit, protocols=("all", "new"),
                     metric_names=("HR@10", "NDCG@10", "Recall@20"), n_boot: int = 1000,
                     seed: int = 0):
    """Mean and 95% bootstrap interval (over users) of each metric, per model and protocol.

    Parameters
    ----------
    models : dict of name -> fitted Recommender

    Returns
    -------
    DataFrame
        protocol, model, metric, mean, low, high, users, coverage@10 (share of items shown).
    """
    import pandas as pd

    rows = []
    for prot in protocols:
        for name, model in models.items():
            per_user, recs = evaluate(model, split, prot, ks=(10, 20))
            cov = metrics.catalog_coverage(recs, len(split.items), 10)
            for m in metric_names:
                mean, lo, hi = metrics.bootstrap_ci(per_user[m], n_boot=n_boot, seed=seed)
                rows.append((prot, name, m, mean, lo, hi, len(per_user), cov))
    return pd.DataFrame(rows, columns=["protocol", "model", "metric", "mean", "low", "high",
                                       "users", "coverage@10"])
