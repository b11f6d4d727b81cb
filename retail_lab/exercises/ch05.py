"""Exercises of chapter 4.3 Collaborative filtering (notebooks/05_cf_worked_example.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _rec_split

#: The neighbour limit exercise 4.3.3 asks about.
EXERCISE_NEIGHBORS = 50


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    split = _rec_split()
    info = split.summary()
    return {"cutoff": str(split.cutoff.date()), "items": int(info["items"]),
            "eval_users_new": int(info["eval_users_new"])}


def _article_cf() -> float:
    from ..recsys.cf import article_score

    return article_score(4.0, 3.5, [0.8], [1])


def _new_protocol_users() -> int:
    return len(_rec_split().protocol("new")[0])


def _knn50_new_ndcg() -> float:
    from ..recsys import ItemKNN, evaluate

    split = _rec_split()
    per_user, _ = evaluate(ItemKNN(n_neighbors=EXERCISE_NEIGHBORS).fit(split.X), split, "new")
    return float(per_user["NDCG@10"].mean())


register(
    Question("ch05", "q1", _article_cf, "float", 1e-9,
             "Add the user mean, the item mean and the similarity-weighted behaviour."),
    Question("ch05", "q2", _new_protocol_users, "int", 0.0,
             "Users with at least one test purchase of an item they had not bought before "
             "the cutoff (and that exists in the training catalogue)."),
    Question("ch05", "q3", _knn50_new_ndcg, "float", 0.005,
             "Fit recsys.ItemKNN(n_neighbors=50) on split.X and average the per-user NDCG@10 of "
             "recsys.evaluate(model, split, 'new').", needs_code=True),
)
