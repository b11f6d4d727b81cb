"""Ranking metrics, split protocol, implicit recommenders and rating-scale CF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import ndcg_score

from retail_lab import recsys, sim
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
    with pytest.raises(NotFittedError, match="Popularity instance is not fitted yet; call fit"):
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
    with pytest.raises(NotFittedError, match="call fit"):
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
    with pytest.raises(ValueError, match="l2"):
        recsys.EASE(0).fit(X)  # checked in fit, not in __init__


def sorted_neighbours(S, k):
    """Second implementation: a full stable descending sort per column (the rule: ties keep
    the lower index), as the book's item-kNN computed it before the partition."""
    S = S.copy()
    drop = np.argsort(-S, axis=0, kind="stable")[k:, :]
    np.put_along_axis(S, drop, 0.0, axis=0)
    return S


@given(st.integers(2, 30), st.integers(1, 12), st.integers(0, 2**31 - 1), st.sampled_from([2, 4, 1000]))
@settings(max_examples=80, deadline=None)
def test_partition_neighbours_equal_a_full_sort_with_ties(n, k, seed, levels):
    rng = np.random.default_rng(seed)
    # few distinct values (levels) make many ties, some at the k-th place
    S = rng.integers(0, levels, (n, n)).astype(float) / levels
    S = S + S.T                       # symmetric, like a cosine similarity
    np.fill_diagonal(S, 0.0)
    kept = recsys.models.keep_top_per_row(S.copy(), k)
    np.testing.assert_array_equal(kept.T, sorted_neighbours(S, k))


def test_item_knn_neighbours_on_purchases_equal_the_sort():
    rng = np.random.default_rng(3)
    X = sp.csr_matrix((rng.random((60, 25)) < 0.2).astype(np.float32))
    Xd = X.toarray()                       # float32, the similarity's precision
    counts = np.sqrt(Xd.sum(axis=0))
    counts[counts == 0] = 1.0
    full = (Xd.T @ Xd) / counts[:, None] / counts[None, :]     # by hand
    np.fill_diagonal(full, 0.0)
    assert full.dtype == np.float32
    np.testing.assert_allclose(recsys.ItemKNN().fit(X).similarity_, full, rtol=1e-6)
    for k in (1, 3, 10, 24, 25, 40):
        got = recsys.ItemKNN(n_neighbors=k).fit(X).similarity_
        np.testing.assert_array_equal(got, sorted_neighbours(recsys.ItemKNN().fit(X).similarity_, k))
        assert got.dtype == np.float32 and got.flags.c_contiguous


def test_ease_cholesky_equals_the_general_inverse():
    rng = np.random.default_rng(1)
    X = sp.csr_matrix((rng.random((200, 30)) < 0.15).astype(float))
    G = (X.T @ X).toarray() + 7.0 * np.eye(30)
    P = np.linalg.inv(G)
    B = -P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    np.testing.assert_allclose(recsys.EASE(7.0).fit(X).B_, B, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(recsys.models._spd_inverse(G.copy()), P, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="positive definite"):
        recsys.models._spd_inverse(-np.eye(3))


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


# ------------------------------------------------------------------ splits with cutoffs as parameters
def shop(start="2013-01-05", days=130, n_users=6):
    """Another shop's dates: a purchase by every customer every 5 days from ``start``."""
    dates = pd.date_range(start, periods=days // 5, freq="5D")
    rows = [(f"c{u}", f"i{(u + k) % 4}", f"N{u}-{k}", d) for k, d in enumerate(dates) for u in range(n_users)]
    return pd.DataFrame(rows, columns=["CustomerID", "StockCode", "InvoiceNo", "InvoiceDate"])


def test_book_splits_take_cutoffs_and_keep_the_protocol():
    t = shop()  # 2013-01-05 .. 2013-05-10
    val, test = recsys.book_splits(t, validation_cutoff="2013-03-01", test_cutoff="2013-04-01")
    d = t["InvoiceDate"]
    # independent truth: the periods by direct comparison
    assert len(val.train) == (d < "2013-03-01").sum()
    assert len(val.test) == ((d >= "2013-03-01") & (d < "2013-04-01")).sum()
    assert len(test.train) == (d < "2013-04-01").sum() and len(test.test) == (d >= "2013-04-01").sum()
    assert val.cutoff == pd.Timestamp("2013-03-01") and test.cutoff == pd.Timestamp("2013-04-01")
    with pytest.raises(ValueError, match="test_cutoff .* must be after validation_cutoff"):
        recsys.book_splits(t, validation_cutoff="2013-04-01", test_cutoff="2013-03-01")
    with pytest.raises(ValueError, match="validation_cutoff must be a date"):
        recsys.book_splits(t, validation_cutoff="not a date")


def test_book_cutoffs_on_other_dates_name_the_data_range():
    t = shop()
    with pytest.raises(ValueError, match=r"cutoff 2011-08-01.*empty training period.*2013-01-05.*2013-05-10"):
        recsys.book_splits(t)  # the book's 2011 dates on 2013 data
    with pytest.raises(ValueError, match=r"empty test period.*2013-05-10"):
        recsys.book_splits(t, "2013-03-01", "2014-01-01")


def test_splits_by_months_picks_month_boundaries_from_the_data():
    t = shop()  # last purchase 2013-05-10
    val, test = recsys.splits_by_months(t)
    assert (val.cutoff, test.cutoff) == (pd.Timestamp("2013-04-01"), pd.Timestamp("2013-05-01"))
    val, test = recsys.splits_by_months(t, test_months=2, validation_months=2)
    assert (val.cutoff, test.cutoff) == (pd.Timestamp("2013-02-01"), pd.Timestamp("2013-04-01"))
    assert test.test["InvoiceDate"].max() == t["InvoiceDate"].max()  # the test runs to the end
    with pytest.raises(ValueError, match="too short"):
        recsys.splits_by_months(t, test_months=3, validation_months=2)  # no training before 2013-01-01
    with pytest.raises(ValueError, match="test_months"):
        recsys.splits_by_months(t, test_months=0)


def test_splits_by_months_reproduces_the_book_cutoffs():
    # Online Retail ends on 2011-12-09: the last four months from September, validation in August
    t = shop(start="2010-12-01", days=375)
    t = pd.concat([t, t.iloc[:1].assign(InvoiceDate=pd.Timestamp("2011-12-09 12:50"))])
    val, test = recsys.splits_by_months(t, test_months=4)
    assert str(val.cutoff.date()) == recsys.VALIDATION_CUTOFF and str(test.cutoff.date()) == recsys.TEST_CUTOFF


# ------------------------------------------------------------------ the estimator convention
def split_and_texts():
    s = recsys.temporal_split(shop().assign(Description=lambda d: "THING " + d["StockCode"]), cutoff="2013-04-01")
    return s, recsys.item_descriptions(s.train, s.items)


@pytest.mark.parametrize("make", [recsys.Popularity, recsys.ItemKNN, lambda: recsys.EASE(l2=3.0)])
def test_fit_accepts_a_split_or_its_matrix(make):
    s, _ = split_and_texts()
    rows = np.arange(len(s.users))
    np.testing.assert_array_equal(make().fit(s).score(rows), make().fit(s.X).score(rows))


def test_repeat_buyer_fit_on_a_split_weighs_by_recency():
    s, _ = split_and_texts()
    W = recsys.recency_matrix(s.train, s.users, s.items, s.cutoff, half_life_days=30)
    a = recsys.RepeatBuyer(half_life_days=30).fit(s)
    np.testing.assert_array_equal(a.X_.toarray(), W.toarray())
    np.testing.assert_array_equal(a.score([0, 1]), recsys.RepeatBuyer().fit(W).score([0, 1]))
    np.testing.assert_array_equal(recsys.repeat_baseline(s, 30).score([0, 1]), a.score([0, 1]))


def test_fused_item_knn_takes_texts_in_fit():
    s, texts = split_and_texts()
    rows = np.arange(len(s.users))
    from_split = recsys.FusedItemKNN(alpha=0.3).fit(s).score(rows)
    np.testing.assert_array_equal(from_split, recsys.FusedItemKNN(alpha=0.3).fit(s.X, texts=texts).score(rows))
    sim = recsys.text_similarity(texts)
    np.testing.assert_array_equal(from_split, recsys.FusedItemKNN(alpha=0.3).fit(s.X, text_sim=sim).score(rows))
    # independent truth: the blend of the two similarities, by hand
    S = 0.3 * recsys.ItemKNN().fit(s.X).similarity_ + 0.7 * sim
    np.testing.assert_allclose(recsys.FusedItemKNN(alpha=0.3).fit(s).similarity_, S, rtol=1e-6)
    with pytest.raises(ValueError, match="needs the item descriptions"):
        recsys.FusedItemKNN().fit(s.X)
    with pytest.raises(ValueError, match="not both"):
        recsys.FusedItemKNN().fit(s.X, texts=texts, text_sim=sim)
    with pytest.raises(TypeError, match="fit argument now"):
        recsys.FusedItemKNN(texts).fit(s.X)  # the old call FusedItemKNN(texts, alpha)


def test_blend_blends_fitted_models_or_fits_clones():
    s, _ = split_and_texts()
    pop, ease = recsys.Popularity(), recsys.EASE(l2=2.0)
    with pytest.raises(NotFittedError, match=r"models\['pop'\].*not fitted"):
        recsys.Blend({"pop": pop, "ease": ease}, {"pop": 1.0, "ease": 1.0}).fit()
    b = recsys.Blend({"pop": pop, "ease": ease}, {"pop": 1.0, "ease": 3.0}).fit(s)
    assert not hasattr(pop, "X_") and not hasattr(ease, "X_")  # the parameters stay untouched
    fitted = recsys.Blend({"pop": pop.fit(s.X), "ease": ease.fit(s.X)}, {"pop": 1.0, "ease": 3.0}).fit()
    assert fitted.models_["pop"] is pop
    rows = np.arange(len(s.users))
    np.testing.assert_array_equal(b.score(rows), fitted.score(rows))

    def minmax(a):
        lo, hi = a.min(axis=1, keepdims=True), a.max(axis=1, keepdims=True)
        return (a - lo) / np.where(hi > lo, hi - lo, 1.0)
    hand = 1.0 * minmax(pop.score(rows).astype(float)) + 3.0 * minmax(ease.score(rows).astype(float))
    np.testing.assert_allclose(b.score(rows), hand)
    equal = recsys.Blend({"pop": pop, "ease": ease}).fit()  # default: weight 1 each
    np.testing.assert_allclose(equal.score(rows),
                               minmax(pop.score(rows).astype(float)) + minmax(ease.score(rows).astype(float)))


def test_item_knn_rating_fits_a_clone_of_its_baseline():
    base = cf.BaselinePredictor(reg_user=1.0, reg_item=1.0)
    m = cf.ItemKNNRating(k=2, baseline=base).fit(RATINGS)
    assert not hasattr(base, "mu_") and m.baseline_ is not base
    assert m.baseline_.mu_ == pytest.approx(RATINGS["rating"].mean())
    with pytest.raises(NotFittedError, match="call fit"):
        cf.ItemKNNRating().predict_one("u1", "i1")


def test_models_clone_and_grid_search_by_set_params():
    s, _ = split_and_texts()
    rows = np.arange(len(s.users))
    for l2 in (1.0, 10.0):
        tuned = clone(recsys.EASE()).set_params(l2=l2).fit(s)
        np.testing.assert_array_equal(tuned.score(rows), recsys.EASE(l2=l2).fit(s.X).score(rows))
    bad = recsys.EASE(l2=-1)  # constructing never validates ...
    assert bad.l2 == -1
    with pytest.raises(ValueError, match="l2 must be in"):
        bad.fit(s)  # ... fit does


def test_evaluation_table_per_user_metrics_are_evaluates():
    """The per-user metrics behind the table (scored once, ranked per protocol) equal those of
    ``evaluate`` (``recommend`` per protocol), and their means are the table's."""
    world = sim.RetailWorld(n_customers=200, n_items=40, seed=5)
    log = world.simulate_log(sim.BrowsePolicy(world, k=8, seed=5), days=90, seed=5)
    split = recsys.temporal_split(log, cutoff=str((log["InvoiceDate"].min() + pd.Timedelta(days=60)).date()))
    models = {"popularity": recsys.Popularity().fit(split), "item-kNN": recsys.ItemKNN(n_neighbors=10).fit(split),
              "EASE": recsys.EASE(l2=20.0).fit(split)}
    table, per_user = recsys.evaluation_table(models, split, n_boot=20, return_per_user=True)
    assert set(per_user) == {(p, m) for p in ("all", "new") for m in models}
    for (prot, name), got in per_user.items():
        want, _ = recsys.evaluate(models[name], split, prot, ks=(10, 20))
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
        means = table.query("protocol == @prot and model == @name").set_index("metric")["mean"]
        for metric, mean in means.items():
            assert got[metric].mean() == pytest.approx(mean, rel=1e-12)
    pd.testing.assert_frame_equal(recsys.evaluation_table(models, split, n_boot=20), table)


def test_recsys_package_only_reexports():
    import ast
    import inspect

    from retail_lab.recsys import evaluation

    tree = ast.parse(inspect.getsource(recsys))
    assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    for name in ("evaluate", "mean_metric", "recent_popularity", "repeat_baseline", "evaluation_table"):
        assert getattr(recsys, name) is getattr(evaluation, name)
    # neural.py must not import its own package (a hidden cycle): only submodules, by name
    src = ast.parse(inspect.getsource(recsys.neural))
    for node in ast.walk(src):
        if isinstance(node, ast.ImportFrom):
            assert not (node.level == 1 and node.module is None), "neural.py imports its own package"
            assert node.module != "retail_lab.recsys"


def test_book_settings_are_the_chapter_values():
    from retail_lab.recsys import neural

    assert neural.BOOK_SETTINGS is recsys.BOOK_SETTINGS
    assert recsys.BOOK_SETTINGS["BPRMF"] == dict(dim=64, l2=1e-6, learning_rate=1e-2, batch_size=4096, epochs=12,
                                                 patience=2, protocol="new")
    assert recsys.BOOK_SETTINGS["NeuMF"]["hidden"] == (64, 32)
    for name, kw in recsys.BOOK_SETTINGS.items():
        params = getattr(neural, name)(**kw, seed=0).get_params()
        assert {k: params[k] for k in kw} == kw
    for name, grid in recsys.BOOK_GRIDS.items():
        if name != "Blend":  # Blend's "weight" is the two-tower model's share, not a parameter
            assert set(grid) <= set(getattr(recsys, name)().get_params())
    assert recsys.EASE(**recsys.SIMULATED_SHOP_SETTINGS["EASE"]).l2 == 50.0
