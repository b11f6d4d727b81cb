"""What "large model" means: published parameter counts and counts we compute ourselves."""

from __future__ import annotations

import pandas as pd

__all__ = ["PUBLISHED_MODEL_SIZES", "model_sizes", "transformer_param_count", "keras_param_counts"]

#: Parameter counts as reported in each model's paper (``cite`` keys are in book/references.bib).
PUBLISHED_MODEL_SIZES = (
    # model, year, family, parameters, cite key
    ("LeNet-5", 1998, "CNN", 60_000, "lecun1998gradient"),
    ("AlexNet", 2012, "CNN", 60_000_000, "krizhevsky2012imagenet"),
    ("Seq2seq LSTM", 2014, "RNN", 384_000_000, "sutskever2014sequence"),
    ("ResNet-50", 2016, "CNN", 25_600_000, "he2016deep"),
    ("Transformer (base)", 2017, "Transformer", 65_000_000, "vaswani2017attention"),
    ("BERT-large", 2019, "Transformer", 340_000_000, "devlin2019bert"),
    ("GPT-2", 2019, "Transformer", 1_542_000_000, "radford2019language"),
    ("GPT-3", 2020, "Transformer", 175_000_000_000, "brown2020language"),
    ("Llama 2 70B", 2023, "Transformer", 70_000_000_000, "touvron2023llama"),
)


def model_sizes() -> pd.DataFrame:
    """The published sizes as a table.

    Returns
    -------
    DataFrame, shape (n_models, 5)
        model, year, family, parameters, cite; sorted by year.
    """
    df = pd.DataFrame(
        PUBLISHED_MODEL_SIZES, columns=["model", "year", "family", "parameters", "cite"]
    )
    return df.sort_values(["year", "parameters"], kind="mergesort").reset_index(drop=True)


def transformer_param_count(
    n_layers: int,
    d_model: int,
    vocab_size: int,
    n_positions: int,
    d_ff: int | None = None,
    tied_embeddings: bool = True,
) -> int:
    """Exact parameter count of a GPT-2-style decoder-only transformer.

    Counts token and learned position embeddings; per layer two LayerNorms (scale and
    shift), the fused query/key/value projection, the attention output projection and the
    two-layer MLP, all with biases; a final LayerNorm; and an output projection unless it
    is tied to the token embedding.

    Parameters
    ----------
    n_layers, d_model, vocab_size, n_positions : int
        Depth, width, vocabulary and context length (all positive).
    d_ff : int, optional
        MLP hidden width; defaults to ``4 * d_model``.
    tied_embeddings : bool, default True

    Returns
    -------
    int

    Examples
    --------
    GPT-2 small (12 layers, width 768, 50,257 tokens, 1,024 positions):

    >>> transformer_param_count(12, 768, 50257, 1024)
    124439808
    """
    for name, v in (("n_layers", n_layers), ("d_model", d_model),
                    ("vocab_size", vocab_size), ("n_positions", n_positions)):
        if not isinstance(v, int) or v <= 0:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    d, f = d_model, (4 * d_model if d_ff is None else d_ff)
    per_layer = (
        2 * d  # LayerNorm before attention
        + d * 3 * d + 3 * d  # fused q, k, v
        + d * d + d  # attention output
        + 2 * d  # LayerNorm before MLP
        + d * f + f  # MLP up
        + f * d + d  # MLP down
    )
    total = vocab_size * d + n_positions * d + n_layers * per_layer + 2 * d
    if not tied_embeddings:
        total += vocab_size * d
    return int(total)


def keras_param_counts() -> pd.DataFrame:
    """Parameter counts of classic architectures, counted by building them in Keras.

    Builds LeNet-5 (as in LeCun et al. 1998, with its 6-16-120-84-10 layout on 32x32
    input) and ResNet-50 (``keras.applications``, random weights: nothing is downloaded).

    Returns
    -------
    DataFrame
        model, parameters (int).
    """
    from .repro import import_tensorflow

    import_tensorflow()  # the book's numeric configuration first
    import keras
    from keras import layers

    lenet = keras.Sequential(
        [
            keras.Input((32, 32, 1)),
            layers.Conv2D(6, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="tanh"),
            layers.Dense(84, activation="tanh"),
            layers.Dense(10),
        ],
        name="lenet5",
    )
    resnet = keras.applications.ResNet50(weights=None)
    return pd.DataFrame(
        {
            "model": ["LeNet-5 (Keras)", "ResNet-50 (Keras)"],
            "parameters": [lenet.count_params(), resnet.count_params()],
        }
    )
