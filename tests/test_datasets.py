"""Loaders: data home, verification, download, xlsx-in-zip conversion, atomic writes, real files."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retail_lab import datasets as ds
# the module, not the function ``fetch`` the package re-exports under the same name
fetch_mod = importlib.import_module("retail_lab.datasets.fetch")

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
    digests = ds.online_retail_digests(table)
    return dataclasses.replace(
        ds.get_spec("online_retail"), fingerprints=facts, content_sha256=digests, **changes
    )


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


# ---------------------------------------------------------------- content hash (canonical form)
def reference_digests(table: pd.DataFrame) -> dict[str, str]:
    """A second, row-by-row implementation of the canonical form (see online_retail_digests).

    Plain Python: struct for the numbers, datetime arithmetic for the dates, no pandas or
    Arrow conversion, so it checks the fast column-wise implementation independently.
    """
    import datetime as dt
    import math
    import struct

    epoch = dt.datetime(1970, 1, 1)
    parsed: dict[str, int | None] = {}

    def missing(v) -> bool:
        return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))

    def as_ns(v):
        if isinstance(v, str):
            if v not in parsed:
                try:
                    t = dt.datetime.strptime(v, "%Y-%m-%d %H:%M:%S")
                    parsed[v] = (t - epoch) // dt.timedelta(microseconds=1) * 1000
                except ValueError:
                    parsed[v] = None
            return parsed[v]
        return int(pd.Timestamp(v).value)

    def as_float(v):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(f) else f

    kinds = {"InvoiceNo": "utf8", "StockCode": "utf8", "Description": "utf8", "Quantity": "f8",
             "InvoiceDate": "ns", "UnitPrice": "f8", "CustomerID": "f8", "Country": "utf8"}
    out = {}
    for col, kind in kinds.items():
        valid, payload, body = bytearray(), [], []
        for v in table[col].tolist():
            if missing(v):
                x = None
            elif kind == "utf8":
                x = str(v).replace("Â£", "£") if col == "Description" else str(v)
            elif kind == "f8":
                x = as_float(v)
            else:
                x = as_ns(v)
            valid.append(0 if x is None else 1)
            if kind == "utf8":
                b = b"" if x is None else x.encode("utf-8")
                payload.append(struct.pack("<q", len(b)))
                body.append(b)
            elif kind == "f8":
                payload.append(struct.pack("<d", 0.0 if x is None else x + 0.0))
            else:
                payload.append(struct.pack("<q", 0 if x is None else x))
        h = hashlib.sha256(f"retail_lab-canonical-v1\x00{col}\x00{kind}\x00".encode())
        h.update(bytes(valid))
        h.update(b"".join(payload))
        h.update(b"".join(body))
        out[col] = h.hexdigest()
    return out


def edit_table() -> pd.DataFrame:
    """retail_table plus a second customer in a third country, so single values can change
    without changing any count or sum the fingerprints measure."""
    extra = pd.DataFrame({"InvoiceNo": ["536369"], "StockCode": ["22633"],
                          "Description": ["HAND WARMER UNION JACK"], "Quantity": [12],
                          "InvoiceDate": ["2010-12-04 12:00:00"], "UnitPrice": [1.85],
                          "CustomerID": [13047.0], "Country": ["EIRE"]})
    return pd.concat([retail_table(), extra], ignore_index=True)


#: One single-value edit per column; none changes a fingerprint (checked in the test).
SINGLE_EDITS = {
    "InvoiceNo": (2, "536370"),
    "StockCode": (1, "71054"),
    "Description": (0, "WHITE HANGING HEARt"),
    "InvoiceDate": (2, "2010-12-01 09:01:00"),
    "Country": (2, "Germany"),
    "CustomerID": (0, 13047.0),
}


def test_digests_match_an_independent_implementation():
    for table in (retail_table(), edit_table()):
        assert ds.online_retail_digests(table) == reference_digests(table)
    t = edit_table()
    t.loc[1, "Description"] = None
    t.loc[3, "CustomerID"] = np.nan
    t.loc[4, "Description"] = ""  # empty text is not the same as missing
    assert ds.online_retail_digests(t) == reference_digests(t)
    assert ds.online_retail_digests(t)["Description"] != ds.online_retail_digests(
        t.assign(Description=t["Description"].replace("", None)))["Description"]


def test_digests_are_by_value_not_by_storage():
    t = edit_table()
    same = t.assign(
        Quantity=t["Quantity"].astype("float64"),                      # 6 and 6.0
        CustomerID=t["CustomerID"].astype("Float64"),                  # NaN and <NA>
        InvoiceDate=pd.to_datetime(t["InvoiceDate"]),                  # text and datetime
        InvoiceNo=t["InvoiceNo"].astype(object),                       # str and object
        Description=t["Description"].str.replace("Â£", "£", regex=False),  # repaired mojibake
    )
    assert ds.online_retail_digests(same) == ds.online_retail_digests(t)


@pytest.mark.parametrize("column", list(SINGLE_EDITS))
def test_single_value_edit_is_detected(no_env, monkeypatch, tmp_path, column):
    table = edit_table()
    spec = retail_spec(table)
    row, value = SINGLE_EDITS[column]
    altered = table.copy()
    altered.loc[row, column] = value
    # the counts and sums cannot see it ...
    assert ds.online_retail_facts(altered) == ds.online_retail_facts(table)
    # ... the content hash can, in that column only
    got = ds.online_retail_digests(altered)
    assert [c for c in got if got[c] != spec.content_sha256[c]] == [column]
    altered.to_parquet(tmp_path / spec.filename)
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    with pytest.raises(ds.DataIntegrityError, match=rf"in column\(s\) {column}: the SHA-256"):
        ds.load_online_retail(tmp_path, download=False)


@pytest.mark.parametrize("edit", ["trailing space", "rows swapped", "second changed",
                                  "quantity", "price", "missing vs empty"])
def test_other_edits_are_detected(no_env, monkeypatch, tmp_path, edit):
    table = edit_table()
    spec = retail_spec(table)
    altered = table.copy()
    if edit == "trailing space":
        altered.loc[1, "Description"] += " "
    elif edit == "rows swapped":
        altered = altered.iloc[[1, 0, 2, 3, 4, 5]].reset_index(drop=True)
    elif edit == "second changed":
        altered.loc[0, "InvoiceDate"] = "2010-12-01 08:26:01"
    elif edit == "quantity":
        altered.loc[0, "Quantity"], altered.loc[1, "Quantity"] = 2, 6  # sums of Q unchanged
    elif edit == "price":
        altered.loc[2, "UnitPrice"] = 18.000000001
    else:
        table.loc[2, "Description"] = None
        spec = retail_spec(table)
        altered = table.copy()
        altered.loc[2, "Description"] = ""
    altered.to_parquet(tmp_path / spec.filename)
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    with pytest.raises(ds.DataIntegrityError, match="content"):
        ds.load_online_retail(tmp_path, download=False)


def test_conversion_path_hashes_like_the_parquet(tmp_path):
    """xlsx-in-zip (numeric ids as numbers, real dates, no mojibake) and the parquet schema
    (text ids and dates, mojibake) have the same canonical digests, before and after writing."""
    table = retail_table()
    spec = retail_spec(table)
    zpath = tmp_path / "or.zip"
    zpath.write_bytes(retail_zip(table))
    with zipfile.ZipFile(zpath) as zf:
        x = pd.read_excel(io.BytesIO(zf.read("Online Retail.xlsx")), engine="openpyxl")
    assert x["InvoiceNo"].map(type).eq(int).any(), "the fixture must store numeric ids as numbers"
    converted = fetch_mod._online_retail_upstream_schema(x)
    assert ds.online_retail_digests(converted) == spec.content_sha256
    assert reference_digests(converted) == spec.content_sha256
    out = ds.convert_online_retail_archive(zpath, tmp_path / "o.parquet", spec)
    assert ds.online_retail_digests(pd.read_parquet(out)) == spec.content_sha256


def test_conversion_of_an_altered_archive_names_the_column(tmp_path):
    table = edit_table()
    spec = retail_spec(table)
    altered = table.copy()
    altered.loc[2, "Country"] = "Germany"
    zpath = tmp_path / "or.zip"
    zpath.write_bytes(retail_zip(altered))
    with pytest.raises(ds.DataIntegrityError, match=r"in column\(s\) Country") as err:
        ds.convert_online_retail_archive(zpath, tmp_path / "o.parquet", spec)
    assert str(zpath) in str(err.value) and "delete" not in str(err.value).lower()
    assert not (tmp_path / "o.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["or.zip"]


# ---------------------------------------------------------------- content hash on the real file
@pytest.fixture(scope="module")
def real_raw(real_data):
    return pd.read_parquet(real_data / "online_retail.parquet")


@pytest.mark.realdata
def test_real_digests_are_the_registry_and_the_reference(real_raw):
    spec = ds.get_spec("online_retail")
    assert list(spec.content_sha256) == list(spec.columns)
    assert ds.online_retail_digests(real_raw) == dict(spec.content_sha256)
    assert reference_digests(real_raw) == dict(spec.content_sha256)


@pytest.mark.realdata
@pytest.mark.parametrize("column", ["Description", "InvoiceDate", "Country", "StockCode",
                                    "CustomerID", "InvoiceNo"])
def test_single_value_edit_of_the_real_file_is_detected(no_env, real_raw, tmp_path, column):
    """One value changed in a copy of the real parquet, so that no count or sum changes."""
    raw = real_raw.copy()
    row = 100_000
    new = {
        "Description": raw.loc[row, "Description"].lower(),
        "InvoiceDate": raw.loc[row, "InvoiceDate"][:-2] + "01",
        "Country": "France" if raw.loc[row, "Country"] != "France" else "Germany",
        "StockCode": raw.loc[row + 1, "StockCode"],
        "CustomerID": raw["CustomerID"].dropna().iloc[0],
        "InvoiceNo": raw.loc[row - 5000, "InvoiceNo"],
    }[column]
    assert new != raw.loc[row, column]
    raw.loc[row, column] = new
    # every count and sum the fingerprints measure is unchanged: only the content hash sees it
    assert ds.online_retail_facts(raw) == ds.online_retail_facts(real_raw)
    raw.to_parquet(tmp_path / "online_retail.parquet", index=False)
    with pytest.raises(ds.DataIntegrityError, match=column) as err:
        ds.load_online_retail(tmp_path, download=False)
    msg = str(err.value)
    assert str(tmp_path / "online_retail.parquet") in msg and "delete" not in msg.lower()
    assert f"in column(s) {column}: the SHA-256" in msg
