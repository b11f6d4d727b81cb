"""Exercises of chapter 7 Tools and resources (notebooks/11_tools_resources.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register


def _article_keras_params() -> int:
    from ..repro import import_tensorflow

    import_tensorflow()
    import keras

    model = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(128), keras.layers.Dense(64),
                              keras.layers.Dense(1)])
    return model.count_params()


def _keras_major() -> int:
    from importlib import metadata

    return int(metadata.version("keras").split(".")[0])


def _tf_keras_is_keras() -> bool:
    from ..repro import import_tensorflow

    tf = import_tensorflow()
    import keras

    return tf.keras.layers.Dense is keras.layers.Dense


register(
    Question("ch11", "q1", _article_keras_params, "int", 0.0,
             "Three Dense layers: 128, 64 and 1 units; count weights and biases."),
    Question("ch11", "q2", _keras_major, "int", 0.0, "Read keras.__version__."),
    Question("ch11", "q3", _tf_keras_is_keras, "bool", 0.0, "Compare the two with `is`."),
)
