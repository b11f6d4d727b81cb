"""Exercises of chapter 7 Tools and resources (notebooks/11_tools_resources.ipynb): each checker
computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _repurchase_task

#: The width of the extra hidden layer exercise 7.2 adds to the article's model.
EXTRA_LAYER = 32


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    task = _repurchase_task()
    return {"train_cutoff": str(task.train_cutoff.date()), "n_features": int(task.X.shape[1]),
            "n_train": len(task.X)}


def _keras():
    from ..repro import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _article_keras_params() -> int:
    keras = _keras()
    model = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(128), keras.layers.Dense(64),
                              keras.layers.Dense(1)])
    return model.count_params()


def _deeper_model_params() -> int:
    keras = _keras()
    n_features = int(_repurchase_task().X.shape[1])
    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(128), keras.layers.Dense(64),
                              keras.layers.Dense(EXTRA_LAYER), keras.layers.Dense(1)])
    return model.count_params()


def _tf_keras_is_keras() -> bool:
    from ..repro import import_tensorflow

    tf = import_tensorflow()
    keras = _keras()

    return tf.keras.layers.Dense is keras.layers.Dense


register(
    Question("ch11", "q1", _article_keras_params, "int", 0.0,
             "Three Dense layers: 128, 64 and 1 units; count weights and biases.", needs_code=True),
    Question("ch11", "q2", _deeper_model_params, "int", 0.0,
             "Add keras.layers.Dense(32, activation='relu') after the 64-unit layer of keras3_style() "
             "and call count_params(); each layer has n_in * n_out weights plus n_out biases.",
             needs_code=True),
    Question("ch11", "q3", _tf_keras_is_keras, "bool", 0.0, "Compare the two with `is`."),
)
