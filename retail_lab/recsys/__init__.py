"""Recommendation: protocol (temporal split), metrics, models, evaluation and rating-scale CF.

Every recommender follows scikit-learn's estimator convention (:class:`Recommender`); every
``fit`` accepts a :class:`RecSplit`, the classical models also a user x item matrix. The
book's chosen hyperparameters are named in :mod:`retail_lab.recsys.settings`. This module
only re-exports; the code lives in the submodules.
"""

from . import cf, evaluation, metrics, neural, rerank, settings
from .data import (TEST_CUTOFF, VALIDATION_CUTOFF, RecSplit, book_splits, interaction_matrix,
                   history_split, item_descriptions, recency_matrix, splits_by_months,
                   temporal_split)
from .evaluation import evaluate, evaluation_table, mean_metric, recent_popularity, repeat_baseline
from .models import (EASE, Blend, FusedItemKNN, ItemKNN, Popularity, Recommender, RepeatBuyer,
                     text_similarity, top_k)
from .rerank import Reranker, candidate_features
from .serving import RecommendationService
from .settings import BOOK_GRIDS, BOOK_SETTINGS, RERANKER_SETTINGS, SIMULATED_SHOP_SETTINGS

__all__ = ["cf", "metrics", "neural", "evaluation", "rerank", "settings",
           "RecSplit", "interaction_matrix", "item_descriptions", "recency_matrix",
           "temporal_split", "history_split", "book_splits", "splits_by_months", "VALIDATION_CUTOFF", "TEST_CUTOFF",
           "EASE", "RepeatBuyer", "Blend", "Reranker", "candidate_features", "RecommendationService",
           "ItemKNN", "FusedItemKNN", "Popularity", "Recommender", "text_similarity", "top_k",
           "evaluate", "evaluation_table", "mean_metric", "recent_popularity", "repeat_baseline",
           "BOOK_SETTINGS", "BOOK_GRIDS", "SIMULATED_SHOP_SETTINGS", "RERANKER_SETTINGS"]
