"""Conformance cases of retail_lab.spark: the Spark recommenders (need pyspark and Java 17+;
skipped without them) and the single-machine implicit ALS."""

from __future__ import annotations

import functools

import numpy as np

from estimator_cases import Case
from estimator_cases.recsys import tiny_matrix, tiny_shop
from retail_lab.spark import ImplicitALS, SparkALS, SparkItemKNN


@functools.lru_cache(maxsize=None)
def _split():
    import pytest

    pytest.importorskip("pyspark")
    from retail_lab import spark as rs

    if (rs.java_version() or 0) < 17:
        pytest.skip("Spark needs Java 17 or later (bash tools/ensure_java.sh)")
    session = rs.local_session()
    return rs.temporal_split(rs.to_spark(session, tiny_shop()), cutoff="2011-08-01")


def _similarity(model):
    return model.similarity_.toPandas().sort_values(["i", "j"]).reset_index(drop=True)


CASES = [
    Case(SparkItemKNN, dict(n_neighbors=3), lambda: (_split(),), _similarity,
         lambda m: m.recommend(None), bad_params={"n_neighbors": 0}),
    Case(SparkALS, dict(rank=2, max_iter=2, seed=0), lambda: (_split(),),
         lambda m: m.user_factors_, lambda m: m.recommend(None),
         bad_params={"rank": 0, "alpha": -1.0, "max_iter": 0, "reg_param": -1.0}),
    Case(ImplicitALS, dict(rank=2, max_iter=2, seed=0), lambda: (tiny_matrix(),),
         lambda m: m.score(np.arange(4)), lambda m: m.score([0]),
         bad_params={"rank": 0, "alpha": 0.0, "max_iter": 0, "reg_param": -1.0}),
]
