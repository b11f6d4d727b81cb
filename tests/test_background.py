"""Parameter counts: the formula against published numbers and against Keras itself."""

from __future__ import annotations

import pytest

from retail_lab.background import keras_param_counts, model_sizes, transformer_param_count
from retail_lab.repro import import_tensorflow


def test_gpt2_published_sizes():
    # GPT-2 small and medium as released: 124,439,808 and 354,823,168 parameters
    assert transformer_param_count(12, 768, 50257, 1024) == 124_439_808
    assert transformer_param_count(24, 1024, 50257, 1024) == 354_823_168
    assert transformer_param_count(48, 1600, 50257, 1024) == pytest.approx(1.558e9, rel=1e-3)


def test_formula_matches_a_keras_transformer():
    import_tensorflow()
    import keras
    from keras import layers

    V, P, d, h, L = 97, 16, 32, 4, 2
    tok = keras.Input((P,), dtype="int32")
    pos = keras.Input((P,), dtype="int32")
    x = layers.Embedding(V, d)(tok) + layers.Embedding(P, d)(pos)
    for _ in range(L):
        a = layers.LayerNormalization()(x)
        x = x + layers.MultiHeadAttention(h, d // h)(a, a, use_causal_mask=True)
        m = layers.LayerNormalization()(x)
        x = x + layers.Dense(d)(layers.Dense(4 * d, activation="gelu")(m))
    x = layers.LayerNormalization()(x)
    model = keras.Model([tok, pos], x)
    assert model.count_params() == transformer_param_count(L, d, V, P)
    assert transformer_param_count(L, d, V, P, tied_embeddings=False) == model.count_params() + V * d


def test_keras_counts():
    counts = dict(zip(*keras_param_counts().to_dict("list").values()))
    # LeNet-5 by hand: 156 + 2,416 + 48,120 + 10,164 + 850
    assert counts["LeNet-5 (Keras)"] == 61_706
    assert counts["ResNet-50 (Keras)"] == 25_636_712


def test_table_and_validation():
    t = model_sizes()
    assert t["year"].is_monotonic_increasing
    assert {"CNN", "RNN", "Transformer"} <= set(t["family"])
    with pytest.raises(ValueError, match="d_model"):
        transformer_param_count(2, 0, 10, 10)
