"""Real datasets: registry, download-and-verify, typed loaders."""

from .fetch import (
    DataIntegrityError,
    DataNotFoundError,
    check_columns,
    convert_online_retail_archive,
    data_home,
    fetch,
    online_retail_facts,
    sha256sum,
    verify_fingerprints,
)
from .loaders import load_bitext_support, load_hillstrom, load_online_retail
from .registry import REGISTRY, DatasetSpec, get_spec

__all__ = [
    "DataIntegrityError",
    "DataNotFoundError",
    "DatasetSpec",
    "REGISTRY",
    "check_columns",
    "convert_online_retail_archive",
    "data_home",
    "fetch",
    "get_spec",
    "load_bitext_support",
    "load_hillstrom",
    "load_online_retail",
    "online_retail_facts",
    "sha256sum",
    "verify_fingerprints",
]
