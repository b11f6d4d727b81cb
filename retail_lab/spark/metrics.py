"""The book's ranking metrics computed by Spark: HR@k, NDCG@k, Recall@k, MAP@k.

Inputs are two Spark DataFrames: ``rankings`` (``user``, ``rank`` 1-based, ``item``) and
``relevant`` (``user``, ``item``: each user's test purchases). The definitions are those of
:mod:`retail_lab.recsys.metrics` (binary relevance, full ranking); the position discounts
``1 / log2(rank + 1)`` are computed once in NumPy and shipped to Spark as constants, so both
paths use the same numbers. Per-user values agree with the single-machine functions to
about 1e-15 (only the order of summation differs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["per_user_metrics", "mean_metrics", "METRICS"]

#: The metrics the book reports, as (name, k).
METRICS = (("HR", 10), ("NDCG", 10), ("Recall", 20), ("MAP", 10))


def per_user_metrics(rankings, relevant, metrics=METRICS):
    """One row per evaluated user (every user of ``relevant``): ``user`` and a column per
    metric (``"HR@10"``, ...). A user without a ranking scores 0."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    kmax = max(k for _, k in metrics)
    disc = (1.0 / np.log2(np.arange(2, kmax + 2))).tolist()
    ideal = np.cumsum(disc).tolist()
    rel = relevant.select("user", "item").distinct()
    n_rel = rel.groupBy("user").agg(F.count("*").alias("n_rel"))
    hits = (rankings.where(F.col("rank") <= kmax).select("user", "rank", "item")
            .join(rel.withColumn("hit", F.lit(1)), ["user", "item"], "left").fillna(0, ["hit"]))
    w = Window.partitionBy("user").orderBy("rank").rowsBetween(Window.unboundedPreceding, 0)
    hits = hits.withColumn("cum", F.sum("hit").over(w))
    disc_arr = F.array(*[F.lit(float(v)) for v in disc])
    aggs = []
    for name, k in metrics:
        in_k = F.col("rank") <= k
        h = F.when(in_k, F.col("hit")).otherwise(0)
        if name == "HR":
            aggs.append(F.max(h).cast("double").alias(f"HR@{k}"))
        elif name == "Recall":
            aggs.append(F.sum(h).cast("double").alias(f"_hits@{k}"))
        elif name == "NDCG":
            aggs.append(F.sum(h * F.element_at(disc_arr, F.col("rank").cast("int"))).alias(f"_dcg@{k}"))
        elif name == "MAP":
            aggs.append(F.sum(h * F.col("cum") / F.col("rank")).alias(f"_ap@{k}"))
        else:
            raise ValueError(f"unknown metric {name!r}; use HR, NDCG, Recall or MAP")
    per = n_rel.join(hits.groupBy("user").agg(*aggs), "user", "left").fillna(0.0)
    ideal_arr = F.array(*[F.lit(float(v)) for v in ideal])
    cols = [F.col("user")]
    for name, k in metrics:
        cut = F.least(F.col("n_rel"), F.lit(k)).cast("int")
        if name == "HR":
            cols.append(F.col(f"HR@{k}"))
        elif name == "Recall":
            cols.append((F.col(f"_hits@{k}") / F.col("n_rel")).alias(f"Recall@{k}"))
        elif name == "NDCG":
            cols.append((F.col(f"_dcg@{k}") / F.element_at(ideal_arr, cut)).alias(f"NDCG@{k}"))
        else:
            cols.append((F.col(f"_ap@{k}") / cut).alias(f"MAP@{k}"))
    return per.select(*cols)


def mean_metrics(rankings, relevant, metrics=METRICS) -> pd.Series:
    """Each metric averaged over the evaluated users (one Spark job), as a pandas Series."""
    from pyspark.sql import functions as F

    per = per_user_metrics(rankings, relevant, metrics)
    names = [f"{n}@{k}" for n, k in metrics]
    row = per.agg(*[F.avg(c).alias(c) for c in names], F.count("*").alias("users")).first()
    return pd.Series({**{c: float(row[c]) for c in names}, "users": int(row["users"])})
