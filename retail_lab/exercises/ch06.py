"""Exercises of chapter 5 Project practice: Keras recommenders (notebooks/06_keras_recommender.ipynb): each checker computes its answer."""

from __future__ import annotations

import numpy as np

from ._core import Question, register
from ._data import _clean_retail, _rec_split


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


def _ch06_val_users() -> int:
    from ..recsys import book_splits

    return len(book_splits(_clean_retail().clean)[0].protocol("all")[0])


register(
    Question("ch06", "q1", _ch06_article_error, "text", 0.0,
             "fit() receives inputs but no targets; catch the exception and read its type name."),
    Question("ch06", "q2", _ch06_bpr_params, "int", 0.0,
             "One 64-vector per customer and per product, plus one bias per product."),
    Question("ch06", "q3", _ch06_val_users, "int", 0.0,
             "Customers with a training purchase and an August 2011 purchase of a product "
             "seen in training."),
)
