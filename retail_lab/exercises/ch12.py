"""Exercises of chapter 8 Trends and challenges (notebooks/12_trends_challenges.ipynb): each
checker computes its answer with the chapter's own task functions."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail, _repurchase_setup

#: The fusion weight exercise 8.3 asks about (the chapter tests only the validated one).
EXERCISE_ALPHA = 0.75


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    from ..recsys import TEST_CUTOFF, VALIDATION_CUTOFF

    return {**_repurchase_setup(), "val_cutoff": VALIDATION_CUTOFF, "rec_cutoff": TEST_CUTOFF}


def _laplace_mae() -> float:
    return 2 / 0.5


def _k_country() -> int:
    from ..privacy import k_anonymity

    tx = _clean_retail().clean
    country = tx.groupby("CustomerID", observed=True)["Country"].first().astype(str)
    return k_anonymity(country.to_frame("country"), ["country"]).k


def _fused_test_ndcg() -> float:
    from ..recsys import (TEST_CUTOFF, FusedItemKNN, evaluate, item_descriptions, temporal_split,
                          text_similarity)

    split = temporal_split(_clean_retail().clean, cutoff=TEST_CUTOFF)
    sim = text_similarity(item_descriptions(split.train, split.items))
    model = FusedItemKNN(alpha=EXERCISE_ALPHA).fit(split.X, text_sim=sim)
    return float(evaluate(model, split, "new")[0]["NDCG@10"].mean())


register(
    Question("ch12", "q1", _laplace_mae, "float", 1e-9,
             "The noise scale is sensitivity / epsilon, and E|Laplace(b)| = b."),
    Question("ch12", "q2", _k_country, "int", 0.0,
             "The smallest number of customers sharing one country."),
    Question("ch12", "q3", _fused_test_ndcg, "float", 0.005,
             "Fit recsys.FusedItemKNN(alpha=0.75) on split.X with the test split's text_sim and "
             "average the per-customer NDCG@10 of recsys.evaluate(model, split, 'new').",
             needs_code=True),
)
