"""Exercises of chapter 8 Trends and challenges (notebooks/12_trends_challenges.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail


def _laplace_mae() -> float:
    return 2 / 0.5


def _k_country() -> int:
    from ..privacy import k_anonymity

    tx = _clean_retail().clean
    country = tx.groupby("CustomerID", observed=True)["Country"].first().astype(str)
    return k_anonymity(country.to_frame("country"), ["country"]).k


def _fusion_alpha() -> float:
    from ..recsys import (BOOK_GRIDS, TEST_CUTOFF, VALIDATION_CUTOFF, FusedItemKNN, evaluate,
                          item_descriptions, temporal_split, text_similarity)

    val = temporal_split(_clean_retail().clean, cutoff=VALIDATION_CUTOFF, end=TEST_CUTOFF)
    sim = text_similarity(item_descriptions(val.train, val.items))
    scores = {a: evaluate(FusedItemKNN(alpha=a).fit(val.X, text_sim=sim), val, "new")[0]["NDCG@10"].mean()
              for a in BOOK_GRIDS["FusedItemKNN"]["alpha"]}
    return float(max(scores, key=scores.get))


register(
    Question("ch12", "q1", _laplace_mae, "float", 1e-9,
             "The noise scale is sensitivity / epsilon, and E|Laplace(b)| = b."),
    Question("ch12", "q2", _k_country, "int", 0.0,
             "The smallest number of customers sharing one country."),
    Question("ch12", "q3", _fusion_alpha, "float", 1e-9,
             "Evaluate each alpha on the validation split, new-items protocol."),
)
