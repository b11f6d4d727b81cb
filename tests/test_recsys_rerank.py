"""The two-stage re-ranker (retail_lab.recsys.rerank): each signal against a hand computation,
no look into the future, and the score layout (candidates above the rest)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_lab import recsys
from retail_lab.recsys import rerank

sys.path.insert(0, str(Path(__file__).parent))
from estimator_cases.recsys import tiny_shop  # noqa: E402


@given(st.integers(1, 12), st.integers(2, 15), st.integers(1, 6), st.integers(0, 2**31 - 1))
@settings(max_examples=60, deadline=None)
def test_pair_scores_equal_the_full_product_at_the_candidates(n, n_items, m, seed):
    rng = np.random.default_rng(seed)
    R = sp.random(n, n_items, density=0.3, random_state=rng.integers(2**31), format="csr")
    M = rng.normal(size=(n_items, n_items)).astype(np.float32)
    m = min(m, n_items)
    cand = np.argsort(rng.random((n, n_items)), axis=1)[:, :m]
    expect = np.take_along_axis(np.asarray(R @ M.astype(np.float64)), cand, axis=1)
    np.testing.assert_allclose(rerank._pair_scores(R, M, cand), expect, rtol=1e-6, atol=1e-6)


def hand_split() -> recsys.RecSplit:
    """Three customers, four products, hand-made dates and prices; cutoff 2011-03-01."""
    lines = [  # invoice, product, description, date, price, customer
        ("1", "A", "RED MUG", "2010-11-20", 2.0, "c1"),
        ("1", "B", "RED CUP", "2010-11-20", 3.0, "c1"),
        ("2", "A", "RED MUG", "2011-02-25", 2.0, "c2"),
        ("3", "C", "BLUE LAMP", "2011-02-10", 10.0, "c2"),
        ("4", "D", "BLUE SHADE", "2011-01-05", 8.0, "c3"),
        ("5", "A", "RED MUG", "2011-02-27", 2.0, "c3"),
        ("6", "B", "RED CUP", "2011-03-05", 3.0, "c3"),     # test period
    ]
    tx = pd.DataFrame(lines, columns=["InvoiceNo", "StockCode", "Description", "InvoiceDate", "UnitPrice",
                                      "CustomerID"])
    tx["InvoiceDate"] = pd.to_datetime(tx["InvoiceDate"])
    tx["Quantity"], tx["Country"] = 1, "UK"
    return recsys.temporal_split(tx, cutoff="2011-03-01")


def test_each_signal_by_hand():
    s = hand_split()
    users, items = list(s.users), list(s.items)
    assert users == ["c1", "c2", "c3"] and items == ["A", "B", "C", "D"]
    rows = np.array([0, 1, 2])
    cand = np.array([[2, 3], [1, 3], [1, 2]])     # each customer's candidates (column indices)
    F = rerank.candidate_features(s, rows, cand, own=True)
    f = F.assign(user=np.repeat(users, 2), item=[items[j] for j in cand.ravel()]).set_index(["user", "item"])
    # popularity windows: A bought by c2 (Feb 25) and c3 (Feb 27) in the last 7 days
    assert f.loc[("c2", "D"), "pop"] == pytest.approx(np.log1p(1))
    assert f.loc[("c3", "B"), "pop7"] == pytest.approx(0.0)
    assert f.loc[("c1", "C"), "pop30"] == pytest.approx(np.log1p(1))      # c2 on Feb 10
    assert f.loc[("c1", "D"), "pop_prior60"] == pytest.approx(np.log1p(1))  # c3 on Jan 5
    # season: the last November-December before the cutoff is 2010's: c1 bought A and B then
    assert f.loc[("c2", "B"), "season"] == pytest.approx(np.log1p(1))
    assert f.loc[("c1", "C"), "season"] == 0.0
    # age in the catalogue: C first sold on 2011-02-10, 19 days before the cutoff
    assert f.loc[("c1", "C"), "age_days"] == pytest.approx(19.0)
    # price: log1p of the median price, and its gap to the customer's median log price
    assert f.loc[("c1", "C"), "log_price"] == pytest.approx(np.log1p(10.0))
    assert f.loc[("c1", "C"), "price_gap"] == pytest.approx(np.log1p(10.0) - np.median(np.log1p([2.0, 3.0])))
    # content: mean TF-IDF similarity of the candidate to the customer's products
    T = recsys.text_similarity(recsys.item_descriptions(s.train, s.items))
    assert f.loc[("c2", "B"), "text"] == pytest.approx((T[1, 0] + T[1, 2]) / 2, rel=1e-6)
    # sequence: the last invoice of c3 holds A only
    assert f.loc[("c3", "B"), "text_last"] == pytest.approx(T[1, 0], rel=1e-6)
    # the customer
    assert f.loc[("c1", "C"), "user_days"] == pytest.approx(101.0)     # 2010-11-20 -> 2011-03-01
    assert f.loc[("c2", "B"), "user_invoices"] == 2 and f.loc[("c2", "B"), "user_products"] == 2
    # repeat signals: c3 bought D 55 days before the cutoff; never bought B
    assert f.loc[("c2", "D"), "own_days"] == rerank._FAR
    assert f.loc[("c1", "C"), "own_invoices"] == 0
    # co-purchase: EASE's score of the candidate for the customer
    B = recsys.EASE(l2=1000.0).fit(s.X).B_
    assert f.loc[("c2", "D"), "ease"] == pytest.approx(float((s.X[1] @ B)[0, 3]), rel=1e-6)


def test_own_signals_of_a_customer_product_pair():
    s = hand_split()
    F = rerank.candidate_features(s, np.array([2]), np.array([[3, 0]]), own=True)
    assert F["own_days"].tolist() == pytest.approx([55.0, 2.0])          # D on Jan 5, A on Feb 27
    assert F["own_invoices"].tolist() == [1.0, 1.0]
    assert F["own_weight"].iloc[1] == pytest.approx(0.5 ** (2 / 90), rel=1e-6)


def test_signals_never_read_the_test_period():
    s = hand_split()
    later = s.test.assign(InvoiceDate=s.test["InvoiceDate"] + pd.Timedelta(days=3))
    s2 = recsys.RecSplit(s.train, later, s.users, s.items, s.X, s.cutoff)
    cand = np.array([[2, 3], [1, 3], [1, 2]])
    pd.testing.assert_frame_equal(rerank.candidate_features(s, [0, 1, 2], cand),
                                  rerank.candidate_features(s2, [0, 1, 2], cand))


def shop_split():
    return recsys.temporal_split(tiny_shop(), cutoff="2011-08-01")


def test_training_features_come_from_before_each_label_period():
    s = shop_split()
    model = recsys.Reranker(protocol="all", n_candidates=5, max_iter=10)
    p = model._check_params()
    F, y = model._examples(s, p)
    # the same features from a split that holds only the lines before the label period
    start = s.cutoff - pd.Timedelta(days=30)
    inner = recsys.temporal_split(s.train, cutoff=start, end=s.cutoff)
    rows = inner.protocol("all")[0]
    before = recsys.RecSplit(s.train[s.train["InvoiceDate"] < start], inner.test.iloc[:0], inner.users,
                             inner.items, inner.X, start)
    c = rerank._signals(before, p["l2"], p["recency_half_life_days"], p["recency_l2"])
    cand = rerank._candidates(c, rows, 5, own=True)
    expect = rerank.candidate_features(before, rows, cand, own=True, _cache=c)
    pd.testing.assert_frame_equal(F, expect)
    assert set(np.unique(y)) <= {0.0, 1.0} and 0 < y.mean() < 1


def test_scores_put_candidates_first_and_the_rest_in_ease_order():
    s = shop_split()
    model = recsys.Reranker(protocol="all", n_candidates=4, max_iter=10).fit(s)
    S = model.score(np.arange(len(s.users)))
    ease = np.asarray(s.X.astype(float) @ recsys.EASE(l2=1000.0).fit(s.X).B_)
    for u in range(len(s.users)):
        cand = set(model.candidates_[u].tolist())
        rest = [j for j in range(S.shape[1]) if j not in cand]
        assert min(S[u, list(cand)]) > max(S[u, rest])
        assert np.all(np.diff(S[u, rest][np.argsort(-ease[u, rest], kind="stable")]) <= 1e-6)
    assert model.recommend([0], k=4)[0].tolist() == sorted(model.candidates_[0].tolist(),
                                                           key=lambda j: (-S[0, j], j))  # ties: lower index


def test_bad_data_is_refused_with_the_reason():
    s = shop_split()
    with pytest.raises(TypeError, match="RecSplit"):
        recsys.Reranker().fit(s.X)
    with pytest.raises(ValueError, match="too short"):
        recsys.Reranker(protocol="all", label_days=200, windows=2).fit(s)
    with pytest.raises(ValueError, match="new to them"):
        recsys.Reranker(protocol="new", n_candidates=5).fit(s)   # the tiny shop's customers rebuy
