"""The hyperparameters the book chose, as named defaults (one definition, read by the chapters).

- :data:`BOOK_SETTINGS`: the Keras recommenders of chapter 5 (``notebooks/06_keras_recommender``),
  per class name, as passed to the constructor (add ``seed``). They were set by hand on the
  validation month; each run then early-stops on it (``fit(val, validate=True)``), and the
  refit on all training data uses the best epoch count (``refit_params()``).
- :data:`BOOK_GRIDS`: the values chapter 5 (EASE's ``l2``, the repeat baseline's half-life,
  the blend weight of the two-tower model) and chapter 8.1 (FusedItemKNN's ``alpha``) try on
  the validation split; the best one is chosen there, from the data.
- :data:`SIMULATED_SHOP_SETTINGS`: the recommender chapter 6.1 (``07_recommendation_case``)
  trains on the simulated shop.
- :data:`RERANKER_SETTINGS`: chapter 6.1's re-rankers (:class:`~retail_lab.recsys.Reranker`),
  chosen on the validation month of the book's split; the later split carries them over.

Example
-------
>>> from retail_lab.recsys import neural
>>> model = neural.BPRMF(**BOOK_SETTINGS["BPRMF"], seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["BOOK_SETTINGS", "BOOK_GRIDS", "SIMULATED_SHOP_SETTINGS", "RERANKER_SETTINGS"]

#: Chapter 5's Keras recommenders, by class name (constructor keyword arguments; add ``seed``).
BOOK_SETTINGS = {
    "BPRMF": dict(dim=64, l2=1e-6, learning_rate=1e-2, batch_size=4096, epochs=12, patience=2,
                  protocol="new"),
    "NeuMF": dict(dim=32, hidden=(64, 32), negatives=2, batch_size=8192, learning_rate=1e-2,
                  epochs=5, patience=2, protocol="new"),
    "TwoTower": dict(dim=64, hidden=256, every_days=28, batch_size=512, learning_rate=2e-3,
                     epochs=12, patience=2, protocol="new"),
    "SASRec": dict(max_len=20, dim=32, max_windows=1, train_positions=5, learning_rate=5e-3,
                   epochs=8, patience=2, protocol="new"),
}

#: Values tried on the validation split, by class and hyperparameter (chapter 5; FusedItemKNN:
#: chapter 8.1). Blend's "weight" is the two-tower model's weight next to the repeat baseline.
BOOK_GRIDS = {
    "EASE": {"l2": (300.0, 1000.0, 3000.0)},
    "RepeatBuyer": {"half_life_days": (30, 90, 365)},
    "Blend": {"weight": (0.0, 0.2, 0.4, 0.6, 0.8)},
    "FusedItemKNN": {"alpha": (0.0, 0.25, 0.5, 0.75, 1.0)},
}

#: Chapter 6.1's re-rankers (constructor keyword arguments; add ``seed``): products new to the
#: customer with trees or a Keras network, and every purchase with trees.
RERANKER_SETTINGS = {
    "trees": dict(protocol="new", learner="gbdt", n_candidates=100, label_days=30, windows=2,
                  learning_rate=0.05, max_iter=150, max_leaf_nodes=15),
    "keras": dict(protocol="new", learner="keras", n_candidates=100, label_days=30, windows=2,
                  learning_rate=1e-3, hidden=(64, 32), epochs=8, batch_size=1024),
    "trees_all": dict(protocol="all", learner="gbdt", n_candidates=100, label_days=30, windows=2,
                      learning_rate=0.05, max_iter=150, max_leaf_nodes=15),
}

#: Chapter 6.1: the recommenders compared on the simulated shop (``sim.RetailWorld``,
#: ``sim.AB_MODELS``), by class name. EASE's penalty was chosen there; the re-ranker is the
#: book's trees re-ranker with that EASE as its candidate generator.
SIMULATED_SHOP_SETTINGS = {
    "ItemKNN": dict(),
    "EASE": dict(l2=50.0),
    "Reranker": dict(RERANKER_SETTINGS["trees"], l2=50.0),
}
