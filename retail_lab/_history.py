"""Training curves in the package's one format: ``history_`` is a DataFrame with one row per
epoch, its index named "epoch" and starting at 1 (CONTRIBUTING.md, estimator convention)."""

from __future__ import annotations

import time

import pandas as pd


def epoch_timer(keras):
    """A Keras callback that records each epoch's wall-clock seconds in ``.seconds``."""

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._t0)

    return EpochTimer()


def history_frame(history: dict, seconds=None) -> pd.DataFrame:
    """Keras's ``History.history`` dict as the package's ``history_`` frame.

    >>> h = history_frame({"loss": [0.5, 0.25]}, seconds=[1.0, 2.0])
    >>> h.index.name, list(h.index), h.columns.tolist()
    ('epoch', [1, 2], ['loss', 'seconds'])
    """
    h = pd.DataFrame({k: [float(v) for v in vals] for k, vals in history.items()})
    if seconds is not None:
        h["seconds"] = list(seconds)[: len(h)]
    h.index = pd.RangeIndex(1, len(h) + 1, name="epoch")
    return h
