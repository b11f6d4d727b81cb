"""Keras recommenders for purchases: BPR matrix factorisation, NeuMF, a two-tower model with
user and item features, and a SASRec-style self-attention model over purchase sequences.

All follow :class:`retail_lab.recsys.Recommender` (scikit-learn's estimator convention):
``__init__`` only stores hyperparameters, ``fit(split)`` takes a :class:`RecSplit` (they read
dates and side information from ``split.train``, so a bare matrix is not enough), validates,
trains and returns self; ``score(rows)`` gives a dense (n_rows, n_items) array over the whole
catalogue, ``recommend`` ranks it. Training is epoch by epoch with a record in ``history_``
(a DataFrame indexed by epoch: train loss, seconds, and, when ``fit(split, validate=True)``,
NDCG@10 under the ``protocol`` hyperparameter on the split's own test period, for early
stopping). Only ever validate on a *validation* split (test period before the real test
cutoff); the refit on all training data then uses the best epoch count, ``best_epoch_``
(``refit_params()``). The book's settings are :data:`BOOK_SETTINGS`.

TensorFlow/Keras is imported lazily (:func:`retail_lab.repro.import_tensorflow`), on the
first fit or load, so importing this module is cheap.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from ..repro import import_tensorflow
from ._validation import ParameterTypeError, _choice, _positive_int, _real, _seed
from .data import RecSplit, interaction_matrix, item_descriptions, recency_matrix
from .evaluation import mean_metric
from .models import Recommender, check_interactions
from .settings import BOOK_SETTINGS

__all__ = ["KerasRecommender", "BPRMF", "NeuMF", "TwoTower", "SASRec", "BOOK_SETTINGS", "bpr_mf_model",
           "two_tower_model", "item_tower_layer", "layer_table", "user_features",
           "item_features", "purchase_sequences", "next_period_examples", "count_params", "load_model",
           "read_marker"]


def _keras():
    import_tensorflow()
    import keras

    return keras


#: The mark :meth:`KerasRecommender.save` writes into the ``.keras`` archive's comment, so
#: :func:`load_model` can tell the book's models from any other Keras file.
_MARK = "retail_lab.recsys.neural"


def _check_model_file(path) -> Path:
    """The path of a readable, complete ``.keras`` archive; a clear error naming the fault."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__}")
    p = Path(path)
    if not str(p).endswith(".keras"):
        raise ValueError(f"{str(p)!r} is not a .keras file; KerasRecommender.save writes .keras files")
    if not p.exists():
        where = "" if p.parent.is_dir() else f" (the folder {str(p.parent)!r} does not exist either)"
        raise FileNotFoundError(f"no saved model at {str(p)!r}{where}; check the path, or save the model "
                                "first with model.save(path)")
    if p.is_dir():
        raise IsADirectoryError(f"{str(p)!r} is a directory, not a saved model file; pass the path of the "
                                ".keras file inside it")
    try:
        with open(p, "rb") as f:
            f.read(1)
    except PermissionError:
        raise PermissionError(f"no permission to read {str(p)!r}; fix its permissions "
                              "(e.g. chmod u+r) or copy it somewhere readable") from None
    size = p.stat().st_size
    if size == 0:
        raise ValueError(f"{str(p)!r} is empty (0 bytes): the save was interrupted or the file was "
                         "overwritten; save the model again (to this or another path)")
    if not zipfile.is_zipfile(p):
        raise ValueError(f"{str(p)!r} ({size} bytes) is truncated or corrupt: it is not a complete .keras "
                         "(zip) archive, e.g. an interrupted save or copy; save or copy the model again")
    try:
        with zipfile.ZipFile(p) as zf:
            bad = zf.testzip()
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        raise ValueError(f"{str(p)!r} is corrupt ({err}); save or copy the model again") from None
    if bad is not None:
        raise ValueError(f"{str(p)!r} is corrupt: the archive member {bad!r} fails its checksum; "
                         "save or copy the model again")
    if "config.json" not in names or not names & {"model.weights.h5", "model.weights.npz"}:
        raise ValueError(f"{str(p)!r} is a zip archive but not a Keras model file (it holds "
                         f"{sorted(names)[:5]}); pass a file written by model.save(path)")
    return p


def read_marker(path) -> dict:
    """What :meth:`KerasRecommender.save` recorded about the model in ``path``.

    Returns
    -------
    dict
        ``class`` (e.g. "BPRMF"), ``keras_name``, ``n_users``, ``n_items``, ``params``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError, ValueError
        If the file is missing, not a file, unreadable, truncated or corrupt, or was not
        saved by :meth:`KerasRecommender.save`.
    """
    p = _check_model_file(path)
    with zipfile.ZipFile(p) as zf:
        comment = zf.comment
    try:
        mark = json.loads(comment.decode("utf-8")) if comment else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{str(p)!r}: the retail_lab mark in the archive comment is damaged; "
                         "save the model again") from None
    if not isinstance(mark, dict) or mark.get("mark") != _MARK:
        raise ValueError(f"{str(p)!r} is a Keras file, but not one saved by a retail_lab recommender's "
                         "save() (it has no retail_lab mark); if you trust its origin, load it with "
                         "keras.saving.load_model")
    return mark


def load_model(path, expected=None):
    """Load a model saved by :meth:`KerasRecommender.save`, checked, with ``safe_mode=True``.

    Safe mode refuses to run arbitrary code stored in the file (lambda layers); the book's
    custom layers and the BPR loss are registered, so they load.

    Parameters
    ----------
    path : str or Path
        A ``.keras`` file written by ``save``.
    expected : class or str, optional
        The recommender the file must hold (e.g. ``BPRMF`` or ``"BPRMF"``); default: any of
        BPRMF, NeuMF, TwoTower, SASRec.

    Returns
    -------
    keras.Model
        The saved Keras model (``model_``); score users with the original recommender's
        :meth:`KerasRecommender.score_with`.

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (the message names the path).
    IsADirectoryError, PermissionError
        ``path`` is a directory / cannot be read.
    ValueError
        The file is empty, truncated or corrupt, is not a Keras file, was not saved by a
        retail_lab recommender, or holds another model than ``expected``.
    """
    keras = _keras()
    _item_tower_layer(), _sasrec_layers(), _bpr_loss_fn()  # make sure the custom objects are registered
    mark = read_marker(path)
    known = {c.__name__: c for c in (BPRMF, NeuMF, TwoTower, SASRec)}
    if mark.get("class") not in known:
        raise ValueError(f"{str(path)!r} holds a {mark.get('class')!r} model; load_model knows {sorted(known)}")
    if expected is not None:
        name = expected if isinstance(expected, str) else getattr(expected, "__name__", repr(expected))
        if name not in known:
            raise ValueError(f"expected must be one of {sorted(known)} (class or name), got {expected!r}")
        if mark["class"] != name:
            raise ValueError(f"{str(path)!r} holds a {mark['class']} model, not the expected {name}; "
                             "check which file you passed")
    try:
        model = keras.saving.load_model(str(path), safe_mode=True)
    except Exception as err:
        raise ValueError(f"{str(path)!r} is marked as a {mark['class']} model but Keras could not load it "
                         f"({type(err).__name__}: {err}); save the model again") from err
    if model.name != mark.get("keras_name"):
        raise ValueError(f"{str(path)!r} is marked as {mark['class']} but holds the Keras model "
                         f"{model.name!r}, not {mark.get('keras_name')!r}; the file was altered, save it again")
    return model


def count_params(model) -> int:
    """Number of trainable parameters of a Keras model."""
    return int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))


def layer_table(model) -> pd.DataFrame:
    """One row per layer of a Keras model, in order: what a reader compares two builds by.

    Returns
    -------
    DataFrame
        ``layer`` (class name), ``output shape`` (without the batch dimension; "-" for a
        layer with several outputs), ``weights`` (shapes of all its weights, trainable or
        not) and ``parameters`` (trainable), indexed by position.

    Example
    -------
    >>> layer_table(bpr_mf_model(3, 4, dim=2))["parameters"].tolist()  # doctest: +SKIP
    [0, 0, 0, 6, 8, 4]
    """
    rows = []
    for layer in model.layers:
        out = getattr(layer, "output", None)
        shape = tuple(out.shape[1:]) if hasattr(out, "shape") else "-"
        rows.append({"layer": type(layer).__name__, "output shape": shape,
                     "weights": [tuple(int(d) for d in w.shape) for w in layer.weights],
                     "parameters": int(sum(int(np.prod(w.shape)) for w in layer.trainable_weights))})
    return pd.DataFrame(rows).rename_axis("position")


# --------------------------------------------------------------------------- features


def user_features(tx: pd.DataFrame, users: pd.Index, cutoff) -> pd.DataFrame:
    """Country and RFM of each user from purchases before ``cutoff``.

    Parameters
    ----------
    tx : DataFrame
        Clean purchase lines with CustomerID, InvoiceNo, InvoiceDate, Quantity, UnitPrice,
        Country.
    users : Index
        Rows of the result, in this order.
    cutoff : str or Timestamp

    Returns
    -------
    DataFrame, shape (len(users), 4), index users
        country (str, most frequent; "unknown" for users without purchases), and
        log_recency, log_frequency, log_monetary: ``log1p`` of days since the last purchase,
        distinct invoices, and spend in GBP (users without purchases: recency 365 days, 0, 0).
    """
    cut = pd.Timestamp(cutoff)
    past = tx[(tx["InvoiceDate"] < cut) & tx["CustomerID"].isin(users)]
    g = past.assign(rev=past["Quantity"] * past["UnitPrice"]).groupby("CustomerID")
    rfm = pd.DataFrame({
        "recency": (cut - g["InvoiceDate"].max()).dt.total_seconds() / 86400.0,
        "frequency": g["InvoiceNo"].nunique(),
        "monetary": g["rev"].sum().clip(lower=0),
    }).reindex(users)
    rfm = rfm.fillna({"recency": 365.0, "frequency": 0.0, "monetary": 0.0})
    country = (past.assign(Country=past["Country"].astype(str))
               .groupby(["CustomerID", "Country"], observed=True).size().rename("n").reset_index()
               .sort_values(["CustomerID", "n", "Country"], ascending=[True, False, True])
               .drop_duplicates("CustomerID").set_index("CustomerID")["Country"])
    out = pd.DataFrame({"country": country.reindex(users).astype(object).fillna("unknown").astype(str)},
                       index=users)
    for col in ("recency", "frequency", "monetary"):
        out[f"log_{col}"] = np.log1p(rfm[col].to_numpy(dtype=float))
    return out


def item_features(tx: pd.DataFrame, items: pd.Index, n_price_bands: int = 8,
                  max_tokens: int = 2000) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Price band and description tokens of each item.

    Returns
    -------
    price_band : ndarray of int, shape (n_items,)
        Quantile band (0 .. n_price_bands - 1) of the item's median unit price.
    tokens : ndarray of float32, shape (n_items, n_tokens)
        Binary bag of the description's words (the ``max_tokens`` most frequent).
    vocabulary : list of str, length n_tokens
    """
    price = tx.groupby("StockCode", observed=True)["UnitPrice"].median().reindex(items)
    price = price.fillna(price.median()).to_numpy(dtype=float)
    edges = np.quantile(price, np.linspace(0, 1, n_price_bands + 1)[1:-1])
    band = np.searchsorted(edges, price, side="right").astype(np.int32)
    docs = [d.lower() for d in item_descriptions(tx, items)]
    vec = CountVectorizer(binary=True, max_features=max_tokens, token_pattern=r"[a-z]{2,}")
    T = vec.fit_transform(docs).toarray().astype(np.float32)
    return band, T, list(vec.get_feature_names_out())


def purchase_sequences(tx: pd.DataFrame, users: pd.Index, items: pd.Index) -> list[np.ndarray]:
    """Each user's purchased item indices in time order, one entry per (invoice, item).

    A product bought again moves to the end (only its last purchase is kept), so a sequence
    lists distinct items ordered by when the user last bought them.

    Returns
    -------
    list of ndarray of int, length len(users)
    """
    t = tx[["CustomerID", "StockCode", "InvoiceDate"]].copy()
    t["u"] = users.get_indexer(t["CustomerID"])
    t["i"] = items.get_indexer(t["StockCode"])
    t = t[(t["u"] >= 0) & (t["i"] >= 0)]
    t["pos"] = np.arange(len(t))
    t = t.sort_values(["u", "InvoiceDate", "pos"]).drop_duplicates(["u", "i"], keep="last")
    seqs = [np.zeros(0, dtype=np.int64) for _ in range(len(users))]
    for u, s in t.groupby("u")["i"]:
        seqs[int(u)] = s.to_numpy(dtype=np.int64)
    return seqs


def next_period_examples(split: RecSplit, horizon_days: int = 30, every_days: int = 14,
                         span_days: int = 240, half_life_days: float = 90.0):
    """Training examples that mimic the test task: history up to a date -> the next period.

    For snapshot dates ``c`` every ``every_days`` in the last ``span_days`` before the split
    cutoff (the last one ``horizon_days`` before it, so no target crosses the cutoff), each
    user with history before ``c`` and a purchase in ``[c, c + horizon)`` gives one example.

    Returns
    -------
    history : csr_matrix, shape (n_examples, n_items)
        Recency-weighted purchase counts before ``c``.
    target : csr_matrix, shape (n_examples, n_items)
        1 for each item bought in ``[c, c + horizon)``.
    user_rows : ndarray of int, shape (n_examples,)
        Row of the user in ``split.X``.
    dates : ndarray of datetime64, shape (n_examples,)
    """
    train = split.train
    cut = pd.Timestamp(split.cutoff)
    last = cut - pd.Timedelta(days=horizon_days)
    dates = pd.date_range(end=last, periods=max(1, span_days // every_days), freq=f"{every_days}D")
    H, Y, R, D = [], [], [], []
    for c in dates:
        past = train[train["InvoiceDate"] < c]
        fut = train[(train["InvoiceDate"] >= c) & (train["InvoiceDate"] < c + pd.Timedelta(days=horizon_days))]
        if past.empty or fut.empty:
            continue
        W = recency_matrix(past, split.users, split.items, c, half_life_days)
        T = interaction_matrix(fut, split.users, split.items)
        rows = np.flatnonzero((np.diff(T.indptr) > 0) & (np.diff(W.indptr) > 0))
        H.append(W[rows]), Y.append(T[rows]), R.append(rows), D.append(np.full(len(rows), c.to_datetime64()))
    if not H:
        raise ValueError("no snapshot has both history and a next-period purchase; "
                         "use a later cutoff or a longer span_days")
    return sp.vstack(H).tocsr(), sp.vstack(Y).tocsr(), np.concatenate(R), np.concatenate(D)


def _history_input(W: sp.csr_matrix) -> np.ndarray:
    """log1p of recency-weighted counts, each row scaled to unit L2 norm; dense float32."""
    W = sp.csr_matrix(W, dtype=np.float32, copy=True)
    W.data = np.log1p(W.data)
    n = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    n[n == 0] = 1.0
    return (sp.diags(1.0 / n) @ W).toarray().astype(np.float32)


# --------------------------------------------------------------------------- model builders


def bpr_mf_model(n_users: int, n_items: int, dim: int = 64, l2: float = 1e-6):
    """The Keras model :class:`BPRMF` trains (functional API), untrained.

    Inputs ``user``, ``item`` (bought) and ``negative`` (not bought), each a batch of int32
    indices; output ``s(u, i) - s(u, j)`` with ``s(u, i) = p_u . q_i + b_i``, the difference
    the BPR loss ``softplus(-diff)`` pushes up. Layers ``user_emb``, ``item_emb`` (L2 penalty
    ``l2``) and ``item_bias``; ``n_users * dim + n_items * (dim + 1)`` parameters.

    Returns
    -------
    keras.Model
        Named ``"bpr_mf"``.

    Example
    -------
    >>> count_params(bpr_mf_model(n_users=3, n_items=4, dim=2))  # doctest: +SKIP
    18
    """
    keras = _keras()
    reg = keras.regularizers.L2(l2)
    u = keras.Input((), dtype="int32", name="user")
    i = keras.Input((), dtype="int32", name="item")
    j = keras.Input((), dtype="int32", name="negative")
    P = keras.layers.Embedding(n_users, dim, embeddings_regularizer=reg, name="user_emb")
    Q = keras.layers.Embedding(n_items, dim, embeddings_regularizer=reg, name="item_emb")
    B = keras.layers.Embedding(n_items, 1, name="item_bias")
    pu = P(u)
    s_i = keras.ops.sum(pu * Q(i), axis=-1) + keras.ops.squeeze(B(i), -1)
    s_j = keras.ops.sum(pu * Q(j), axis=-1) + keras.ops.squeeze(B(j), -1)
    return keras.Model([u, i, j], s_i - s_j, name="bpr_mf")


def two_tower_model(n_countries: int, band, tokens, dim: int = 64, hidden: int = 256,
                    dropout: float = 0.5):
    """The Keras model :class:`TwoTower` trains (functional API), untrained.

    Customer tower: ``history`` (n_items recency-weighted purchase counts) -> dropout ->
    dense ``hidden`` (tanh); ``country`` -> 8-dim embedding; concatenated with ``rfm`` (3
    standardised values) -> dense ``dim`` (``user_vector``). Product tower (``item_tower``,
    an ``ItemTower`` layer holding the product features as constant weights): id embedding +
    price-band embedding + a projection of the description words, one ``dim``-vector per
    product. Output: the dot product of the customer vector with every product vector, one
    logit per product (softmax over the catalogue in the loss).

    Parameters
    ----------
    n_countries : int
        Rows of the country embedding (index 0 = unknown).
    band : array of int, shape (n_items,)
        Each product's price band (:func:`item_features`).
    tokens : array of float, shape (n_items, n_tokens)
        Each product's description words (:func:`item_features`).

    Returns
    -------
    keras.Model
        Named ``"two_tower"``, inputs ``history``, ``country``, ``rfm``.

    Example
    -------
    >>> band, tokens, _ = item_features(split.train, split.items)  # doctest: +SKIP
    >>> model = two_tower_model(n_countries=5, band=band, tokens=tokens, dim=64)  # doctest: +SKIP
    """
    keras = _keras()
    band = np.asarray(band)
    tokens = np.asarray(tokens, dtype=np.float32)
    n_items = len(band)
    hist = keras.Input((n_items,), name="history")
    country = keras.Input((), dtype="int32", name="country")
    rfm = keras.Input((3,), name="rfm")
    h = keras.layers.Dropout(dropout)(hist)
    h = keras.layers.Dense(hidden, activation="tanh")(h)
    c = keras.layers.Embedding(n_countries, 8)(country)
    z = keras.layers.Concatenate()([h, c, rfm])
    user_vec = keras.layers.Dense(dim, name="user_vector")(z)
    tower = _item_tower_layer()(n_items, int(band.max()) + 1, tokens.shape[1], dim, name="item_tower")
    logits = tower(user_vec)
    tower.band.assign(band.astype(np.int32))
    tower.tokens.assign(tokens)
    return keras.Model([hist, country, rfm], logits, name="two_tower")


# --------------------------------------------------------------------------- base class


class KerasRecommender(Recommender):
    """Shared training loop: epochs, history, early stopping on validation NDCG@10.

    ``fit(split, validate=False)`` takes a :class:`RecSplit` (not a bare matrix: the models
    read dates and side information from ``split.train``). ``validate`` is a fit argument
    because it says what the data's test period is for (validation data for early stopping,
    like ``eval_set`` elsewhere); the metric's ``protocol`` is a hyperparameter.

    Parameters
    ----------
    epochs : int
        Maximum epochs (with ``validate=True``) or exact epochs (refit).
    batch_size : int
    learning_rate : float
        Adam step size.
    patience : int
        Epochs without a better validation NDCG@10 before stopping.
    protocol : {"new", "all"}, default "new"
        The evaluation protocol of the validation NDCG@10 (``RecSplit.protocol``); used only
        by ``fit(split, validate=True)``.
    seed : int
        Seeds weight initialisation, shuffling and negative sampling.
    """

    #: Name of the Keras model each subclass builds (also checked by :func:`load_model`).
    keras_name = None

    def __init__(self, epochs: int = 20, batch_size: int = 256, learning_rate: float = 1e-3,
                 patience: int = 3, protocol: str = "new", seed: int = 0):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.protocol = protocol
        self.seed = seed

    def _check_params(self) -> None:
        """Validate the hyperparameters (called by ``fit``); subclasses extend it."""
        for name in ("epochs", "batch_size", "patience"):
            _positive_int(name, getattr(self, name))
        _real("learning_rate", self.learning_rate, 0, None, low_inclusive=False)
        _choice("protocol", self.protocol, ("new", "all"))
        _seed(self.seed)

    # subclasses implement
    def _prepare(self, split: RecSplit) -> None:
        raise NotImplementedError

    def _build(self):
        raise NotImplementedError

    def _train_epoch(self, epoch: int) -> float:
        raise NotImplementedError

    def fit(self, split: RecSplit, validate: bool = False) -> "KerasRecommender":
        """Train on ``split.train``; with ``validate=True`` early-stop on ``split.test``.

        Parameters
        ----------
        split : RecSplit
            With ``validate=True`` this must be a validation split (its test period lies
            before the real test cutoff).
        validate : bool
            Evaluate NDCG@10 (under the ``protocol`` hyperparameter) on the split's test period
            after every epoch, stop after ``patience`` epochs without improvement and keep
            the best weights.

        Returns
        -------
        self
        """
        self._check_params()
        if not isinstance(split, RecSplit):
            raise TypeError(f"fit takes a RecSplit (from recsys.temporal_split or book_splits), got "
                            f"{type(split).__name__}; the Keras models read dates and side information "
                            "from split.train, so a bare matrix is not enough")
        check_interactions(split.X, "split.X")
        if split.X.shape != (len(split.users), len(split.items)):
            raise ValueError(f"split.X has shape {split.X.shape} but the split has {len(split.users)} users "
                             f"and {len(split.items)} items")
        if not isinstance(validate, (bool, np.bool_)):
            raise TypeError(f"validate must be True or False, got {validate!r}")
        protocol = self.protocol
        keras = _keras()
        keras.utils.set_random_seed(int(self.seed))
        self._rng = np.random.default_rng(int(self.seed))
        self.X_ = split.X
        self.n_items_ = split.X.shape[1]
        self._prepare(split)
        self.model_ = self._build()
        self.model_.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss=self._loss())
        self.n_params_ = count_params(self.model_)
        records, best, best_w, wait = [], -np.inf, None, 0
        start = time.perf_counter()
        for epoch in range(1, self.epochs + 1):
            loss = self._train_epoch(epoch)
            if not np.isfinite(loss):
                raise ValueError(f"{type(self).__name__}: training loss is {loss} at epoch {epoch}, training "
                                 f"diverged; use a smaller learning_rate (now {self.learning_rate:g})")
            rec = {"epoch": epoch, "train_loss": float(loss)}
            if validate:
                self._after_training()
                rec["val_ndcg@10"] = mean_metric(self, split, protocol, "NDCG@10")
                if rec["val_ndcg@10"] > best:
                    best, best_w, wait, self.best_epoch_ = rec["val_ndcg@10"], self.model_.get_weights(), 0, epoch
                else:
                    wait += 1
            rec["seconds"] = time.perf_counter() - start
            records.append(rec)
            if validate and wait >= self.patience:
                break
        if validate:
            self.model_.set_weights(best_w)
        else:
            self.best_epoch_ = len(records)
        self._after_training()
        self.train_seconds_ = time.perf_counter() - start
        self.history_ = pd.DataFrame(records).set_index("epoch")
        # training examples are not needed for scoring; free them (memory budget)
        for name in ("_inputs", "_target", "_x", "_y", "_u", "_i", "_rng"):
            self.__dict__.pop(name, None)
        gc.collect()
        return self

    def _loss(self):
        keras = _keras()
        return keras.losses.CategoricalCrossentropy(from_logits=True)

    def save(self, path) -> None:
        """Save the trained Keras model (``.keras`` format; item features included).

        The archive's comment records which recommender it holds (class, users, items,
        parameters), so :func:`load_model` can check it. The file is written under a
        temporary name in the same folder and renamed when complete, so an interrupted save
        never leaves a truncated file under ``path``.
        """
        self._check_fitted()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__}")
        if not str(path).endswith(".keras"):
            raise ValueError(f"path must end with .keras, got {path!r}")
        p = Path(path)
        if p.is_dir():
            raise IsADirectoryError(f"{str(p)!r} is a directory; give a file name ending in .keras")
        if not p.parent.is_dir():
            raise FileNotFoundError(f"the folder {str(p.parent)!r} does not exist; create it first")
        mark = {"mark": _MARK, "class": type(self).__name__, "keras_name": self.model_.name,
                "n_users": int(self.X_.shape[0]), "n_items": int(self.n_items_),
                "params": self.get_params(deep=False)}
        tmp = p.with_name(f".{p.stem}.part-{os.getpid()}.keras")
        try:
            self.model_.save(tmp)
            with zipfile.ZipFile(tmp, "a") as zf:
                zf.comment = json.dumps(mark, default=str).encode("utf-8")
            os.replace(tmp, p)
        finally:
            if tmp.exists():
                tmp.unlink()

    def score_with(self, model, rows) -> np.ndarray:
        """Scores of users ``rows`` computed by ``model``, a Keras model of this recommender
        (e.g. ``load_model(path)`` of the file this recommender saved); same shape and, for
        its own file, the same numbers as :meth:`score`.

        Raises
        ------
        ValueError
            If ``model`` is not this kind of model or was built for another catalogue.
        """
        rows = self._rows(rows)
        name = getattr(model, "name", None)
        if name != self.keras_name:
            raise ValueError(f"model is {name!r}, but {type(self).__name__} scores with a {self.keras_name!r} "
                             "model; load the file this recommender saved")
        out = self._score_with(model, rows)
        if out.shape != (len(rows), self.n_items_):
            raise ValueError(f"model gives scores of shape {out.shape[1:]} per user, this recommender "
                             f"{(self.n_items_,)}: it was saved from a model fitted on other data")
        return out

    def _score_with(self, model, rows) -> np.ndarray:
        raise NotImplementedError

    def _no_rows(self) -> np.ndarray:
        return np.zeros((0, self.n_items_), dtype=np.float32)

    def _after_training(self) -> None:
        """Hook: cache what scoring needs (e.g. item embeddings) after weights change."""

    def _predict(self, model, inputs) -> np.ndarray:
        """Model outputs as NumPy: a direct call for small batches (low latency when serving
        one customer), ``predict`` in batches otherwise."""
        first = inputs[next(iter(inputs))] if isinstance(inputs, dict) else inputs
        if len(first) <= 64:
            return np.asarray(model(inputs, training=False))
        return np.asarray(model.predict(inputs, batch_size=1024, verbose=0))

    def refit_params(self) -> dict:
        """Constructor arguments for the refit: ``get_params()`` with ``epochs = best_epoch_``
        (equivalently ``sklearn.base.clone(model).set_params(epochs=model.best_epoch_)``)."""
        self._check_fitted()
        return {**self.get_params(deep=False), "epochs": int(self.best_epoch_)}


def _purchase_pairs(split: RecSplit) -> tuple[np.ndarray, np.ndarray, int]:
    """(user rows, item columns, pairs left out) of every training purchase, for the models
    that contrast purchases with unbought items (BPR-MF, NeuMF).

    Users who bought every item have no negative to pair with, so their purchases are left
    out (their number is the third value).

    Raises
    ------
    ValueError
        If every user bought every item (no pair is left).
    """
    X = check_interactions(split.X, "split.X").tocoo()
    full = np.diff(sp.csr_matrix(split.X).indptr) >= split.X.shape[1]
    keep = ~full[X.row]
    if not keep.any():
        raise ValueError("every user bought every item, so there is no unbought item to contrast "
                         "with (BPR needs one); use a split with a larger catalogue")
    return X.row[keep].astype(np.int32), X.col[keep].astype(np.int32), int((~keep).sum())


def _bpr_loss(y_true, diff):
    keras = _keras()
    return keras.ops.mean(keras.ops.softplus(-diff))


@functools.lru_cache(maxsize=None)
def _bpr_loss_fn():
    """The BPR loss, registered with Keras so a saved BPR-MF can be loaded again."""
    return _register(_bpr_loss)


class BPRMF(KerasRecommender):
    """Matrix factorisation trained with the BPR pairwise loss (Rendle et al., 2009).

    ``s(u, i) = p_u . q_i + b_i``; each epoch pairs every training purchase (u, i) with an
    item j drawn uniformly from those u did not buy, and minimises
    ``softplus(-(s(u, i) - s(u, j)))`` plus L2 on the embeddings.

    Parameters
    ----------
    dim : int
        Embedding size.
    l2 : float
        L2 penalty on the embeddings.
    """

    keras_name = "bpr_mf"

    def __init__(self, dim: int = 64, l2: float = 1e-5, epochs: int = 20, batch_size: int = 1024,
                 learning_rate: float = 2e-3, patience: int = 3, protocol: str = "new", seed: int = 0):
        super().__init__(epochs, batch_size, learning_rate, patience, protocol, seed)
        self.dim = dim
        self.l2 = l2

    def _check_params(self):
        super()._check_params()
        _positive_int("dim", self.dim)
        _real("l2", self.l2, 0, None)

    def _prepare(self, split):
        """Training pairs: every purchase (see :func:`_purchase_pairs`)."""
        self._u, self._i, self.n_pairs_without_negative_ = _purchase_pairs(split)
        self.n_users_ = split.X.shape[0]

    def _build(self):
        return bpr_mf_model(self.n_users_, self.n_items_, dim=self.dim, l2=self.l2)

    def _loss(self):
        return _bpr_loss_fn()

    def _train_epoch(self, epoch):
        j = self._rng.integers(0, self.n_items_, size=len(self._u)).astype(np.int32)
        bought = np.asarray(self.X_[self._u, j]).ravel() > 0
        while bought.any():  # redraw negatives the user did buy
            j[bought] = self._rng.integers(0, self.n_items_, size=int(bought.sum()))
            bought[bought] = np.asarray(self.X_[self._u[bought], j[bought]]).ravel() > 0
        h = self.model_.fit([self._u, self._i, j], np.zeros(len(j), np.float32), batch_size=self.batch_size,
                            epochs=1, verbose=0, shuffle=True)
        return h.history["loss"][-1]

    @staticmethod
    def _factors(model):
        return (model.get_layer("user_emb").get_weights()[0], model.get_layer("item_emb").get_weights()[0],
                model.get_layer("item_bias").get_weights()[0].ravel())

    def _after_training(self):
        self._P, self._Q, self._b = self._factors(self.model_)

    def score(self, rows):
        rows = self._rows(rows)
        return self._P[rows] @ self._Q.T + self._b[None, :]

    def _score_with(self, model, rows):
        P, Q, b = self._factors(model)
        if P.shape[0] != self.X_.shape[0]:
            raise ValueError(f"model has {P.shape[0]} users, this recommender {self.X_.shape[0]}: "
                             "it was saved from a model fitted on other data")
        return P[rows] @ Q.T + b[None, :]


class NeuMF(KerasRecommender):
    """Neural matrix factorisation (He et al., 2017): GMF and an MLP side by side.

    ``logit(u, i) = w^T [p_u * q_i ; MLP([p'_u ; q'_i])]``, trained with binary
    cross-entropy on each purchase and ``negatives`` unbought items drawn per epoch.

    Parameters
    ----------
    dim : int
        Size of the GMF embeddings and of each MLP embedding.
    hidden : tuple of int
        MLP layer widths.
    negatives : int
        Sampled unbought items per purchase.
    """

    keras_name = "neumf"

    def __init__(self, dim: int = 32, hidden=(64, 32), negatives: int = 4, l2: float = 1e-6,
                 epochs: int = 20, batch_size: int = 2048, learning_rate: float = 2e-3,
                 patience: int = 3, protocol: str = "new", seed: int = 0):
        super().__init__(epochs, batch_size, learning_rate, patience, protocol, seed)
        self.dim = dim
        self.hidden = hidden
        self.negatives = negatives
        self.l2 = l2

    def _check_params(self):
        super()._check_params()
        _positive_int("dim", self.dim)
        hidden = self.hidden
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise ParameterTypeError(f"hidden must be a sequence of layer widths such as (64, 32), got {hidden!r}")
        if not tuple(hidden):
            raise ValueError("hidden must list at least one MLP layer width, e.g. (64, 32)")
        for w in hidden:
            _positive_int("each width in hidden", w)
        _positive_int("negatives", self.negatives)
        _real("l2", self.l2, 0, None)

    def _prepare(self, split):
        """Training pairs: every purchase (see :func:`_purchase_pairs`)."""
        self._u, self._i, self.n_pairs_without_negative_ = _purchase_pairs(split)
        self.n_users_ = split.X.shape[0]
        self.hidden_ = tuple(int(w) for w in self.hidden)

    def _build(self):
        keras = _keras()
        reg = keras.regularizers.L2(self.l2)
        u = keras.Input((), dtype="int32", name="user")
        i = keras.Input((), dtype="int32", name="item")
        emb = lambda n, name: keras.layers.Embedding(n, self.dim, embeddings_regularizer=reg, name=name)  # noqa: E731
        gmf = emb(self.n_users_, "gmf_user")(u) * emb(self.n_items_, "gmf_item")(i)
        h = keras.layers.Concatenate()([emb(self.n_users_, "mlp_user")(u), emb(self.n_items_, "mlp_item")(i)])
        for n, w in enumerate(self.hidden_):
            h = keras.layers.Dense(w, activation="relu", name=f"mlp_{n}")(h)
        out = keras.layers.Dense(1, name="output")(keras.layers.Concatenate()([gmf, h]))
        return keras.Model([u, i], keras.ops.squeeze(out, -1), name="neumf")

    def _loss(self):
        return _keras().losses.BinaryCrossentropy(from_logits=True)

    def _train_epoch(self, epoch):
        n = len(self._u)
        j = self._rng.integers(0, self.n_items_, size=n * self.negatives).astype(np.int32)
        u = np.concatenate([self._u, np.repeat(self._u, self.negatives)])
        i = np.concatenate([self._i, j])
        y = np.concatenate([np.ones(n, np.float32), np.zeros(len(j), np.float32)])
        h = self.model_.fit([u, i], y, batch_size=self.batch_size, epochs=1, verbose=0, shuffle=True)
        return h.history["loss"][-1]

    @staticmethod
    def _weights(model):
        return {layer.name: layer.get_weights() for layer in model.layers if layer.get_weights()}

    def _after_training(self):
        self._w = self._weights(self.model_)

    def score(self, rows, chunk: int = 64):
        """Every (user, item) pair's logit, computed in NumPy from the trained weights.

        Same numbers as ``model_.predict`` on all pairs (up to float32 rounding), without
        materialising n_rows * n_items pairs: the first MLP layer splits into a user part and
        an item part, ``W0 [p; q] = W0_u p + W0_i q``, computed once each.
        """
        rows = self._rows(rows)
        chunk = _positive_int("chunk", chunk)
        return self._score_weights(self._w, rows, chunk)

    def _score_with(self, model, rows):
        w = self._weights(model)
        if w["gmf_user"][0].shape[0] != self.X_.shape[0]:
            raise ValueError(f"model has {w['gmf_user'][0].shape[0]} users, this recommender "
                             f"{self.X_.shape[0]}: it was saved from a model fitted on other data")
        return self._score_weights(w, rows, 64)

    def _score_weights(self, w, rows, chunk):
        d = self.dim
        Pg, Qg = w["gmf_user"][0][rows], w["gmf_item"][0]
        Pm, Qm = w["mlp_user"][0][rows], w["mlp_item"][0]
        W0, b0 = w["mlp_0"]
        Wout, bout = w["output"]
        A = Pm @ W0[:d]                       # (n_rows, h0)
        B = Qm @ W0[d:] + b0                  # (n_items, h0)
        out = (Pg * Wout[:d, 0]) @ Qg.T + bout[0]
        for start in range(0, len(rows), chunk):
            H = np.maximum(A[start:start + chunk, None, :] + B[None], 0.0)
            for n in range(1, len(self.hidden_)):
                Wn, bn = w[f"mlp_{n}"]
                H = np.maximum(H @ Wn + bn, 0.0)
            out[start:start + chunk] += H @ Wout[d:, 0]
        return out


def _register(cls):
    return _keras().saving.register_keras_serializable(package="retail_lab")(cls)


def item_tower_layer():
    """The ``ItemTower`` layer class of :func:`two_tower_model` (registered with Keras, so a
    saved two-tower model loads with ``safe_mode=True``).

    ``ItemTower(n_items, n_bands, n_tokens, dim)``: holds each product's price band and
    description words as non-trainable weights; called on a batch of customer vectors
    (batch, dim) it returns their dot products with every product vector (batch, n_items).
    """
    return _item_tower_layer()


@functools.lru_cache(maxsize=None)
def _item_tower_layer():
    keras = _keras()

    @_register
    class ItemTower(keras.layers.Layer):
        """Item vectors from id embedding + price-band embedding + description tokens.

        Holds the item features as non-trainable weights, so ``call`` needs no input and the
        saved model carries them.
        """

        def __init__(self, n_items, n_bands, n_tokens, dim, **kwargs):
            super().__init__(**kwargs)
            self.n_items, self.n_bands, self.n_tokens, self.dim = n_items, n_bands, n_tokens, dim
            self.id_emb = keras.layers.Embedding(n_items, dim)
            self.band_emb = keras.layers.Embedding(n_bands, dim)
            self.token_proj = keras.layers.Dense(dim, use_bias=False)

        def build(self, input_shape=None):
            self.band = self.add_weight(shape=(self.n_items,), dtype="int32", trainable=False,
                                        initializer="zeros", name="price_band")
            self.tokens = self.add_weight(shape=(self.n_items, self.n_tokens), trainable=False,
                                          initializer="zeros", name="tokens")
            self.id_emb.build((self.n_items,))
            self.band_emb.build((self.n_items,))
            self.token_proj.build((self.n_items, self.n_tokens))

        def call(self, user_vectors):
            ids = keras.ops.arange(self.n_items)
            V = self.id_emb(ids) + self.band_emb(self.band) + self.token_proj(self.tokens)
            return keras.ops.matmul(user_vectors, keras.ops.transpose(V))

        def get_config(self):
            return {**super().get_config(), "n_items": self.n_items, "n_bands": self.n_bands,
                    "n_tokens": self.n_tokens, "dim": self.dim}

    return ItemTower


class TwoTower(KerasRecommender):
    """Two-tower retrieval model trained to predict the next period's purchases.

    User tower: the user's recency-weighted purchase history, country (embedding) and RFM
    (log recency, frequency, monetary, standardised) -> MLP -> ``dim``-vector. Item tower:
    id embedding + price-band embedding + projection of the description's words. Score: dot
    product, softmax over the full catalogue against the items each snapshot user bought in
    the following ``horizon_days`` (examples from :func:`next_period_examples`).

    ``fit(split)``: user and item features (country, RFM, prices, descriptions) come from
    ``split.train``, i.e. from lines before the cutoff only.

    Parameters
    ----------
    dim, hidden : int
        Tower output size and width of the user tower's hidden layer.
    dropout : float
        Dropout on the history input (a denoising autoencoder's trick).
    horizon_days, every_days, span_days, half_life_days : see :func:`next_period_examples`.
    """

    keras_name = "two_tower"

    def __init__(self, dim: int = 64, hidden: int = 256, dropout: float = 0.5, horizon_days: int = 30,
                 every_days: int = 28, span_days: int = 240, half_life_days: float = 90.0,
                 epochs: int = 20, batch_size: int = 256, learning_rate: float = 1e-3,
                 patience: int = 3, protocol: str = "new", seed: int = 0):
        super().__init__(epochs, batch_size, learning_rate, patience, protocol, seed)
        self.dim = dim
        self.hidden = hidden
        self.dropout = dropout
        self.horizon_days = horizon_days
        self.every_days = every_days
        self.span_days = span_days
        self.half_life_days = half_life_days

    def _check_params(self):
        super()._check_params()
        for name in ("dim", "hidden", "horizon_days", "every_days", "span_days"):
            _positive_int(name, getattr(self, name))
        _real("dropout", self.dropout, 0, 1, high_inclusive=False)
        _real("half_life_days", self.half_life_days, 0, None, low_inclusive=False)

    def _user_inputs(self, split, W, user_rows, dates):
        feats = []
        for d in np.unique(dates):
            f = user_features(split.train, split.users, pd.Timestamp(d))
            feats.append(f.iloc[user_rows[dates == d]].assign(_order=np.flatnonzero(dates == d)))
        f = pd.concat(feats).sort_values("_order")
        country = self.countries_.get_indexer(f["country"]).astype(np.int32)
        country[country < 0] = 0  # "unknown" / unseen country
        rfm = ((f[["log_recency", "log_frequency", "log_monetary"]].to_numpy(float) - self.rfm_mean_)
               / self.rfm_std_).astype(np.float32)
        return {"history": _history_input(W), "country": country, "rfm": rfm}

    def _features(self, split):
        """Countries, RFM scaling and product features of ``split.train`` (what the model's
        shape depends on)."""
        f_now = user_features(split.train, split.users, split.cutoff)
        self.countries_ = pd.Index(["unknown"] + sorted(set(f_now["country"]) - {"unknown"}))
        cols = ["log_recency", "log_frequency", "log_monetary"]
        self.rfm_mean_ = f_now[cols].to_numpy(float).mean(axis=0)
        self.rfm_std_ = f_now[cols].to_numpy(float).std(axis=0) + 1e-9
        self.band_, self.tokens_, self.vocabulary_ = item_features(split.train, split.items)

    def _prepare(self, split):
        self._features(split)
        H, Y, rows, dates = next_period_examples(split, self.horizon_days, self.every_days,
                                                 self.span_days, self.half_life_days)
        self._inputs = self._user_inputs(split, H, rows, dates)
        Yd = Y.toarray().astype(np.float32)
        self._target = Yd / Yd.sum(axis=1, keepdims=True)
        self.n_examples_ = len(rows)
        W_now = recency_matrix(split.train, split.users, split.items, split.cutoff, self.half_life_days)
        all_rows = np.arange(len(split.users))
        self._score_inputs = self._user_inputs(split, W_now, all_rows,
                                               np.full(len(all_rows), pd.Timestamp(split.cutoff).to_datetime64()))

    def _build(self):
        return two_tower_model(len(self.countries_), self.band_, self.tokens_, dim=self.dim,
                               hidden=self.hidden, dropout=self.dropout)

    def prepare(self, split: RecSplit) -> tuple[dict, np.ndarray]:
        """The first step of ``fit``, on its own: features and training examples of ``split``.

        Sets ``countries_``, ``band_`` and ``tokens_`` (what :func:`two_tower_model` needs)
        and returns the training examples ``fit`` would train on, so a model built by hand
        can be trained on exactly the same data.

        Returns
        -------
        inputs : dict
            ``history`` (n_examples, n_items) float32, ``country`` (n_examples,) int32,
            ``rfm`` (n_examples, 3) float32: the model's inputs.
        target : ndarray, shape (n_examples, n_items)
            Each example's next-period purchases as a distribution (rows sum to 1).
        """
        self._check_params()
        if not isinstance(split, RecSplit):
            raise TypeError(f"prepare takes a RecSplit, got {type(split).__name__}")
        self.n_items_ = split.X.shape[1]
        self._prepare(split)
        inputs, target = self._inputs, self._target
        del self._inputs, self._target, self._score_inputs  # fit prepares again; free the memory
        return inputs, target

    def _train_epoch(self, epoch):
        h = self.model_.fit(self._inputs, self._target, batch_size=self.batch_size, epochs=1,
                            verbose=0, shuffle=True)
        return h.history["loss"][-1]

    def score(self, rows):
        rows = self._rows(rows)
        if len(rows) == 0:
            return self._no_rows()
        return self._predict(self.model_, {k: v[rows] for k, v in self._score_inputs.items()})

    def _score_with(self, model, rows):
        if len(rows) == 0:
            return self._no_rows()
        return self._predict(model, {k: v[rows] for k, v in self._score_inputs.items()})

    def scoring_inputs(self, rows) -> dict:
        """The model inputs of users ``rows`` at the split cutoff (for saving/serving)."""
        rows = self._rows(rows)
        return {k: v[rows] for k, v in self._score_inputs.items()}


@functools.lru_cache(maxsize=None)
def _sasrec_layers():
    keras = _keras()

    @_register
    class PositionalItemEmbedding(keras.layers.Layer):
        """Item embedding (0 = padding) plus a learned position embedding."""

        def __init__(self, n_items, max_len, dim, **kwargs):
            super().__init__(**kwargs)
            self.n_items, self.max_len, self.dim = n_items, max_len, dim
            self.items = keras.layers.Embedding(n_items + 1, dim)
            self.positions = keras.layers.Embedding(max_len, dim)

        def build(self, input_shape=None):
            self.items.build((None,))
            self.positions.build((None,))

        def call(self, seq):
            pos = keras.ops.arange(self.max_len)
            return self.items(seq) * (self.dim ** 0.5) + self.positions(pos)[None]

        def get_config(self):
            return {**super().get_config(), "n_items": self.n_items, "max_len": self.max_len, "dim": self.dim}

    @_register
    class ItemLogits(keras.layers.Layer):
        """Scores of every item: hidden states times the (shared) item embedding table."""

        def __init__(self, embedding_layer_name, **kwargs):
            super().__init__(**kwargs)
            self.embedding_layer_name = embedding_layer_name

        def call(self, hidden, table):
            return keras.ops.matmul(hidden, keras.ops.transpose(table[1:]))

        def get_config(self):
            return {**super().get_config(), "embedding_layer_name": self.embedding_layer_name}

    return PositionalItemEmbedding, ItemLogits


class SASRec(KerasRecommender):
    """Self-attentive sequential recommender (Kang & McAuley, 2018), small.

    Each user's item sequence (:func:`purchase_sequences`, last ``max_len`` items) goes
    through item + position embeddings and ``blocks`` causal transformer blocks; the hidden
    state at every position is scored against all item embeddings (shared table) and trained
    with softmax cross-entropy to predict the next item. A user's recommendation scores are
    the output at the last position.

    Parameters
    ----------
    max_len : int
        Sequence length (older items are cut; shorter sequences are left-padded).
    max_windows : int
        Training windows of ``max_len`` per user, the most recent first (bounds the cost of
        the full-catalogue softmax for users with long histories).
    train_positions : int
        The loss covers the next-item predictions at the last ``train_positions`` positions
        of each window (every position still attends to all earlier ones); fewer positions
        make the full-catalogue softmax cheaper.
    dim, heads, blocks : int
        Embedding size, attention heads, transformer blocks.
    dropout : float
    """

    keras_name = "sasrec"

    def __init__(self, max_len: int = 20, dim: int = 32, heads: int = 2, blocks: int = 1,
                 dropout: float = 0.2, max_windows: int = 1, train_positions: int = 8,
                 epochs: int = 20, batch_size: int = 256,
                 learning_rate: float = 1e-3, patience: int = 3, protocol: str = "new", seed: int = 0):
        super().__init__(epochs, batch_size, learning_rate, patience, protocol, seed)
        self.max_len = max_len
        self.dim = dim
        self.heads = heads
        self.blocks = blocks
        self.dropout = dropout
        self.max_windows = max_windows
        self.train_positions = train_positions

    def _check_params(self):
        super()._check_params()
        for name in ("max_len", "dim", "heads", "blocks", "max_windows", "train_positions"):
            _positive_int(name, getattr(self, name))
        if self.heads > self.dim:
            raise ValueError(f"heads ({self.heads}) must be <= dim ({self.dim}): each head needs "
                             "dim // heads >= 1 units")
        _real("dropout", self.dropout, 0, 1, high_inclusive=False)
        if not 1 <= self.train_positions <= self.max_len:
            raise ValueError(f"train_positions must be in [1, max_len={self.max_len}], got {self.train_positions}")

    def _windows(self, seqs, training):
        L = self.max_len
        X, Y = [], []
        for s in seqs:
            s = s + 1  # 0 is padding
            if training:
                # non-overlapping windows of L inputs (+1 target) from the end backwards
                for end in list(range(len(s), 1, -L))[:self.max_windows]:
                    chunk = s[max(0, end - L - 1):end]
                    x, y = chunk[:-1], chunk[1:]
                    X.append(np.pad(x, (L - len(x), 0)))
                    Y.append(np.pad(y, (L - len(y), 0)))
            else:
                x = s[-L:]
                X.append(np.pad(x, (L - len(x), 0)))
        X = np.asarray(X, dtype=np.int32).reshape(-1, L)
        return (X, np.asarray(Y, dtype=np.int32).reshape(-1, L)) if training else X

    def _prepare(self, split):
        seqs = purchase_sequences(split.train, split.users, split.items)
        self._x, self._y = self._windows(seqs, training=True)
        self._score_x = self._windows(seqs, training=False)
        self.n_examples_ = int((self._y[:, -self.train_positions:] > 0).sum())
        if self.n_examples_ == 0:
            raise ValueError("no user bought two different items before the cutoff, so there is no "
                             "next-item example to train SASRec on; use a longer training period")

    def _build(self):
        keras = _keras()
        PosEmb, ItemLogits = _sasrec_layers()
        seq = keras.Input((self.max_len,), dtype="int32", name="sequence")
        emb = PosEmb(self.n_items_, self.max_len, self.dim, name="embedding")
        h = keras.layers.Dropout(self.dropout)(emb(seq))
        pad = keras.ops.cast(keras.ops.not_equal(seq, 0), "float32")[..., None]
        h = h * pad
        for b in range(self.blocks):
            a = keras.layers.MultiHeadAttention(self.heads, self.dim // self.heads, dropout=self.dropout,
                                                name=f"attention_{b}")(h, h, use_causal_mask=True)
            h = keras.layers.LayerNormalization(epsilon=1e-6)(h + a)
            f = keras.layers.Dense(self.dim, activation="relu")(h)
            f = keras.layers.Dropout(self.dropout)(keras.layers.Dense(self.dim)(f))
            h = keras.layers.LayerNormalization(epsilon=1e-6)(h + f) * pad
        to_logits = ItemLogits("embedding", name="item_logits")
        # the scorer shares every layer and scores only the last position
        self.scorer_ = keras.Model(seq, to_logits(h[:, -1, :], emb.items.embeddings), name="sasrec_scorer")
        last = h[:, -self.train_positions:, :]
        return keras.Model(seq, to_logits(last, emb.items.embeddings), name="sasrec")

    def _loss(self):
        return _keras().losses.SparseCategoricalCrossentropy(from_logits=True)

    def _train_epoch(self, epoch):
        # targets are item index + 1 (0 = padding, weight 0); shift to 0-based for the loss
        t = self._y[:, -self.train_positions:]
        y = np.maximum(t - 1, 0)
        w = (t > 0).astype(np.float32)
        h = self.model_.fit(self._x, y, sample_weight=w, batch_size=self.batch_size, epochs=1,
                            verbose=0, shuffle=True)
        return h.history["loss"][-1]

    def score(self, rows):
        rows = self._rows(rows)
        if len(rows) == 0:
            return self._no_rows()
        return self._predict(self.scorer_, self._score_x[rows])

    def _score_with(self, model, rows):
        """``model`` is the saved training model; the scorer is rebuilt from its layers (the
        hidden states at the last position times the item table), as in :meth:`_build`."""
        if len(rows) == 0:
            return self._no_rows()
        keras = _keras()
        try:
            to_logits = model.get_layer("item_logits")
            hidden = to_logits._inbound_nodes[0].input_tensors[0]
            table = model.get_layer("embedding").items.embeddings
        except (ValueError, AttributeError, IndexError) as err:
            raise ValueError(f"model is not a saved SASRec ({err})") from None
        scorer = keras.Model(model.inputs[0], to_logits(hidden[:, -1, :], table), name="sasrec_scorer")
        return self._predict(scorer, self._score_x[rows])
