"""Keras recommenders, blending and serving, on a small synthetic shop with planted structure.

Two customer groups each buy only from their own half of the catalogue, in a fixed order
within the half (so there is sequence structure for SASRec). A model that learned anything
ranks the user's own half first; random ranking finds a relevant item at chance.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from retail_lab import recsys, set_seed
from retail_lab.recsys import neural


def synthetic_shop(n_users=60, n_items=40, n_days=300, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2011-01-01")
    half = n_items // 2
    for u in range(n_users):
        group = u % 2
        own = np.arange(group * half, (group + 1) * half)
        pos = rng.integers(0, half)
        for day in np.sort(rng.choice(n_days, size=12, replace=False)):
            for _ in range(3):
                item = own[pos % half]
                pos += 1
                rows.append((f"I{u}-{day}", f"P{item:03d}", f"{'RED' if group == 0 else 'BLUE'} ITEM {item}",
                             1, start + pd.Timedelta(days=int(day)), 1.0 + item % 5, f"C{u:03d}",
                             "United Kingdom" if u % 3 else "France"))
    tx = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                     "UnitPrice", "CustomerID", "Country"])
    return tx


@pytest.fixture(scope="module")
def split():
    return recsys.temporal_split(synthetic_shop(), cutoff="2011-09-01")


def _ndcg(model, split, protocol="new"):
    per_user, _ = recsys.evaluate(model, split, protocol)
    return per_user["NDCG@10"].mean()


class Random(recsys.Recommender):
    def __init__(self, seed=0):
        self.seed = seed

    def fit(self, X):
        self.X_ = X
        return self

    def score(self, rows):
        return np.random.default_rng(self.seed).random((len(rows), self.X_.shape[1]))


FAST = dict(epochs=25, patience=25, seed=0)
MODELS = {
    "BPRMF": lambda: neural.BPRMF(dim=8, batch_size=64, learning_rate=0.02, **FAST),
    "NeuMF": lambda: neural.NeuMF(dim=8, hidden=(16,), batch_size=128, learning_rate=0.01, **FAST),
    "TwoTower": lambda: neural.TwoTower(dim=8, hidden=16, horizon_days=30, every_days=15, span_days=200,
                                        batch_size=32, learning_rate=0.01, **FAST),
    "SASRec": lambda: neural.SASRec(max_len=10, dim=16, batch_size=16, learning_rate=0.01, **FAST),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_models_beat_random_on_planted_structure(split, name):
    set_seed(0)
    model = MODELS[name]().fit(split)
    rand = np.mean([_ndcg(Random(s).fit(split.X), split) for s in range(5)])
    got = _ndcg(model, split)
    assert got > rand + 0.2, f"{name}: NDCG@10 {got:.3f} vs random {rand:.3f}"
    assert model.n_params_ > 0 and model.train_seconds_ > 0
    h = model.history_
    assert isinstance(h, pd.DataFrame) and h.index.name == "epoch" and list(h.index) == list(range(1, 26))
    assert list(h.columns) == ["train_loss", "seconds"]
    assert model.score(np.arange(3)).shape == (3, len(split.items))


def test_early_stopping_keeps_best_epoch(split):
    set_seed(0)
    m = neural.BPRMF(dim=8, batch_size=64, learning_rate=0.02, epochs=30, patience=2).fit(split, validate=True)
    h = m.history_
    assert "val_ndcg@10" in h
    assert h.index.name == "epoch" and m.best_epoch_ == int(h["val_ndcg@10"].idxmax())
    assert len(h) <= 30 and len(h) - m.best_epoch_ <= 2
    # the restored weights are the best epoch's: re-evaluating gives its validation score
    assert _ndcg(m, split) == pytest.approx(h["val_ndcg@10"].max())
    assert m.refit_params() == {**m.get_params(), "epochs": m.best_epoch_}
    assert clone(m).set_params(epochs=m.best_epoch_).get_params() == m.refit_params()


def test_validation_protocol_is_a_hyperparameter(split):
    set_seed(0)
    m = neural.BPRMF(dim=8, batch_size=64, learning_rate=0.02, epochs=4, patience=4, protocol="all")
    m.fit(split, validate=True)
    # the recorded validation score is NDCG@10 under the "all" protocol (independent: evaluate)
    assert _ndcg(m, split, "all") == pytest.approx(m.history_["val_ndcg@10"].max())
    assert m.refit_params()["protocol"] == "all"


def test_two_tower_save_load_round_trip(tmp_path, split):
    set_seed(0)
    m = MODELS["TwoTower"]().fit(split)
    path = tmp_path / "two_tower.keras"
    m.save(path)
    loaded = neural.load_model(path)
    for w_loaded, w in zip(loaded.get_weights(), m.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(w_loaded, w)  # the round trip keeps every weight exactly
    x = m.scoring_inputs(np.arange(len(split.users)))
    # The same weights in a second traced graph: equal up to float32 rounding. Open defect, as
    # in the conformance case: late in a long test process (seen once, on a pytest-xdist
    # worker) a quarter of the two-tower's scores differed in the last bit (1 ulp, 2e-6).
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.model_.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.score(np.arange(len(split.users))), atol=1e-5)
    with pytest.raises(ValueError, match=".keras"):
        m.save(tmp_path / "model.h5")


def test_sasrec_save_load_round_trip(tmp_path, split):
    set_seed(0)
    m = neural.SASRec(max_len=10, dim=16, epochs=2).fit(split)
    path = tmp_path / "sasrec.keras"
    m.save(path)
    loaded = neural.load_model(path)
    x = m._score_x[:5]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.model_.predict(x, verbose=0))


TINY = {
    "BPRMF": lambda: neural.BPRMF(dim=4, epochs=1, batch_size=256),
    "NeuMF": lambda: neural.NeuMF(dim=4, hidden=(4,), negatives=1, epochs=1, batch_size=1024),
    "TwoTower": lambda: neural.TwoTower(dim=4, hidden=4, every_days=30, span_days=120, epochs=1, batch_size=256),
    "SASRec": lambda: neural.SASRec(max_len=5, dim=4, heads=1, train_positions=2, epochs=1, batch_size=256),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_keras_model_round_trips_with_identical_scores(tmp_path, split, name):
    """Issue 12: a saved BPR-MF could not be loaded; now all four load, checked, and score the same."""
    set_seed(0)
    m = TINY[name]().fit(split)
    path = tmp_path / f"{name}.keras"
    m.save(path)
    loaded = neural.load_model(path, expected=type(m))
    assert loaded.name == m.keras_name and neural.read_marker(path)["class"] == name
    rows = np.arange(len(split.users))
    np.testing.assert_array_equal(m.score_with(loaded, rows), m.score(rows))
    other = "SASRec" if name != "SASRec" else "BPRMF"
    with pytest.raises(ValueError, match=f"not the expected {other}"):
        neural.load_model(path, expected=other)


def test_purchase_sequences_keep_last_purchase_order():
    tx = pd.DataFrame({"CustomerID": ["a"] * 4, "StockCode": ["x", "y", "x", "z"],
                       "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-01-02", "2011-01-03", "2011-01-04"])})
    seqs = neural.purchase_sequences(tx, pd.Index(["a", "b"]), pd.Index(["x", "y", "z"]))
    assert seqs[0].tolist() == [1, 0, 2] and len(seqs[1]) == 0


def test_next_period_examples_never_cross_the_cutoff(split):
    H, Y, rows, dates = neural.next_period_examples(split, horizon_days=30, every_days=15, span_days=200)
    assert H.shape == Y.shape and len(rows) == H.shape[0] == len(dates)
    assert (pd.to_datetime(dates) + pd.Timedelta(days=30)).max() <= split.cutoff
    assert (np.diff(Y.indptr) > 0).all() and (np.diff(H.indptr) > 0).all()


def test_user_and_item_features(split):
    f = neural.user_features(split.train, split.users.append(pd.Index(["nobody"])), split.cutoff)
    assert f.loc["nobody", "country"] == "unknown" and f.loc["nobody", "log_frequency"] == 0
    assert set(f["country"]) == {"United Kingdom", "France", "unknown"}
    band, tokens, vocab = neural.item_features(split.train, split.items, n_price_bands=4)
    assert band.shape == (len(split.items),) and band.min() >= 0 and band.max() <= 3
    assert tokens.shape[0] == len(split.items) and "red" in vocab and "blue" in vocab


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_keras_recommender_rejects_bad_hyperparameters(split, bad):
    model = neural.BPRMF(epochs=bad)  # stored as given ...
    assert model.epochs is bad
    with pytest.raises(ValueError, match="epochs"):
        model.fit(split)  # ... and refused by fit


def test_blend_combines_and_validates(split):
    pop = recsys.Popularity().fit(split.X)
    rep = recsys.RepeatBuyer().fit(split.X)
    b = recsys.Blend({"pop": pop, "rep": rep}, {"pop": 1.0, "rep": 0.0}).fit()
    np.testing.assert_array_equal(b.recommend([0, 1], 5), pop.recommend([0, 1], 5))
    s = recsys.Blend({"pop": pop, "rep": rep}, {"pop": 0.5, "rep": 0.5}).fit().score([0, 1])
    assert s.min() >= 0 and s.max() <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="unknown"):
        recsys.Blend({"pop": pop}, {"knn": 1.0}).fit()
    with pytest.raises(ValueError, match=">= 0"):
        recsys.Blend({"pop": pop}, {"pop": -1.0}).fit()


def test_blend_fits_a_keras_part_on_a_split(split):
    set_seed(0)
    parts = {"rep": recsys.RepeatBuyer(half_life_days=60), "bpr": neural.BPRMF(dim=4, epochs=2, seed=0)}
    b = recsys.Blend(parts, {"rep": 0.5, "bpr": 0.5}).fit(split)
    by_hand = recsys.Blend({"rep": recsys.repeat_baseline(split, 60), "bpr": clone(parts["bpr"]).fit(split)},
                           {"rep": 0.5, "bpr": 0.5}).fit()
    np.testing.assert_array_equal(b.score([0, 1, 2]), by_hand.score([0, 1, 2]))
    assert not hasattr(parts["bpr"], "model_")


def test_service_recommends_validates_and_falls_back(split):
    model = recsys.ItemKNN().fit(split.X)
    svc = recsys.RecommendationService(model, split.users, split.items,
                                       descriptions=recsys.item_descriptions(split.train, split.items))
    user = split.users[0]
    out = svc.recommend(user, k=5)
    assert len(out) == 5 and (out["source"] == "model").all()
    bought = set(split.train.loc[split.train["CustomerID"] == user, "StockCode"])
    assert not bought & set(out["StockCode"])  # discovery list: nothing already bought
    unknown = svc.recommend("no-such-customer", k=3)
    assert unknown["source"].str.contains("popularity fallback").all()
    assert list(unknown["StockCode"]) == list(split.items[svc.fallback_.recommend([0], 3)[0]])
    for bad in (0, -2, 2.5, "10", True, None):
        with pytest.raises(ValueError, match="positive integer"):
            svc.recommend(user, k=bad)
    assert svc.latency([user, "no-such-customer"], k=5).shape == (2,)
    with pytest.raises(ValueError, match="fitted on"):
        recsys.RecommendationService(model, split.users[:-1], split.items)


def test_book_splits_have_no_leakage():
    tx = synthetic_shop(n_days=330)
    val, test = recsys.book_splits(tx)
    assert val.train["InvoiceDate"].max() < pd.Timestamp(recsys.VALIDATION_CUTOFF) <= val.test["InvoiceDate"].min()
    assert val.test["InvoiceDate"].max() < pd.Timestamp(recsys.TEST_CUTOFF)
    assert test.train["InvoiceDate"].max() < pd.Timestamp(recsys.TEST_CUTOFF) <= test.test["InvoiceDate"].min()


def test_neumf_numpy_scores_match_keras_predict(split):
    set_seed(0)
    m = neural.NeuMF(dim=8, hidden=(16, 8), epochs=2).fit(split)
    rows = np.array([0, 3, 5])
    u = np.repeat(rows, len(split.items)).astype(np.int32)
    i = np.tile(np.arange(len(split.items), dtype=np.int32), len(rows))
    keras_scores = m.model_.predict([u, i], verbose=0).reshape(len(rows), -1)
    np.testing.assert_allclose(m.score(rows, chunk=2), keras_scores, rtol=1e-4, atol=1e-5)


def test_model_selection_helpers(split):
    rec = recsys.recent_popularity(split, days=30)
    recent = split.train[split.train["InvoiceDate"] >= split.cutoff - pd.Timedelta(days=30)]
    top = recent.groupby("StockCode")["CustomerID"].nunique().sort_values(ascending=False, kind="stable")
    assert split.items[rec.recommend([0], 1)[0][0]] in set(top[top == top.iloc[0]].index)
    with pytest.raises(ValueError, match="days"):
        recsys.recent_popularity(split, days=0)
    rep = recsys.repeat_baseline(split, 60)
    bought = set(split.train.loc[split.train["CustomerID"] == split.users[0], "StockCode"])
    assert set(split.items[rep.recommend([0], len(bought))[0]]) == bought
    model = recsys.ItemKNN().fit(split.X)
    per_user, _ = recsys.evaluate(model, split, "new", ks=(10,))
    assert recsys.mean_metric(model, split, "new") == pytest.approx(per_user["NDCG@10"].mean())
