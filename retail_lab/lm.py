"""A small transformer language model of retail text (appendix B): tokenizer, encoder,
masked-language-model pretraining, fine-tuned intent classifier, embeddings for retrieval.

The pieces, in the order the appendix builds them:

- :class:`WordPieceTokenizer`: a subword vocabulary learned from the text itself (plain
  Python, deterministic), with the special tokens ``[PAD] [UNK] [CLS] [SEP] [MASK]``.
- :func:`encoder_model`: a transformer encoder in Keras 3, written out layer by layer (token
  and position embeddings, multi-head self-attention with a padding mask, a feed-forward
  block, residual connections and layer normalisation), laid out as GPT-2 is, so its
  parameter count is :func:`~retail_lab.background.transformer_param_count`'s.
- :func:`mask_tokens` and :class:`MaskedLanguageModel`: pretraining by masked-token
  prediction (15% of the tokens of a sequence, of which 80% become ``[MASK]``, 10% a random
  token and 10% stay), on :func:`pretraining_corpus` (every product description of Online
  Retail, the Bitext answers, and only the customer messages that no book split tests on).
- :class:`TransformerIntentClassifier`: the encoder fine-tuned for the customer-service
  intents (or the same architecture trained from scratch, the control).
- :func:`embed`, :func:`search` and :data:`PRODUCT_QUERIES`: mean-pooled encoder outputs as
  text embeddings, for semantic product search and for answering by retrieval.

The book's settings are defined once, in :data:`BOOK_LM`; the appendix, ``tools/lm_study.py``
and the exercises read them. TensorFlow/Keras are imported only inside functions (through
:func:`retail_lab.repro.import_tensorflow`), so this module imports without them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from ._history import history_frame

__all__ = [
    "SPECIAL_TOKENS",
    "PAD",
    "UNK",
    "CLS",
    "SEP",
    "MASK",
    "IGNORE",
    "LMSettings",
    "BOOK_LM",
    "pre_tokenize",
    "WordPieceTokenizer",
    "pack_sequences",
    "mask_tokens",
    "encoder_model",
    "encoder_param_count",
    "PretrainedEncoder",
    "MaskedLanguageModel",
    "TransformerIntentClassifier",
    "book_splits",
    "pretraining_corpus",
    "embed",
    "search",
    "PRODUCT_QUERIES",
    "product_catalogue",
    "relevant_products",
    "ndcg_at_k",
    "retrieval_answers",
    "paired_difference",
    "verdict",
]

#: The special tokens, in id order: padding, unknown, start of a sequence, separator, mask.
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD, UNK, CLS, SEP, MASK = range(5)
#: Label of a position the masked-language-model loss ignores (not masked, or padding).
IGNORE = -100


# --------------------------------------------------------------------------- settings
@dataclasses.dataclass(frozen=True)
class LMSettings:
    """The appendix's model and training settings, in one place.

    Attributes
    ----------
    vocab_size : subword vocabulary, special tokens included
    seq_len : tokens per sequence, ``[CLS]`` and ``[SEP]`` included
    dim, heads, layers, ffn : width, attention heads, encoder blocks, feed-forward width
    dropout : dropout rate in the encoder (and before the classifier)
    mask_rate : share of a sequence's tokens the pretraining hides
    pretrain_steps, pretrain_batch, pretrain_lr : pretraining length, batch and Adam step
    checkpoints : pretraining steps at which the scaling curve reads the encoder
    finetune_epochs, finetune_batch, finetune_lr : fine-tuning settings (also the control's)
    sizes : the scaling curve's model sizes, name -> (dim, heads, layers); ffn = 4 * dim
    seeds : the study's seeds
    seed : the chapter's seed
    """

    vocab_size: int = 2000
    seq_len: int = 32
    dim: int = 64
    heads: int = 4
    layers: int = 2
    ffn: int = 256
    dropout: float = 0.1
    mask_rate: float = 0.15
    pretrain_steps: int = 1200
    pretrain_batch: int = 64
    pretrain_lr: float = 2e-3
    checkpoints: tuple = (300, 600, 1200)
    finetune_epochs: int = 10
    finetune_batch: int = 32
    finetune_lr: float = 5e-4
    sizes: tuple = (("tiny", 32, 2, 1), ("small", 64, 4, 2), ("medium", 128, 4, 3))
    seeds: tuple = (0, 1, 2)
    seed: int = 0

    def as_dict(self) -> dict:
        """The settings as plain JSON types (what the study's header records)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def architecture(self) -> dict:
        """The encoder's shape: vocab_size, seq_len, dim, heads, layers, ffn, dropout."""
        return {k: getattr(self, k) for k in ("vocab_size", "seq_len", "dim", "heads", "layers", "ffn", "dropout")}


#: The book's settings (appendix B, ``tools/lm_study.py`` and exercises B.1-B.3 read them).
BOOK_LM = LMSettings()


# --------------------------------------------------------------------------- validation
def _check_int(value, name: str, low: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def _check_real(value, name: str, low: float, high: float | None = None, low_open: bool = True,
                high_open: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}")
    v = float(value)
    bad = (not math.isfinite(v) or (v <= low if low_open else v < low)
           or (high is not None and (v >= high if high_open else v > high)))
    if bad:
        rng = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}" if high is not None \
            else f"{'>' if low_open else '>='} {low}"
        raise ValueError(f"{name} must be {rng}, got {value!r}")
    return v


def _check_texts(texts, name: str = "texts") -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, got a single string; wrap it in a list")
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of strings, got {type(texts).__name__}") from None
    missing = [i for i, t in enumerate(items) if t is None or t is pd.NA or (isinstance(t, float) and math.isnan(t))]
    if missing:
        raise ValueError(f"{name} has {len(missing)} missing value(s) at position(s) {missing[:10]}; "
                         "fill or drop them first, nothing is dropped silently")
    return [str(t) for t in items]


def _check_fitted(obj, attr: str) -> None:
    if not hasattr(obj, attr):
        raise NotFittedError(f"this {type(obj).__name__} is not fitted yet: call .fit(...) first")


# --------------------------------------------------------------------------- tokenizer
_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w\s]")


def pre_tokenize(text: str) -> list[str]:
    """Words of a text as the tokenizer sees them: lower case, every run of digits -> ``0``,
    punctuation removed (the normalisation of chapter 6.4's classifiers).

    >>> pre_tokenize("Cancel order #123, please!")
    ['cancel', 'order', '0', 'please']
    """
    t = _DIGITS.sub("0", str(text).lower())
    return _NON_WORD.sub(" ", t).split()


class WordPieceTokenizer(BaseEstimator):
    """Subword tokenizer learned from text (WordPiece pieces and encoding, merges learned by
    pair frequency), in plain Python.

    Training starts from single characters (a character inside a word is written ``##c``) and
    repeatedly merges the adjacent pair ``(a, b)`` that occurs most often in the text (weighted
    by how often each word occurs) into a new piece, as byte-pair encoding does; ties go to
    the alphabetically first pair, so the vocabulary is the same on every machine. Frequent
    words become one piece, rare words stay spelled from parts. Encoding splits each word greedily
    into the longest pieces in the vocabulary ("refunding" -> ``refund ##ing``); a word that
    cannot be spelled from the pieces becomes ``[UNK]``.

    Parameters
    ----------
    vocab_size : int
        Size of the vocabulary, the five special tokens included.
    min_frequency : int
        Words seen fewer times than this are left out of training (they are still encoded,
        from the pieces learned on the others).

    Attributes
    ----------
    vocab_ : list of str
        Token by id: ``SPECIAL_TOKENS``, then the characters, then the merges in learned order.
    index_ : dict
        Token -> id.
    """

    def __init__(self, vocab_size: int = 2000, min_frequency: int = 1):
        self.vocab_size = vocab_size
        self.min_frequency = min_frequency

    def fit(self, texts, y=None) -> "WordPieceTokenizer":
        """Learn the vocabulary from ``texts``."""
        size = _check_int(self.vocab_size, "vocab_size", len(SPECIAL_TOKENS) + 1)
        min_freq = _check_int(self.min_frequency, "min_frequency", 1)
        counts: dict[str, int] = {}
        for t in _check_texts(texts):
            for w in pre_tokenize(t):
                counts[w] = counts.get(w, 0) + 1
        words = sorted(w for w, c in counts.items() if c >= min_freq)
        if not words:
            raise ValueError("texts hold no word to learn a vocabulary from")
        freq = [counts[w] for w in words]
        splits = [[w[0]] + ["##" + c for c in w[1:]] for w in words]
        alphabet = sorted({s for sp in splits for s in sp})
        vocab = list(SPECIAL_TOKENS) + alphabet
        # pair and symbol counts, and which words hold each pair
        pair_n: dict[tuple, int] = {}
        sym_n: dict[str, int] = {}
        where: dict[tuple, set] = {}

        def add(i, sign):
            sp, f = splits[i], freq[i] * sign
            for s in sp:
                sym_n[s] = sym_n.get(s, 0) + f
            for p in zip(sp, sp[1:]):
                n = pair_n.get(p, 0) + f
                if n:
                    pair_n[p] = n
                else:
                    del pair_n[p]
                if sign > 0:
                    where.setdefault(p, set()).add(i)

        for i in range(len(words)):
            add(i, 1)
        while len(vocab) < size:
            if not pair_n:
                break
            (a, b), _ = min(pair_n.items(), key=lambda pn: (-pn[1], pn[0]))
            new = a + b[2:] if b.startswith("##") else a + b
            for i in sorted(where.pop((a, b), ())):
                sp = splits[i]
                if not any(x == a and y == b for x, y in zip(sp, sp[1:])):
                    continue
                add(i, -1)
                merged, j = [], 0
                while j < len(sp):
                    if j + 1 < len(sp) and sp[j] == a and sp[j + 1] == b:
                        merged.append(new)
                        j += 2
                    else:
                        merged.append(sp[j])
                        j += 1
                splits[i] = merged
                add(i, 1)
            pair_n.pop((a, b), None)
            if new not in vocab:
                vocab.append(new)
        self.vocab_ = vocab
        self.index_ = {t: i for i, t in enumerate(vocab)}
        self._cache = {}
        return self

    def tokenize_word(self, word: str) -> list[str]:
        """A word's pieces, longest first from the left; ``["[UNK]"]`` if it cannot be spelled."""
        _check_fitted(self, "vocab_")
        cache = self.__dict__.setdefault("_cache", {})
        if word in cache:
            return cache[word]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.index_:
                    break
                end -= 1
            if end == start:
                pieces = ["[UNK]"]
                break
            pieces.append(piece)
            start = end
        cache[word] = pieces
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The text's pieces (no special tokens)."""
        return [p for w in pre_tokenize(text) for p in self.tokenize_word(w)]

    def ids(self, text: str) -> list[int]:
        """The text's token ids (no special tokens)."""
        return [self.index_[p] for p in self.tokenize(text)]

    def encode(self, texts, seq_len: int) -> np.ndarray:
        """Token ids of each text as ``[CLS] pieces [SEP]``, cut or padded with ``[PAD]`` (0)
        to ``seq_len``; shape (n, seq_len), int32."""
        _check_fitted(self, "vocab_")
        seq_len = _check_int(seq_len, "seq_len", 3)
        texts = _check_texts(texts)
        out = np.zeros((len(texts), seq_len), dtype="int32")
        for r, t in enumerate(texts):
            row = [CLS] + self.ids(t)[: seq_len - 2] + [SEP]
            out[r, : len(row)] = row
        return out

    def decode(self, ids) -> str:
        """Text of token ids: special tokens dropped, ``##`` pieces joined to their word."""
        _check_fitted(self, "vocab_")
        words: list[str] = []
        for i in np.asarray(ids).ravel().tolist():
            tok = self.vocab_[int(i)]
            if int(i) < len(SPECIAL_TOKENS) and tok != "[UNK]":
                continue
            if tok.startswith("##") and words:
                words[-1] += tok[2:]
            else:
                words.append(tok)
        return " ".join(words)

    def to_dict(self) -> dict:
        """The tokenizer as JSON-ready data (what :meth:`save` writes)."""
        _check_fitted(self, "vocab_")
        return {"vocab_size": self.vocab_size, "min_frequency": self.min_frequency, "vocab": list(self.vocab_)}

    @classmethod
    def from_dict(cls, data: dict) -> "WordPieceTokenizer":
        tok = cls(vocab_size=int(data["vocab_size"]), min_frequency=int(data["min_frequency"]))
        tok.vocab_ = list(data["vocab"])
        tok.index_ = {t: i for i, t in enumerate(tok.vocab_)}
        tok._cache = {}
        return tok

    def save(self, path) -> None:
        """Write the vocabulary as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path) -> "WordPieceTokenizer":
        """Read a tokenizer written by :meth:`save`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def pack_sequences(tokenizer: WordPieceTokenizer, texts, seq_len: int) -> np.ndarray:
    """Pretraining sequences: texts' token ids packed into rows of ``seq_len``.

    Each row is ``[CLS] text [SEP] text [SEP] ...``: short texts (product descriptions,
    messages) share a row, a long text (an answer) is cut into pieces of ``seq_len - 2``
    tokens. What is left of a row is padding. Returns int32, shape (n_rows, seq_len).
    """
    seq_len = _check_int(seq_len, "seq_len", 3)
    room = seq_len - 1  # after [CLS]
    rows, cur = [], [CLS]
    for t in _check_texts(texts):
        ids = tokenizer.ids(t)
        for k in range(0, max(len(ids), 1), seq_len - 2):
            piece = ids[k: k + seq_len - 2] + [SEP]
            if len(cur) - 1 + len(piece) > room:
                rows.append(cur)
                cur = [CLS]
            cur += piece
    if len(cur) > 1:
        rows.append(cur)
    out = np.zeros((len(rows), seq_len), dtype="int32")
    for r, row in enumerate(rows):
        out[r, : len(row)] = row
    return out


def mask_tokens(ids: np.ndarray, rate: float, vocab_size: int, rng: np.random.Generator):
    """Hide tokens for masked-language-model pretraining (BERT's recipe).

    In every row, ``max(1, round(rate * n))`` of its ``n`` ordinary tokens (not ``[PAD]``,
    ``[CLS]``, ``[SEP]``) are chosen at random. Each chosen token becomes ``[MASK]`` with
    probability 0.8, a random ordinary token with probability 0.1, and stays as it is with
    probability 0.1; the model must predict the original at every chosen position.

    Returns
    -------
    inputs : ndarray, int32, shape (n_rows, seq_len)
        The corrupted ids.
    labels : ndarray, int32, same shape
        The original id at chosen positions, :data:`IGNORE` everywhere else.
    """
    ids = np.asarray(ids, dtype="int32")
    rate = _check_real(rate, "rate", 0.0, 1.0, high_open=True)
    inputs, labels = ids.copy(), np.full(ids.shape, IGNORE, dtype="int32")
    ordinary = ids >= len(SPECIAL_TOKENS)
    for r in range(ids.shape[0]):
        cand = np.flatnonzero(ordinary[r])
        if cand.size == 0:
            continue
        k = max(1, int(round(rate * cand.size)))
        chosen = np.sort(rng.choice(cand, size=k, replace=False))
        labels[r, chosen] = ids[r, chosen]
        u = rng.random(k)
        random_ids = rng.integers(len(SPECIAL_TOKENS), vocab_size, size=k)
        inputs[r, chosen] = np.where(u < 0.8, MASK, np.where(u < 0.9, random_ids, ids[r, chosen]))
    return inputs, labels


def _positions(labels: np.ndarray, n_pred: int):
    """Masked positions per row, padded to ``n_pred``: (positions, targets) with targets
    :data:`IGNORE` in the padding."""
    pos = np.zeros((labels.shape[0], n_pred), dtype="int32")
    tgt = np.full((labels.shape[0], n_pred), IGNORE, dtype="int32")
    for r in range(labels.shape[0]):
        p = np.flatnonzero(labels[r] != IGNORE)[:n_pred]
        pos[r, : p.size] = p
        tgt[r, : p.size] = labels[r, p]
    return pos, tgt


# --------------------------------------------------------------------------- Keras layers
_KERAS_PARTS: dict = {}


def _keras():
    from .repro import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _parts() -> dict:
    """The encoder's Keras layers, defined once TensorFlow is loaded."""
    if _KERAS_PARTS:
        return _KERAS_PARTS
    keras = _keras()
    ops, L = keras.ops, keras.layers

    class TokenAndPositionEmbedding(L.Layer):
        """Token ``t`` at position ``p`` -> ``E[t] + P[p]``: a learned vector per token of the
        vocabulary plus a learned vector per position (attention alone ignores order)."""

        def __init__(self, vocab_size, seq_len, dim, **kw):
            super().__init__(**kw)
            self.vocab_size, self.seq_len, self.dim = vocab_size, seq_len, dim

        def build(self, input_shape):
            init = keras.initializers.RandomNormal(stddev=0.02)
            self.tokens = self.add_weight(shape=(self.vocab_size, self.dim), initializer=init, name="tokens")
            self.positions = self.add_weight(shape=(self.seq_len, self.dim), initializer=init, name="positions")

        def call(self, ids):
            return ops.take(self.tokens, ids, axis=0) + self.positions[None, : ops.shape(ids)[1], :]

    class SelfAttention(L.Layer):
        """Multi-head self-attention, written out.

        For each head ``h`` the input ``x`` (n tokens x dim) is projected to queries
        ``Q = x Wq``, keys ``K = x Wk`` and values ``V = x Wv`` (n x dim/heads each). Token
        ``i`` weighs every token ``j`` by ``softmax_j(Q_i . K_j / sqrt(dim/heads))`` and takes
        the weighted sum of the values; padding keys get weight 0 (their score is set to
        -1e9 before the softmax). The heads' outputs are concatenated and projected by ``Wo``.
        """

        def __init__(self, dim, heads, **kw):
            super().__init__(**kw)
            if dim % heads:
                raise ValueError(f"dim must be divisible by heads, got dim={dim}, heads={heads}")
            self.dim, self.heads = dim, heads
            self.q, self.k, self.v, self.o = (L.Dense(dim, name=n) for n in ("query", "key", "value", "output"))

        def build(self, input_shape):
            for d in (self.q, self.k, self.v, self.o):
                d.build(input_shape)

        def scores(self, x, mask):
            """Attention weights, shape (batch, heads, n, n)."""
            b, n, dh = ops.shape(x)[0], ops.shape(x)[1], self.dim // self.heads

            def split(t):  # (b, n, dim) -> (b, heads, n, dh)
                return ops.transpose(ops.reshape(t, (b, n, self.heads, dh)), (0, 2, 1, 3))

            q, k = split(self.q(x)), split(self.k(x))
            s = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / math.sqrt(dh)
            s = s + (1.0 - ops.cast(mask, s.dtype))[:, None, None, :] * -1e9
            return ops.softmax(s, axis=-1)

        def call(self, x, mask):
            b, n, dh = ops.shape(x)[0], ops.shape(x)[1], self.dim // self.heads
            v = ops.transpose(ops.reshape(self.v(x), (b, n, self.heads, dh)), (0, 2, 1, 3))
            h = ops.matmul(self.scores(x, mask), v)  # (b, heads, n, dh)
            return self.o(ops.reshape(ops.transpose(h, (0, 2, 1, 3)), (b, n, self.dim)))

    class EncoderBlock(L.Layer):
        """One encoder layer, normalised before each part (as GPT-2):
        ``x + attention(norm(x))``, then ``h + feedforward(norm(h))`` with a two-layer
        feed-forward network (GELU) applied to every token on its own."""

        def __init__(self, dim, heads, ffn, dropout, **kw):
            super().__init__(**kw)
            self.norm1, self.norm2 = L.LayerNormalization(epsilon=1e-5), L.LayerNormalization(epsilon=1e-5)
            self.attention = SelfAttention(dim, heads)
            self.up, self.down = L.Dense(ffn, activation="gelu"), L.Dense(dim)
            self.drop1, self.drop2 = L.Dropout(dropout), L.Dropout(dropout)

        def build(self, input_shape):
            self.norm1.build(input_shape)
            self.attention.build(input_shape)
            self.norm2.build(input_shape)
            self.up.build(input_shape)
            self.down.build(tuple(input_shape[:-1]) + (self.up.units,))

        def call(self, x, mask, training=None):
            h = x + self.drop1(self.attention(self.norm1(x), mask), training=training)
            return h + self.drop2(self.down(self.up(self.norm2(h))), training=training)

    class MaskedMeanPool(L.Layer):
        """Average of the token vectors of a sequence, padding left out."""

        def call(self, h, mask):
            m = ops.cast(mask, h.dtype)[:, :, None]
            return ops.sum(h * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

    class Gather(L.Layer):
        """The encoder's vectors at the masked positions only (the pretraining head reads no others)."""

        def call(self, h, positions):
            return ops.take_along_axis(h, ops.cast(positions, "int32")[:, :, None], axis=1)

    def masked_lm_loss(y_true, y_pred):
        """Cross-entropy over the masked positions only (labels ``IGNORE`` elsewhere)."""
        y = ops.cast(y_true, "int32")
        keep = ops.cast(ops.not_equal(y, IGNORE), "float32")
        ce = keras.losses.sparse_categorical_crossentropy(ops.where(y == IGNORE, 0, y), y_pred, from_logits=True)
        return ops.sum(ce * keep) / ops.maximum(ops.sum(keep), 1.0)

    _KERAS_PARTS.update(TokenAndPositionEmbedding=TokenAndPositionEmbedding, SelfAttention=SelfAttention,
                        EncoderBlock=EncoderBlock, MaskedMeanPool=MaskedMeanPool, Gather=Gather,
                        masked_lm_loss=masked_lm_loss)
    return _KERAS_PARTS


def encoder_model(vocab_size: int, seq_len: int, dim: int, heads: int, layers: int, ffn: int,
                  dropout: float = 0.1, name: str = "encoder"):
    """The transformer encoder as a Keras model: token ids (batch, seq_len) -> one vector per
    token (batch, seq_len, dim).

    Layer by layer: token + position embeddings; dropout; ``layers`` encoder blocks (each:
    layer norm, multi-head self-attention that ignores ``[PAD]`` positions, residual; layer
    norm, feed-forward network, residual); a final layer norm. The padding mask is computed
    from the ids (id 0 is ``[PAD]``).
    """
    keras = _keras()
    P = _parts()
    ids = keras.Input((seq_len,), dtype="int32", name="ids")
    mask = keras.ops.not_equal(ids, PAD)
    h = P["TokenAndPositionEmbedding"](vocab_size, seq_len, dim, name="embedding")(ids)
    h = keras.layers.Dropout(dropout)(h)
    for i in range(layers):
        h = P["EncoderBlock"](dim, heads, ffn, dropout, name=f"block_{i + 1}")(h, mask)
    h = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(h)
    return keras.Model(ids, h, name=name)


def encoder_param_count(vocab_size: int, seq_len: int, dim: int, layers: int, ffn: int) -> int:
    """Parameters of :func:`encoder_model`: the count of a GPT-2-style model of that shape
    (:func:`~retail_lab.background.transformer_param_count`), which the encoder matches layer
    for layer."""
    from .background import transformer_param_count

    return transformer_param_count(layers, dim, vocab_size, seq_len, d_ff=ffn)


# --------------------------------------------------------------------------- pretrained encoder
class PretrainedEncoder:
    """A pretrained encoder as plain data: its tokenizer, shape, weights (NumPy arrays) and
    pretraining record. Cheap to copy, and what :class:`TransformerIntentClassifier` starts from.

    Attributes
    ----------
    tokenizer : WordPieceTokenizer
    config : dict
        vocab_size, seq_len, dim, heads, layers, ffn, dropout.
    weights : list of ndarray
        The encoder's weights, in Keras's order.
    steps : int
        Pretraining steps behind these weights.
    """

    def __init__(self, tokenizer, config: dict, weights, steps: int = 0):
        self.tokenizer, self.config, self.weights, self.steps = tokenizer, dict(config), list(weights), int(steps)

    def __repr__(self) -> str:
        c = self.config
        return (f"PretrainedEncoder(dim={c['dim']}, heads={c['heads']}, layers={c['layers']}, "
                f"vocab_size={c['vocab_size']}, seq_len={c['seq_len']}, steps={self.steps})")

    @property
    def n_params(self) -> int:
        return int(sum(np.prod(w.shape) for w in self.weights))

    def model(self, load_weights: bool = True):
        """A Keras encoder of this shape, with these weights unless ``load_weights=False``."""
        m = encoder_model(**self.config)
        if load_weights:
            m.set_weights(self.weights)
        return m

    def save(self, path) -> None:
        """Write to the folder ``path``: config.json, tokenizer.json, weights.npz."""
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        (p / "config.json").write_text(json.dumps({**self.config, "steps": self.steps}), encoding="utf-8")
        self.tokenizer.save(p / "tokenizer.json")
        np.savez(p / "weights.npz", *self.weights)

    @classmethod
    def load(cls, path) -> "PretrainedEncoder":
        p = Path(path)
        config = json.loads((p / "config.json").read_text(encoding="utf-8"))
        steps = config.pop("steps", 0)
        with np.load(p / "weights.npz") as z:
            weights = [z[f"arr_{i}"] for i in range(len(z.files))]
        return cls(WordPieceTokenizer.load(p / "tokenizer.json"), config, weights, steps)


def _arch_params(est) -> dict:
    names = ("vocab_size", "seq_len", "dim", "heads", "layers", "ffn")
    out = {n: _check_int(getattr(est, n), n, 3 if n == "seq_len" else 1) for n in names}
    if out["vocab_size"] <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be > {len(SPECIAL_TOKENS)} (the special tokens), got {out['vocab_size']}")
    if out["dim"] % out["heads"]:
        raise ValueError(f"dim must be divisible by heads, got dim={out['dim']}, heads={out['heads']}")
    out["dropout"] = _check_real(est.dropout, "dropout", 0.0, 1.0, low_open=False, high_open=True)
    return out


class MaskedLanguageModel(BaseEstimator):
    """Pretrain a transformer encoder by masked-token prediction on unlabelled text.

    ``fit(texts)`` learns a :class:`WordPieceTokenizer` on the texts, packs them into
    sequences (:func:`pack_sequences`), keeps ``eval_share`` of the sequences aside, and
    trains :func:`encoder_model` plus a prediction head (a dense layer over the vocabulary,
    applied at the masked positions only) for ``steps`` Adam steps. Every step draws a fresh
    masking (:func:`mask_tokens`) from one generator seeded by ``seed``.

    Parameters
    ----------
    vocab_size, seq_len, dim, heads, layers, ffn, dropout : the encoder's shape (:class:`LMSettings`)
    mask_rate : float in (0, 1)
    steps, batch_size, learning_rate : pretraining length, batch and Adam learning rate
    checkpoints : sequence of int, optional
        Steps at which to keep a copy of the encoder (the scaling curve); ``steps`` is
        always kept.
    eval_share : float in (0, 1)
        Share of the sequences held out to measure the pretraining loss.
    seed : int

    Attributes
    ----------
    tokenizer_ : WordPieceTokenizer
    encoder_ : PretrainedEncoder
        The encoder after ``steps`` steps.
    checkpoints_ : dict
        step -> PretrainedEncoder.
    history_ : DataFrame
        One row per checkpoint (index ``epoch`` from 1): ``step``, ``loss`` (training, mean
        over the steps since the last row) and ``val_loss`` (masked-token cross-entropy on
        the held-out sequences, one fixed masking; nats per masked token).
    n_params_ : int
        Parameters of the encoder (the prediction head not counted).
    n_sequences_ : int
        Training sequences.
    """

    def __init__(self, vocab_size=BOOK_LM.vocab_size, seq_len=BOOK_LM.seq_len, dim=BOOK_LM.dim,
                 heads=BOOK_LM.heads, layers=BOOK_LM.layers, ffn=BOOK_LM.ffn, dropout=BOOK_LM.dropout,
                 mask_rate=BOOK_LM.mask_rate, steps=BOOK_LM.pretrain_steps, batch_size=BOOK_LM.pretrain_batch,
                 learning_rate=BOOK_LM.pretrain_lr, checkpoints=None, eval_share=0.05, seed=0):
        self.vocab_size = vocab_size
        self.seq_len = seq_len
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.ffn = ffn
        self.dropout = dropout
        self.mask_rate = mask_rate
        self.steps = steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.checkpoints = checkpoints
        self.eval_share = eval_share
        self.seed = seed

    def _check(self) -> dict:
        arch = _arch_params(self)
        _check_real(self.mask_rate, "mask_rate", 0.0, 1.0, high_open=True)
        steps = _check_int(self.steps, "steps")
        _check_int(self.batch_size, "batch_size")
        _check_real(self.learning_rate, "learning_rate", 0.0)
        _check_real(self.eval_share, "eval_share", 0.0, 1.0, high_open=True)
        _check_int(self.seed, "seed", 0)
        cps = [] if self.checkpoints is None else list(self.checkpoints)
        for c in cps:
            if isinstance(c, bool) or not isinstance(c, numbers.Integral) or not 1 <= c <= steps:
                raise ValueError(f"checkpoints must be steps in [1, steps={steps}], got {c!r}")
        return arch

    def fit(self, texts, y=None) -> "MaskedLanguageModel":
        """Pretrain on ``texts`` (a sequence of strings)."""
        arch = self._check()
        texts = _check_texts(texts)
        if not texts:
            raise ValueError("texts is empty: nothing to pretrain on")
        rng = np.random.default_rng(self.seed)
        tokenizer = WordPieceTokenizer(arch["vocab_size"]).fit(texts)
        arch["vocab_size"] = len(tokenizer.vocab_)
        seqs = pack_sequences(tokenizer, texts, arch["seq_len"])
        order = rng.permutation(len(seqs))
        n_eval = max(1, int(round(self.eval_share * len(seqs)))) if len(seqs) > 1 else 0
        eval_seqs, train_seqs = seqs[order[:n_eval]], seqs[order[n_eval:]]
        if len(train_seqs) == 0:
            train_seqs = seqs
        n_pred = max(1, int(round(self.mask_rate * (arch["seq_len"] - 2))))
        eval_in, eval_lab = mask_tokens(eval_seqs, self.mask_rate, arch["vocab_size"], np.random.default_rng(self.seed + 1))
        eval_pos, eval_tgt = _positions(eval_lab, n_pred)

        keras = _keras()
        keras.utils.set_random_seed(self.seed)
        P = _parts()
        encoder = encoder_model(**arch)
        ids = keras.Input((arch["seq_len"],), dtype="int32", name="ids")
        pos = keras.Input((n_pred,), dtype="int32", name="positions")
        h = P["Gather"]()(encoder(ids), pos)
        logits = keras.layers.Dense(arch["vocab_size"], name="predict_token")(h)
        mlm = keras.Model([ids, pos], logits)
        mlm.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=P["masked_lm_loss"])

        steps, B = int(self.steps), int(self.batch_size)
        marks = sorted(set([int(c) for c in (self.checkpoints or [])] + [steps]))
        rows, kept, done = [], {}, 0
        for mark in marks:
            n = mark - done
            batches = []
            for _ in range(n):  # one fresh masking per step, drawn in order from one generator
                pick = rng.integers(0, len(train_seqs), size=B)
                x, lab = mask_tokens(train_seqs[pick], self.mask_rate, arch["vocab_size"], rng)
                batches.append((x, *_positions(lab, n_pred)))
            X = np.concatenate([b[0] for b in batches])
            Pp = np.concatenate([b[1] for b in batches])
            T = np.concatenate([b[2] for b in batches])
            hist = mlm.fit([X, Pp], T, batch_size=B, epochs=1, shuffle=False, verbose=0)
            done = mark
            val = float(mlm.evaluate([eval_in, eval_pos], eval_tgt, batch_size=256, verbose=0)) if n_eval else float("nan")
            rows.append({"step": mark, "loss": float(hist.history["loss"][-1]), "val_loss": val})
            kept[mark] = PretrainedEncoder(tokenizer, arch, [w.copy() for w in encoder.get_weights()], mark)
        hist = history_frame({k: [r[k] for r in rows] for k in ("step", "loss", "val_loss")})
        hist["step"] = hist["step"].astype(int)
        self.tokenizer_, self.encoder_, self.checkpoints_ = tokenizer, kept[steps], kept
        self.history_, self.n_params_, self.n_sequences_ = hist, int(encoder.count_params()), int(len(train_seqs))
        self.head_ = mlm
        return self

    def predict_masked(self, texts, k: int = 5) -> list[list[str]]:
        """For texts with ``[MASK]`` in them (written as the word ``[MASK]``), the ``k`` most
        likely tokens at the first masked position of each."""
        _check_fitted(self, "head_")
        texts = _check_texts(texts)
        tok, L = self.tokenizer_, self.encoder_.config["seq_len"]
        rows, where = [], []
        for t in texts:
            parts = str(t).split("[MASK]")
            ids = [CLS]
            for j, part in enumerate(parts):
                ids += tok.ids(part)
                if j < len(parts) - 1:
                    ids.append(MASK)
            ids = (ids + [SEP])[:L]
            where.append(ids.index(MASK) if MASK in ids else 1)
            rows.append(ids + [PAD] * (L - len(ids)))
        n_pred = self.head_.inputs[1].shape[1]
        pos = np.zeros((len(rows), n_pred), dtype="int32")
        pos[:, 0] = where
        logits = self.head_.predict([np.array(rows, dtype="int32"), pos], verbose=0)[:, 0, :]
        logits[:, : len(SPECIAL_TOKENS)] = -np.inf
        top = np.argsort(-logits, axis=1, kind="stable")[:, :k]
        return [[tok.vocab_[i] for i in r] for r in top]


# --------------------------------------------------------------------------- classifier
def _labels(y) -> np.ndarray:
    if isinstance(y, (str, bytes)):
        raise TypeError("y must be a sequence of intents, got a single string")
    arr = np.asarray(list(y), dtype=object)
    if arr.size and pd.isna(arr).any():
        raise ValueError("y has missing labels; label every text, nothing is dropped silently")
    arr = arr.astype(str)
    if len(np.unique(arr)) < 2:
        raise ValueError("y has fewer than two intents; a classifier needs at least two")
    return arr


class TransformerIntentClassifier(ClassifierMixin, BaseEstimator):
    """Intent classifier on a transformer encoder: mean of the token vectors -> dropout ->
    softmax over the intents, every weight trained (fine-tuning).

    Parameters
    ----------
    encoder : PretrainedEncoder, str or None
        Where to start. A :class:`PretrainedEncoder` (or the folder it was saved to): its
        tokenizer and shape, and with ``init="pretrained"`` its weights. None: a tokenizer is
        learned on the training texts and the shape comes from the parameters below.
    init : {"pretrained", "random"}
        ``"random"`` keeps the encoder's tokenizer and shape but starts from random weights:
        the same architecture trained from scratch (the control).
    vocab_size, seq_len, dim, heads, layers, ffn, dropout
        The shape when ``encoder`` is None (ignored otherwise, except ``dropout``).
    epochs, batch_size, learning_rate, seed
        Fine-tuning with Adam; the seed fixes the classifier's initial weights (and the
        encoder's, from scratch), dropout and the order of the batches.

    Attributes
    ----------
    classes_ : ndarray of str
    tokenizer_ : WordPieceTokenizer
    config_ : dict
        The encoder's shape.
    model_ : keras.Model
        Token ids -> intent probabilities.
    n_params_ : int
    history_ : DataFrame
        One row per epoch: ``loss``, ``accuracy``.
    """

    def __init__(self, encoder=None, init="pretrained", vocab_size=BOOK_LM.vocab_size, seq_len=BOOK_LM.seq_len,
                 dim=BOOK_LM.dim, heads=BOOK_LM.heads, layers=BOOK_LM.layers, ffn=BOOK_LM.ffn,
                 dropout=BOOK_LM.dropout, epochs=BOOK_LM.finetune_epochs, batch_size=BOOK_LM.finetune_batch,
                 learning_rate=BOOK_LM.finetune_lr, seed=0):
        self.encoder = encoder
        self.init = init
        self.vocab_size = vocab_size
        self.seq_len = seq_len
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.ffn = ffn
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed

    def _start(self, texts):
        """(tokenizer, config, weights or None) to start from."""
        if self.init not in ("pretrained", "random"):
            raise ValueError(f"init must be 'pretrained' or 'random', got {self.init!r}")
        enc = self.encoder
        if isinstance(enc, (str, Path)):
            enc = PretrainedEncoder.load(enc)
        if enc is None:
            arch = _arch_params(self)
            tok = WordPieceTokenizer(arch["vocab_size"]).fit(texts)
            arch["vocab_size"] = len(tok.vocab_)
            return tok, arch, None
        if not isinstance(enc, PretrainedEncoder):
            raise TypeError(f"encoder must be a PretrainedEncoder, a folder it was saved to, or None; "
                            f"got {type(enc).__name__}")
        cfg = dict(enc.config)
        cfg["dropout"] = _check_real(self.dropout, "dropout", 0.0, 1.0, low_open=False, high_open=True)
        return enc.tokenizer, cfg, (enc.weights if self.init == "pretrained" else None)

    def fit(self, texts, y) -> "TransformerIntentClassifier":
        """Fine-tune on texts and their intents."""
        for name in ("epochs", "batch_size"):
            _check_int(getattr(self, name), name)
        _check_real(self.learning_rate, "learning_rate", 0.0)
        _check_int(self.seed, "seed", 0)
        if self.encoder is None:
            _arch_params(self)
        else:
            _check_real(self.dropout, "dropout", 0.0, 1.0, low_open=False, high_open=True)
        texts = _check_texts(texts)
        y = _labels(y)
        if len(texts) != len(y):
            raise ValueError(f"texts has {len(texts)} entries but y has {len(y)}")
        tok, cfg, weights = self._start(texts)
        keras = _keras()
        keras.utils.set_random_seed(self.seed)
        P = _parts()
        encoder = encoder_model(**cfg)
        if weights is not None:
            encoder.set_weights(weights)
        classes = np.unique(y)
        target = np.searchsorted(classes, y).astype("int32")
        ids = keras.Input((cfg["seq_len"],), dtype="int32", name="ids")
        mask = keras.ops.not_equal(ids, PAD)
        h = P["MaskedMeanPool"](name="mean_pool")(encoder(ids), mask)
        h = keras.layers.Dropout(cfg["dropout"])(h)
        out = keras.layers.Dense(len(classes), activation="softmax", name="intent")(h)
        model = keras.Model(ids, out)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        X = tok.encode(texts, cfg["seq_len"])
        hist = model.fit(X, target, epochs=int(self.epochs), batch_size=int(self.batch_size), shuffle=True, verbose=0)
        self.classes_, self.tokenizer_, self.config_ = classes, tok, cfg
        self.model_, self.encoder_model_ = model, encoder
        self.n_params_ = int(model.count_params())
        self.history_ = history_frame(hist.history)
        return self

    def predict_proba(self, texts) -> np.ndarray:
        """Intent probabilities, shape (n, n_classes), columns in the order of ``classes_``."""
        _check_fitted(self, "model_")
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype="float32")
        return self.model_.predict(self.tokenizer_.encode(texts, self.config_["seq_len"]), verbose=0, batch_size=256)

    def predict(self, texts) -> np.ndarray:
        """The most probable intent per text."""
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def encoder_state(self) -> PretrainedEncoder:
        """The fine-tuned encoder as a :class:`PretrainedEncoder` (for :func:`embed`)."""
        _check_fitted(self, "model_")
        return PretrainedEncoder(self.tokenizer_, self.config_, self.encoder_model_.get_weights())

    def save(self, path) -> None:
        """Write the fitted classifier to the folder ``path`` (parameters, tokenizer, weights)."""
        _check_fitted(self, "model_")
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "encoder"}
        (p / "classifier.json").write_text(json.dumps({"params": params, "config": self.config_,
                                                       "classes": self.classes_.tolist(),
                                                       "history": self.history_.reset_index().to_dict("list")}),
                                           encoding="utf-8")
        self.tokenizer_.save(p / "tokenizer.json")
        np.savez(p / "weights.npz", *self.model_.get_weights())

    @classmethod
    def load(cls, path) -> "TransformerIntentClassifier":
        """Read a classifier written by :meth:`save`; it predicts exactly as the saved one."""
        p = Path(path)
        data = json.loads((p / "classifier.json").read_text(encoding="utf-8"))
        est = cls(**data["params"])
        tok = WordPieceTokenizer.load(p / "tokenizer.json")
        with np.load(p / "weights.npz") as z:
            weights = [z[f"arr_{i}"] for i in range(len(z.files))]
        keras = _keras()
        P = _parts()
        cfg = data["config"]
        encoder = encoder_model(**cfg)
        ids = keras.Input((cfg["seq_len"],), dtype="int32", name="ids")
        h = P["MaskedMeanPool"](name="mean_pool")(encoder(ids), keras.ops.not_equal(ids, PAD))
        h = keras.layers.Dropout(cfg["dropout"])(h)
        model = keras.Model(ids, keras.layers.Dense(len(data["classes"]), activation="softmax", name="intent")(h))
        model.set_weights(weights)
        est.classes_, est.tokenizer_, est.config_ = np.array(data["classes"]), tok, cfg
        est.model_, est.encoder_model_, est.n_params_ = model, encoder, int(model.count_params())
        hist = pd.DataFrame(data["history"]).set_index("epoch")
        est.history_ = hist
        return est


# --------------------------------------------------------------------------- data
def book_splits(texts, intents) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Chapter 6.4's splits of the Bitext messages (seed 0): ``"random"`` (stratified, 25%
    test) and ``"family"`` (:func:`retail_lab.service.family_split`)."""
    from . import service

    return {"random": service.random_split(intents, 0.25, seed=0),
            "family": service.family_split(texts, intents, seed=0)}


def pretraining_corpus(descriptions, responses, messages, splits: dict) -> dict[str, list[str]]:
    """The unlabelled text the encoder is pretrained on, by source.

    Parameters
    ----------
    descriptions : every product description of Online Retail (duplicates dropped here)
    responses : the Bitext answers (the shop's own texts; they carry no intent label)
    messages : the Bitext customer messages
    splits : name -> (train_index, test_index), e.g. :func:`book_splits`

    Returns
    -------
    dict
        ``"product descriptions"``, ``"answers"``, ``"customer messages"``: the messages that
        are in the training part of every split, so no message any split tests on (nor its
        rewrites) is seen in pretraining.
    """
    messages = np.asarray(_check_texts(messages, "messages"), dtype=object)
    test = np.zeros(len(messages), dtype=bool)
    for _, te in splits.values():
        test[np.asarray(te)] = True
    desc = pd.unique(pd.Series(_check_texts([d for d in descriptions if isinstance(d, str)], "descriptions")).str.strip())
    return {"product descriptions": [d for d in desc if d],
            "answers": pd.unique(pd.Series(_check_texts(responses, "responses"))).tolist(),
            "customer messages": messages[~test].tolist()}


# --------------------------------------------------------------------------- embeddings
def embed(encoder: PretrainedEncoder, texts, batch_size: int = 256, model=None) -> np.ndarray:
    """Text embeddings: the mean of the encoder's token vectors over each text (padding left
    out), scaled to unit length. Shape (n, dim), float32."""
    texts = _check_texts(texts)
    keras = _keras()
    P = _parts()
    cfg = encoder.config
    if model is None:
        enc = encoder.model()
        ids = keras.Input((cfg["seq_len"],), dtype="int32")
        model = keras.Model(ids, P["MaskedMeanPool"]()(enc(ids), keras.ops.not_equal(ids, PAD)))
    if not texts:
        return np.zeros((0, cfg["dim"]), dtype="float32")
    v = np.asarray(model.predict(encoder.tokenizer.encode(texts, cfg["seq_len"]), verbose=0, batch_size=batch_size))
    return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)).astype("float32")


def search(query_vectors: np.ndarray, item_vectors: np.ndarray, k: int = 10):
    """Nearest items by cosine similarity (vectors of unit length): (indices, similarities),
    each shape (n_queries, k), best first; ties to the lower index."""
    S = np.asarray(query_vectors) @ np.asarray(item_vectors).T
    k = min(k, S.shape[1])
    idx = np.argsort(-S, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(S, idx, axis=1)


#: The appendix's labelled product-search queries: (query, pattern). A product is relevant to
#: a query when its description matches the pattern (a regular expression, case-insensitive).
#: The queries are written as a customer would type them, mostly not in the catalogue's words.
PRODUCT_QUERIES: tuple = (
    ("something to keep my tea warm", r"\bTEA COSY\b"),
    ("cup for coffee", r"\bMUG\b"),
    ("lunch box for school", r"\bLUNCH ?BOX\b"),
    ("bag for shopping", r"\b(SHOPPER|SHOPPING BAG|JUMBO BAG)\b"),
    ("christmas tree ornament", r"\bCHRISTMAS\b.*\b(BAUBLE|DECORATION|ORNAMENT|HANGING)\b|\bBAUBLE\b"),
    ("candle holder", r"\b(T-LIGHT HOLDER|CANDLE ?HOLDER|CANDLESTICK|TEALIGHT HOLDER)\b"),
    ("clock for the wall", r"\bWALL CLOCK\b"),
    ("alarm clock", r"\bALARM CLOCK\b"),
    ("paper napkins for a party", r"\bNAPKINS?\b"),
    ("cake stand", r"\bCAKE ?STAND\b"),
    ("baking cups for cupcakes", r"\b(CAKE CASES?|BAKING CASES?|CUPCAKE CASES?)\b"),
    ("doorstop", r"\bDOORSTOP\b"),
    ("hot water bottle", r"\bHOT WATER BOTTLE\b"),
    ("children's umbrella", r"\bUMBRELLA\b"),
    ("lamp to hang outside", r"\bLANTERN\b"),
    ("string of fairy lights", r"\b(LIGHT CHAIN|STRING LIGHTS|FAIRY LIGHTS|LIGHTS STRING)\b"),
    ("photo frame", r"\b(PHOTO ?FRAME|PICTURE FRAME)\b"),
    ("notebook for writing", r"\b(NOTEBOOK|NOTE BOOK|JOURNAL)\b"),
    ("wrapping paper for presents", r"\bWRAP\b"),
    ("greeting card for a birthday", r"\bBIRTHDAY CARD\b"),
    ("plant pot", r"\b(PLANT POT|PLANTER|FLOWER POT)\b"),
    ("place to store cookies", r"\b(BISCUIT TIN|COOKIE JAR|CAKE TIN)\b"),
    ("hand warmer", r"\bHAND WARMER\b"),
    ("matches for lighting candles", r"\bMATCHES\b"),
    ("egg cup", r"\bEGG CUP\b"),
    ("keyring", r"\bKEY ?RING\b"),
)


def product_catalogue(retail: pd.DataFrame) -> pd.DataFrame:
    """One row per product of Online Retail: StockCode and its most frequent description,
    for products whose code starts with five digits (not postage, fees or adjustments)."""
    d = retail.dropna(subset=["Description"])
    d = d[d["StockCode"].astype(str).str.match(r"^\d{5}")]
    d = d.assign(StockCode=d["StockCode"].astype(str), Description=d["Description"].astype(str).str.strip())
    top = (d.groupby(["StockCode", "Description"], observed=True).size().rename("n").reset_index()
           .sort_values(["StockCode", "n", "Description"], ascending=[True, False, True], kind="mergesort"))
    return top.drop_duplicates("StockCode")[["StockCode", "Description"]].reset_index(drop=True)


def relevant_products(catalogue: pd.DataFrame, queries=None) -> list[np.ndarray]:
    """Per query, the rows of ``catalogue`` whose description matches its pattern;
    ``queries``: (text, pattern) pairs, default :data:`PRODUCT_QUERIES`."""
    if queries is None:
        queries = PRODUCT_QUERIES
    desc = catalogue["Description"].astype(str).tolist()
    out = []
    for _, pattern in queries:
        rx = re.compile(pattern, re.IGNORECASE)
        out.append(np.array([i for i, d in enumerate(desc) if rx.search(d)], dtype=int))
    return out


def ndcg_at_k(ranked: np.ndarray, relevant: Sequence[np.ndarray], k: int = 10) -> np.ndarray:
    """NDCG@k per query with binary relevance: the discounted gain of the relevant items among
    the top ``k`` over the best possible. ``ranked`` has shape (n_queries, >= k)."""
    out = []
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    for row, rel in zip(np.asarray(ranked)[:, :k], relevant):
        rel = set(np.asarray(rel).tolist())
        if not rel:
            out.append(np.nan)
            continue
        gain = float(sum(disc[i] for i, item in enumerate(row) if int(item) in rel))
        out.append(gain / float(disc[: min(len(rel), k)].sum()))
    return np.array(out)


def retrieval_answers(query_vectors, known_vectors, known_intents, threshold: float) -> pd.DataFrame:
    """Answer each message with the closest known message's answer, or hand over.

    Returns
    -------
    DataFrame
        ``neighbour`` (row of the known message), ``similarity`` (cosine), ``intent`` (of the
        neighbour), ``handover`` (similarity below ``threshold``).
    """
    threshold = _check_real(threshold, "threshold", -1.0, 1.0, low_open=False)
    idx, sim = search(query_vectors, known_vectors, k=1)
    intents = np.asarray(known_intents)
    return pd.DataFrame({"neighbour": idx[:, 0], "similarity": sim[:, 0],
                         "intent": intents[idx[:, 0]], "handover": sim[:, 0] < threshold})


def paired_difference(correct_a, correct_b, groups=None, n_boot: int = 1000, level: float = 0.95,
                      seed: int = 0) -> dict[str, float]:
    """Accuracy of model A minus model B on the same messages, with a paired bootstrap interval.

    Parameters
    ----------
    correct_a, correct_b : array, shape (n,) or (runs, n)
        Whether each message was classified correctly (several rows: one per seed, averaged).
    groups : sequence, length n, optional
        Resample whole groups (phrasing families) instead of messages, as chapter 6.4 does.

    Returns
    -------
    dict
        ``diff``, ``lo``, ``hi`` (percentile interval of the resampled differences).

    Examples
    --------
    >>> paired_difference([1, 1, 0, 1], [1, 0, 0, 1], n_boot=200)["diff"]
    0.25
    """
    from .service import cluster_bootstrap_weights

    a = np.atleast_2d(np.asarray(correct_a, dtype=float)).mean(axis=0)
    b = np.atleast_2d(np.asarray(correct_b, dtype=float)).mean(axis=0)
    if a.shape != b.shape:
        raise ValueError(f"correct_a and correct_b cover different messages: {a.shape} vs {b.shape}")
    d = a - b
    n_boot = _check_int(n_boot, "n_boot")
    if groups is None:
        idx = np.random.default_rng(seed).integers(0, d.size, size=(n_boot, d.size))
        boot = d[idx].mean(axis=1)
    else:
        w = cluster_bootstrap_weights(list(groups), n_boot, seed)
        boot = (w @ d) / w.sum(axis=1)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return {"diff": float(d.mean()), "lo": float(lo), "hi": float(hi)}


def verdict(lo: float, hi: float, better: str = "pretraining helps", worse: str = "pretraining hurts",
            neither: str = "no difference that the data can resolve") -> str:
    """The words for an interval of a difference: above zero, below zero, or covering it."""
    return better if lo > 0 else worse if hi < 0 else neither
