"""The registry of real datasets the book uses: where each comes from and how to verify it.

Each entry is a :class:`DatasetSpec`. The file's SHA-256 (or, for a converted file, the
SHA-256 of the canonical form of every column) and the facts in ``fingerprints`` are checked
every time a file is loaded, so a truncated, altered or wrong file is never used silently.
The datasheets in ``datasets/*.md`` describe each dataset for readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..schema import COLUMN_NAMES

__all__ = ["DatasetSpec", "REGISTRY", "get_spec"]


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset lives upstream and which facts identify its content.

    Parameters
    ----------
    name : str
        Short registry key, e.g. ``"hillstrom"``.
    filename : str
        File name in the data directory.
    url : str
        Upstream address a reader's download fetches.
    sha256 : str or None
        SHA-256 of ``filename`` when the upstream bytes are the file itself; ``None`` when
        the file is converted from another format (then only ``fingerprints`` are checked).
    fingerprints : mapping
        Content facts (row count, distinct counts, sums) checked after reading.
    content_sha256 : mapping of str to str
        For converted files: column name to the SHA-256 of that column's canonical form
        (see :func:`retail_lab.datasets.online_retail_digests`), checked after reading, so
        a single edited value in any column is found. Empty when ``sha256`` covers the file.
    columns : tuple of str
        Columns the file must have.
    title, license, citation : str
        For datasheets, the book's data page and error messages.
    archive_member : str or None
        For zipped upstreams: the member to extract (e.g. ``"Online Retail.xlsx"``).
    """

    name: str
    filename: str
    url: str
    sha256: str | None
    fingerprints: Mapping[str, float] = field(default_factory=dict)
    content_sha256: Mapping[str, str] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    title: str = ""
    license: str = ""
    citation: str = ""
    archive_member: str | None = None


ONLINE_RETAIL = DatasetSpec(
    name="online_retail",
    filename="online_retail.parquet",
    url="https://archive.ics.uci.edu/static/public/352/online+retail.zip",
    # The upstream is a zip holding an xlsx; the parquet is our conversion, so its bytes
    # depend on the pyarrow version. Its content is verified instead (fingerprints and the
    # canonical content hash of every column below).
    sha256=None,
    archive_member="Online Retail.xlsx",
    fingerprints={
        "rows": 541_909,
        "distinct InvoiceNo": 25_900,
        "distinct StockCode": 4_070,
        "distinct CustomerID": 4_372,
        "distinct Country": 38,
        "sum Quantity": 5_176_450,
        "sum Quantity*UnitPrice": 9_747_747.934,
        "missing Description": 1_454,
        "missing CustomerID": 135_080,
    },
    # SHA-256 of each column's canonical form (retail_lab-canonical-v1, defined in
    # retail_lab.datasets.online_retail_digests), measured on the reference copy
    # (../shared/data/online_retail.parquet, file SHA-256 0a3bc1ac...). Description is
    # hashed with the 32 mis-decoded "Â£" read as "£", so the upstream xlsx converts to the
    # same digests.
    content_sha256={
        "InvoiceNo": "254cdc291fc9b37c6870bd622add212ec09f815a2b84a8b0bd1d457911501f70",
        "StockCode": "6c30018567108005d32805093710c902ef3583aa6deb208f35fdb1e5a273dd1b",
        "Description": "c613b146b965011fc74e8ac49c33dd6386b97ffea9cbd5f66a68bd815d40cf8f",
        "Quantity": "4e23e0ab804bd3527dfc5b62a3a57fad7b4d8988da2df49d9ff798d7235f7482",
        "InvoiceDate": "83cbb9b2479a66eeae017780fc62d3966f66127749fc21fc8f59cfe50f7631a1",
        "UnitPrice": "764522c8a7503a693fbcda7fb5aa379379695524899a816f69c7dbb22c253e38",
        "CustomerID": "8562ceaa5fe7c453515c058f92f20b506d70a572c2c0cec0bfea550a32f1c78e",
        "Country": "5805f9aed8f3fbd27d0af43061fa12cf1396b5ed777aca0e6d24ff16bc60d8b2",
    },
    columns=COLUMN_NAMES,  # the transaction schema (retail_lab.schema)
    title="UCI Online Retail (id 352)",
    license="CC BY 4.0",
    citation=(
        "Chen, D., Sain, S. L., & Guo, K. (2012). Data mining for the online retail industry: "
        "A case study of RFM model-based customer segmentation using data mining. "
        "Journal of Database Marketing & Customer Strategy Management, 19(3), 197-208."
    ),
)

HILLSTROM = DatasetSpec(
    name="hillstrom",
    filename="Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv",
    url=(
        "http://www.minethatdata.com/"
        "Kevin_Hillstrom_MineThatData_E-MailAnalytics_DataMiningChallenge_2008.03.20.csv"
    ),
    sha256="0e5893329d8b93cefecc571777672028290ab69865718020c78c7284f291aece",
    fingerprints={
        "rows": 64_000,
        "segment Womens E-Mail": 21_387,
        "segment Mens E-Mail": 21_307,
        "segment No E-Mail": 21_306,
    },
    columns=(
        "recency",
        "history_segment",
        "history",
        "mens",
        "womens",
        "zip_code",
        "newbie",
        "channel",
        "segment",
        "visit",
        "conversion",
        "spend",
    ),
    title="Hillstrom MineThatData e-mail analytics challenge (2008)",
    license="Published for a public challenge; no formal license: download, do not redistribute",
    citation=(
        "Hillstrom, K. (2008). The MineThatData E-Mail Analytics and Data Mining Challenge. "
        "MineThatData blog, March 2008."
    ),
)

BITEXT = DatasetSpec(
    name="bitext_support",
    filename="Bitext_Sample_Customer_Support_Training_Dataset.csv",
    url=(
        "https://raw.githubusercontent.com/bitext/customer-support-llm-chatbot-training-dataset/"
        "8b6ca3d9559a4a9abab94f7978fae67019215a82/data/train/"
        "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    ),
    sha256="079b0cec48d34c319c9877b6d178390bf7187a7f7a604958e0ed5a096bba5af6",
    fingerprints={"rows": 4_514, "distinct intent": 27, "distinct category": 11},
    columns=("instruction", "intent", "category", "response"),
    title="Bitext customer-support sample (27 intents)",
    license="CDLA-Sharing-1.0",
    citation=(
        "Bitext Innovations (2023). Bitext Sample Customer Support Training Dataset. "
        "CDLA-Sharing-1.0."
    ),
)

REGISTRY: dict[str, DatasetSpec] = {s.name: s for s in (ONLINE_RETAIL, HILLSTROM, BITEXT)}


def get_spec(name: str) -> DatasetSpec:
    """Return the registry entry for ``name``.

    Raises
    ------
    KeyError
        If ``name`` is not a registered dataset; the message lists the valid names.
    """
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown dataset {name!r}; registered datasets are: {', '.join(sorted(REGISTRY))}"
        ) from None
