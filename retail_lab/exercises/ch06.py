"""Exercises of chapter 5 Project practice: Keras recommenders (notebooks/06_keras_recommender.ipynb): each checker computes its answer."""

from __future__ import annotations

import functools

import numpy as np

from ._core import Question, register
from ._data import _clean_retail, _rec_split

#: The embedding size exercise 5.3 asks for (the chapter builds the two-tower model with
#: ``BOOK_SETTINGS["TwoTower"]["dim"]``).
Q3_DIM = 32


def setup() -> dict:
    """The values the checkers compute with: the splits' cutoffs and the Keras settings."""
    from ..recsys import BOOK_SETTINGS, TEST_CUTOFF, VALIDATION_CUTOFF

    tt = BOOK_SETTINGS["TwoTower"]
    return {"validation_cutoff": str(VALIDATION_CUTOFF), "test_cutoff": str(TEST_CUTOFF),
            "bpr_dim": int(BOOK_SETTINGS["BPRMF"]["dim"]), "tt_dim": int(tt["dim"]),
            "tt_hidden": int(tt["hidden"])}


@functools.lru_cache(maxsize=1)
def _book_splits():
    from ..recsys import book_splits

    return book_splits(_clean_retail().clean)


def _ch06_article_error() -> str:
    """Run the article's section 5.2 model and fit call on a small random matrix."""
    from ..repro import import_tensorflow

    tf = import_tensorflow()
    data = np.random.default_rng(0).integers(0, 3, (8, 5))
    model = tf.keras.Sequential([tf.keras.Input((5,)), tf.keras.layers.Dense(4, activation="relu"),
                                 tf.keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    try:
        model.fit(data, epochs=1, verbose=0)
    except Exception as err:  # noqa: BLE001 - the type is the answer
        return type(err).__name__
    return "no error"


def _ch06_bpr_params() -> int:
    from ..recsys import BOOK_SETTINGS

    n_users, n_items = _rec_split().X.shape
    d = BOOK_SETTINGS["BPRMF"]["dim"]
    return n_users * d + n_items * d + n_items


def _ch06_two_tower_params() -> int:
    """The chapter's two-tower model on the validation split, built with ``dim=Q3_DIM``."""
    from ..recsys import BOOK_SETTINGS, neural

    val = _book_splits()[0]
    features = neural.TwoTower(**BOOK_SETTINGS["TwoTower"])
    features._features(val)  # countries and product features, as prepare(val) sets them
    model = neural.two_tower_model(len(features.countries_), features.band_, features.tokens_,
                                   dim=Q3_DIM, hidden=features.hidden, dropout=features.dropout)
    return neural.count_params(model)


register(
    Question("ch06", "q1", _ch06_article_error, "text", 0.0,
             "fit() receives inputs but no targets; catch the exception and read its type name."),
    Question("ch06", "q2", _ch06_bpr_params, "int", 0.0,
             "One 64-vector per customer and per product, plus one bias per product."),
    Question("ch06", "q3", _ch06_two_tower_params, "int", 0.0,
             "Call build_two_tower with dim=32 and the same features, hidden and dropout as in the "
             "chapter, then neural.count_params(model); no training is needed. The vectors' size "
             "changes the last customer layer, the product id and price-band tables and the word "
             "projection.", needs_code=True),
)
