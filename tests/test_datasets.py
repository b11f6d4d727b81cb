"""Loaders: data home, verification, download, xlsx-in-zip conversion, atomic writes, real files."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retail_lab import datasets as ds
from retail_lab.datasets import fetch as fetch_mod

HILLSTROM_COLS = list(ds.get_spec("hillstrom").columns)


# ---------------------------------------------------------------- small upstream-format files
def hillstrom_csv(n_per_segment: int = 4) -> bytes:
    rows = []
    for seg in ["Mens E-Mail", "Womens E-Mail", "No E-Mail"]:
        for i in range(n_per_segment):
            rows.append([i + 1, "2) $100 - $200", 150.5 + i, 1, 0, "Rural", i % 2, "Web", seg,
                         i % 2, 0, 0.0])
    df = pd.DataFrame(rows, columns=HILLSTROM_COLS)
    return df.to_csv(index=False, lineterminator="\r\n").encode()


def hillstrom_spec(data: bytes, **changes) -> ds.DatasetSpec:
    base = ds.get_spec("hillstrom")
    n = len(pd.read_csv(io.BytesIO(data)))
    fp = {"rows": n, "segment Womens E-Mail": n // 3, "segment Mens E-Mail": n // 3,
          "segment No E-Mail": n // 3}
    return dataclasses.replace(base, sha256=hashlib.sha256(data).hexdigest(), fingerprints=fp, **changes)


def retail_table() -> pd.DataFrame:
    """A small Online Retail table in the upstream (parquet) schema."""
    return pd.DataFrame(
        {
            "InvoiceNo": ["536365", "536365", "536366", "C536367", "536368"],
            "StockCode": ["85123A", "71053", "POST", "85123A", "gift_0001_10"],
            "Description": ["WHITE HANGING HEART", "WHITE METAL LANTERN", "POSTAGE",
                            "WHITE HANGING HEART", "Dotcomgiftshop Gift Voucher Â£10.00"],
            "Quantity": [6, 2, 1, -6, 1],
            "InvoiceDate": ["2010-12-01 08:26:00", "2010-12-01 08:26:00", "2010-12-01 09:00:00",
                            "2010-12-02 10:00:00", "2010-12-03 11:00:00"],
            "UnitPrice": [2.55, 3.39, 18.0, 2.55, 8.5],
            "CustomerID": [17850.0, 17850.0, np.nan, 17850.0, np.nan],
            "Country": ["United Kingdom", "United Kingdom", "France", "United Kingdom",
                        "United Kingdom"],
        }
    )


def retail_spec(table: pd.DataFrame, **changes) -> ds.DatasetSpec:
    facts = ds.online_retail_facts(table)
    return dataclasses.replace(ds.get_spec("online_retail"), fingerprints=facts, **changes)


def retail_zip(table: pd.DataFrame, member: str = "Online Retail.xlsx") -> bytes:
    """The upstream format: an xlsx (numeric ids as numbers, real dates) inside a zip."""
    x = table.copy()
    x["InvoiceNo"] = [int(v) if v.isdigit() else v for v in x["InvoiceNo"]]
    x["StockCode"] = [int(v) if v.isdigit() else v for v in x["StockCode"]]
    x["Description"] = x["Description"].str.replace("Â£", "£", regex=False)
    x["InvoiceDate"] = pd.to_datetime(x["InvoiceDate"])
    xbuf = io.BytesIO()
    x.to_excel(xbuf, index=False, engine="openpyxl")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr(member, xbuf.getvalue())
    return zbuf.getvalue()


# ---------------------------------------------------------------- data home
def test_data_home_precedence(no_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RETAIL_LAB_DATA", str(tmp_path / "env"))
    assert ds.data_home(tmp_path / "arg") == tmp_path / "arg"
    assert ds.data_home() == tmp_path / "env"
    monkeypatch.delenv("RETAIL_LAB_DATA")
    assert "retail_lab" in str(ds.data_home())


def test_unknown_dataset_lists_names():
    with pytest.raises(KeyError, match="hillstrom"):
        ds.get_spec("nope")


# ---------------------------------------------------------------- reading local files
def test_hillstrom_fixture_loads_typed(no_env, monkeypatch, tmp_path):
    data = hillstrom_csv()
    (tmp_path / ds.get_spec("hillstrom").filename).write_bytes(data)
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data))
    df = ds.load_hillstrom(tmp_path, download=False)
    assert len(df) == 12
    assert isinstance(df["segment"].dtype, pd.CategoricalDtype)
    assert df["history_segment"].cat.ordered
    assert df["visit"].dtype == np.int8


def test_truncated_file_is_rejected_with_hash_message(no_env, monkeypatch, tmp_path):
    data = hillstrom_csv()
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data))
    (tmp_path / ds.get_spec("hillstrom").filename).write_bytes(data[: len(data) // 2])
    with pytest.raises(ds.DataIntegrityError, match="SHA-256 is .* expected .*truncated"):
        ds.load_hillstrom(tmp_path, download=False)


def test_wrong_schema_names_missing_column(no_env, monkeypatch, tmp_path):
    df = pd.read_csv(io.BytesIO(hillstrom_csv())).drop(columns=["spend"])
    data = df.to_csv(index=False).encode()
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data))
    (tmp_path / ds.get_spec("hillstrom").filename).write_bytes(data)
    with pytest.raises(ds.DataIntegrityError, match=r"missing column\(s\) \['spend'\]"):
        ds.load_hillstrom(tmp_path, download=False)


def test_altered_content_names_the_fact(no_env, monkeypatch, tmp_path):
    table = retail_table()
    spec = retail_spec(table)
    altered = table.copy()
    altered.loc[0, "Quantity"] = 7
    altered.to_parquet(tmp_path / spec.filename)
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    with pytest.raises(ds.DataIntegrityError, match="sum Quantity is 5 but should be 4"):
        ds.load_online_retail(tmp_path, download=False)


def test_unreadable_parquet(no_env, monkeypatch, tmp_path):
    spec = retail_spec(retail_table())
    (tmp_path / spec.filename).write_bytes(b"PAR1 this is not parquet")
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    with pytest.raises(ds.DataIntegrityError, match="cannot be read"):
        ds.load_online_retail(tmp_path, download=False)


def test_online_retail_types_and_mojibake_repair(no_env, monkeypatch, tmp_path):
    table = retail_table()
    spec = retail_spec(table)
    table.to_parquet(tmp_path / spec.filename)
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    df = ds.load_online_retail(tmp_path, download=False)
    assert df.attrs["repaired_descriptions"] == 1
    assert df.loc[4, "Description"] == "Dotcomgiftshop Gift Voucher £10.00"
    assert df["CustomerID"].iloc[0] == "17850" and df["CustomerID"].isna().sum() == 2
    assert pd.api.types.is_datetime64_any_dtype(df["InvoiceDate"])
    assert isinstance(df["Country"].dtype, pd.CategoricalDtype)
    raw = ds.load_online_retail(tmp_path, download=False, repair_mojibake=False)
    assert raw.attrs["repaired_descriptions"] == 0 and "Â£" in raw.loc[4, "Description"]


# ---------------------------------------------------------------- offline errors
@pytest.mark.parametrize("how", ["argument", "environment"])
def test_missing_file_offline_says_where_and_how(no_env, monkeypatch, tmp_path, how):
    kwargs = {"download": False}
    if how == "environment":
        monkeypatch.setenv("RETAIL_LAB_OFFLINE", "1")
        kwargs = {}
    with pytest.raises(ds.DataNotFoundError) as err:
        ds.load_hillstrom(tmp_path, **kwargs)
    msg = str(err.value)
    spec = ds.get_spec("hillstrom")
    assert spec.filename in msg and str(tmp_path) in msg and spec.url in msg
    assert "RETAIL_LAB_DATA" in msg


def test_failed_download_is_a_not_found_error(no_env, monkeypatch, tmp_path, http_server):
    base, _www, _ = http_server
    spec = dataclasses.replace(ds.get_spec("hillstrom"), url=f"{base}/missing.csv")
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", spec)
    with pytest.raises(ds.DataNotFoundError, match="download failed"):
        ds.load_hillstrom(tmp_path)
    assert not (tmp_path / spec.filename).exists()


# ---------------------------------------------------------------- downloads (local HTTP server)
def test_download_verified_once_then_cached(no_env, monkeypatch, tmp_path, http_server):
    base, www, requests = http_server
    data = hillstrom_csv()
    (www / "h.csv").write_bytes(data)
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data, url=f"{base}/h.csv"))
    home = tmp_path / "home"
    df1 = ds.load_hillstrom(home)
    df2 = ds.load_hillstrom(home)
    assert len(requests) == 1, "the second load must reuse the cached file"
    pd.testing.assert_frame_equal(df1, df2)
    assert ds.sha256sum(home / ds.get_spec("hillstrom").filename) == hashlib.sha256(data).hexdigest()


def test_download_with_wrong_hash_leaves_nothing(no_env, monkeypatch, tmp_path, http_server):
    base, www, _ = http_server
    data = hillstrom_csv()
    (www / "h.csv").write_bytes(data + b"tampered\r\n")
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data, url=f"{base}/h.csv"))
    home = tmp_path / "home"
    with pytest.raises(ds.DataIntegrityError, match="failed verification"):
        ds.load_hillstrom(home)
    assert not any(home.glob("*Hillstrom*")), "a file that failed its hash must not be kept"


def test_online_retail_zip_download_and_conversion(no_env, monkeypatch, tmp_path, http_server):
    base, www, requests = http_server
    table = retail_table()
    (www / "online+retail.zip").write_bytes(retail_zip(table))
    spec = retail_spec(table, url=f"{base}/online+retail.zip")
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    home = tmp_path / "home"
    df = ds.load_online_retail(home)
    assert (home / spec.filename).exists()
    assert len(df) == len(table)
    assert df["InvoiceNo"].tolist() == table["InvoiceNo"].tolist()
    assert df["StockCode"].tolist() == table["StockCode"].tolist()
    assert df.loc[4, "Description"] == "Dotcomgiftshop Gift Voucher £10.00"
    assert df.attrs["repaired_descriptions"] == 0  # the xlsx has no mojibake
    assert df["InvoiceDate"].iloc[3] == pd.Timestamp("2010-12-02 10:00:00")
    ds.load_online_retail(home)
    assert len(requests) == 1, "the converted parquet must be reused"


def test_online_retail_zip_with_altered_content_is_not_cached(no_env, monkeypatch, tmp_path, http_server):
    base, www, _ = http_server
    table = retail_table()
    altered = table.copy()
    altered = altered.iloc[:-1]  # truncated: a row missing
    (www / "or.zip").write_bytes(retail_zip(altered))
    monkeypatch.setitem(ds.REGISTRY, "online_retail", retail_spec(table, url=f"{base}/or.zip"))
    home = tmp_path / "home"
    with pytest.raises(ds.DataIntegrityError, match="rows is 4 but should be 5"):
        ds.load_online_retail(home)
    assert not (home / "online_retail.parquet").exists()


def test_bad_zip_and_missing_member(tmp_path):
    table = retail_table()
    spec = retail_spec(table)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ds.DataIntegrityError, match="not a valid zip"):
        ds.convert_online_retail_archive(bad, tmp_path / "o.parquet", spec)
    other = tmp_path / "other.zip"
    other.write_bytes(retail_zip(table, member="Something else.xlsx"))
    with pytest.raises(ds.DataIntegrityError, match="no member 'Online Retail.xlsx'"):
        ds.convert_online_retail_archive(other, tmp_path / "o.parquet", spec)


def test_interrupted_conversion_leaves_no_file(monkeypatch, tmp_path):
    table = retail_table()
    spec = retail_spec(table)
    zpath = tmp_path / "or.zip"
    zpath.write_bytes(retail_zip(table))
    out = tmp_path / "online_retail.parquet"

    def half_write(self, path, *a, **k):
        Path(path).write_bytes(b"PAR1 half")
        raise KeyboardInterrupt("interrupted while writing")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_write)
    with pytest.raises(KeyboardInterrupt):
        ds.convert_online_retail_archive(zpath, out, spec)
    assert list(tmp_path.iterdir()) == [zpath], "no final or temporary file may survive"


# ---------------------------------------------------------------- the real files
@pytest.mark.realdata
def test_real_online_retail(real_data):
    df = ds.load_online_retail(real_data, download=False)
    assert df.shape == (541_909, 8)
    assert df.attrs == {"dataset": "online_retail", "repaired_descriptions": 32, "unparseable_dates": 0}
    assert not df["Description"].str.contains("Â£", regex=False, na=False).any()
    assert df["CustomerID"].nunique() == 4_372 and df["CustomerID"].isna().sum() == 135_080
    assert df["InvoiceDate"].min() == pd.Timestamp("2010-12-01 08:26:00")
    assert df["InvoiceDate"].max() == pd.Timestamp("2011-12-09 12:50:00")
    assert df["Country"].nunique() == 38


@pytest.mark.realdata
def test_real_hillstrom(real_data):
    df = ds.load_hillstrom(real_data, download=False)
    assert len(df) == 64_000
    assert df["segment"].value_counts().to_dict() == {
        "Womens E-Mail": 21_387, "Mens E-Mail": 21_307, "No E-Mail": 21_306}
    assert df["history_segment"].isna().sum() == 0  # every label maps to a category


@pytest.mark.realdata
def test_real_bitext(real_data):
    df = ds.load_bitext_support(real_data, download=False)
    counts = df["intent"].value_counts()
    assert len(df) == 4_514 and len(counts) == 27
    assert counts.min() == 139 and counts.max() == 204
    assert df["category"].nunique() == 11
