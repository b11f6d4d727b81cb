"""Appendix B's transformer (:mod:`retail_lab.lm`): tokenizer by hand, attention against a
NumPy hand computation, padding and MLM masking, parameter counts against chapter 1's formula,
save/load round trips, a fixed-seed fine-tune that reproduces its accuracy, and the study's
settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retail_lab import lm

ROOT = Path(__file__).resolve().parents[1]
STUDY_CSV = ROOT / "book" / "_generated" / "lm_study.csv"
SCALING_CSV = ROOT / "book" / "_generated" / "lm_scaling.csv"

pytest.importorskip("tensorflow")


# --------------------------------------------------------------------------- tokenizer
def test_tokenizer_hand_worked_example():
    # words: "aa" twice, "ab" once -> characters a, ##a, ##b; the most frequent pair (a, ##a)
    # (2 occurrences) merges first into "aa", then (a, ##b) into "ab"
    tok = lm.WordPieceTokenizer(vocab_size=10).fit(["aa ab", "aa"])
    assert tok.vocab_ == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##a", "##b", "a", "aa", "ab"]
    # longest match first: "aab" -> aa ##b; "b" cannot be spelled (no word-initial b)
    assert tok.tokenize("aab ab b") == ["aa", "##b", "ab", "[UNK]"]
    np.testing.assert_array_equal(tok.encode(["aab"], 6), [[lm.CLS, 8, 6, lm.SEP, lm.PAD, lm.PAD]])
    np.testing.assert_array_equal(tok.encode(["ab ab ab ab ab"], 4), [[lm.CLS, 9, 9, lm.SEP]])  # cut


def test_tokenizer_round_trip_and_save_load(tmp_path):
    texts = ["White hanging heart T-light holder", "I want to cancel order 12345, please",
             "we will refund the order", "hanging hearts and holders"]
    tok = lm.WordPieceTokenizer(vocab_size=60).fit(texts)
    for t in texts:
        ids = tok.encode([t], 40)[0]
        assert tok.decode(ids) == " ".join(lm.pre_tokenize(t))
    tok.save(tmp_path / "tok.json")
    again = lm.WordPieceTokenizer.load(tmp_path / "tok.json")
    assert again.vocab_ == tok.vocab_
    np.testing.assert_array_equal(again.encode(texts, 12), tok.encode(texts, 12))
    # deterministic: the same texts give the same vocabulary
    assert lm.WordPieceTokenizer(vocab_size=60).fit(texts).vocab_ == tok.vocab_


def test_pack_sequences_keeps_every_token():
    tok = lm.WordPieceTokenizer(vocab_size=40).fit(["a b c d e f g", "ab cd"])
    texts = ["a b c", "d e f g a b c d e f g", "ab"]
    seqs = lm.pack_sequences(tok, texts, 6)
    assert seqs.shape[1] == 6 and (seqs[:, 0] == lm.CLS).all()
    body = seqs[(seqs != lm.PAD) & (seqs != lm.CLS) & (seqs != lm.SEP)]
    assert body.size == sum(len(tok.ids(t)) for t in texts)


# --------------------------------------------------------------------------- masking
def test_mask_tokens_rates_and_labels():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 500, size=(4000, 32)).astype("int32")
    ids[:, 0], ids[:, 25], ids[:, 26:] = lm.CLS, lm.SEP, lm.PAD  # 24 ordinary tokens per row
    inputs, labels = lm.mask_tokens(ids, 0.15, 500, np.random.default_rng(1))
    chosen = labels != lm.IGNORE
    # exactly round(0.15 * 24) = 4 positions per row, never a special token
    assert (chosen.sum(axis=1) == 4).all()
    assert not chosen[:, [0, 25, 26, 27, 28, 29, 30, 31]].any()
    # labels only at chosen positions, and they are the original tokens
    np.testing.assert_array_equal(labels[chosen], ids[chosen])
    assert (inputs[~chosen] == ids[~chosen]).all()
    # 80% [MASK], 10% random, 10% unchanged (random may hit the original: 1/495)
    masked = (inputs[chosen] == lm.MASK).mean()
    same = (inputs[chosen] == ids[chosen]).mean()
    assert abs(masked - 0.8) < 0.01 and abs(same - 0.1) < 0.01
    assert (inputs[chosen] >= 4).all()
    # the same seed gives the same masking
    again = lm.mask_tokens(ids, 0.15, 500, np.random.default_rng(1))
    np.testing.assert_array_equal(again[0], inputs)


# --------------------------------------------------------------------------- attention
def _np_attention(x, W, mask, heads):
    """Multi-head attention by hand: per head softmax(Q K^T / sqrt(dh)) V, padding keys at -inf."""
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = W
    n, d = x.shape
    dh = d // heads
    Q, K, V = x @ Wq + bq, x @ Wk + bk, x @ Wv + bv
    out = np.zeros((n, d))
    for h in range(heads):
        s = slice(h * dh, (h + 1) * dh)
        scores = Q[:, s] @ K[:, s].T / np.sqrt(dh)
        scores[:, ~mask] = -np.inf
        a = np.exp(scores - scores.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        out[:, s] = a @ V[:, s]
    return out @ Wo + bo


def test_attention_matches_a_hand_computation_and_ignores_padding():
    lm._keras()
    att = lm._parts()["SelfAttention"](4, 2)
    rng = np.random.default_rng(0)
    att.build((1, 3, 4))
    W = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in att.get_weights()]
    att.set_weights(W)
    x = rng.normal(size=(1, 3, 4)).astype("float32")
    mask = np.array([[True, True, False]])  # the third token is padding
    got = np.asarray(att(x, mask))[0]
    want = _np_attention(x[0].astype(float), [w.astype(float) for w in W], mask[0], 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # padding gets no attention: its weights are 0, and changing it changes no real token
    weights = np.asarray(att.scores(x, mask))
    assert np.abs(weights[..., 2]).max() < 1e-6
    x2 = x.copy()
    x2[0, 2] = 100.0
    np.testing.assert_allclose(np.asarray(att(x2, mask))[0, :2], got[:2], rtol=1e-5, atol=1e-5)


def test_encoder_parameter_count_is_chapter_1s_formula():
    from retail_lab.background import transformer_param_count

    enc = lm.encoder_model(vocab_size=50, seq_len=12, dim=16, heads=4, layers=2, ffn=64)
    assert enc.count_params() == transformer_param_count(2, 16, 50, 12, d_ff=64)
    assert lm.encoder_param_count(50, 12, 16, 2, 64) == enc.count_params()


def test_encoder_ignores_what_follows_the_padding():
    enc = lm.encoder_model(vocab_size=30, seq_len=6, dim=8, heads=2, layers=1, ffn=16, dropout=0.0)
    a = np.array([[lm.CLS, 7, 8, lm.SEP, 0, 0]], dtype="int32")
    b = a.copy()
    b[0, 4:] = 0
    np.testing.assert_allclose(np.asarray(enc(a))[0, :4], np.asarray(enc(b))[0, :4], rtol=1e-6)


# --------------------------------------------------------------------------- training
_TEXTS = [f"{o} {p}" for o in ("i want to", "please", "how do i", "can you", "help me", "i need to")
          for p in ("cancel my order", "stop my purchase", "track my order", "find my parcel",
                    "get a refund", "get my money back")]
_LABELS = [lab for _ in range(6) for lab in ("cancel", "cancel", "track", "track", "refund", "refund")]
_TINY = dict(vocab_size=60, seq_len=10, dim=16, heads=2, layers=1, ffn=32)


@pytest.fixture(scope="module")
def pretrained():
    corpus = _TEXTS + ["we will refund your order", "your parcel is on its way", "the order is cancelled"]
    return lm.MaskedLanguageModel(**_TINY, steps=20, batch_size=16, checkpoints=(10,), seed=0).fit(corpus)


def test_pretraining_records_checkpoints_and_lowers_the_loss(pretrained):
    h = pretrained.history_
    assert list(h["step"]) == [10, 20] and set(pretrained.checkpoints_) == {10, 20}
    assert pretrained.encoder_.steps == 20
    assert pretrained.n_params_ == pretrained.encoder_.n_params
    assert h["val_loss"].iloc[-1] < np.log(len(pretrained.tokenizer_.vocab_))  # better than uniform


def test_encoder_save_load_round_trip(pretrained, tmp_path):
    enc = pretrained.encoder_
    enc.save(tmp_path / "enc")
    again = lm.PretrainedEncoder.load(tmp_path / "enc")
    assert repr(again) == repr(enc)
    np.testing.assert_array_equal(lm.embed(again, _TEXTS[:5]), lm.embed(enc, _TEXTS[:5]))


def test_fine_tune_reproduces_and_classifier_round_trips(pretrained, tmp_path):
    fit = lambda: lm.TransformerIntentClassifier(encoder=pretrained.encoder_, epochs=8, batch_size=8,
                                                 learning_rate=0.01, seed=0).fit(_TEXTS, _LABELS)
    a, b = fit(), fit()
    acc_a = float((a.predict(_TEXTS) == np.array(_LABELS)).mean())
    acc_b = float((b.predict(_TEXTS) == np.array(_LABELS)).mean())
    assert acc_a == acc_b and acc_a > 1 / 3
    np.testing.assert_array_equal(a.predict_proba(_TEXTS), b.predict_proba(_TEXTS))
    a.save(tmp_path / "clf")
    loaded = lm.TransformerIntentClassifier.load(tmp_path / "clf")
    np.testing.assert_array_equal(loaded.predict_proba(_TEXTS), a.predict_proba(_TEXTS))
    pd.testing.assert_frame_equal(loaded.history_, a.history_)
    # the control keeps the tokenizer and shape, not the weights
    scratch = lm.TransformerIntentClassifier(encoder=pretrained.encoder_, init="random", epochs=1, seed=0)
    scratch.fit(_TEXTS, _LABELS)
    assert scratch.tokenizer_ is pretrained.encoder_.tokenizer and scratch.n_params_ == a.n_params_


def test_fine_tune_from_a_saved_encoder_folder(pretrained, tmp_path):
    pretrained.encoder_.save(tmp_path / "enc")
    kw = dict(epochs=2, batch_size=8, seed=0)
    from_obj = lm.TransformerIntentClassifier(encoder=pretrained.encoder_, **kw).fit(_TEXTS, _LABELS)
    from_dir = lm.TransformerIntentClassifier(encoder=str(tmp_path / "enc"), **kw).fit(_TEXTS, _LABELS)
    np.testing.assert_array_equal(from_obj.predict_proba(_TEXTS), from_dir.predict_proba(_TEXTS))


# --------------------------------------------------------------------------- data and retrieval
def test_pretraining_corpus_holds_out_every_tested_message():
    messages = [f"message {i}" for i in range(10)]
    splits = {"a": (np.arange(0, 8), np.arange(8, 10)), "b": (np.r_[0:3, 5:10], np.arange(3, 5))}
    corpus = lm.pretraining_corpus(["MUG", "MUG ", None, "LAMP"], ["answer"], messages, splits)
    assert corpus["customer messages"] == ["message 0", "message 1", "message 2", "message 5",
                                           "message 6", "message 7"]
    assert corpus["product descriptions"] == ["MUG", "LAMP"]


def test_ndcg_and_search_boundaries():
    assert lm.ndcg_at_k(np.array([[3, 1, 2]]), [np.array([3])], k=3)[0] == 1.0
    assert lm.ndcg_at_k(np.array([[0, 1, 2]]), [np.array([5])], k=3)[0] == 0.0
    # relevant at rank 2 of 2 relevant: (1/log2 3) / (1 + 1/log2 3)
    got = lm.ndcg_at_k(np.array([[0, 1, 2]]), [np.array([1, 9])], k=3)[0]
    assert got == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    q = np.array([[1.0, 0.0]])
    items = np.array([[0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    idx, sim = lm.search(q, items, k=2)
    assert idx.tolist() == [[1, 2]] and sim[0, 0] == 1.0
    out = lm.retrieval_answers(q, items, ["a", "b", "c"], threshold=0.9)
    assert out.loc[0, "intent"] == "b" and not out.loc[0, "handover"]


def test_paired_difference_and_verdict():
    d = lm.paired_difference([1, 1, 0, 1], [1, 0, 0, 1], n_boot=500)
    assert d["diff"] == 0.25 and d["lo"] <= 0.25 <= d["hi"]
    # whole groups are resampled: two groups that disagree in sign give an interval around 0
    g = lm.paired_difference([[1, 1, 0, 0]], [[0, 0, 1, 1]], groups=["a", "a", "b", "b"], n_boot=500)
    assert g["diff"] == 0.0 and g["lo"] == -1.0 and g["hi"] == 1.0
    assert lm.verdict(0.01, 0.2) == "pretraining helps" and lm.verdict(-0.2, -0.01) == "pretraining hurts"
    assert lm.verdict(-0.1, 0.1) == "no difference that the data can resolve"


def test_product_queries_are_stated_with_a_pattern_each():
    assert 20 <= len(lm.PRODUCT_QUERIES) <= 30
    cat = pd.DataFrame({"StockCode": ["1", "2"], "Description": ["RED TEA COSY", "BLUE MUG"]})
    rel = lm.relevant_products(cat)
    assert rel[0].tolist() == [0] and rel[1].tolist() == [1]


# --------------------------------------------------------------------------- the study
def _header(path: Path) -> dict:
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        header[key.strip()] = value.strip()
    return header


@pytest.mark.parametrize("path", [STUDY_CSV, SCALING_CSV], ids=["study", "scaling"])
def test_lm_study_was_measured_with_the_book_settings(path):
    assert path.exists(), "run tools/lm_study.py: appendix B reads its results"
    header = _header(path)
    for key in ("measured", "cpu", "settings"):
        assert key in header, f"{path.name}: the header lacks {key!r}"
    assert json.loads(header["settings"]) == lm.BOOK_LM.as_dict(), (
        f"{path.name} was measured with other settings than retail_lab.lm.BOOK_LM; run tools/lm_study.py again")


def test_lm_study_covers_every_model_and_test_set():
    table = pd.read_csv(STUDY_CSV, comment="#")
    assert set(table["model"]) == {"pretrained transformer", "transformer from scratch",
                                   "TF-IDF + logistic regression", "Keras text CNN"}
    assert {"random split", "family split, as written", "family split, typos", "family split, colloquial",
            "family split, reworded"} <= set(table["test"])
    stochastic = table[table["model"] != "TF-IDF + logistic regression"]
    assert (stochastic["runs"] == len(lm.BOOK_LM.seeds)).all()
    assert (table["macro_f1_lo"] <= table["macro_f1"]).all() and (table["macro_f1"] <= table["macro_f1_hi"]).all()
    scaling = pd.read_csv(SCALING_CSV, comment="#")
    assert set(scaling["size"]) == {s[0] for s in lm.BOOK_LM.sizes}
    assert set(scaling["steps"]) == {0, *lm.BOOK_LM.checkpoints}  # 0: the untrained encoder
