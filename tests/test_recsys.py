"""Ranking metrics, split protocol, implicit recommenders and rating-scale CF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics import ndcg_score

from retail_lab import recsys
from retail_lab.recsys import cf, metrics


# ------------------------------------------------------------------ metrics
def test_metrics_hand_computed():
    recs = [[3, 1, 2, 0], [0, 1, 2, 3]]
    rel = [{1, 0}, {9}]
    assert metrics.hit_rate_at_k(recs, rel, 2).tolist() == [1.0, 0.0]
    assert metrics.recall_at_k(recs, rel, 2).tolist() == [0.5, 0.0]
    # user 0: hit at rank 2 -> DCG = 1/log2(3); ideal = 1 + 1/log2(3)
    nd = metrics.ndcg_at_k(recs, rel, 2)
    assert nd[0] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert nd[1] == 0.0
    # AP@4 for user 0: hits at ranks 2 and 4 -> (1/2 + 2/4) / 2
    assert metrics.map_at_k(recs, rel, 4)[0] == pytest.approx(0.5)
    assert metrics.precision_at_k(recs, rel, 4)[0] == 0.5
    assert np.isnan(metrics.ndcg_at_k([[1]], [set()], 1)[0])
    assert metrics.catalog_coverage(recs, 8, 2) == pytest.approx(3 / 8)
    with pytest.raises(ValueError):
        metrics.ndcg_at_k(recs, rel, 0)
    with pytest.raises(ValueError):
        metrics.hit_rate_at_k(recs, rel[:1], 1)


def test_ndcg_matches_sklearn():
    rng = np.random.default_rng(0)
    n_items, k = 30, 10
    for _ in range(20):
        scores = rng.normal(size=n_items)
        truth = (rng.random(n_items) < 0.15).astype(float)
        if truth.sum() == 0:
            continue
        recs = [np.argsort(-scores, kind="stable")]
        ours = metrics.ndcg_at_k(recs, [set(np.flatnonzero(truth))], k)[0]
        assert ours == pytest.approx(ndcg_score(truth[None], scores[None], k=k))


def test_bootstrap_ci_brackets_mean():
    v = np.r_[np.zeros(50), np.ones(50), np.nan]
    m, lo, hi = metrics.bootstrap_ci(v, n_boot=500)
    assert m == 0.5 and lo < 0.5 < hi
    assert np.isnan(metrics.bootstrap_ci([np.nan])[0])


# ------------------------------------------------------------------ split and models
def tx():
    rows = [("a", "i1", "2011-01-01"), ("a", "i2", "2011-01-02"), ("b", "i1", "2011-01-03"),
            ("b", "i3", "2011-01-04"), ("c", "i2", "2011-01-05"),
            ("a", "i1", "2011-02-02"), ("a", "i3", "2011-02-03"), ("b", "i2", "2011-02-04"),
            ("c", "i9", "2011-02-05"), ("d", "i1", "2011-02-06")]
    return pd.DataFrame(rows, columns=["CustomerID", "StockCode", "InvoiceDate"]).assign(
        InvoiceDate=lambda d: pd.to_datetime(d["InvoiceDate"]))


def test_temporal_split_protocols():
    s = recsys.temporal_split(tx(), cutoff="2011-02-01")
    assert list(s.users) == ["a", "b", "c"] and list(s.items) == ["i1", "i2", "i3"]
    rows, rel, excl = s.protocol("all")
    assert not excl and dict(zip(rows, rel)) == {0: {0, 2}, 1: {1}}  # c's i9 unseen, d new user
    rows, rel, excl = s.protocol("new")
    assert excl and dict(zip(rows, rel)) == {0: {2}, 1: {1}}  # a's repeat of i1 removed
    with pytest.raises(ValueError):
        s.protocol("other")
    with pytest.raises(ValueError, match="empty"):
        recsys.temporal_split(tx(), cutoff="2012-01-01")


def test_itemknn_cosine_by_hand():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    m = recsys.ItemKNN().fit(X)
    # items 0,1 share one buyer of 2 and 2 buyers: 1/sqrt(2*2) = 0.5; items 0,2: 1/sqrt(2*1)
    assert m.similarity_[0, 1] == pytest.approx(0.5)
    assert m.similarity_[0, 2] == pytest.approx(1 / np.sqrt(2))
    assert m.similarity_[1, 2] == 0 and m.similarity_[0, 0] == 0
    s = m.score([2])  # user 2 bought item 1 -> score(i) = s_1i
    np.testing.assert_allclose(s[0], [0.5, 0, 0])
    assert m.recommend([2], k=1, exclude_seen=True).tolist() == [[0]]
    assert recsys.ItemKNN(n_neighbors=1).fit(X).similarity_[:, 0].tolist() == pytest.approx([0, 0, 1 / np.sqrt(2)])


def test_popularity_and_unfitted():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [1, 0, 1]], dtype=float))
    p = recsys.Popularity().fit(X)
    assert p.recommend([0, 1], k=2).tolist() == [[0, 1], [0, 1]]
    assert p.recommend([0], k=1, exclude_seen=True).tolist() == [[2]]
    with pytest.raises(RuntimeError, match="not fitted"):
        recsys.Popularity().recommend([0])
    with pytest.raises(ValueError):
        recsys.top_k(np.zeros((1, 3)), 0)


# ------------------------------------------------------------------ rating-scale CF
def test_article_formula_taken_literally():
    # The article prints 7.3, but its own formula with its own inputs gives 4.0 + 3.5 + 0.8 = 8.3.
    assert cf.article_score(4.0, 3.5, [0.8], [1]) == pytest.approx(8.3)
    with pytest.raises(ValueError):
        cf.article_score(4.0, 3.5, [0.8, 0.1], [1])


RATINGS = cf.TOY_RATINGS


def test_baseline_matches_ridge_least_squares():
    reg = 2.0
    b = cf.BaselinePredictor(reg_user=reg, reg_item=reg, n_iter=500).fit(RATINGS)
    users, items = b.users_, b.items_
    A = np.zeros((len(RATINGS), len(users) + len(items)))
    A[np.arange(len(RATINGS)), users.get_indexer(RATINGS["user"])] = 1
    A[np.arange(len(RATINGS)), len(users) + items.get_indexer(RATINGS["item"])] = 1
    y = RATINGS["rating"].to_numpy(float) - RATINGS["rating"].mean()
    sol = np.linalg.solve(A.T @ A + reg * np.eye(A.shape[1]), A.T @ y)
    np.testing.assert_allclose(np.r_[b.user_bias_.to_numpy(), b.item_bias_.to_numpy()], sol, atol=1e-9)
    assert b.predict(["nobody"], ["i1"])[0] == pytest.approx(b.mu_ + b.item_bias_["i1"])


def hand_knn(ratings, base, user, item, k):
    """A second, loop-by-loop implementation of mean-centred item-kNN."""
    r = {(u, i): v for u, i, v in ratings.itertuples(index=False)}
    e = {(u, i): v - base.predict([u], [i])[0] for (u, i), v in r.items()}
    users = {u for u, _ in r}

    def sim(i, j):
        common = [u for u in users if (u, i) in e and (u, j) in e]
        num = sum(e[u, i] * e[u, j] for u in common)
        den = np.sqrt(sum(e[u, i] ** 2 for u in common) * sum(e[u, j] ** 2 for u in common))
        return num / den if den > 0 else 0.0

    cands = sorted(((sim(item, j), j) for (u, j) in r if u == user and j != item), reverse=True)
    cands = [(s, j) for s, j in cands if s > 0][:k]
    pred = base.predict([user], [item])[0]
    if cands:
        pred += sum(s * e[user, j] for s, j in cands) / sum(abs(s) for s, _ in cands)
    return pred


@pytest.mark.parametrize("user,item", [("u2", "i3"), ("u1", "i4"), ("u3", "i1"), ("u4", "i2")])
def test_item_knn_matches_loop_implementation(user, item):
    model = cf.ItemKNNRating(k=2, baseline=cf.BaselinePredictor(1.0, 1.0, 300)).fit(RATINGS)
    base = cf.BaselinePredictor(1.0, 1.0, 300).fit(RATINGS)
    assert model.predict_one(user, item) == pytest.approx(hand_knn(RATINGS, base, user, item, 2), abs=1e-12)


def test_ratings_validation():
    with pytest.raises(ValueError, match="columns"):
        cf.BaselinePredictor().fit(RATINGS.rename(columns={"rating": "score"}))
    with pytest.raises(ValueError, match="twice"):
        cf.BaselinePredictor().fit(pd.concat([RATINGS, RATINGS.iloc[:1]]))
    with pytest.raises(ValueError, match="empty"):
        cf.BaselinePredictor().fit(RATINGS.iloc[:0])
    with pytest.raises(RuntimeError):
        cf.BaselinePredictor().predict(["u1"], ["i1"])


# ------------------------------------------------------------------ chapter 6 baselines
def test_ease_equals_per_item_ridge_regression():
    rng = np.random.default_rng(0)
    X = (rng.random((40, 6)) < 0.3).astype(float)
    l2 = 3.0
    B = recsys.EASE(l2).fit(sp.csr_matrix(X)).B_
    for j in range(6):
        others = [c for c in range(6) if c != j]
        A = X[:, others]
        coef = np.linalg.solve(A.T @ A + l2 * np.eye(5), A.T @ X[:, j])
        np.testing.assert_allclose(B[others, j], coef, atol=1e-5)
        assert B[j, j] == 0
    with pytest.raises(ValueError):
        recsys.EASE(0)


def test_recency_matrix_and_repeat_buyer():
    t = pd.DataFrame({
        "CustomerID": ["a", "a", "a", "b"], "StockCode": ["i1", "i1", "i2", "i2"],
        "InvoiceNo": ["1", "2", "2", "3"],
        "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-31", "2011-01-31", "2011-01-21"]),
    })
    users, items = pd.Index(["a", "b"]), pd.Index(["i1", "i2", "i3"])
    W = recsys.recency_matrix(t, users, items, "2011-01-31", half_life_days=30).toarray()
    np.testing.assert_allclose(W[0], [1.5, 1.0, 0.0])  # 30 days old counts 1/2, today counts 1
    np.testing.assert_allclose(W[1], [0.0, 0.5 ** (10 / 30), 0.0], rtol=1e-6)
    rb = recsys.RepeatBuyer().fit(W)
    assert rb.recommend([0, 1], k=3).tolist() == [[0, 1, 2], [1, 0, 2]]  # history first, then popularity
    with pytest.raises(ValueError, match="leak"):
        recsys.recency_matrix(t, users, items, "2011-01-15")
    with pytest.raises(ValueError):
        recsys.recency_matrix(t, users, items, "2011-01-31", half_life_days=0)


def test_exclude_with_external_history():
    X_part = sp.csr_matrix(np.array([[1, 0, 0]], dtype=float))
    X_full = sp.csr_matrix(np.array([[1, 1, 0]], dtype=float))
    p = recsys.Popularity().fit(X_part)
    assert p.recommend([0], k=1, exclude_seen=True).tolist() == [[1]]  # only the fitted history
    assert p.recommend([0], k=1, exclude_seen=X_full).tolist() == [[2]]  # the full history


def test_top_k_matches_a_full_stable_sort_with_ties():
    from retail_lab.recsys import top_k

    rng = np.random.default_rng(0)
    for t in range(200):
        n, m = int(rng.integers(1, 20)), int(rng.integers(5, 150))
        k = int(rng.integers(1, m))
        s = rng.integers(0, 4, (n, m)).astype(float) if t % 2 else rng.random((n, m))
        s[rng.random((n, m)) < 0.1] = -np.inf
        np.testing.assert_array_equal(top_k(s, k), np.argsort(-s, axis=1, kind="stable")[:, :k])


def test_top_k_keeps_small_score_differences():
    """Ranking compares scores exactly: a secondary key encoded in a tiny difference (the
    repeat model's popularity tie-breaker) must survive, and only exact ties go by index."""
    from retail_lab.recsys import top_k

    s = np.array([[1.0, 1.0 + 1e-12, 1.0, 0.5]])
    assert top_k(s, 3).tolist() == [[1, 0, 2]]
    many = np.zeros((2, 500))
    many[:, 250] = 1e-9
    assert top_k(many, 2).tolist() == [[250, 0], [250, 0]]
