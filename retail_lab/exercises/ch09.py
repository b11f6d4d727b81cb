"""Exercises of chapter 6.3 Inventory (notebooks/09_inventory.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _demand_clean


def _newsvendor_q() -> float:
    from ..inventory import newsvendor_quantity

    return newsvendor_quantity(100, 20, underage=4, overage=1)


def _seasonal_naive_mase() -> float:
    from .. import inventory as inv

    tx = _demand_clean()
    closed = inv.closed_days(tx)
    w = tx[(tx["InvoiceDate"] >= "2011-01-01") & (tx["InvoiceDate"] < "2011-10-01")]
    top = w.groupby("StockCode", observed=True)["Quantity"].sum().nlargest(50).index
    Y = inv.daily_demand(tx, top)
    origins = inv.backtest_origins(Y)
    summary, _ = inv.backtest(Y, {"seasonal naive": inv.SeasonalNaive(closed=closed)}, origins)
    return float(summary.loc["seasonal naive", "MASE"])


def _closed_days() -> int:
    from ..inventory import closed_days

    return len(closed_days(_demand_clean()))


register(
    Question("ch09", "q1", _newsvendor_q, "float", 1e-6, "Order up to the critical fractile cu / (cu + co) of demand."),
    Question("ch09", "q2", _seasonal_naive_mase, "float", 0.005, "Run inv.backtest with SeasonalNaive over the 8 "
             "weekly origins."),
    Question("ch09", "q3", _closed_days, "int", 0.0, "Compare every calendar day with the days that have sales."),
)
