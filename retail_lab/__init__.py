"""retail_lab: the tested package behind the book *AI Large Models in Smart Retail*.

Modules are organised by domain: ``datasets`` (real data), ``quality`` (data checks and
cleaning), ``pipeline`` (the article's data-to-deployment flow), ``features``, ``explore``
(descriptive statistics), ``background`` (model sizes), ``nn`` (a NumPy network, optimizers,
convolution), ``evaluation`` (experiments), ``recsys`` (recommendation), ``inventory``
(forecasting and stock policies), ``service`` (customer service), ``privacy``, ``plotting``
(the book's one figure style), ``exercises`` (answer checkers), ``chapters`` (the chapter map) and ``repro`` (the
numeric configuration, seeds and environment report).
"""

from .repro import environment_report, set_seed

__version__ = "0.1.0"

__all__ = ["__version__", "environment_report", "set_seed"]
