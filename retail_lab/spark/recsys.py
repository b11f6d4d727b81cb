"""The book's recommender protocol on Apache Spark: temporal split with its leakage checks,
the user-item interactions, Spark MLlib's implicit ALS and an item-item model.

The split follows :func:`retail_lab.recsys.temporal_split` / :func:`~retail_lab.recsys.book_splits`
(train strictly before the cutoff, test from the cutoff to ``end``, users and items indexed
in sorted id order, so row and column numbers equal the single-machine matrix's); the
leakage checks are computed by Spark and raise ``RuntimeError`` as the pandas ones do.

:class:`SparkItemKNN` computes the similarity of :class:`retail_lab.recsys.ItemKNN`
(``s_ij = |U_i & U_j| / sqrt(|U_i| |U_j|)``, each item keeping its ``n_neighbors`` most similar
items, ties to the lower index) with Spark joins, never as a dense matrix; it rounds the
similarities to float32 and sums a user's scores in float32 in item order, as the
single-machine model's sparse product does, so both rank identically (ties: lower item index
first). :class:`SparkALS` wraps ``pyspark.ml.recommendation.ALS`` (implicit feedback).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .._checks import as_date
from ..recsys._validation import _positive_int
from ..recsys.data import TEST_CUTOFF, VALIDATION_CUTOFF, _book_cutoffs
from .als import _als_settings

__all__ = ["SparkSplit", "temporal_split", "book_splits", "splits_by_months", "check_no_leakage",
           "SparkItemKNN", "SparkALS", "rankings_frame", "BOOK_SAMPLE"]

#: Appendix C's sample of Online Retail, small enough for both paths to run in the chapter:
#: the lines from ``sample_start`` on, cleaned as of ``as_of``, split with the book's protocol
#: at these cutoffs, and the item-item model's neighbours.
BOOK_SAMPLE = {"sample_start": "2011-11-01", "as_of": "2011-12-10", "validation_cutoff": "2011-11-20",
               "test_cutoff": "2011-12-01", "n_neighbors": 50}


def _F():
    from pyspark.sql import functions as F

    return F


def _index(sdf, col: str, name: str):
    """Distinct ids of ``col`` numbered 0.. in sorted order (as ``np.sort(unique)``)."""
    F = _F()
    from pyspark.sql import Window

    return (sdf.select(F.col(col).alias(name)).distinct()
            .withColumn("idx", F.row_number().over(Window.orderBy(name)) - 1))


@dataclass
class SparkSplit:
    """A temporal split held by Spark (the counterpart of :class:`retail_lab.recsys.RecSplit`).

    Attributes
    ----------
    train, test : pyspark DataFrame
        Clean purchase lines before the cutoff / from the cutoff to ``end``.
    users : pyspark DataFrame
        ``CustomerID``, ``idx``: every customer with a training purchase, numbered in id order.
    items : pyspark DataFrame
        ``StockCode``, ``idx``: every product bought in training, numbered in code order.
    X : pyspark DataFrame
        ``user``, ``item``: the distinct training (user, item) pairs (the binary matrix).
    cutoff : Timestamp
    n_users, n_items : int
    """

    train: object
    test: object
    users: object
    items: object
    X: object
    cutoff: pd.Timestamp
    n_users: int
    n_items: int

    def protocol(self, name: str):
        """The evaluation users' relevant items, as ``user``, ``item`` pairs (Spark).

        ``"all"``: every distinct test (user, item) pair of known users and items; ``"new"``:
        only items the user had not bought before the cutoff. The same pairs as
        :meth:`retail_lab.recsys.RecSplit.protocol`.
        """
        if name not in ("all", "new"):
            raise ValueError(f"protocol must be 'all' or 'new', got {name!r}")
        F = _F()
        t = (self.test.join(self.users, "CustomerID").select(F.col("idx").alias("user"), "StockCode")
             .join(self.items, "StockCode").select("user", F.col("idx").alias("item")).distinct())
        if name == "new":
            t = t.join(self.X, ["user", "item"], "left_anti")
        return t


def temporal_split(tx, cutoff="2011-09-01", end=None, start=None, *, cache: bool = True) -> SparkSplit:
    """Split clean purchase lines (a Spark DataFrame) at ``cutoff``, as
    :func:`retail_lab.recsys.temporal_split` does."""
    F = _F()
    cut = as_date(cutoff, "cutoff")
    d = F.col("InvoiceDate")
    has_c = F.col("CustomerID").isNotNull()
    train = tx.where((d < F.lit(cut.to_pydatetime())) & has_c)
    if start is not None:
        train = train.where(d >= F.lit(as_date(start, "start").to_pydatetime()))
    test = tx.where((d >= F.lit(cut.to_pydatetime())) & has_c)
    if end is not None:
        end_t = as_date(end, "end")
        if end_t <= cut:
            raise ValueError(f"end {end!r} must be after cutoff {cutoff!r}")
        test = test.where(d < F.lit(end_t.to_pydatetime()))
    users = _index(train, "CustomerID", "CustomerID")
    items = _index(train, "StockCode", "StockCode")
    if cache:
        train, test, users, items = (x.persist() for x in (train, test, users, items))
    n_users, n_items = users.count(), items.count()
    if n_users == 0 or test.limit(1).count() == 0:
        raise ValueError(f"cutoff {cut.date()} leaves an empty "
                         f"{'training' if n_users == 0 else 'test'} period; choose a cutoff inside "
                         f"the data (splits_by_months picks month boundaries from the data)")
    X = (train.join(users, "CustomerID").select(F.col("idx").alias("user"), "StockCode")
         .join(items, "StockCode").select("user", F.col("idx").alias("item")).distinct())
    if cache:
        X = X.persist()
    return SparkSplit(train, test, users, items, X, cut, n_users, n_items)


def check_no_leakage(split: SparkSplit, end=None) -> None:
    """Raise RuntimeError if a training line is at or after ``split.cutoff``, a test line is
    before it, or (with ``end``) a test line is at or after ``end`` (computed by Spark)."""
    F = _F()
    tr = split.train.agg(F.max("InvoiceDate")).first()[0]
    te = split.test.agg(F.min("InvoiceDate").alias("lo"), F.max("InvoiceDate").alias("hi")).first()
    problems = []
    if tr is not None and not pd.Timestamp(tr) < split.cutoff:
        problems.append(f"a training line at or after the cutoff {split.cutoff.date()}")
    if te["lo"] is not None and not pd.Timestamp(te["lo"]) >= split.cutoff:
        problems.append(f"a test line before the cutoff {split.cutoff.date()}")
    if end is not None and te["hi"] is not None and not pd.Timestamp(te["hi"]) < pd.Timestamp(end):
        problems.append(f"a test line at or after the end of its period {pd.Timestamp(end).date()}")
    if problems:
        raise RuntimeError("leakage between training and test data: " + "; ".join(problems))


def book_splits(tx, validation_cutoff=VALIDATION_CUTOFF, test_cutoff=TEST_CUTOFF):
    """The validation and test splits of the book's protocol, checked for leakage (Spark
    version of :func:`retail_lab.recsys.book_splits`)."""
    val_cut, test_cut = _book_cutoffs(validation_cutoff, test_cutoff)
    val = temporal_split(tx, cutoff=val_cut, end=test_cut)
    test = temporal_split(tx, cutoff=test_cut)
    check_no_leakage(val, test_cut)
    check_no_leakage(test, None)
    return val, test


def splits_by_months(tx, test_months: int = 1, validation_months: int = 1):
    """:func:`book_splits` with cutoffs at month boundaries read from the data (Spark
    version of :func:`retail_lab.recsys.splits_by_months`)."""
    F = _F()
    test_months = _positive_int("test_months", test_months)
    validation_months = _positive_int("validation_months", validation_months)
    row = tx.where(F.col("CustomerID").isNotNull()).agg(F.min("InvoiceDate"), F.max("InvoiceDate")).first()
    if row[0] is None:
        raise ValueError("tx has no purchase with a CustomerID; there is nothing to split")
    first, last = pd.Timestamp(row[0]), pd.Timestamp(row[1])
    last_month = last.to_period("M")
    test_cut = (last_month - (test_months - 1)).start_time
    val_cut = (last_month - (test_months - 1) - validation_months).start_time
    if not first < val_cut:
        raise ValueError(f"the data run from {first} to {last}: too short for the periods asked")
    return book_splits(tx, val_cut, test_cut)


def rankings_frame(recommended, users) -> pd.DataFrame:
    """Rankings as a long table ``user``, ``rank`` (1-based), ``item`` (for
    :mod:`retail_lab.spark.metrics`) from an (n_users, k) array of item indices."""
    rec = np.asarray(recommended)
    n, k = rec.shape
    return pd.DataFrame({"user": np.repeat(np.asarray(users, dtype=np.int64), k),
                         "rank": np.tile(np.arange(1, k + 1, dtype=np.int64), n),
                         "item": rec.reshape(-1).astype(np.int64)})


class _SparkRecommender(BaseEstimator):
    def _check_fitted(self):
        if not hasattr(self, "n_items_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call "
                                 "fit(split) with a retail_lab.spark.SparkSplit first")

    @staticmethod
    def _check_split(split):
        if not isinstance(split, SparkSplit):
            raise TypeError(f"fit takes a retail_lab.spark.SparkSplit (spark.temporal_split or "
                            f"book_splits), got {type(split).__name__}")

    def _ranked(self, parts, users, k: int, exclude, score_fn, columns):
        """Top-k per user, computed where the user's rows are (Spark groups the rows of each
        user on one executor): ``parts`` holds each user's inputs (``columns``), ``score_fn``
        turns them into the user's float32 score vector over all items; excluded items are
        left out, the rest ranked by score, ties (and unscored items, score 0) to the lower
        index."""
        F = _F()
        n_items = self.n_items_
        # every user appears on the "exclude" side (item -1 marks the user itself)
        marks = users.select("user", F.lit(-1).cast("long").alias("item"))
        if exclude is not None:
            marks = marks.unionByName(exclude.join(users, "user", "left_semi")
                                      .select("user", F.col("item").cast("long")))

        def top(key, inputs: pd.DataFrame, excluded: pd.DataFrame) -> pd.DataFrame:
            user = int(key[0])
            scores = score_fn(inputs)
            drop = excluded["item"].to_numpy()
            drop = drop[drop >= 0]
            keep = np.ones(n_items, dtype=bool)
            keep[drop] = False
            items = np.flatnonzero(keep)
            order = np.lexsort((items, -scores[items].astype(np.float64)))[:k]
            best = items[order]
            return pd.DataFrame({"user": np.full(len(best), user, dtype=np.int64),
                                 "rank": np.arange(1, len(best) + 1, dtype=np.int32),
                                 "item": best.astype(np.int64), "score": scores[best].astype(np.float32)})

        schema = "user long, rank int, item long, score float"
        return (parts.select("user", *columns).groupBy("user")
                .cogroup(marks.groupBy("user")).applyInPandas(top, schema))


class SparkItemKNN(_SparkRecommender):
    """Item-item collaborative filtering computed by Spark, ranking as
    :class:`retail_lab.recsys.ItemKNN` does.

    ``fit(split)``: a :class:`SparkSplit`. The similarity is kept as a long table of the
    ``n_neighbors`` best (neighbour j, item i, s_ji) per item i, never a dense matrix.

    Parameters
    ----------
    n_neighbors : int, default 50
        Each item keeps its most similar items (ties: lower index); positive.

    Attributes
    ----------
    similarity_ : pyspark DataFrame
        ``j``, ``i``, ``s`` (float32): the kept similarities.
    n_items_, n_users_ : int
    """

    def __init__(self, n_neighbors: int = 50):
        self.n_neighbors = n_neighbors

    def fit(self, split) -> "SparkItemKNN":
        n_neighbors = _positive_int("n_neighbors", self.n_neighbors)
        self._check_split(split)
        F = _F()
        from pyspark.sql import Window

        X = split.X
        buyers = X.groupBy("item").agg(F.count("*").cast("double").alias("n"))
        a, b = X.alias("a"), X.alias("b")
        co = (a.join(b, F.col("a.user") == F.col("b.user"))
              .where(F.col("a.item") != F.col("b.item"))
              .groupBy(F.col("a.item").alias("j"), F.col("b.item").alias("i"))
              .agg(F.count("*").cast("double").alias("co")))
        # recsys.models.cosine_item_similarity computes in float32: sqrt of the buyer counts,
        # then co / norm_j / norm_i, each step rounded to float32. An operation in double
        # rounded once to float32 gives exactly the float32 result for sqrt and division
        # (53 >= 2 * 24 + 2 bits), so each step below is cast to float.
        nj = buyers.select(F.col("item").alias("j"), F.sqrt("n").cast("float").alias("nj"))
        ni = buyers.select(F.col("item").alias("i"), F.sqrt("n").cast("float").alias("ni"))
        S = (co.join(nj, "j").join(ni, "i")
             .withColumn("s", ((F.col("co") / F.col("nj").cast("double")).cast("float").cast("double")
                               / F.col("ni").cast("double")).cast("float")))
        w = Window.partitionBy("i").orderBy(F.col("s").desc(), F.col("j").asc())
        S = (S.withColumn("r", F.row_number().over(w)).where(F.col("r") <= n_neighbors)
             .select("j", "i", "s"))
        self.similarity_ = S.persist()
        self.X_ = X
        self.n_users_, self.n_items_ = split.n_users, split.n_items
        self.n_pairs_ = self.similarity_.count()
        return self

    def _scores(self, users):
        F = _F()
        hist = self.X_.join(users, "user", "left_semi").withColumnRenamed("item", "j")
        parts = hist.join(self.similarity_, "j")
        # float32 sum in ascending neighbour order, as the float32 sparse product does
        acc = F.aggregate(F.array_sort(F.collect_list(F.struct("j", "s"))), F.lit(0.0).cast("float"),
                          lambda acc, x: (acc + x["s"]).cast("float"))
        return parts.groupBy("user", F.col("i").alias("item")).agg(acc.alias("score"))

    def score_pairs(self, users):
        """Positive scores of ``users`` (Spark DataFrame with ``user``): ``user``, ``item``, ``score``."""
        self._check_fitted()
        return self._scores(users.select("user").distinct())

    def recommend(self, users, k: int = 10, exclude=None):
        """Top-k items of ``users`` (a Spark DataFrame with a ``user`` column of row indices),
        as ``user``, ``rank`` (1..k), ``item``, ``score``; ``exclude``: (user, item) pairs to
        leave out (``split.X`` for the "new" protocol).

        Spark joins each user's purchases with the kept similarities and groups the result by
        user; each group's scores are summed in float32 in ascending neighbour order, as the
        single-machine sparse product does, so both paths rank identically.
        """
        self._check_fitted()
        k = min(_positive_int("k", k), self.n_items_)
        users = users.select("user").distinct()
        parts = (self.X_.join(users, "user", "left_semi").withColumnRenamed("item", "j")
                 .join(self.similarity_, "j"))
        n_items = self.n_items_

        def scores(rows: pd.DataFrame) -> np.ndarray:
            out = np.zeros(n_items, dtype=np.float32)
            if len(rows):
                rows = rows.sort_values("j", kind="stable")
                np.add.at(out, rows["i"].to_numpy(), rows["s"].to_numpy(dtype=np.float32))
            return out

        return self._ranked(parts, users, k, exclude, scores, ["j", "i", "s"])


class SparkALS(_SparkRecommender):
    """Implicit-feedback matrix factorisation with Spark MLlib's ALS
    (``pyspark.ml.recommendation.ALS``, Hu, Koren & Volinsky 2008).

    Each training (user, item) pair is a preference 1 with confidence ``1 + alpha``; MLlib
    scales the penalty ``reg_param`` by each user's (item's) number of purchases.

    Parameters
    ----------
    rank : int, default 32
        Factors per user and item.
    reg_param : float, default 0.05
        L2 penalty (>= 0), multiplied by the user's or item's purchase count.
    alpha : float, default 10.0
        Confidence of an observed purchase (> 0).
    max_iter : int, default 10
        ALS sweeps (items, then users).
    seed : int, default 0
        Seed of the random initial factors.

    Attributes
    ----------
    user_factors_, item_factors_ : ndarray, float32, shape (n_users, rank), (n_items, rank)
        Row r is user (item) index r of the split.
    """

    def __init__(self, rank: int = 32, reg_param: float = 0.05, alpha: float = 10.0,
                 max_iter: int = 10, seed: int = 0):
        self.rank = rank
        self.reg_param = reg_param
        self.alpha = alpha
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, split) -> "SparkALS":
        rank, reg, alpha, max_iter, seed = _als_settings(self)
        self._check_split(split)
        from pyspark.ml.recommendation import ALS

        F = _F()
        data = split.X.withColumn("rating", F.lit(1.0).cast("float"))
        # one block per side: the factor updates then do not depend on the partitioning
        als = ALS(rank=rank, maxIter=max_iter, regParam=reg, alpha=alpha,
                  implicitPrefs=True, userCol="user", itemCol="item", ratingCol="rating",
                  seed=seed, nonnegative=False, numUserBlocks=1, numItemBlocks=1,
                  coldStartStrategy="drop", checkpointInterval=-1)
        model = als.fit(data)
        self.user_factors_ = self._dense(model.userFactors, split.n_users, rank)
        self.item_factors_ = self._dense(model.itemFactors, split.n_items, rank)
        self.model_ = model
        self.X_ = split.X
        self.n_users_, self.n_items_ = split.n_users, split.n_items
        return self

    @staticmethod
    def _dense(factors, n: int, rank: int) -> np.ndarray:
        pdf = factors.toPandas()
        out = np.zeros((n, rank), dtype=np.float32)
        if len(pdf):
            out[pdf["id"].to_numpy()] = np.stack(pdf["features"].to_numpy()).astype(np.float32)
        return out

    def score(self, rows) -> np.ndarray:
        """Dense scores ``user_factors_[rows] @ item_factors_.T`` (float64), for comparison
        with a single-machine model."""
        self._check_fitted()
        rows = np.asarray(rows, dtype=np.int64)
        return self.user_factors_[rows].astype(float) @ self.item_factors_.T.astype(float)

    def recommend(self, users, k: int = 10, exclude=None):
        """Top-k items of ``users`` (a Spark DataFrame with a ``user`` column of row indices),
        as ``user``, ``rank`` (1..k), ``item``, ``score``; ``exclude``: (user, item) pairs to
        leave out. Each user's scores are the user's factors times the item factors (float32;
        the item factors travel to every executor with the task, as a broadcast would); users
        without factors score 0 everywhere and get the lowest item indices."""
        self._check_fitted()
        k = min(_positive_int("k", k), self.n_items_)
        users = users.select("user").distinct()
        F = _F()
        parts = (self.model_.userFactors.withColumnRenamed("id", "user")
                 .join(users, "user", "left_semi").select("user", F.col("features")))
        V = self.item_factors_
        rank = V.shape[1]

        def scores(rows: pd.DataFrame) -> np.ndarray:
            if not len(rows):
                return np.zeros(V.shape[0], dtype=np.float32)
            u = np.asarray(rows["features"].iloc[0], dtype=np.float32).reshape(rank)
            return V @ u

        return self._ranked(parts, users, k, exclude, scores, ["features"])
