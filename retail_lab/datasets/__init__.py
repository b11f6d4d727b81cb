"""Real datasets: registry, download-and-verify, typed loaders."""

from .fetch import (
    DataAccessError,
    DataIntegrityError,
    DataNotFoundError,
    canonical_online_retail,
    check_columns,
    convert_online_retail_archive,
    data_home,
    env_flag,
    fetch,
    online_retail_digests,
    online_retail_facts,
    remove_stale_partials,
    sha256sum,
    verify_content,
    verify_fingerprints,
)
from .loaders import load_bitext_support, load_hillstrom, load_online_retail
from .registry import REGISTRY, DatasetSpec, get_spec

__all__ = [
    "DataAccessError",
    "DataIntegrityError",
    "DataNotFoundError",
    "DatasetSpec",
    "REGISTRY",
    "canonical_online_retail",
    "check_columns",
    "convert_online_retail_archive",
    "data_home",
    "env_flag",
    "fetch",
    "get_spec",
    "load_bitext_support",
    "load_hillstrom",
    "load_online_retail",
    "online_retail_digests",
    "online_retail_facts",
    "remove_stale_partials",
    "sha256sum",
    "verify_content",
    "verify_fingerprints",
]
