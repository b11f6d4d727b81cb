"""Exercises of appendix A Your own data (notebooks/14_your_own_data.ipynb): each checker
computes its answer on the same simulated shop the chapter builds (``setup()`` lists its
settings; the chapter glues the ones it used)."""

from __future__ import annotations

import functools

from ._core import Question, register

#: The simulated shop of the appendix and the chapter's choices on it.
SHOP = {"customers": 3000, "start": "2023-03-01", "days": 540, "seed": 7}
DATE_FORMAT = "%d/%m/%Y %H:%M"
AS_OF = "2024-08-31"
REPURCHASE_CUTOFF = "2024-03-01"
HORIZON_DAYS = 90
TOP_PRODUCTS = 20
WINDOW = 28
#: The moving-average window exercise A.3 asks about.
EXERCISE_WINDOW = 7


@functools.lru_cache(maxsize=1)
def _shop():
    from .. import quality, schema, sim

    raw = sim.shop_transactions(SHOP["customers"], start=SHOP["start"], days=SHOP["days"], seed=SHOP["seed"],
                                columns=sim.SHOP_COLUMNS, date_format=DATE_FORMAT)
    tx = schema.standardize(raw, columns={v: k for k, v in sim.SHOP_COLUMNS.items()},
                            date_format=DATE_FORMAT)
    return tx, quality.clean(tx, as_of=AS_OF)


@functools.lru_cache(maxsize=1)
def _demand():
    from .. import inventory as inv
    from .. import quality

    rules = [r.name for r in quality.rules() if r.name != "missing_customer_id"]
    lines = quality.clean(_shop()[0], apply=rules, as_of=AS_OF).clean
    top = lines.groupby("StockCode", observed=True)["Quantity"].sum().nlargest(TOP_PRODUCTS).index
    Y = inv.daily_demand(lines, stock_codes=list(top))
    return Y, inv.closed_days(lines), inv.backtest_origins(Y)


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    Y, _, origins = _demand()
    return {**SHOP, "rows": len(_shop()[0]), "as_of": AS_OF, "repurchase_cutoff": REPURCHASE_CUTOFF,
            "horizon_days": HORIZON_DAYS, "products": int(Y.shape[1]), "window": WINDOW,
            "first_origin": str(origins[0].date())}


def _non_product() -> int:
    table = _shop()[1].report.table.set_index("rule")
    return int(table.loc["non_product_stockcode", "n_removed"])


def _repurchase() -> float:
    from ..features import repurchase_dataset

    _, y = repurchase_dataset(_shop()[1].clean, REPURCHASE_CUTOFF, HORIZON_DAYS, log=False)
    return float(y.mean())


def _mase_ma_week() -> float:
    from .. import inventory as inv

    Y, closed, origins = _demand()
    summary, _ = inv.backtest(Y, {"moving average": inv.MovingAverage(window=EXERCISE_WINDOW, closed=closed)},
                              origins)
    return float(summary.loc["moving average", "MASE"])


register(
    Question("ch14", "q1", _non_product, "int", 0.0,
             "Read n_removed of the non_product_stockcode rule in the cleaning report."),
    Question("ch14", "q2", _repurchase, "float", 0.005,
             "The mean of the labels of repurchase_dataset at 2024-03-01 (90 days)."),
    Question("ch14", "q3", _mase_ma_week, "float", 0.005,
             "inv.MovingAverage(window=7, closed=closed) in the backtest over the chapter's origins; "
             "read summary.loc[name, 'MASE'].", needs_code=True),
)
