"""Reproducibility: one call that seeds everything, and a report of the versions in use."""

from __future__ import annotations

import os
import platform
import random
from importlib import metadata

import numpy as np

__all__ = ["set_seed", "quiet_tensorflow", "import_tensorflow", "environment_report", "warnings_to_stdout"]

_TF_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ logging and oneDNN notes (effective before TF is imported).

    Stored notebooks must hold no stderr output, so every chapter calls this (through
    :func:`set_seed`) before TensorFlow is first imported.
    """
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)


def import_tensorflow():
    """Import TensorFlow with its start-up chatter kept out of notebooks; return the module.

    ``TF_CPP_MIN_LOG_LEVEL`` does not cover the messages TensorFlow's C++ runtime writes
    before its logging is initialised (e.g. "Could not find cuda drivers"), and a stored
    notebook must hold no stderr output. So the process-level stderr (file descriptor 2) is
    pointed at the null device for the duration of the first import only; Python
    exceptions raised by the import still propagate normally.
    """
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    quiet_tensorflow()
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf
        import keras  # noqa: F401  (its backend import prints through the same channel)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    # performance hints such as "triggered tf.function retracing" go to the Python logger;
    # they are not errors, and stored notebooks must stay free of them
    tf.get_logger().setLevel("ERROR")
    return tf


def set_seed(seed: int = 42, *, keras: bool = True) -> int:
    """Seed Python, NumPy and (optionally) Keras/TensorFlow, with deterministic TF ops.

    Parameters
    ----------
    seed : int, default 42
        Non-negative seed.
    keras : bool, default True
        Also call ``keras.utils.set_random_seed`` and
        ``tf.config.experimental.enable_op_determinism()``. Set False in code that never
        touches Keras, to avoid importing TensorFlow (about 3 s).

    Returns
    -------
    int
        The seed, so a notebook can print or glue it.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer.
    ValueError
        If ``seed`` is negative.

    Examples
    --------
    >>> set_seed(7, keras=False)
    7
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    seed = int(seed)
    quiet_tensorflow()
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if keras:
        tf = import_tensorflow()
        import keras as _keras

        _keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
    return seed


_PACKAGES = (
    "retail_lab",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "matplotlib",
    "tensorflow",
    "keras",
    "jupyter-book",
)


def environment_report(packages: tuple[str, ...] = _PACKAGES) -> dict[str, str]:
    """Versions of Python and the book's main packages, without importing them.

    Parameters
    ----------
    packages : tuple of str
        Distribution names to report.

    Returns
    -------
    dict
        ``{"python": "3.11.7", "numpy": "2.4.6", ...}``; a package that is not installed is
        reported as ``"not installed"``.
    """
    report = {"python": platform.python_version()}
    for name in packages:
        try:
            report[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            report[name] = "not installed"
    return report


def warnings_to_stdout() -> None:
    """Print Python warnings as ``Category: message`` on standard output.

    Stored notebooks must hold no stderr output, yet some warnings are part of the lesson
    (e.g. Keras 3 on the article's ``input_shape``); this keeps them visible in the book.
    """
    import warnings

    def _show(message, category, filename, lineno, file=None, line=None):
        print(f"{category.__name__}: {message}")

    warnings.showwarning = _show
