"""Exercises of chapter 6.2 Personalized marketing (notebooks/08_marketing.ipynb): each checker computes its answer."""

from __future__ import annotations

from ._core import Question, register
from ._data import _clean_retail, _hillstrom_rates


def _ch08_mens_visit() -> float:
    r = _hillstrom_rates()
    return float(100 * (r.loc["Mens E-Mail", "visit"] - r.loc["No E-Mail", "visit"]))


def _ch08_champions() -> int:
    import pandas as pd

    from ..marketing import rfm_table

    tx = _clean_retail().clean
    rfm = rfm_table(tx, tx["InvoiceDate"].max().normalize() + pd.Timedelta(days=1))
    return int((rfm["segment"] == "champions").sum())


def _ch08_sample_size() -> int:
    from ..marketing import sample_size_two_proportions

    return sample_size_two_proportions(float(_hillstrom_rates().loc["No E-Mail", "conversion"]), 0.5)


register(
    Question("ch08", "q1", _ch08_mens_visit, "float", 0.01,
             "Mean visit in the Mens E-Mail arm minus the No E-Mail arm, times 100."),
    Question("ch08", "q2", _ch08_champions, "int", 0.0,
             "marketing.rfm_table(clean lines, the day after the last invoice)."),
    Question("ch08", "q3", _ch08_sample_size, "int", 0.0,
             "marketing.sample_size_two_proportions(no-e-mail conversion rate, 0.5)."),
)
