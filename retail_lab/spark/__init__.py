"""The book's data cleaning, recommender protocol, recommenders and metrics on Apache Spark.

Appendix C ("Scaling out") runs the same work as the single-machine path on Spark, in
local mode here and unchanged on a cluster (only the master URL of :func:`local_session`
differs), and shows that both give the same lines, rankings and metrics. pyspark is an
optional extra (``pip install "retail_lab[spark]"``) and Spark 4 needs Java 17 or later;
this package imports without either, and fails with a clear message only when a session
is started.

- :mod:`.session`: :func:`local_session`, the settings every session gets.
- :mod:`.quality`: :func:`to_spark`, :func:`read_transactions`, :func:`clean` (the rules of
  :func:`retail_lab.quality.clean`, same accounting).
- :mod:`.recsys`: :func:`temporal_split`, :func:`book_splits`, :class:`SparkItemKNN`,
  :class:`SparkALS`.
- :mod:`.metrics`: :func:`per_user_metrics`, :func:`mean_metrics`.
- :mod:`.als`: :class:`ImplicitALS`, the single-machine ALS with MLlib's update rule.
"""

from .als import ImplicitALS, als_half_sweep
from .metrics import METRICS, mean_metrics, per_user_metrics
from .quality import ROW, SparkCleanResult, clean, read_transactions, standardize, to_spark
from .recsys import (BOOK_SAMPLE, SparkALS, SparkItemKNN, SparkSplit, book_splits, check_no_leakage,
                     rankings_frame, splits_by_months, temporal_split)
from .session import SESSION_CONFIG, java_version, local_session, stop_session

__all__ = ["local_session", "stop_session", "java_version", "SESSION_CONFIG",
           "ROW", "SparkCleanResult", "to_spark", "read_transactions", "standardize", "clean",
           "SparkSplit", "temporal_split", "book_splits", "splits_by_months", "check_no_leakage",
           "SparkItemKNN", "SparkALS", "rankings_frame", "BOOK_SAMPLE", "ImplicitALS", "als_half_sweep",
           "METRICS", "per_user_metrics", "mean_metrics"]
