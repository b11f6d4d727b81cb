"""retail_lab: the tested package behind the book *AI Large Models in Smart Retail*.

Modules, by the part of the book they serve (``tests/test_environment_files.py`` checks that
every module is listed here and in the README):

- data: ``datasets`` (the real datasets: ``datasets.registry`` where each comes from,
  ``datasets.fetch`` download and verification, ``datasets.loaders`` typed loaders),
  ``schema`` (the transaction schema, its validator and column mapping for your own data),
  ``quality`` (data checks and cleaning), ``pipeline`` (the article's data-to-deployment
  flow), ``features`` (customer features before a cutoff, labels after it), ``explore``
  (descriptive statistics);
- models and experiments: ``background`` (model sizes), ``nn`` (a NumPy network, optimizers,
  convolution), ``evaluation`` (experiments on the pros and cons of deep learning);
- recommendation: ``recsys`` with ``recsys.data`` (temporal split, user-item matrix),
  ``recsys.metrics`` (ranking metrics), ``recsys.evaluation`` (per-user evaluation),
  ``recsys.models`` (classical recommenders), ``recsys.neural`` (Keras recommenders),
  ``recsys.rerank`` (two-stage recommendation: EASE's candidates re-ranked),
  ``recsys.cf`` (rating-scale collaborative filtering), ``recsys.serving`` (serving a fitted
  model), ``recsys.settings`` (the book's chosen hyperparameters);
- large models: ``lm`` (a subword tokenizer, a transformer encoder, masked-token pretraining,
  fine-tuning and embeddings);
- scaling out: ``spark`` with ``spark.session`` (a local or cluster session),
  ``spark.quality`` (the cleaning rules on Spark), ``spark.recsys`` (split, item-item model
  and ALS on Spark), ``spark.metrics`` (ranking metrics on Spark), ``spark.als`` (ALS with
  MLlib's update rule in NumPy); ``distributed`` (data-parallel Keras training);
- applications: ``marketing`` (segments, A/B statistics, uplift), ``sim`` (a simulated shop
  with known ground truth), ``inventory`` (forecasting and stock policies), ``service``
  (customer-service intents and hand-over), ``privacy`` (Laplace mechanism, k-anonymity);
- the book itself: ``plotting`` (the figure style, ``retail_lab.mplstyle``, and shared
  plots), ``exercises`` (answer checkers, one module ``exercises.chNN`` per chapter),
  ``chapters`` (the chapter map), ``repro`` (the numeric configuration, seeds and
  environment report).

TensorFlow and Keras are optional (``pip install "retail_lab[keras]"``): every module
imports without them, and only the Keras model classes need them, when they fit. So is
pyspark (``pip install "retail_lab[spark]"``, with Java 17+): ``spark`` imports without it and
needs it when a session starts.
"""

from .repro import environment_report, set_seed

__version__ = "0.1.0"

__all__ = ["__version__", "environment_report", "set_seed"]
