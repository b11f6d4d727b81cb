"""Exercises of appendix C Scaling out (notebooks/17_scaling_out.ipynb). The checkers compute
on one machine: the Spark path gives the same numbers (that is what the appendix shows), so a
reader may answer with either."""

from __future__ import annotations

import functools

from ..spark.recsys import BOOK_SAMPLE
from ._core import Question, register

# The chapter's sample of Online Retail and its settings (defined once, in retail_lab.spark).
SAMPLE_START = BOOK_SAMPLE["sample_start"]
AS_OF = BOOK_SAMPLE["as_of"]
VALIDATION_CUTOFF = BOOK_SAMPLE["validation_cutoff"]
TEST_CUTOFF = BOOK_SAMPLE["test_cutoff"]
N_NEIGHBORS = BOOK_SAMPLE["n_neighbors"]
#: Exercise C.1: a catalogue this large, as a dense float32 item-item matrix.
EXERCISE_ITEMS = 250_000
#: Exercise C.3: item-item with this many neighbours.
EXERCISE_NEIGHBORS = 10


@functools.lru_cache(maxsize=1)
def _sample():
    from .. import quality
    from ..datasets import load_online_retail

    raw = load_online_retail()
    raw = raw[raw["InvoiceDate"] >= SAMPLE_START].reset_index(drop=True)
    return raw, quality.clean(raw, as_of=AS_OF)


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    return {"sample_start": SAMPLE_START, "as_of": AS_OF, "validation_cutoff": VALIDATION_CUTOFF,
            "test_cutoff": TEST_CUTOFF, "n_neighbors": N_NEIGHBORS}


def _dense_gb() -> float:
    return EXERCISE_ITEMS ** 2 * 4 / 1e9


def _cancelled_originals() -> int:
    table = _sample()[1].report.table.set_index("rule")
    return int(table.loc["cancelled_original", "n_removed"])


def _ndcg_few_neighbors() -> float:
    from .. import recsys

    _, test = recsys.book_splits(_sample()[1].clean, VALIDATION_CUTOFF, TEST_CUTOFF)
    model = recsys.ItemKNN(n_neighbors=EXERCISE_NEIGHBORS).fit(test)
    return recsys.mean_metric(model, test, "new", "NDCG@10")


register(
    Question("ch17", "q1", _dense_gb, "float", 0.01,
             "n_items ** 2 similarities of 4 bytes each; 1 GB = 1e9 bytes.", needs_code=True),
    Question("ch17", "q2", _cancelled_originals, "int", 0.0,
             "Read n_removed of the cancelled_original rule in the cleaning report of the sample "
             "(either path)."),
    Question("ch17", "q3", _ndcg_few_neighbors, "float", 0.005,
             "Fit ItemKNN (or SparkItemKNN) with n_neighbors=10 on the sample's test split and "
             "average NDCG@10 over the 'new' protocol's customers.", needs_code=True),
)
