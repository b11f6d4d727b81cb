"""Hostile input to the recommender package (issue 12): every trial gives a correct result or a
clear TypeError/ValueError that names the fault, never a silent wrong answer.

One tiny shop is built once per module; the Keras model (BPR-MF) is fitted once, with tiny
dimensions, so the whole file (Hypothesis included) runs in seconds.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retail_lab import recsys
from retail_lab.recsys import cf, neural

N_USERS, N_ITEMS = 12, 8
USER_IDS = [str(12346 + u) for u in range(N_USERS)]  # Online Retail's ids are strings of digits


def tiny_shop(seed=0):
    """Two groups of customers, each buying from its own half of the catalogue, by month."""
    rng = np.random.default_rng(seed)
    rows = []
    for u, cid in enumerate(USER_IDS):
        own = np.arange(0, N_ITEMS // 2) + (N_ITEMS // 2) * (u % 2)
        for m, day in enumerate(sorted(rng.choice(240, size=6, replace=False))):
            item = own[(u + m) % len(own)]
            rows.append((f"I{u}-{m}", f"P{item:03d}", f"ITEM {item}", 1,
                         pd.Timestamp("2011-01-01") + pd.Timedelta(days=int(day)), 1.0, cid, "France"))
    rows.append(("T1", "P000", "ITEM 0", 1, pd.Timestamp("2011-10-01"), 1.0, USER_IDS[0], "France"))
    return pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                       "UnitPrice", "CustomerID", "Country"])


@pytest.fixture(scope="module")
def split():
    return recsys.temporal_split(tiny_shop(), cutoff="2011-09-01")


@pytest.fixture(scope="module")
def bpr(split):
    return neural.BPRMF(dim=4, epochs=2, batch_size=32, learning_rate=0.05, seed=0).fit(split)


@pytest.fixture(scope="module")
def service(split, bpr):
    return recsys.RecommendationService(bpr, split.users, split.items,
                                        descriptions=recsys.item_descriptions(split.train, split.items))


def expected_items(model, split, row, k):
    """Independent truth: stable sort of the model's scores with bought items removed."""
    s = np.asarray(model.score([row]), dtype=float)[0].copy()
    seen = split.X[row].toarray().ravel() > 0
    order = [i for i in np.argsort(-s, kind="stable") if not seen[i]]
    return list(split.items[order[:k]])


# ------------------------------------------------------------------ serving: customer ids
def test_split_uses_string_ids(split):
    assert list(split.users) == USER_IDS and isinstance(split.users[0], str)


@pytest.mark.parametrize("form", [12347, "12347", 12347.0, np.int64(12347), np.float32(12347.0),
                                  " 12347 ", "12347.0"])
def test_known_customer_in_any_form_is_recognised(service, split, bpr, form):
    out = service.recommend(form, k=3)
    assert (out["source"] == "model").all() and out.attrs["customer_id"] == "12347"
    assert list(out["StockCode"]) == expected_items(bpr, split, USER_IDS.index("12347"), 3)


@pytest.mark.parametrize("bad, exc, words", [
    (True, TypeError, "bool"), (np.False_, TypeError, "bool"), (None, ValueError, "missing"),
    (float("nan"), ValueError, "missing"), (pd.NA, ValueError, "missing"), (12347.5, ValueError, "whole"),
    (float("inf"), ValueError, "whole"), ("", ValueError, "empty"), ("   ", ValueError, "empty"),
    (b"12347", TypeError, "str or an int"), ([12347], TypeError, "str or an int"),
    (pd.Timestamp("2011-01-01"), TypeError, "str or an int"),
])
def test_bad_customer_ids_are_refused(service, bad, exc, words):
    with pytest.raises(exc, match=words):
        service.recommend(bad, k=3)


@pytest.mark.parametrize("unknown, shown", [(99999, "'99999'"), ("00000", "'00000'"), ("012347", "'012347'"),
                                            ("克里斯", "'克里斯'"), (-5, "'-5'")])
def test_unknown_customer_gets_flagged_popularity(service, split, unknown, shown):
    out = service.recommend(unknown, k=4)
    assert out["source"].str.startswith("popularity fallback: unknown customer").all()
    assert shown in out["source"].iloc[0] and out.attrs["source"] == out["source"].iloc[0]
    counts = np.asarray((split.X > 0).sum(axis=0)).ravel()
    assert list(out["StockCode"]) == list(split.items[np.argsort(-counts, kind="stable")[:4]])


def test_integer_id_index_accepts_strings_and_floats(split):
    model = recsys.ItemKNN().fit(split.X)
    users = pd.Index([int(u) for u in split.users])
    svc = recsys.RecommendationService(model, users, split.items)
    ref = svc.recommend(12347, k=3)
    for form in ("12347", 12347.0, " 12347", "12347.0"):
        pd.testing.assert_frame_equal(svc.recommend(form, k=3), ref)
    assert (ref["source"] == "model").all()
    assert svc.recommend("abc", k=2)["source"].str.contains("unknown customer 'abc'").all()


# ------------------------------------------------------------------ serving: k
@pytest.mark.parametrize("bad", [0, -1, -10**30, 2.5, 3.0, "10", True, None, float("nan"), [3]])
def test_bad_k_is_refused(service, bad):
    with pytest.raises(ValueError, match="positive integer"):
        service.recommend("12347", k=bad)


def test_huge_k_is_clipped_to_what_can_be_shown(service, split):
    row = USER_IDS.index("12347")
    unseen = N_ITEMS - int(split.X[row].sum())
    for k in (10**30, np.int64(2**62), N_ITEMS + 1):
        out = service.recommend("12347", k=k)
        assert len(out) == unseen and out["StockCode"].is_unique and out.attrs["k_requested"] == int(k)
        bought = set(split.train.loc[split.train["CustomerID"] == "12347", "StockCode"])
        assert not bought & set(out["StockCode"])
    assert len(service.recommend("99999", k=10**30)) == N_ITEMS  # fallback: the whole catalogue


def test_customer_who_bought_everything_gets_an_empty_flagged_list():
    X = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 0]], dtype=float))
    svc = recsys.RecommendationService(recsys.Popularity().fit(X), pd.Index(["a", "b"]), pd.Index(["x", "y", "z"]))
    out = svc.recommend("a", k=2)
    assert len(out) == 0 and out.attrs["source"] == "model" and out.attrs["customer_id"] == "a"
    assert list(svc.recommend("b", k=5)["StockCode"]) == ["y", "z"]


def test_service_construction_checks(split, bpr):
    with pytest.raises(ValueError, match="unique"):
        recsys.RecommendationService(bpr, pd.Index(USER_IDS[:-1] + USER_IDS[:1]), split.items)
    with pytest.raises(ValueError, match="descriptions"):
        recsys.RecommendationService(bpr, split.users, split.items, descriptions=["a"])
    with pytest.raises(TypeError, match="Recommender"):
        recsys.RecommendationService(object(), split.users, split.items)
    svc = recsys.RecommendationService(bpr, split.users, split.items)
    with pytest.raises(TypeError, match="sequence"):
        svc.latency("12347")


# ------------------------------------------------------------------ serving: property test
known_forms = st.sampled_from(USER_IDS).flatmap(
    lambda u: st.sampled_from([u, int(u), float(u), f" {u} ", f"{u}.0", np.int64(int(u))]))
any_id = st.one_of(known_forms, st.integers(min_value=-10**25, max_value=10**25), st.text(max_size=8),
                   st.floats(allow_nan=True, allow_infinity=True), st.none(), st.booleans(),
                   st.binary(max_size=4), st.lists(st.integers(), max_size=2))
any_k = st.one_of(st.integers(min_value=-10**20, max_value=10**20), st.integers(1, N_ITEMS + 2),
                  st.floats(allow_nan=True), st.text(max_size=3), st.booleans(), st.none())


OUTCOMES: list = []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.one_of(st.tuples(any_id, any_k),  # anything at all
                      st.tuples(known_forms, st.integers(1, N_ITEMS + 2)),  # known customers, valid k
                      st.tuples(st.one_of(st.integers(), st.text(min_size=1)), st.integers(1, 10**20))))
def test_service_property_any_id_any_k(service, split, bpr, case):
    user_id, k = case
    try:
        out = service.recommend(user_id, k)
    except (TypeError, ValueError) as err:
        assert str(err), "an error must say what is wrong"
        OUTCOMES.append("error")
        return
    OUTCOMES.append(out.attrs["source"][:5])
    # accepted: k was a positive int, the id a str/int/whole float
    assert isinstance(k, int) and not isinstance(k, bool) and k >= 1
    assert list(out.columns) == ["rank", "StockCode", "Description", "source"]
    assert out["StockCode"].is_unique and set(out["StockCode"]) <= set(split.items)
    assert list(out["rank"]) == list(range(1, len(out) + 1))
    cid = out.attrs["customer_id"]
    if cid in USER_IDS:
        row = USER_IDS.index(cid)
        assert (out["source"] == "model").all()
        assert list(out["StockCode"]) == expected_items(bpr, split, row, k)
        # the canonical id is what a person meant: the digits of the int/float/string
        assert str(int(float(str(user_id).strip()))) == cid
    else:
        assert len(out) == min(k, N_ITEMS)
        assert out["source"].str.startswith(f"popularity fallback: unknown customer {cid!r}").all()


# ------------------------------------------------------------------ model.recommend / score rows
def fitted_models(split, bpr):
    pop = recsys.Popularity().fit(split.X)
    return {"Popularity": pop, "ItemKNN": recsys.ItemKNN().fit(split.X), "EASE": recsys.EASE(10.0).fit(split.X),
            "RepeatBuyer": recsys.RepeatBuyer().fit(split.X),
            "Blend": recsys.Blend({"pop": pop, "bpr": bpr}, {"pop": 0.5, "bpr": 0.5}).fit(), "BPRMF": bpr}


@pytest.mark.parametrize("rows, exc, words", [
    ([-1], ValueError, "outside"), ([N_USERS], ValueError, "outside"), ([0, 10**30], ValueError, "outside"),
    ([2.7], TypeError, "integers"), ([2.0], TypeError, "integers"), ([np.nan], TypeError, "integers"),
    (["12346"], TypeError, "not customer ids"), ([True], TypeError, "bool"), ([0, True], TypeError, "bool"),
    (np.array([1, 2], dtype=object).tolist() + ["x"], TypeError, "integers"),
    (3, TypeError, "single value"), ("12346", TypeError, "single value"), ([[0, 1]], ValueError, "1-D"),
])
def test_rows_are_validated_by_every_model(split, bpr, rows, exc, words):
    for name, model in fitted_models(split, bpr).items():
        with pytest.raises(exc, match=words):
            model.recommend(rows, k=3)
        with pytest.raises(exc, match=words):
            model.score(rows)


def test_empty_rows_give_empty_results(split, bpr):
    for name, model in fitted_models(split, bpr).items():
        assert model.recommend([], k=3).shape == (0, 3), name
        assert model.recommend(np.array([], dtype=int), k=100).shape == (0, N_ITEMS), name
        assert model.score([]).shape == (0, N_ITEMS), name


def test_valid_rows_in_any_integer_form_agree(split, bpr):
    ref = bpr.recommend([0, 5], k=3)
    for rows in (np.array([0, 5], dtype=np.uint8), [np.int64(0), 5], pd.Index([0, 5]), range(0, 6, 5)):
        np.testing.assert_array_equal(bpr.recommend(rows, k=3), ref)


def test_recommend_k_and_exclude_seen_checks(split, bpr):
    pop = recsys.Popularity().fit(split.X)
    for bad in (0, -1, 2.5, "3", True, None):
        with pytest.raises(ValueError, match="positive integer"):
            pop.recommend([0], k=bad)
    assert pop.recommend([0], k=10**30).shape == (1, N_ITEMS)
    np.testing.assert_array_equal(pop.recommend([0], k=3, exclude_seen=np.True_),
                                  pop.recommend([0], k=3, exclude_seen=True))
    with pytest.raises(ValueError, match="shape"):
        pop.recommend([0], k=3, exclude_seen=sp.csr_matrix((2, 2)))
    with pytest.raises(TypeError, match="exclude_seen"):
        pop.recommend([0], k=3, exclude_seen="yes")
    with pytest.raises(ValueError, match="shape"):
        pop.rank(np.zeros((2, N_ITEMS)), [0], k=3)
    with pytest.raises(ValueError, match="NaN"):
        pop.rank(np.full((1, N_ITEMS), np.nan), [0], k=3)


# ------------------------------------------------------------------ interaction matrices
@pytest.mark.parametrize("X, exc, words", [
    (np.array([[1.0, np.nan]]), ValueError, "NaN"), (np.array([[1.0, np.inf]]), ValueError, "infinite"),
    (np.array([[1.0, -1.0]]), ValueError, "negative"), (np.array([["a", "b"]]), TypeError, "numbers"),
    (np.zeros((0, 3)), ValueError, "at least one"), (np.zeros((3, 0)), ValueError, "at least one"),
    (np.array([1.0, 2.0]), TypeError, "2-D"), (sp.csr_matrix(np.array([[np.nan, 1.0]])), ValueError, "NaN"),
])
def test_bad_interaction_matrices_are_refused(X, exc, words):
    for model in (recsys.Popularity(), recsys.ItemKNN(), recsys.EASE(), recsys.RepeatBuyer()):
        with pytest.raises(exc, match=words):
            model.fit(X)


def test_one_user_and_bool_matrices_work():
    X = np.array([[True, False, True]])
    for model in (recsys.Popularity(), recsys.ItemKNN(), recsys.EASE(1.0), recsys.RepeatBuyer()):
        assert model.fit(X).recommend([0], k=5).shape == (1, 3)
    # fitting never modifies the caller's matrix
    M = sp.csr_matrix(np.array([[3.0, 0.0, 2.0]]))
    recsys.ItemKNN().fit(M)
    assert M.toarray().tolist() == [[3.0, 0.0, 2.0]]


@pytest.mark.parametrize("make, texts, words", [
    (lambda: recsys.ItemKNN(n_neighbors=0), None, "n_neighbors"),
    (lambda: recsys.ItemKNN(n_neighbors=2.5), None, "n_neighbors"),
    (lambda: recsys.ItemKNN(n_neighbors=True), None, "n_neighbors"),
    (lambda: recsys.ItemKNN(n_neighbors="5"), None, "n_neighbors"),
    (lambda: recsys.EASE(l2=float("nan")), None, "l2"), (lambda: recsys.EASE(l2=float("inf")), None, "l2"),
    (lambda: recsys.EASE(l2="1"), None, "l2"), (lambda: recsys.EASE(l2=-1), None, "l2"),
    (lambda: recsys.RepeatBuyer(half_life_days=0), None, "half_life_days"),
    (lambda: recsys.FusedItemKNN(alpha=float("nan")), ["a"], "alpha"),
    (lambda: recsys.FusedItemKNN(), "abc", "texts"), (lambda: recsys.FusedItemKNN(alpha="0.5"), ["a"], "alpha"),
    (lambda: recsys.FusedItemKNN(["a"]), ["a"], "alpha"),  # the old FusedItemKNN(texts) call
])
def test_bad_model_parameters_are_refused_in_fit(split, make, texts, words):
    model = make()  # constructing only stores the parameters
    data = split if texts is None else np.ones((2, 1))
    kwargs = {} if texts is None else {"texts": texts}
    with pytest.raises((TypeError, ValueError), match=words):
        model.fit(data, **kwargs)


def test_blend_refuses_bad_weights_and_mismatched_models(split):
    pop = recsys.Popularity().fit(split.X)
    for bad in (float("nan"), float("inf"), "1", None):
        with pytest.raises((TypeError, ValueError), match="weight"):
            recsys.Blend({"pop": pop}, {"pop": bad}).fit()
    with pytest.raises(ValueError, match="every weight is 0"):
        recsys.Blend({"pop": pop}, {"pop": 0.0}).fit()
    other = recsys.Popularity().fit(np.ones((2, 2)))
    with pytest.raises(ValueError, match="different"):
        recsys.Blend({"pop": pop, "other": other}, {"pop": 1.0, "other": 1.0}).fit()
    with pytest.raises(NotFittedError, match="not fitted"):
        recsys.Blend({"x": recsys.ItemKNN()}, {"x": 1.0}).fit()
    with pytest.raises(ValueError, match="unknown"):
        recsys.Blend({"pop": pop}, {"knn": 1.0}).fit()
    with pytest.raises(TypeError, match="not a retail_lab Recommender"):
        recsys.Blend({"pop": "popularity"}).fit()
    with pytest.raises(ValueError, match="models must be a non-empty dict"):
        recsys.Blend({}).fit()
    with pytest.raises(NotFittedError, match="Blend instance is not fitted"):
        recsys.Blend({"pop": pop}).score([0])


def test_fused_item_knn_checks_text_similarity(split):
    texts = recsys.item_descriptions(split.train, split.items)
    with pytest.raises(ValueError, match="shape"):
        recsys.FusedItemKNN().fit(split.X, text_sim=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        recsys.FusedItemKNN().fit(split.X, text_sim=np.full((N_ITEMS, N_ITEMS), np.nan))
    assert recsys.text_similarity(["", None, float("nan")]).tolist() == np.zeros((3, 3)).tolist()


# ------------------------------------------------------------------ data helpers
def test_ids_of_another_type_are_not_silently_dropped(split):
    tx = tiny_shop()
    as_float = tx.assign(CustomerID=tx["CustomerID"].astype(float))
    with pytest.raises(ValueError, match="different types"):
        recsys.interaction_matrix(as_float, split.users, split.items)
    with pytest.raises(ValueError, match="unique"):
        recsys.interaction_matrix(tx, pd.Index(["12346", "12346"]), split.items)
    with pytest.raises(ValueError, match="misses column"):
        recsys.interaction_matrix(tx.drop(columns="StockCode"), split.users, split.items)
    assert recsys.interaction_matrix(tx.iloc[:0], split.users, split.items).nnz == 0  # empty lines: empty matrix


def test_recency_matrix_and_split_checks():
    tx = tiny_shop()
    users, items = pd.Index(USER_IDS), pd.Index(sorted(tx["StockCode"].unique()))
    for bad in (float("nan"), float("inf"), 0, -3, "30"):
        with pytest.raises((TypeError, ValueError), match="half_life_days"):
            recsys.recency_matrix(tx, users, items, "2012-01-01", half_life_days=bad)
    with pytest.raises(ValueError, match="InvoiceDate"):
        recsys.recency_matrix(tx.assign(InvoiceDate=pd.NaT), users, items, "2012-01-01")
    with pytest.raises(ValueError, match="cutoff"):
        recsys.recency_matrix(tx, users, items, None)
    with pytest.raises(TypeError, match="to_datetime"):
        recsys.temporal_split(tx.assign(InvoiceDate=tx["InvoiceDate"].astype(str)), cutoff="2011-09-01")
    with pytest.raises(ValueError, match="cutoff"):
        recsys.temporal_split(tx, cutoff="not a date")
    with pytest.raises(ValueError, match="after cutoff"):
        recsys.temporal_split(tx, cutoff="2011-09-01", end="2011-08-01")
    with pytest.raises(ValueError, match="StockCode"):
        recsys.temporal_split(tx.assign(StockCode=tx["StockCode"].where(tx.index != 0)), cutoff="2011-09-01")
    with pytest.raises(TypeError, match="DataFrame"):
        recsys.temporal_split(tx.to_dict(), cutoff="2011-09-01")


# ------------------------------------------------------------------ rating-scale CF
def test_rating_cf_checks():
    R = cf.TOY_RATINGS
    with pytest.raises(TypeError, match="numeric"):
        cf.BaselinePredictor().fit(R.assign(rating=R["rating"].astype(str)))
    with pytest.raises(ValueError, match="infinite"):
        cf.BaselinePredictor().fit(R.assign(rating=R["rating"].astype(float).where(R.index != 0, np.inf)))
    with pytest.raises(ValueError, match="without a user"):
        cf.BaselinePredictor().fit(R.assign(user=R["user"].where(R.index != 0, None)))
    for kw in ({"reg_user": -1}, {"reg_item": float("nan")}, {"n_iter": 0}, {"n_iter": 2.5}):
        with pytest.raises((TypeError, ValueError), match=next(iter(kw))):
            cf.BaselinePredictor(**kw).fit(R)
    b = cf.BaselinePredictor().fit(R)
    with pytest.raises(ValueError, match="same length"):
        b.predict(["u1", "u2"], ["i1"])
    for bad in (0, 2.5, True, "3"):
        with pytest.raises((TypeError, ValueError), match="k"):
            cf.ItemKNNRating(k=bad).fit(R)
    with pytest.raises(TypeError, match="baseline"):
        cf.ItemKNNRating(baseline="ridge").fit(R)
    knn = cf.ItemKNNRating(k=2).fit(R)
    with pytest.raises(ValueError, match="same length"):
        knn.predict(["u1", "u2"], ["i1"])
    with pytest.raises(NotFittedError, match="not fitted"):
        cf.ItemKNNRating().predict_one("u1", "i1")
    with pytest.raises(ValueError, match="finite"):
        cf.article_score(4.0, 3.5, [np.nan], [1])
    with pytest.raises((TypeError, ValueError)):
        cf.article_score(float("inf"), 3.5, [0.8], [1])


# ------------------------------------------------------------------ Keras recommenders
@pytest.mark.parametrize("make, words", [
    (lambda: neural.BPRMF(dim=0), "dim"), (lambda: neural.BPRMF(dim=2.5), "dim"),
    (lambda: neural.BPRMF(l2=-1.0), "l2"), (lambda: neural.BPRMF(l2=float("nan")), "l2"),
    (lambda: neural.BPRMF(learning_rate=float("inf")), "learning_rate"),
    (lambda: neural.BPRMF(learning_rate=float("nan")), "learning_rate"),
    (lambda: neural.BPRMF(learning_rate="0.1"), "learning_rate"),
    (lambda: neural.BPRMF(learning_rate=0), "learning_rate"),
    (lambda: neural.BPRMF(seed=-1), "seed"), (lambda: neural.BPRMF(seed=2.5), "seed"),
    (lambda: neural.BPRMF(seed=True), "seed"), (lambda: neural.BPRMF(epochs=0), "epochs"), (lambda: neural.BPRMF(batch_size=0), "batch_size"),
    (lambda: neural.NeuMF(hidden=()), "hidden"), (lambda: neural.NeuMF(hidden=64), "hidden"),
    (lambda: neural.NeuMF(hidden=(0,)), "hidden"), (lambda: neural.NeuMF(negatives=0), "negatives"),
    (lambda: neural.TwoTower(dropout=1.0), "dropout"), (lambda: neural.TwoTower(dropout=-0.1), "dropout"),
    (lambda: neural.TwoTower(span_days=0), "span_days"), (lambda: neural.TwoTower(half_life_days=0), "half_life_days"),
    (lambda: neural.SASRec(dim=2, heads=4), "heads"), (lambda: neural.SASRec(max_len=0), "max_len"),
    (lambda: neural.SASRec(max_len=5, train_positions=6), "train_positions"),
    (lambda: neural.BPRMF(protocol="everything"), "protocol"), (lambda: neural.SASRec(protocol=None), "protocol"),
])
def test_keras_parameters_are_refused_in_fit(split, make, words):
    model = make()  # constructing only stores the parameters
    with pytest.raises((TypeError, ValueError), match=words):
        model.fit(split)  # refused before TensorFlow is even touched


def test_keras_fit_checks_its_input(split):
    with pytest.raises(TypeError, match="RecSplit"):
        neural.BPRMF(dim=2, epochs=1).fit(split.X)
    with pytest.raises(TypeError, match="validate"):
        neural.BPRMF(dim=2, epochs=1).fit(split, validate="yes")


def test_bpr_with_a_customer_who_bought_everything_terminates():
    tx = tiny_shop()
    everything = pd.DataFrame({"InvoiceNo": "X", "StockCode": sorted(tx["StockCode"].unique()), "Description": "",
                               "Quantity": 1, "InvoiceDate": pd.Timestamp("2011-02-01"), "UnitPrice": 1.0,
                               "CustomerID": "99999", "Country": "France"})
    s = recsys.temporal_split(pd.concat([tx, everything], ignore_index=True), cutoff="2011-09-01")
    m = neural.BPRMF(dim=2, epochs=1, batch_size=64).fit(s)
    assert m.n_pairs_without_negative_ == N_ITEMS
    full = pd.DataFrame({"InvoiceNo": "X", "StockCode": ["P000"] * 2, "Description": "", "Quantity": 1,
                         "InvoiceDate": pd.Timestamp("2011-02-01"), "UnitPrice": 1.0, "CustomerID": ["a", "b"],
                         "Country": "France"})
    test_line = full.iloc[:1].assign(InvoiceDate=pd.Timestamp("2011-10-01"))
    one_item = recsys.temporal_split(pd.concat([full, test_line], ignore_index=True), cutoff="2011-09-01")
    with pytest.raises(ValueError, match="every user bought every item"):
        neural.BPRMF(dim=2, epochs=1).fit(one_item)


def test_diverging_training_is_an_error_not_nan_scores(split):
    with pytest.raises(ValueError, match="diverged"):
        neural.BPRMF(dim=4, epochs=3, batch_size=8, learning_rate=1e30, l2=1e30).fit(split)


# ------------------------------------------------------------------ saved models
@pytest.fixture(scope="module")
def saved(bpr, tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "bpr.keras"
    bpr.save(path)
    return path


def test_save_is_atomic_and_marked(saved, bpr):
    assert sorted(os.listdir(saved.parent)) == ["bpr.keras"]  # no temporary file left behind
    mark = neural.read_marker(saved)
    assert mark["class"] == "BPRMF" and mark["n_users"] == N_USERS and mark["n_items"] == N_ITEMS
    with pytest.raises(FileNotFoundError, match="does not exist"):
        bpr.save(saved.parent / "no_such_folder" / "m.keras")
    with pytest.raises(ValueError, match=".keras"):
        bpr.save(saved.parent / "m.h5")


def test_loaded_bpr_scores_are_identical(saved, bpr):
    loaded = neural.load_model(saved, expected=neural.BPRMF)
    rows = np.arange(N_USERS)
    np.testing.assert_array_equal(bpr.score_with(loaded, rows), bpr.score(rows))
    with pytest.raises(ValueError, match="not the expected NeuMF"):
        neural.load_model(saved, expected="NeuMF")
    with pytest.raises(ValueError, match="expected must be"):
        neural.load_model(saved, expected="LinearRegression")


def test_broken_files_give_errors_that_name_the_fault(saved, tmp_path):
    data = saved.read_bytes()
    cases = {"truncated.keras": (data[: len(data) // 2], "truncated"), "empty.keras": (b"", "empty"),
             "text.keras": (b"hello, this is not a model", "truncated or corrupt")}
    for name, (content, words) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=words):
            neural.load_model(tmp_path / name)
    # a flipped byte inside the weights: the archive's checksum catches it
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    bad = bytearray(data)
    bad[start] ^= 0xFF
    (tmp_path / "flipped.keras").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="corrupt"):
        neural.load_model(tmp_path / "flipped.keras")
    with pytest.raises(FileNotFoundError, match="nothere.keras"):
        neural.load_model(tmp_path / "nothere.keras")
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="directory"):
        neural.load_model(tmp_path / "dir.keras")
    with pytest.raises(ValueError, match=".keras"):
        neural.load_model(tmp_path / "model.h5")
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not a Keras model file"):
        neural.load_model(tmp_path / "other.keras")


def test_foreign_or_altered_keras_files_are_refused(saved, bpr, tmp_path):
    keras = neural._keras()
    foreign = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    foreign.save(tmp_path / "foreign.keras")
    with pytest.raises(ValueError, match="not one saved by a retail_lab"):
        neural.load_model(tmp_path / "foreign.keras")
    with pytest.raises(ValueError, match="scores with"):
        bpr.score_with(foreign, [0])
    altered = tmp_path / "altered.keras"
    altered.write_bytes(saved.read_bytes())
    with zipfile.ZipFile(altered, "a") as zf:
        zf.comment = b"{not json"
    with pytest.raises(ValueError, match="damaged"):
        neural.load_model(altered)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_says_permission_not_delete(saved, tmp_path):
    p = tmp_path / "locked.keras"
    p.write_bytes(saved.read_bytes())
    p.chmod(0)
    try:
        with pytest.raises(PermissionError, match="permission") as err:
            neural.load_model(p)
        assert "delete" not in str(err.value).lower()
    finally:
        p.chmod(0o600)


# ---- metrics, model selection and split checks (lead's additions) ----------------------------

@pytest.mark.parametrize("k", [2.5, True, "10", None])
def test_metric_k_must_be_a_positive_integer(k):
    from retail_lab.recsys import metrics

    with pytest.raises((TypeError, ValueError), match="k must be"):
        metrics.ndcg_at_k([[0, 1]], [{1}], k)


@pytest.mark.parametrize("metric", ["NDCG", "NDCG@", "NDCG@0", "ndcg@10", "AUC@10", "NDCG@x"])
def test_mean_metric_names_the_expected_form(metric):
    from retail_lab import recsys

    with pytest.raises(ValueError, match="metric must look like"):
        recsys.mean_metric(None, None, "new", metric)


@pytest.mark.parametrize("days", [0, -3, float("nan"), float("inf"), True, "30"])
def test_recent_popularity_rejects_bad_windows(days):
    from retail_lab import recsys

    with pytest.raises(ValueError, match="days must be"):
        recsys.recent_popularity(None, days)


def test_leakage_check_is_explicit_not_an_assert():
    import pandas as pd

    from retail_lab.recsys.data import check_no_leakage

    class S:
        cutoff = pd.Timestamp("2011-09-01")
        train = pd.DataFrame({"InvoiceDate": pd.to_datetime(["2011-08-31", "2011-09-01"])})
        test = pd.DataFrame({"InvoiceDate": pd.to_datetime(["2011-09-02"])})

    with pytest.raises(RuntimeError, match="training line at or after the cutoff"):
        check_no_leakage(S)
    S.train = S.train.iloc[:1]
    check_no_leakage(S)  # clean
    with pytest.raises(RuntimeError, match="end of its period"):
        check_no_leakage(S, end="2011-09-02")
