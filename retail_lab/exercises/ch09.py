"""Exercises of chapter 6.3 Inventory (notebooks/09_inventory.ipynb): each checker computes its answer.

The checkers build the chapter's task with the same package functions the chapter calls
(:func:`retail_lab.inventory.clean_demand`, :func:`retail_lab.inventory.book_demand`,
:func:`retail_lab.inventory.backtest_origins`); :func:`setup` reports what they compute with.
"""

from __future__ import annotations

from ._core import Question, register
from ._data import _demand_clean


def _task():
    from ..inventory import book_demand

    return book_demand(_demand_clean())


def setup() -> dict:
    """The values the checkers compute with (the chapter glues the same, as ``setup_<key>``)."""
    from .. import inventory as inv

    task = _task()
    origins = inv.backtest_origins(task.Y)
    earlier = inv.backtest_origins(task.Y, offset=inv.BACKTEST_ORIGINS)
    return {
        "products": int(task.Y.shape[1]),
        "top_product": str(task.Y.columns[0]),
        "closed_days": len(task.closed),
        "first_origin": str(origins[0].date()),
        "second_first_origin": str(earlier[0].date()),
        "horizon_days": inv.HORIZON,
        "seed": int(inv.KerasGlobal().seed),
        "n_seeds": len(inv.SEEDS),
    }


def _newsvendor_q() -> float:
    from ..inventory import newsvendor_quantity

    return newsvendor_quantity(100, 20, underage=4, overage=1)


def _mse_keras_mase() -> float:
    """The chapter's Keras global MLP retrained on the mean squared error (seed 0, trained on
    the days before the first origin): its MASE over the last 8 weeks."""
    from .. import inventory as inv

    task = _task()
    origins = inv.backtest_origins(task.Y)
    model = inv.KerasGlobal(closed=task.closed, loss="mse").fit(task.Y[task.Y.index < origins[0]])
    summary, _ = inv.backtest(task.Y, {"mse": model}, origins, prefitted=["mse"])
    return float(summary.loc["mse", "MASE"])


def _closed_days() -> int:
    return len(_task().closed)


register(
    Question("ch09", "q1", _newsvendor_q, "float", 1e-6, "Order up to the critical fractile cu / (cu + co) of demand."),
    Question("ch09", "q2", _mse_keras_mase, "float", 0.01, "inv.KerasGlobal(closed=closed, loss=\"mse\"), fitted on "
             "Y[Y.index < origins[0]], then inv.backtest(Y, {...}, origins, prefitted=[...]).", needs_code=True),
    Question("ch09", "q3", _closed_days, "int", 0.0, "Compare every calendar day with the days that have sales."),
)
