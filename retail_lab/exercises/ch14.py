"""Exercises of appendix A Your own data (notebooks/14_your_own_data.ipynb): each checker
computes its answer on the same simulated shop the chapter builds."""

from __future__ import annotations

import functools

from ._core import Question, register


@functools.lru_cache(maxsize=1)
def _shop():
    from .. import quality, schema, sim

    fmt = "%d/%m/%Y %H:%M"
    raw = sim.shop_transactions(3000, start="2023-03-01", days=540, seed=7,
                                columns=sim.SHOP_COLUMNS, date_format=fmt)
    tx = schema.standardize(raw, columns={v: k for k, v in sim.SHOP_COLUMNS.items()},
                            date_format=fmt)
    return tx, quality.clean(tx, as_of="2024-08-31")


def _non_product() -> int:
    table = _shop()[1].report.table.set_index("rule")
    return int(table.loc["non_product_stockcode", "n_removed"])


def _repurchase() -> float:
    from ..features import repurchase_dataset

    _, y = repurchase_dataset(_shop()[1].clean, "2024-03-01", 90, log=False)
    return float(y.mean())


def _mase_ma() -> float:
    from .. import inventory as inv
    from .. import quality

    rules = [r.name for r in quality.rules() if r.name != "missing_customer_id"]
    lines = quality.clean(_shop()[0], apply=rules, as_of="2024-08-31").clean
    top = lines.groupby("StockCode", observed=True)["Quantity"].sum().nlargest(20).index
    Y = inv.daily_demand(lines, stock_codes=list(top))
    closed = inv.closed_days(lines)
    summary, _ = inv.backtest(Y, {"moving average": inv.MovingAverage(window=28, closed=closed)},
                              inv.backtest_origins(Y))
    return float(summary.loc["moving average", "MASE"])


register(
    Question("ch14", "q1", _non_product, "int", 0.0,
             "Read n_removed of the non_product_stockcode rule in the cleaning report."),
    Question("ch14", "q2", _repurchase, "float", 0.005,
             "The mean of the labels of repurchase_dataset at 2024-03-01 (90 days)."),
    Question("ch14", "q3", _mase_ma, "float", 0.005,
             "summary.loc['moving average', 'MASE'] of the backtest over the chapter's origins."),
)
