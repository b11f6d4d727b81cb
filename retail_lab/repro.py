"""Reproducibility: one call that seeds everything, the numeric configuration that makes the
book's outputs identical on any x86-64 CPU, and a report of the versions in use."""

from __future__ import annotations

import numbers
import os
import platform
import random
import sys
from importlib import metadata

import numpy as np

__all__ = [
    "NUMERIC_ENV",
    "BLAS_THREADS",
    "numeric_env",
    "pin_numerics",
    "set_seed",
    "shown",
    "quiet_tensorflow",
    "import_tensorflow",
    "environment_report",
    "warnings_to_stdout",
]

#: The book's numeric configuration, defined once. Every execution path uses it: chapters (the
#: first cell's :func:`set_seed`, before TensorFlow loads), every import of TensorFlow in the
#: package (:func:`import_tensorflow`), the notebook executor and benchmark (``tools/nbrun.py``),
#: and nbval (``tests/conftest.py`` exports it to the kernels it starts).
#:
#: - ``ONEDNN_MAX_CPU_ISA`` / ``DNNL_MAX_CPU_ISA``: TensorFlow's CPU matrix multiply (also with
#:   ``TF_ENABLE_ONEDNN_OPTS=0``) runs oneDNN's sgemm, which picks its kernel by the CPU's
#:   instruction set at run time: AVX-512 and AVX2 kernels sum in a different order, and training
#:   amplifies the last-bit difference. AVX2 exists on every current x86-64 CPU, so capping the
#:   level there gives the same kernel on Intel with or without AVX-512 and on AMD.
#: - ``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS``: how TensorFlow splits work depends
#:   on its thread count; fixed at 2, the size of the machine the book's budgets are set for.
#: - ``CUDA_VISIBLE_DEVICES=""``: the book computes on the CPU, also on a machine with a GPU
#:   (GPU kernels give other numbers; every chapter fits its budget on 2 CPU cores).
#: - ``TF_ENABLE_ONEDNN_OPTS=0``: no oneDNN graph rewrites (their results depend on the CPU).
#: - ``TF_CPP_MIN_LOG_LEVEL=3``: no C++ log lines in stored outputs.
#:
#: XLA stays off: Keras 3 on TensorFlow does not JIT-compile on a CPU-only machine.
NUMERIC_ENV: dict[str, str] = {
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "DNNL_MAX_CPU_ISA": "AVX2",
    "TF_NUM_INTRAOP_THREADS": "2",
    "TF_NUM_INTEROP_THREADS": "2",
    "CUDA_VISIBLE_DEVICES": "",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
}

#: Threads for NumPy's BLAS and for OpenMP (scikit-learn's k-means splits its sums by thread),
#: set at run time with threadpoolctl, since NumPy is loaded before any of the book's code runs.
#: ``OPENBLAS_CORETYPE`` is deliberately left as the machine sets it: some processors need a
#: specific kernel to compute correctly. BLAS kernels (and NumPy's SIMD loops) differ in the last
#: bit between CPUs, so the book shows and glues numbers at their displayed precision
#: (:func:`shown`), and the scores its recommenders rank come from sparse products and
#: element-wise operations, not from BLAS.
BLAS_THREADS = 2


def numeric_env() -> dict[str, str]:
    """A copy of :data:`NUMERIC_ENV`, for starting a Jupyter kernel or a subprocess with it."""
    return dict(NUMERIC_ENV)


def _tensorflow_loaded() -> bool:
    return "tensorflow" in sys.modules


def pin_numerics() -> dict[str, str]:
    """Apply the book's numeric configuration to this process; return what was overridden.

    The values in :data:`NUMERIC_ENV` win over whatever the host has set (a host presetting
    ``ONEDNN_MAX_CPU_ISA=AVX512_CORE`` would otherwise give other numbers). They take effect
    only if TensorFlow has not been imported yet, so :func:`set_seed` calls this first, and
    chapters call ``set_seed`` in their first cell.

    Returns
    -------
    dict
        ``{variable: previous value}`` for each variable the host had set differently.

    Raises
    ------
    RuntimeError
        If TensorFlow was already imported in this process with a different configuration:
        its kernels are chosen at import, so the numbers could not match the book's.
    """
    changed = {}
    for key, value in NUMERIC_ENV.items():
        before = os.environ.get(key)
        if before != value:
            if before is not None:
                changed[key] = before
            if _tensorflow_loaded() and key not in ("TF_CPP_MIN_LOG_LEVEL",):
                raise RuntimeError(
                    f"TensorFlow was imported before the book's numeric configuration was set "
                    f"({key}={before!r}, the book uses {value!r}). Restart the kernel and run "
                    "the chapter's first cell (retail_lab.set_seed) before anything imports "
                    "TensorFlow or Keras."
                )
            os.environ[key] = value
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=BLAS_THREADS)
    except ImportError:  # threadpoolctl comes with scikit-learn; without it the default stays
        pass
    return changed


def shown(value, spec: str):
    """The number as the text shows it: ``value`` rounded to what ``format(value, spec)`` prints.

    Glued numbers are stored at the precision the prose displays, so a last-digit difference
    between two CPUs' BLAS kernels cannot change a stored output.

    Parameters
    ----------
    value : int or float (Python or NumPy)
        The computed number.
    spec : str
        The format specification the prose uses for it, e.g. ``".3f"``, ``"+.1%"``, ``".1e"``.

    Returns
    -------
    int or float
        Integers unchanged (as ``int``); floats rounded to the displayed digits; NaN and
        infinities unchanged.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (or is a bool).

    Examples
    --------
    >>> shown(0.7559594353594519, ".3f")
    0.756
    >>> shown(0.19611279467426085, "+.1%")
    0.196
    >>> shown(0.0007502078884063905, ".1e")
    0.00075
    >>> shown(np.int64(4372), ",")
    4372
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"shown() takes a real number, got {type(value).__name__}: {value!r}")
    if isinstance(value, (numbers.Integral, np.integer)):
        return int(value)
    x = float(value)
    if not np.isfinite(x):
        return x
    text = format(x, spec).replace(",", "").replace("_", "")
    if spec.endswith("%"):
        decimals = int(spec.rsplit(".", 1)[1][:-1]) if "." in spec else 6
        return round(float(text[:-1]) / 100, decimals + 2)
    return float(text)


_TF_ENV = {k: NUMERIC_ENV[k] for k in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ logging and oneDNN notes (effective before TF is imported).

    Stored notebooks must hold no stderr output, so every chapter calls this (through
    :func:`set_seed`) before TensorFlow is first imported.
    """
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)


def import_tensorflow():
    """Import TensorFlow with its start-up chatter kept out of notebooks, and with deterministic
    operations (so a seed gives the same model twice); return the module.

    ``TF_CPP_MIN_LOG_LEVEL`` does not cover the messages TensorFlow's C++ runtime writes
    before its logging is initialised (e.g. "Could not find cuda drivers"), and a stored
    notebook must hold no stderr output. So the process-level stderr (file descriptor 2) is
    pointed at the null device for the duration of the first import only; Python
    exceptions raised by the import still propagate normally.

    Raises
    ------
    ImportError
        If TensorFlow or Keras is not installed (they are the optional ``keras`` extra); the
        message says how to install them: ``pip install "retail_lab[keras]"``.
    """
    if "tensorflow" in sys.modules:
        # imported elsewhere first (e.g. a plain `import keras`): still make its ops deterministic
        sys.modules["tensorflow"].config.experimental.enable_op_determinism()
        return sys.modules["tensorflow"]
    pin_numerics()
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf
        import keras  # noqa: F401  (its backend import prints through the same channel)
    except ModuleNotFoundError as err:
        if err.name not in ("tensorflow", "keras"):
            raise
        raise ImportError(
            f"{err.name} is not installed: the Keras models of retail_lab need TensorFlow and Keras, "
            'an optional extra. Install them with: pip install "retail_lab[keras]" '
            '(in this repository: pip install --constraint requirements/lock.txt -e ".[keras]")',
            name=err.name) from err
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    # performance hints such as "triggered tf.function retracing" go to the Python logger;
    # they are not errors, and stored notebooks must stay free of them
    tf.get_logger().setLevel("ERROR")
    # a seed must give the same model twice: ops without a deterministic kernel (e.g. the
    # parallel sums in embedding gradients) follow thread timing otherwise
    tf.config.experimental.enable_op_determinism()
    return tf


def set_seed(seed: int = 42, *, keras: bool = True) -> int:
    """Pin the numeric configuration, then seed Python, NumPy and (optionally) Keras/TensorFlow.

    Call it first in a chapter, before anything imports TensorFlow: it applies
    :func:`pin_numerics` (the same kernels and thread counts on every CPU), then seeds, and
    makes TensorFlow's ops deterministic.

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
    pin_numerics()
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
