"""Exercises of appendix B Large models (notebooks/16_large_models.ipynb): each checker
computes its answer from the appendix's settings (:data:`retail_lab.lm.BOOK_LM`) and its
pretraining corpus (``setup()`` lists the values; the chapter glues the ones it used)."""

from __future__ import annotations

import functools

from ._core import Question, register

#: The wider, deeper encoder exercise B.2 asks about: (dim, heads, layers), ffn = 4 * dim.
EXERCISE_SHAPE = (256, 8, 4)
#: The smaller vocabulary exercise B.3 asks about.
EXERCISE_VOCAB = 1000


@functools.lru_cache(maxsize=1)
def _corpus() -> dict:
    from .. import lm
    from ..datasets import load_bitext_support, load_online_retail

    support = load_bitext_support()
    texts = support["instruction"].to_numpy(str)
    intents = support["intent"].astype(str).to_numpy()
    splits = lm.book_splits(texts, intents)
    return lm.pretraining_corpus(load_online_retail()["Description"], support["response"].to_numpy(str),
                                 texts, splits)


def setup() -> dict:
    """The values the checkers compute with; the chapter glues the ones it used."""
    from ..lm import BOOK_LM

    corpus = _corpus()
    return {"vocab_size": BOOK_LM.vocab_size, "seq_len": BOOK_LM.seq_len, "dim": BOOK_LM.dim,
            "heads": BOOK_LM.heads, "layers": BOOK_LM.layers, "ffn": BOOK_LM.ffn,
            "pretrain_steps": BOOK_LM.pretrain_steps,
            "corpus_texts": sum(len(v) for v in corpus.values())}


def _gpt2_ratio() -> float:
    from ..background import transformer_param_count
    from ..lm import BOOK_LM, encoder_param_count

    ours = encoder_param_count(BOOK_LM.vocab_size, BOOK_LM.seq_len, BOOK_LM.dim, BOOK_LM.layers, BOOK_LM.ffn)
    return float(transformer_param_count(12, 768, 50257, 1024) / ours)


def _wider_params() -> int:
    from ..lm import BOOK_LM, encoder_param_count

    dim, _, layers = EXERCISE_SHAPE
    return encoder_param_count(BOOK_LM.vocab_size, BOOK_LM.seq_len, dim, layers, 4 * dim)


def _pieces_per_description() -> float:
    from ..lm import WordPieceTokenizer

    corpus = _corpus()
    tok = WordPieceTokenizer(vocab_size=EXERCISE_VOCAB).fit([t for v in corpus.values() for t in v])
    desc = corpus["product descriptions"]
    return sum(len(tok.tokenize(d)) for d in desc) / len(desc)


register(
    Question("ch16", "q1", _gpt2_ratio, "float", 0.01,
             "Divide GPT-2 small's counted parameters (124,439,808) by the book's encoder's count."),
    Question("ch16", "q2", _wider_params, "int", 0.0,
             "lm.encoder_param_count(vocab_size, seq_len, 256, 4, 1024), or build lm.encoder_model with "
             "dim=256, heads=8, layers=4, ffn=1024 and call count_params(); the heads do not change the count.",
             needs_code=True),
    Question("ch16", "q3", _pieces_per_description, "float", 0.01,
             "lm.WordPieceTokenizer(vocab_size=1000).fit(all pretraining texts), then the mean of "
             "len(tok.tokenize(d)) over corpus['product descriptions'].", needs_code=True),
)
