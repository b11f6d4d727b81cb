"""Exercises of chapter 4.3 Collaborative filtering (notebooks/05_cf_worked_example.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _rec_split


def _article_cf() -> float:
    from ..recsys.cf import article_score

    return article_score(4.0, 3.5, [0.8], [1])


def _new_protocol_users() -> int:
    return len(_rec_split().protocol("new")[0])


def _popularity_hr10() -> float:
    from ..recsys import Popularity, evaluate

    split = _rec_split()
    per_user, _ = evaluate(Popularity().fit(split.X), split, "all")
    return float(per_user["HR@10"].mean())


register(
    Question("ch05", "q1", _article_cf, "float", 1e-9,
             "Add the user mean, the item mean and the similarity-weighted behaviour."),
    Question("ch05", "q2", _new_protocol_users, "int", 0.0,
             "Users with at least one test purchase of an item they had not bought before "
             "the cutoff (and that exists in the training catalogue)."),
    Question("ch05", "q3", _popularity_hr10, "float", 0.01,
             "Fit Popularity on split.X and average the per-user HR@10 from evaluate()."),
)
