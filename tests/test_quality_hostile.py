"""Hostile inputs to quality.check / quality.clean (issue 12, items 2 and 3).

Hand-made tables where the right answer is known, one test per trial of the issue, and
Hypothesis properties: rows in = kept + removed, no customer's row is removed because of
another customer's row, and neither the index (repeated or unsorted labels) nor the row
order changes the result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from retail_lab import quality

COLS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
        "CustomerID", "Country"]
AS_OF = "2012-01-01"  # the tables below are from 2011


def table(rows, index=None):
    df = pd.DataFrame(rows, columns=COLS, index=index)
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["CustomerID"] = df["CustomerID"].astype("string")
    return df


def reasons(res) -> dict:
    """label -> reason for removed rows (labels must be unique)."""
    return res.removed["reason"].to_dict()


# ---------------------------------------------------------------- repeated / unsorted index

def two_shops():
    """Two extracts, each with a RangeIndex: concatenated, the labels repeat."""
    a = table([
        ("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "7", "UK"),    # label 0: bought
        ("C2", "1000A", "a", -2, "2011-01-02 10:00:00", 1.0, "7", "UK"),  # label 1: cancels 0
    ])
    b = table([
        ("3", "1000X", "x", 5, "2011-01-01 09:00:00", 1.0, "8", "FR"),    # label 0: other customer
        ("4", "1000X", "x", 1, "2011-01-03 10:00:00", 1.0, "8", "FR"),    # label 1
    ])
    return pd.concat([a, b])  # no ignore_index: labels 0, 1, 0, 1


def test_repeated_index_does_not_remove_another_customers_row():
    # The trial of the issue: pairing by label removed customer 8's purchase (label 0)
    # together with customer 7's cancelled purchase (also label 0).
    df = two_shops()
    res = quality.clean(df, as_of=AS_OF)
    assert res.clean["CustomerID"].tolist() == ["8", "8"]
    assert res.clean["InvoiceNo"].tolist() == ["3", "4"]
    assert res.removed["InvoiceNo"].tolist() == ["1", "C2"]
    assert res.removed["reason"].tolist() == ["cancelled_original", "cancellation"]
    assert list(res.clean.index) == [0, 1] and list(res.removed.index) == [0, 1]  # labels kept
    assert len(res.clean) + len(res.removed) == len(df)
    pairs = quality.match_cancellations(df)
    assert pairs[["cancel_row", "original_row"]].values.tolist() == [[1, 0]]
    assert pairs[["cancel_index", "original_index"]].values.tolist() == [[1, 0]]


def test_repeated_index_gives_the_same_rows_as_a_fresh_index():
    df = two_shops()
    fresh = quality.clean(df.reset_index(drop=True), as_of=AS_OF)
    dup = quality.clean(df, as_of=AS_OF)
    pd.testing.assert_frame_equal(dup.clean.reset_index(drop=True), fresh.clean.reset_index(drop=True))
    pd.testing.assert_frame_equal(dup.removed.reset_index(drop=True),
                                  fresh.removed.reset_index(drop=True))
    assert (dup.report.flags.to_numpy() == fresh.report.flags.to_numpy()).all()


def test_unsorted_and_non_integer_index():
    df = two_shops()
    df.index = ["z", "y", "x", "w"]
    shuffled = df.iloc[[3, 1, 2, 0]]
    res = quality.clean(shuffled, as_of=AS_OF)
    assert list(res.clean.index) == ["w", "x"] and list(res.removed.index) == ["y", "z"]
    assert reasons(res) == {"y": "cancellation", "z": "cancelled_original"}


def test_exact_copies_with_different_labels_keep_the_same_label_whatever_the_order():
    row = ("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "7", "UK")
    df = table([row, row, row], index=[5, 3, 9])
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        res = quality.clean(df.iloc[order], as_of=AS_OF)
        assert list(res.clean.index) == [3]
        assert sorted(res.removed.index) == [5, 9]
        assert set(res.removed["reason"]) == {"duplicate_row"}


def test_blank_or_text_nan_customer_ids_are_never_paired():
    # astype(str) turns missing ids into "nan": such rows may belong to different people
    df = table([
        ("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "nan", "UK"),
        ("C2", "1000A", "a", -2, "2011-01-02 10:00:00", 1.0, "nan", "UK"),
        ("3", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, " ", "UK"),
        ("C4", "1000A", "a", -2, "2011-01-02 10:00:00", 1.0, "", "UK"),
    ])
    assert quality.match_cancellations(df).empty
    res = quality.clean(df, as_of=AS_OF)
    assert set(res.removed["reason"]) == {"missing_customer_id"} and len(res.removed) == 4


# ---------------------------------------------------------------- dates in the future / late

def test_future_dates_are_removed_with_a_reason():
    today = pd.Timestamp.now().normalize()
    df = table([
        ("1", "1000A", "a", 1, today + pd.Timedelta(hours=10), 1.0, "7", "UK"),  # later today: ok
        ("2", "1000A", "a", 1, today + pd.Timedelta(days=2), 1.0, "7", "UK"),    # future
        ("3", "1000A", "a", 1, today + pd.DateOffset(years=5), 1.0, "8", "UK"),  # future
    ])
    res = quality.clean(df)  # as_of defaults to today
    assert reasons(res) == {1: "future_date", 2: "future_date"}
    assert res.report.details["as_of"].normalize() == today
    # an explicit as_of: whole days are compared
    res = quality.clean(df, as_of=today + pd.Timedelta(days=2))
    assert reasons(res) == {2: "future_date"}


def test_as_of_must_be_a_date():
    df = two_shops().reset_index(drop=True)
    with pytest.raises(ValueError, match="as_of must be a date"):
        quality.clean(df, as_of="next tuesday")
    with pytest.raises(ValueError, match="as_of must be a date"):
        quality.check(df, as_of=pd.NaT)


def test_time_zone_aware_dates_with_a_naive_as_of():
    df = two_shops().reset_index(drop=True)
    df["InvoiceDate"] = df["InvoiceDate"].dt.tz_localize("Europe/London")
    res = quality.clean(df, as_of="2011-01-02")
    assert reasons(res) == {0: "cancelled_original", 1: "cancellation", 3: "future_date"}


def daily(n_days, start="2011-01-01", per_day=2):
    rows = []
    for d in range(n_days):
        for k in range(per_day):
            rows.append((str(1000 + d), f"S{k}", "s", 1 + k,
                         pd.Timestamp(start) + pd.Timedelta(days=d, hours=9), 1.0,
                         str(10 + (d % 7)), "UK"))
    return rows


def test_isolated_rows_far_after_the_bulk_are_removed():
    rows = daily(150)  # 300 rows over 150 days, then 2 rows 9 years later
    rows += [("9001", "S0", "s", 1, "2020-06-01 10:00:00", 1.0, "99", "UK"),
             ("9002", "S1", "s", 1, "2020-06-02 10:00:00", 1.0, "10", "UK")]
    df = table(rows)
    res = quality.clean(df, as_of="2030-01-01")  # not future, but isolated
    assert reasons(res) == {300: "isolated_late_date", 301: "isolated_late_date"}
    assert res.report.details["late_date_start"] == pd.Timestamp("2020-06-01 10:00:00")


def test_late_rule_keeps_a_real_second_period_and_short_gaps():
    # a 31-day gap followed by a whole period (far more than 1% of rows): kept
    rows = daily(60) + daily(60, start="2011-04-01")
    res = quality.clean(table(rows), as_of=AS_OF, apply=["isolated_late_date"])
    assert res.removed.empty
    # 3 rows after a gap of exactly 30 days: not longer than LATE_GAP_DAYS, kept
    rows = daily(150) + [("9", "S0", "s", 1, pd.Timestamp("2011-05-30 09:00:00")
                          + pd.Timedelta(days=quality.LATE_GAP_DAYS), 1.0, "10", "UK")]
    res = quality.clean(table(rows), as_of=AS_OF, apply=["isolated_late_date"])
    assert res.removed.empty
    # same row one minute later: the gap is longer than 30 days, 1 row of 301 <= 1%
    rows[-1] = ("9", "S0", "s", 1, pd.Timestamp("2011-05-30 09:01:00")
                + pd.Timedelta(days=quality.LATE_GAP_DAYS), 1.0, "10", "UK")
    res = quality.clean(table(rows), as_of=AS_OF, apply=["isolated_late_date"])
    assert list(res.removed.index) == [300]


# ---------------------------------------------------------------- prices and quantities

def test_infinite_and_absurd_prices():
    df = table([
        ("1", "1000A", "a", 1, "2011-01-01 10:00:00", np.inf, "7", "UK"),
        ("2", "1000A", "a", 1, "2011-01-01 10:00:00", 1e12, "7", "UK"),
        ("3", "1000A", "a", 1, "2011-01-01 10:00:00", quality.MAX_UNIT_PRICE, "7", "UK"),  # bound: ok
        ("4", "1000A", "a", 1, "2011-01-01 10:00:00", quality.MAX_UNIT_PRICE + 0.01, "7", "UK"),
        ("5", "1000A", "a", 1, "2011-01-01 10:00:00", -np.inf, "7", "UK"),
        ("6", "1000A", "a", 1, "2011-01-01 10:00:00", np.nan, "7", "UK"),
        ("7", "1000A", "a", 1, "2011-01-01 10:00:00", 2.5, "7", "UK"),
    ])
    res = quality.clean(df, as_of=AS_OF)
    assert reasons(res) == {0: "absurd_price", 1: "absurd_price", 3: "absurd_price",
                            4: "non_positive_price", 5: "missing_value"}
    assert res.removed.loc[4, "all_reasons"] == "non_positive_price;absurd_price"
    assert res.removed.loc[5, "all_reasons"] == "missing_value;non_positive_price"
    assert sorted(res.clean.index) == [2, 6]


def test_fractional_and_infinite_quantities():
    df = table([
        ("1", "1000A", "a", 2.5, "2011-01-01 10:00:00", 1.0, "7", "UK"),
        ("2", "1000A", "a", 2.0, "2011-01-01 10:00:00", 1.0, "7", "UK"),  # whole, as a float: ok
        ("3", "1000B", "a", np.inf, "2011-01-01 10:00:00", 1.0, "7", "UK"),
        ("C4", "1000A", "a", -0.5, "2011-01-02 10:00:00", 1.0, "7", "UK"),
        ("5", "1000A", "a", np.nan, "2011-01-01 10:00:00", 1.0, "7", "UK"),
    ])
    res = quality.clean(df, as_of=AS_OF)
    assert reasons(res) == {0: "non_integer_quantity", 2: "non_integer_quantity",
                            3: "cancellation", 4: "missing_value"}
    assert "non_integer_quantity" in res.removed.loc[3, "all_reasons"]
    assert list(res.clean.index) == [1]


def test_nullable_dtypes():
    df = table([
        ("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "7", "UK"),
        ("2", "1000A", "a", None, "2011-01-01 10:00:00", None, "7", "UK"),
    ])
    df["Quantity"] = df["Quantity"].astype("Int64")
    df["UnitPrice"] = df["UnitPrice"].astype("Float64")
    res = quality.clean(df, as_of=AS_OF)
    assert reasons(res) == {1: "missing_value"}
    assert res.removed.loc[1, "all_reasons"] == "missing_value;non_positive_quantity;non_positive_price"


# ---------------------------------------------------------------- missing values

@pytest.mark.parametrize("col", ["InvoiceNo", "StockCode", "Country"])
@pytest.mark.parametrize("value", [None, "", "  ", "nan", "<NA>"])
def test_missing_required_values(col, value):
    df = table([
        ("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "7", "UK"),
        ("2", "1000B", "b", 2, "2011-01-01 10:00:00", 1.0, "7", "UK"),
    ])
    df[col] = df[col].astype(object)
    df.loc[1, col] = value
    res = quality.clean(df, as_of=AS_OF)
    assert reasons(res) == {1: "missing_value"}


def test_missing_description_is_allowed():
    # a free-text label: not needed to count, pair or price a line
    df = table([("1", "1000A", None, 2, "2011-01-01 10:00:00", 1.0, "7", "UK")])
    res = quality.clean(df, as_of=AS_OF)
    assert len(res.clean) == 1 and res.removed.empty


def test_categorical_country_with_missing_value():
    df = table([
        ("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "7", "UK"),
        ("2", "1000B", "b", 2, "2011-01-01 10:00:00", 1.0, "7", None),
    ])
    df["Country"] = df["Country"].astype("category")
    assert reasons(quality.clean(df, as_of=AS_OF)) == {1: "missing_value"}


# ---------------------------------------------------------------- degenerate inputs

def test_apply_empty_keeps_everything_and_accounts_for_it():
    df = two_shops()
    res = quality.clean(df, apply=[], as_of=AS_OF)  # crashed: "argmax of an empty sequence"
    assert len(res.clean) == len(df) and res.removed.empty
    assert list(res.removed.columns) == COLS + ["reason", "all_reasons"]
    assert res.report.table["n_removed"].sum() == 0
    assert not res.report.table["applied"].any()
    assert res.report.table.set_index("rule").loc["cancellation", "n_failing"] == 1


def test_apply_must_be_a_list_of_names():
    df = two_shops()
    with pytest.raises(TypeError, match=r"apply=\['cancellation'\]"):
        quality.clean(df, apply="cancellation")
    with pytest.raises(ValueError, match="unknown rule"):
        quality.clean(df, apply=["cancelation"])


def test_empty_table_and_empty_table_with_apply_empty():
    empty = two_shops().iloc[:0]
    for apply in (None, []):
        res = quality.clean(empty, apply=apply)
        assert res.clean.empty and res.removed.empty
        assert res.summary() == "0 rows in, 0 kept, 0 removed"
        assert (res.report.table["share_failing"] == 0).all()


def test_one_row():
    df = table([("1", "1000A", "a", 2, "2011-01-01 10:00:00", 1.0, "7", "UK")], index=[42])
    res = quality.clean(df, as_of=AS_OF)
    assert list(res.clean.index) == [42] and res.removed.empty
    one_bad = df.assign(Quantity=-1, InvoiceNo="C1")
    res = quality.clean(one_bad, as_of=AS_OF)
    assert reasons(res) == {42: "cancellation"}


def test_nan_and_inf_everywhere():
    n = 6
    df = pd.DataFrame({
        "InvoiceNo": [None] * n, "StockCode": [np.nan] * n, "Description": [None] * n,
        "Quantity": [np.nan, np.inf, -np.inf, np.nan, np.inf, 1.5],
        "InvoiceDate": [pd.NaT] * n,
        "UnitPrice": [np.inf, np.nan, -np.inf, np.inf, np.nan, np.inf],
        "CustomerID": [None] * n, "Country": [None] * n,
    })
    res = quality.clean(df, as_of=AS_OF)
    assert res.clean.empty and len(res.removed) == n
    assert set(res.removed["reason"]) == {"unparseable_date"}
    assert all("missing_value" in r for r in res.removed["all_reasons"])
    assert np.isnan(res.report.details["outlier_threshold_units"])


# ---------------------------------------------------------------- inputs that are rejected

def test_whole_input_rejected_with_clear_errors():
    df = two_shops().reset_index(drop=True)
    with pytest.raises(TypeError, match="Quantity must be numeric"):
        quality.clean(df.assign(Quantity=df["Quantity"] > 0))
    with pytest.raises(TypeError, match="UnitPrice must be numeric"):
        quality.clean(df.assign(UnitPrice=df["UnitPrice"].astype(complex)))
    with pytest.raises(TypeError, match="UnitPrice must be numeric"):
        quality.clean(df.assign(UnitPrice=df["UnitPrice"].astype(str)))
    with pytest.raises(TypeError, match="InvoiceDate must be datetime64 or text"):
        quality.clean(df.assign(InvoiceDate=df["InvoiceDate"].astype("int64") // 10**9))
    with pytest.raises(ValueError, match=r"more than one column named \['Quantity'\]"):
        quality.clean(pd.concat([df, df[["Quantity"]]], axis=1))
    with pytest.raises(ValueError, match="already has column"):
        quality.clean(quality.clean(df, as_of=AS_OF).removed)
    with pytest.raises(ValueError, match="misses column"):
        quality.clean(df.drop(columns=["StockCode"]))
    with pytest.raises(TypeError, match="DataFrame"):
        quality.clean(df.to_dict())


@pytest.mark.parametrize("z", [0, -1, np.nan, np.inf])
def test_outlier_z_must_be_positive_and_finite(z):
    with pytest.raises(ValueError, match="outlier_z"):
        quality.clean(two_shops(), outlier_z=z)


@pytest.mark.parametrize("z", [True, "4", None])
def test_outlier_z_must_be_a_number(z):
    with pytest.raises(TypeError, match="outlier_z"):
        quality.check(two_shops(), outlier_z=z)


def test_custom_rule_with_wrong_mask_length():
    bad = quality.Rule("short", "returns one flag", lambda df, ctx: np.zeros(1, bool))
    with pytest.raises(ValueError, match="'short' returned a mask of shape"):
        quality.check(two_shops(), rule_set=[bad])


def test_custom_rule_set_without_rules_and_inputs_untouched():
    df = two_shops()
    before = df.copy()
    rep = quality.check(df, rule_set=[])
    assert rep.table.empty and rep.flags.shape == (4, 0)
    quality.clean(df, as_of=AS_OF)
    pd.testing.assert_frame_equal(df, before)


# ---------------------------------------------------------------- Hypothesis properties

#: Rules that compare a row with the whole table by design (where the bulk of the
#: dates / quantities lies); every other rule judges a row alone or with its customer.
POPULATION_RULES = {"isolated_late_date", "outlier_quantity"}
ROW_RULES = [r.name for r in quality.rules() if r.name not in POPULATION_RULES]

DAYS = pd.date_range("2011-03-01", periods=4, freq="D")


@st.composite
def transactions(draw, max_rows=18):
    n = draw(st.integers(0, max_rows))
    rows = []
    for i in range(n):
        cust = draw(st.sampled_from(["1", "2", "3", "4", None]))
        code = draw(st.sampled_from(["1000A", "1000B", "POST"]))
        qty = draw(st.sampled_from([1, 2, 3, 2, 0, 2.5]))
        cancel = draw(st.booleans())
        inv = f"C{i}" if cancel else str(draw(st.integers(1, 4)))  # shared invoices too
        day = DAYS[draw(st.integers(0, len(DAYS) - 1))]
        price = draw(st.sampled_from([1.0, 2.0, 0.0]))
        rows.append((inv, code, "x", -qty if cancel else qty, day, price, cust, "UK"))
    # exact copies of some rows, and cancellations that reverse an earlier purchase
    if rows:
        for j in draw(st.lists(st.integers(0, len(rows) - 1), max_size=4)):
            inv, code, d, q, day, p, c, ctry = rows[j]
            rows.append(rows[j])
            if q > 0:
                rows.append((f"C{len(rows)}", code, d, -q, day + pd.Timedelta(hours=1), p, c, ctry))
    df = pd.DataFrame(rows, columns=COLS)
    df["Quantity"] = df["Quantity"].astype(float)
    df["UnitPrice"] = df["UnitPrice"].astype(float)
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    df["CustomerID"] = df["CustomerID"].astype("string")
    return df


def outcome(res) -> list:
    """Per input position: the applied rules the row fails ('' if kept); any index."""
    applied = res.report.table.loc[res.report.table["applied"], "rule"].tolist()
    flags = res.report.flags[applied].to_numpy()
    return [";".join(r for r, f in zip(applied, row) if f) for row in flags]


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(df=transactions(), data=st.data())
def test_property_accounting_and_labels(df, data):
    labels = data.draw(st.lists(st.integers(0, 3), min_size=len(df), max_size=len(df)))
    df.index = labels
    res = quality.clean(df, as_of=AS_OF)
    assert len(res.clean) + len(res.removed) == len(df)
    assert res.report.table["n_removed"].sum() == len(res.removed)
    removed = res.report.flags.to_numpy().any(axis=1)
    assert list(res.clean.index) == [lab for lab, r in zip(labels, removed) if not r]
    assert list(res.removed.index) == [lab for lab, r in zip(labels, removed) if r]
    assert list(res.removed.columns) == COLS + ["reason", "all_reasons"]


def content(frame) -> list:
    """The rows (without their labels) as a sorted list: a multiset to compare."""
    return sorted(map(repr, frame.reset_index(drop=True).astype(str).itertuples(index=False)))


@FAST
@given(df=transactions(), data=st.data())
def test_property_index_labels_do_not_change_the_result(df, data):
    base = quality.clean(df, as_of=AS_OF)
    labels = data.draw(st.lists(st.sampled_from([0, 1, "a", 7]), min_size=len(df), max_size=len(df)))
    relabelled = quality.clean(df.set_axis(labels), as_of=AS_OF)
    # the same rows kept and removed for the same reasons; among exact copies of a row,
    # which copy stays is decided by the label (so that shuffling cannot change it)
    assert content(relabelled.clean) == content(base.clean)
    assert content(relabelled.removed) == content(base.removed)
    if not df.duplicated().any():  # no exact copies: the very same positions
        assert (relabelled.report.flags.to_numpy() == base.report.flags.to_numpy()).all()
        assert relabelled.removed["reason"].tolist() == base.removed["reason"].tolist()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=transactions(), data=st.data())
def test_property_row_order_does_not_change_the_result(df, data):
    perm = data.draw(st.permutations(range(len(df))))
    base = quality.clean(df, as_of=AS_OF)
    shuffled = quality.clean(df.iloc[list(perm)], as_of=AS_OF)
    assert shuffled.removed["all_reasons"].to_dict() == base.removed["all_reasons"].to_dict()
    assert sorted(shuffled.clean.index) == sorted(base.clean.index)
    # repeated labels and a shuffle together: the same multiset of (label, row, reasons)
    dup = df.set_axis([i % 3 for i in range(len(df))])
    a = quality.clean(dup, as_of=AS_OF).removed
    b = quality.clean(dup.iloc[list(perm)], as_of=AS_OF).removed

    assert content(a.reset_index()) == content(b.reset_index())  # labels included


@FAST
@given(df=transactions(), data=st.data())
def test_property_removing_one_customer_never_changes_the_others(df, data):
    known = sorted(df["CustomerID"].dropna().unique())
    if not known:
        return
    gone = data.draw(st.sampled_from(known))
    df.index = [i % 3 for i in range(len(df))]  # repeated labels, as after pd.concat
    base = outcome(quality.clean(df, apply=ROW_RULES, as_of=AS_OF))
    keep = (df["CustomerID"] != gone).fillna(True).to_numpy()
    rest = quality.clean(df[keep], apply=ROW_RULES, as_of=AS_OF)
    assert outcome(rest) == [o for o, k in zip(base, keep) if k]
    assert len(rest.clean) + len(rest.removed) == int(keep.sum())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=transactions())
def test_property_each_customer_alone_gives_the_same_verdicts(df):
    # second implementation: clean every customer's rows (and the rows with no customer)
    # on their own; the row rules must give each row the same reasons as on the whole table
    positions = np.arange(len(df))
    df.index = positions % 2  # repeated labels
    whole = outcome(quality.clean(df, apply=ROW_RULES, as_of=AS_OF))
    expected = [None] * len(df)
    group = df["CustomerID"].fillna("<none>").to_numpy()
    for g in pd.unique(group):
        rows = positions[group == g]
        part = outcome(quality.clean(df.iloc[rows], apply=ROW_RULES, as_of=AS_OF))
        for i, r in zip(rows, part):
            expected[i] = r
    assert whole == expected
