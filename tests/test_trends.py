"""Chapter 12 tools: privacy, integrated gradients, corruption study, text-purchase fusion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from retail_lab import evaluation, privacy, recsys
from retail_lab.nn import integrated_gradients
from retail_lab.repro import import_tensorflow


def test_laplace_error_matches_theory():
    study = privacy.laplace_error_study(np.zeros(50), 1.0, [0.1, 1.0, 10.0], n_draws=400, seed=1)
    np.testing.assert_allclose(study["mean_abs_error"], study["theory"], rtol=0.05)
    with pytest.raises(ValueError):
        privacy.laplace_mechanism(1.0, 1.0, 0.0)


def test_k_anonymity_by_hand():
    t = pd.DataFrame({"c": ["UK", "UK", "UK", "FR", "FR"], "b": ["x", "x", "y", "z", "z"]})
    rep = privacy.k_anonymity(t, ["c", "b"])
    assert rep.k == 1 and rep.n_classes == 3
    assert rep.class_sizes.tolist() == [2, 2, 1, 2, 2]
    assert rep.share_below(2) == pytest.approx(0.2)
    assert privacy.k_anonymity(t, ["c"]).k == 2
    assert privacy.k_anonymity(t.iloc[:0], ["c"]).k == 0
    with pytest.raises(ValueError, match="not in the table"):
        privacy.k_anonymity(t, ["zip"])


def test_integrated_gradients_linear_is_exact_and_complete():
    import_tensorflow()
    import keras

    w = np.array([0.5, -2.0, 1.5])
    lin = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    lin.set_weights([w.reshape(3, 1).astype("float32"), np.array([0.3], "float32")])
    x = np.array([1.0, 2.0, -1.0])
    attr, gap = integrated_gradients(lin, x)
    np.testing.assert_allclose(attr, w * x, atol=1e-5)
    assert abs(gap) < 1e-5
    keras.utils.set_random_seed(0)
    mlp = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="tanh"),
                            keras.layers.Dense(1, activation="sigmoid")])
    _, gap = integrated_gradients(mlp, x, steps=128)
    assert abs(gap) < 1e-3


def test_corruption_study_hurts_with_label_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=600) > 0).astype(float)
    Xt = rng.normal(size=(400, 3))
    yt = (Xt[:, 0] > 0).astype(float)

    def fit(A, b):
        from sklearn.linear_model import LogisticRegression
        assert not np.isnan(A).any(), "missing values must be imputed before fitting"
        m = LogisticRegression().fit(A, b)
        return lambda Z: m.predict_proba(Z)[:, 1]

    res = evaluation.corruption_study(fit, X, y, Xt, yt, label_noise=(0.0, 0.45), missing=(0.0, 0.6), repeats=2)
    means = res.groupby(["fault", "rate"])["auc"].mean()
    assert means["label noise", 0.45] < means["label noise", 0.0]
    assert len(res) == 8


def test_fused_item_knn_endpoints_and_text_similarity():
    texts = ["red heart candle", "red heart lantern", "blue cake stand"]
    T = recsys.text_similarity(texts)
    assert T[0, 1] > 0 and T[0, 2] == 0 and T[0, 0] == 0
    X = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0]], dtype=float))
    purchase_only = recsys.ItemKNN().fit(X).similarity_
    np.testing.assert_allclose(recsys.FusedItemKNN(alpha=1.0).fit(X, texts=texts).similarity_, purchase_only)
    np.testing.assert_allclose(recsys.FusedItemKNN(alpha=0.0).fit(X, texts=texts).similarity_, T, atol=1e-6)
    with pytest.raises(ValueError):
        recsys.FusedItemKNN().fit(X, texts=texts[:2])
    with pytest.raises(ValueError):
        recsys.FusedItemKNN(alpha=2).fit(X, texts=texts)


def test_item_descriptions_takes_most_frequent():
    tx = pd.DataFrame({"StockCode": ["a", "a", "a", "b"], "Description": ["X", "Y", "Y", None]})
    assert recsys.item_descriptions(tx, pd.Index(["a", "b", "c"])) == ["Y", "", ""]
