"""Two-stage recommendation: EASE proposes candidates, a learned model re-ranks them.

EASE (:class:`~retail_lab.recsys.EASE`) is a linear model of co-purchases: it does not know
*when* a product was bought, that a product is in season, what its description says, what it
costs next to what the customer usually pays, or what the customer bought last. A re-ranker
adds those signals. For every customer it takes EASE's top ``n_candidates`` products and
describes each (customer, product) pair by the signals below; a model trained on the shop's
own recent past (which candidates did customers buy in the last ``label_days`` days before the
cutoff, with the signals computed before that period) orders the candidates.

The signals (columns of :func:`candidate_features`)
----------------------------------------------------
- co-purchase: ``ease`` (EASE score), ``ease_rank`` (place among the candidates), ``knn``
  (item-kNN cosine score);
- recency: ``recent_ease``, EASE refitted on purchases weighted by their age
  (``0.5 ** (age / recency_half_life_days)``, so last month's co-purchases count most) and
  scored on the customer's recency-weighted history;
- popularity and its trend: buyers in the last 7 and 30 days and in the 60 days before
  (``pop7``, ``pop30``, ``pop_prior60``, log scale), all time (``pop``), and the product's
  age in the catalogue (``age_days``);
- seasonality: buyers in the last November-December before the cutoff (``season``: the
  shop's Christmas ramp; zero where the data has no such period);
- content: mean and largest TF-IDF similarity of the product's description to the
  customer's products (``text``, ``text_max``) and the mean to the products of their last
  invoice (``text_last``);
- price: log median unit price (``log_price``) and its distance to the customer's median
  (``price_gap``);
- sequence: EASE score from the last invoice alone (``ease_last``);
- the customer: days since the last purchase, invoices, distinct products (``user_*``);
- repeat purchases (``protocol="all"`` only: the customer's own products are candidates):
  ``own_weight`` (recency-weighted purchases of the product), ``own_invoices``,
  ``own_days`` (days since they last bought it).

The learner is gradient-boosted trees (scikit-learn's ``HistGradientBoostingClassifier``
with a fixed number of trees: deterministic, the seed changes nothing) or a Keras network
(``learner="keras"``, seeded).
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._history import epoch_timer, history_frame
from ._validation import _positive_int, _real
from .data import RecSplit, interaction_matrix, item_descriptions, recency_matrix, temporal_split
from .models import EASE, ItemKNN, Recommender, interactions_of, text_similarity, top_k

__all__ = ["Reranker", "candidate_features", "FEATURES", "OWN_FEATURES"]

#: The signals of every candidate (both protocols), in column order.
FEATURES = ("ease", "ease_rank", "knn", "recent_ease", "ease_last", "pop", "pop7", "pop30",
            "pop_prior60", "age_days", "season", "text", "text_max", "text_last", "log_price", "price_gap",
            "user_days", "user_invoices", "user_products")
#: The repeat-purchase signals, used with ``protocol="all"``.
OWN_FEATURES = ("own_weight", "own_invoices", "own_days")
_FAR = 10_000.0   # "never": days since a purchase that did not happen


def _buyers(tx, split_users, items, start, end) -> np.ndarray:
    """Distinct buyers of each item among lines in [start, end)."""
    d = tx["InvoiceDate"]
    part = tx[(d >= start) & (d < end)]
    if part.empty:
        return np.zeros(len(items))
    return np.asarray(interaction_matrix(part, split_users, items).sum(axis=0)).ravel()


def _season_window(cutoff: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last November-December that ended by ``cutoff`` (the previous year's: this year's
    ends on 1 January of the next)."""
    year = cutoff.year - 1
    return pd.Timestamp(year=year, month=11, day=1), pd.Timestamp(year=year + 1, month=1, day=1)


def _pair_scores(R: sp.csr_matrix, M: np.ndarray, cand: np.ndarray, how: str = "sum") -> np.ndarray:
    """``(R @ M)[i, cand[i]]`` for every row i, without the full product: each stored entry
    (i, j, v) of ``R`` adds ``v * M[j, cand[i]]``; shape of ``cand``. ``how="max"``: the
    largest ``M[j, cand[i]]`` over the stored entries j of row i instead (0 for an empty row)."""
    R = sp.csr_matrix(R)
    n, m = cand.shape
    counts = np.diff(R.indptr)
    owner = np.repeat(np.arange(n), counts)                  # row of each stored entry
    vals = M[R.indices[:, None], cand[owner]]
    if how == "sum":
        vals = vals * R.data[:, None].astype(M.dtype)
    out = np.zeros((n, m), dtype=np.float64)
    if len(owner):
        nz = counts > 0
        reduce = np.add if how == "sum" else np.maximum
        out[nz] = reduce.reduceat(vals, R.indptr[:-1][nz], axis=0)
    return out


def candidate_features(split: RecSplit, rows, candidates, *, l2: float = 1000.0,
                       recency_half_life_days: float = 90.0, recency_l2: float = 300.0,
                       own: bool = False, _cache: dict | None = None) -> pd.DataFrame:
    """The signals of each (customer, candidate product) pair, computed from ``split.train`` only.

    Parameters
    ----------
    split : RecSplit
        Its training lines (before ``split.cutoff``) are the only data read.
    rows : array of int, shape (n,)
        Customers (rows of ``split.X``).
    candidates : array of int, shape (n, m)
        Candidate products (columns of ``split.X``) of each customer.
    own : bool
        Add the repeat-purchase signals (:data:`OWN_FEATURES`).

    Returns
    -------
    DataFrame, n * m rows (customer-major), columns :data:`FEATURES` (+ :data:`OWN_FEATURES`)
    """
    c = _cache if _cache is not None else _signals(split, l2, recency_half_life_days, recency_l2)
    rows = np.asarray(rows, dtype=np.int64)
    cand = np.asarray(candidates, dtype=np.int64)
    n, m = cand.shape
    take = lambda M: np.take_along_axis(np.asarray(M), cand, axis=1).ravel()   # noqa: E731
    pair = lambda R, M: _pair_scores(R, M, cand).ravel()                        # noqa: E731
    rep = lambda v: np.repeat(np.asarray(v, dtype=float), m)                    # noqa: E731
    item = lambda v: np.asarray(v, dtype=float)[cand].ravel()                   # noqa: E731
    Xr = c["Xb"][rows]
    size = np.maximum(np.asarray(Xr.sum(axis=1)).ravel(), 1.0)
    last = c["last"][rows]
    last_size = np.maximum(np.asarray(last.sum(axis=1)).ravel(), 1.0)
    out = {
        "ease": pair(c["X"][rows], c["B"]),
        "ease_rank": np.tile(np.arange(m, dtype=float), n),
        "knn": pair(Xr, c["S"]),
        "recent_ease": pair(c["W"][rows], c["Bt"]),
        "ease_last": pair(last, c["B"]),
        "pop": item(c["pop"]), "pop7": item(c["pop7"]), "pop30": item(c["pop30"]),
        "pop_prior60": item(c["pop_prior60"]), "age_days": item(c["age"]), "season": item(c["season"]),
        "text": pair(Xr, c["T"]) / np.repeat(size, m),
        "text_max": _pair_scores(Xr, c["T"], cand, how="max").ravel(),
        "text_last": pair(last, c["T"]) / np.repeat(last_size, m),
        "log_price": item(c["log_price"]),
        "price_gap": item(c["log_price"]) - rep(c["user_price"][rows]),
        "user_days": rep(c["user_days"][rows]), "user_invoices": rep(c["user_invoices"][rows]),
        "user_products": rep(size),
    }
    if own:
        out["own_weight"] = take(c["W"][rows].toarray())
        out["own_invoices"] = take(c["N"][rows].toarray())
        days = c["own_days"][rows].toarray()
        out["own_days"] = np.take_along_axis(np.where(days > 0, days - 1.0, _FAR), cand, axis=1).ravel()
    return pd.DataFrame(out)


def _signals(split: RecSplit, l2: float, half_life: float, recency_l2: float) -> dict:
    """Everything :func:`candidate_features` reads, computed once per split."""
    tr, cut, users, items = split.train, split.cutoff, split.users, split.items
    X = interactions_of(split, dtype=np.float64)
    Xb = sp.csr_matrix(X, dtype=np.float32)
    Xb.data[:] = 1.0
    W = recency_matrix(tr, users, items, cut, half_life).astype(np.float64)
    Wc = W.copy()
    Wc.data = np.minimum(Wc.data, 1.0)     # a product bought often counts at most once per period
    B = EASE(l2=l2).fit(X).B_
    Bt = EASE(l2=recency_l2).fit(Wc).B_
    S = ItemKNN().fit(Xb).similarity_
    T = text_similarity(item_descriptions(tr, items))
    t = tr.assign(_r=users.get_indexer(tr["CustomerID"]), _c=items.get_indexer(tr["StockCode"]))
    t = t[(t["_r"] >= 0) & (t["_c"] >= 0)]
    inv = t.drop_duplicates(["_r", "_c", "InvoiceNo"])
    N = sp.csr_matrix((np.ones(len(inv)), (inv["_r"], inv["_c"])), shape=X.shape)
    N.sum_duplicates()
    # days since the customer last bought each product, plus one (0 = never), sparse
    age_pair = inv.groupby(["_r", "_c"])["InvoiceDate"].max()
    since = (cut - age_pair).dt.total_seconds().to_numpy() / 86400.0 + 1.0
    r_i, c_i = age_pair.index.get_level_values(0), age_pair.index.get_level_values(1)
    own_days = sp.csr_matrix((since, (r_i, c_i)), shape=X.shape)
    # the last invoice of each customer
    last_time = t.groupby("_r")["InvoiceDate"].transform("max")
    lt = t[t["InvoiceDate"] == last_time].drop_duplicates(["_r", "_c"])
    last = sp.csr_matrix((np.ones(len(lt), dtype=np.float32), (lt["_r"], lt["_c"])), shape=X.shape)
    last.data[:] = 1.0
    day = pd.Timedelta(days=1)
    season = _season_window(cut)
    first = t.groupby("_c")["InvoiceDate"].min().reindex(range(len(items)))
    price = t.groupby("_c")["UnitPrice"].median().reindex(range(len(items)))
    by_user = t.assign(_lp=np.log1p(t["UnitPrice"].clip(lower=0))).groupby("_r")
    n_users = len(users)
    return {
        "X": X, "Xb": Xb, "W": W, "N": N, "own_days": own_days, "last": last, "B": B, "Bt": Bt,
        "S": S, "T": T,
        "pop": np.log1p(np.asarray(Xb.sum(axis=0)).ravel()),
        "pop7": np.log1p(_buyers(tr, users, items, cut - 7 * day, cut)),
        "pop30": np.log1p(_buyers(tr, users, items, cut - 30 * day, cut)),
        "pop_prior60": np.log1p(_buyers(tr, users, items, cut - 90 * day, cut - 30 * day)),
        "season": np.log1p(_buyers(tr, users, items, *season)),
        "age": ((cut - first).dt.total_seconds() / 86400.0).fillna(0.0).to_numpy(),
        "log_price": np.log1p(price.clip(lower=0).fillna(0.0).to_numpy()),
        "user_price": by_user["_lp"].median().reindex(range(n_users)).fillna(0.0).to_numpy(),
        "user_days": ((cut - by_user["InvoiceDate"].max()).dt.total_seconds() / 86400.0)
        .reindex(range(n_users)).fillna(_FAR).to_numpy(),
        "user_invoices": by_user["InvoiceNo"].nunique().reindex(range(n_users)).fillna(0).to_numpy(),
    }


def _candidates(c: dict, rows, n: int, own: bool) -> np.ndarray:
    """EASE's top ``n`` new products per customer; with ``own``, the customer's own products
    (most recent first, at most n / 2) take the first places."""
    s = np.asarray(c["X"][rows] @ c["B"], dtype=np.float64)
    seen = c["X"][rows].nonzero()
    s[seen] = -np.inf
    if not own:
        return top_k(s, n)
    w = c["W"][rows].toarray()
    k_own = n // 2
    own_top = top_k(np.where(w > 0, w, -np.inf), k_own)
    has = np.take_along_axis(w, own_top, axis=1) > 0
    new_top = top_k(s, n)
    out = np.empty((len(rows), n), dtype=np.int64)
    for i in range(len(rows)):      # own products first, then new ones, n in all
        mine = own_top[i][has[i]]
        out[i] = np.concatenate([mine, new_top[i][: n - len(mine)]])
    return out


class Reranker(Recommender):
    """EASE's candidates re-ranked by a model of the signals EASE lacks (module docstring).

    ``fit(split)`` learns from ``split.train`` alone: for each of ``windows`` periods of
    ``label_days`` days at the end of the training data, the signals are computed from the
    lines before the period and the label says whether the customer bought the candidate in
    it (a new product for ``protocol="new"``, any product for ``"all"``). It then computes the
    signals at ``split.cutoff`` for every customer and stores the scores: ``score(rows)`` gives
    the re-ranker's probability for the candidates and, below them, EASE's order for the rest.

    Parameters
    ----------
    protocol : {"new", "all"}
        Which purchases to predict: products new to the customer, or every purchase (the
        customer's own products become candidates, with the repeat signals).
    learner : {"gbdt", "keras"}
        Gradient-boosted trees or a Keras network (``hidden`` units, ``epochs``).
    n_candidates : int
        EASE's top products per customer that are re-ranked.
    label_days, windows : int
        Length and number of the training periods at the end of the training data.
    l2, recency_l2 : float
        EASE's penalty, and that of the recency-weighted EASE.
    recency_half_life_days : float
        Age at which a purchase counts half in the recency signals.
    learning_rate, max_iter, max_leaf_nodes : float, int, int
        The trees' settings (``learning_rate`` is also the network's Adam step).
    hidden : tuple of int
        Widths of the network's hidden layers.
    epochs, batch_size : int
        The network's training.
    seed : int
        Seeds the learner.
    """

    def __init__(self, protocol: str = "new", learner: str = "gbdt", n_candidates: int = 100,
                 label_days: int = 30, windows: int = 1, l2: float = 1000.0,
                 recency_half_life_days: float = 90.0, recency_l2: float = 300.0,
                 learning_rate: float = 0.05, max_iter: int = 400, max_leaf_nodes: int = 15,
                 hidden: tuple = (64, 32), epochs: int = 8, batch_size: int = 1024, seed: int = 0):
        self.protocol = protocol
        self.learner = learner
        self.n_candidates = n_candidates
        self.label_days = label_days
        self.windows = windows
        self.l2 = l2
        self.recency_half_life_days = recency_half_life_days
        self.recency_l2 = recency_l2
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.seed = seed

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> dict:
        if self.protocol not in ("new", "all"):
            raise ValueError(f"protocol must be 'new' or 'all', got {self.protocol!r}")
        if self.learner not in ("gbdt", "keras"):
            raise ValueError(f"learner must be 'gbdt' or 'keras', got {self.learner!r}")
        hidden = self.hidden
        if (not isinstance(hidden, (tuple, list)) or not hidden
                or not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) and h > 0 for h in hidden)):
            raise ValueError(f"hidden must be a non-empty tuple of positive integers, got {hidden!r}")
        p = {name: _positive_int(name, getattr(self, name))
             for name in ("n_candidates", "label_days", "windows", "max_iter", "max_leaf_nodes",
                          "epochs", "batch_size")}
        if p["max_leaf_nodes"] < 2:
            raise ValueError(f"max_leaf_nodes must be at least 2, got {self.max_leaf_nodes}")
        for name in ("l2", "recency_l2", "recency_half_life_days", "learning_rate"):
            p[name] = _real(name, getattr(self, name), 0, None, low_inclusive=False)
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        return p

    # ------------------------------------------------------------------ fit
    def _examples(self, split: RecSplit, p: dict):
        own = self.protocol == "all"
        frames, labels = [], []
        for w in range(p["windows"]):
            end = split.cutoff - pd.Timedelta(days=w * p["label_days"])
            start = end - pd.Timedelta(days=p["label_days"])
            if start <= split.train["InvoiceDate"].min():
                raise ValueError(f"the training data ({split.train['InvoiceDate'].min().date()} to "
                                 f"{split.cutoff.date()}) is too short for {p['windows']} period(s) of "
                                 f"{p['label_days']} days; lower windows or label_days")
            inner = temporal_split(split.train, cutoff=start, end=end)
            rows, relevant, _ = inner.protocol(self.protocol)
            if len(rows) == 0:
                continue
            c = _signals(inner, p["l2"], p["recency_half_life_days"], p["recency_l2"])
            cand = _candidates(c, rows, min(p["n_candidates"], len(inner.items)), own)
            frames.append(candidate_features(inner, rows, cand, own=own, _cache=c))
            labels.append(np.concatenate([np.isin(cand[i], list(relevant[i])) for i in range(len(rows))]))
        if not frames:
            what = "a product new to them" if self.protocol == "new" else "anything"
            raise ValueError(f"no customer bought {what} in the last {p['windows']} training period(s) of "
                             f"{p['label_days']} days: nothing to learn from; raise label_days or windows")
        return pd.concat(frames, ignore_index=True), np.concatenate(labels).astype(np.float32)

    def fit(self, data) -> "Reranker":
        p = self._check_params()
        if not isinstance(data, RecSplit):
            raise TypeError(f"Reranker.fit needs a RecSplit (recsys.book_splits or temporal_split): it "
                            f"reads dates, descriptions and prices from split.train; got {type(data).__name__}")
        if data.cutoff is None:
            raise ValueError("the split has no cutoff (split.cutoff is None); make it with recsys.temporal_split")
        X = interactions_of(data)
        F, y = self._examples(data, p)
        if y.sum() == 0:
            raise ValueError("no candidate was bought in the training periods: nothing to learn; "
                             "raise n_candidates or label_days")
        self.features_ = tuple(F.columns)
        self.n_train_examples_ = len(y)
        self.positive_rate_ = float(y.mean())
        self.model_ = self._fit_learner(F.to_numpy(np.float32), y, p)
        # serve: the signals at the cutoff, for every customer
        own = self.protocol == "all"
        c = _signals(data, p["l2"], p["recency_half_life_days"], p["recency_l2"])
        rows = np.arange(X.shape[0])
        n = min(p["n_candidates"], X.shape[1])
        self.candidates_ = _candidates(c, rows, n, own)
        prob = self._predict(candidate_features(data, rows, self.candidates_, own=own, _cache=c)
                             .to_numpy(np.float32)).reshape(len(rows), n)
        base = np.asarray(c["X"] @ c["B"], dtype=np.float64)
        lo, hi = base.min(axis=1, keepdims=True), base.max(axis=1, keepdims=True)
        scores = (base - lo) / np.where(hi > lo, hi - lo, 1.0) - 2.0   # below every candidate
        np.put_along_axis(scores, self.candidates_, prob.astype(np.float64), axis=1)
        self.scores_ = scores.astype(np.float32)
        self.X_ = X
        return self

    def _fit_learner(self, F, y, p):
        if self.learner == "gbdt":
            from sklearn.ensemble import HistGradientBoostingClassifier

            model = HistGradientBoostingClassifier(learning_rate=p["learning_rate"], max_iter=p["max_iter"],
                                                   max_leaf_nodes=p["max_leaf_nodes"], early_stopping=False,
                                                   random_state=self.seed)
            return model.fit(F, y)
        from ..repro import import_tensorflow

        import_tensorflow()
        import keras

        keras.utils.set_random_seed(self.seed)
        self.mean_ = F.mean(axis=0)
        self.std_ = np.where(F.std(axis=0) > 0, F.std(axis=0), 1.0).astype(np.float32)
        Z = (F - self.mean_) / self.std_
        inp = keras.Input((Z.shape[1],))
        h = inp
        for width in self.hidden:
            h = keras.layers.Dense(width, activation="relu")(h)
        out = keras.layers.Dense(1, activation="sigmoid")(h)
        model = keras.Model(inp, out)
        model.compile(optimizer=keras.optimizers.Adam(p["learning_rate"]), loss="binary_crossentropy")
        timer = epoch_timer(keras)
        h = model.fit(Z, y, batch_size=p["batch_size"], epochs=p["epochs"], shuffle=True, verbose=0,
                      callbacks=[timer])
        self.history_ = history_frame(h.history, timer.seconds)
        return model

    def _predict(self, F) -> np.ndarray:
        if self.learner == "gbdt":
            return self.model_.predict_proba(F)[:, 1]
        Z = (F - self.mean_) / self.std_
        return np.asarray(self.model_.predict(Z, batch_size=8192, verbose=0)).ravel()

    def score(self, rows) -> np.ndarray:
        """Re-ranker probabilities for each customer's candidates; EASE's order (below) for the rest."""
        rows = self._rows(rows)
        return self.scores_[rows].astype(np.float64)
