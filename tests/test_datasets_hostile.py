"""Hostile trials against the data loaders (issue 12, item 5): each trial is a test.

Permission problems are simulated by making ``open`` raise PermissionError for the data file
(the tests run as root in CI, where chmod does not stop reading); one test also uses chmod
and skips only when chmod is ineffective.
"""

from __future__ import annotations

import builtins
import dataclasses
import doctest
import errno
import hashlib
import http.server
import importlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from retail_lab import datasets as ds
from test_datasets import edit_table, hillstrom_csv, hillstrom_spec, retail_spec, retail_table

fetch_mod = importlib.import_module("retail_lab.datasets.fetch")
loaders_mod = importlib.import_module("retail_lab.datasets.loaders")

NAMES = ["online_retail", "hillstrom", "bitext_support"]
#: Process-id checks and SIGKILL: on Windows only the age rule removes leftovers.
posix_only = pytest.mark.skipif(os.name == "nt", reason="process-id checks need POSIX")
LOADERS = {"online_retail": ds.load_online_retail, "hillstrom": ds.load_hillstrom,
           "bitext_support": ds.load_bitext_support}


# ---------------------------------------------------------------- small valid files per dataset
def bitext_csv() -> bytes:
    rows = [("I want to cancel order 123", "cancel_order", "ORDER", "I can help with {{Order Number}}"),
            ("where is my parcel", "track_order", "ORDER", "Track it at {{Website URL}}"),
            ("refund please", "get_refund", "REFUND", "Refunds take {{Days}} days")]
    df = pd.DataFrame(rows, columns=["instruction", "intent", "category", "response"])
    return df.to_csv(index=False).encode()


def bitext_spec(data: bytes, **changes) -> ds.DatasetSpec:
    raw = pd.read_csv(io.BytesIO(data))
    fp = {"rows": len(raw), "distinct intent": raw["intent"].nunique(),
          "distinct category": raw["category"].nunique()}
    return dataclasses.replace(ds.get_spec("bitext_support"),
                               sha256=hashlib.sha256(data).hexdigest(), fingerprints=fp, **changes)


def install(name: str, monkeypatch, home: Path | None, **changes) -> tuple[ds.DatasetSpec, bytes]:
    """Register a small valid file for ``name``; write it into ``home`` when given."""
    if name == "online_retail":
        table = retail_table()
        spec = retail_spec(table, **changes)
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        data = buf.getvalue()
    elif name == "hillstrom":
        data = hillstrom_csv()
        spec = hillstrom_spec(data, **changes)
    else:
        data = bitext_csv()
        spec = bitext_spec(data, **changes)
    monkeypatch.setitem(ds.REGISTRY, name, spec)
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        (home / spec.filename).write_bytes(data)
    return spec, data


def assert_no_delete_advice(msg: str) -> None:
    assert not re.search(r"\bdelet|\brm\s", msg, re.IGNORECASE), msg


def deny(monkeypatch, target: Path) -> None:
    """Make every ``open`` of ``target`` fail with permission denied, as for another user."""
    real_open = builtins.open
    target = Path(target).resolve()

    def fake_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and Path(os.fspath(file)).resolve() == target:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)


# ---------------------------------------------------------------- permission denied
@pytest.mark.parametrize("name", NAMES)
def test_permission_denied_is_named_not_called_truncated(no_env, monkeypatch, tmp_path, name):
    spec, data = install(name, monkeypatch, tmp_path)
    path = tmp_path / spec.filename
    deny(monkeypatch, path)
    with pytest.raises(ds.DataAccessError) as err:
        LOADERS[name](tmp_path)
    msg = str(err.value)
    assert "permission denied" in msg and str(path) in msg and "chmod" in msg
    assert "truncated" not in msg and "corrupt" not in msg
    assert_no_delete_advice(msg)
    assert not isinstance(err.value, ds.DataIntegrityError)
    monkeypatch.undo()
    assert path.read_bytes() == data, "the file must be left as it was"


def test_unsearchable_directory_is_a_permission_error(no_env, monkeypatch, tmp_path):
    spec, _ = install("hillstrom", monkeypatch, tmp_path)
    path = tmp_path / spec.filename
    real_stat = os.stat

    def fake_stat(p, *a, **k):
        if os.fspath(p) == os.fspath(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(p))
        return real_stat(p, *a, **k)

    monkeypatch.setattr(fetch_mod.os, "stat", fake_stat)
    with pytest.raises(ds.DataAccessError, match="permission denied") as err:
        ds.load_hillstrom(tmp_path, download=False)
    assert f"may not look into the data directory {tmp_path}" in str(err.value)
    assert_no_delete_advice(str(err.value))
    # a directory above the data directory
    monkeypatch.setattr(fetch_mod.os, "stat", lambda p, *a, **k: (_ for _ in ()).throw(
        PermissionError(errno.EACCES, "Permission denied", os.fspath(p))))
    with pytest.raises(ds.DataAccessError, match=f"the data directory {tmp_path}: permission"):
        ds.load_hillstrom(tmp_path)


def test_permission_denied_with_chmod(no_env, monkeypatch, tmp_path):
    spec, _ = install("online_retail", monkeypatch, tmp_path)
    path = tmp_path / spec.filename
    path.chmod(0)
    try:
        try:
            with open(path, "rb"):
                pass
        except PermissionError:
            pass
        else:
            pytest.skip("chmod 000 does not stop this user from reading (running as root)")
        with pytest.raises(ds.DataAccessError, match="permission denied") as err:
            ds.load_online_retail(tmp_path, download=False)
        assert "truncated" not in str(err.value)
        assert_no_delete_advice(str(err.value))
    finally:
        path.chmod(0o644)


def test_unwritable_data_directory_on_download(no_env, monkeypatch, tmp_path, http_server):
    base, www, _ = http_server
    data = hillstrom_csv()
    (www / "h.csv").write_bytes(data)
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data, url=f"{base}/h.csv"))
    real_open = builtins.open

    def no_write(file, mode="r", *a, **k):
        if isinstance(file, (str, os.PathLike)) and ".part-" in os.fspath(file) and "w" in mode:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", no_write)
    with pytest.raises(ds.DataAccessError, match="cannot write to the data directory"):
        ds.load_hillstrom(tmp_path)
    assert list(tmp_path.iterdir()) == [www]


# ---------------------------------------------------------------- something else in the file's place
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("content", ["empty", "with a file"])
def test_directory_named_like_the_file(no_env, monkeypatch, tmp_path, http_server, name, content):
    base, www, requests = http_server
    spec, data = install(name, monkeypatch, None, url=f"{base}/file")
    (www / "file").write_bytes(data)
    home = tmp_path / "home"
    d = home / spec.filename
    d.mkdir(parents=True)
    if content == "with a file":
        (d / "part-0.parquet").write_bytes(b"user data")
    with pytest.raises(ds.DataAccessError, match="is a directory") as err:
        LOADERS[name](home)  # downloads allowed: still no download over a directory
    msg = str(err.value)
    assert str(d) in msg and "mv " in msg
    assert "wrong schema" not in msg and "found []" not in msg
    assert not isinstance(err.value, IsADirectoryError)
    assert_no_delete_advice(msg)
    assert requests == []
    assert d.is_dir() and (content == "empty") == (not any(d.iterdir())), "left untouched"


def test_directory_named_like_the_downloaded_archive(no_env, monkeypatch, tmp_path, http_server):
    base, _www, requests = http_server
    install("online_retail", monkeypatch, None, url=f"{base}/or.zip")
    (tmp_path / "downloads" / "online_retail.zip").mkdir(parents=True)
    with pytest.raises(ds.DataAccessError, match="is a directory"):
        ds.load_online_retail(tmp_path)
    assert requests == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_named_pipe_in_place_of_the_csv_does_not_block(no_env, monkeypatch, tmp_path):
    spec, _ = install("hillstrom", monkeypatch, None)
    os.mkfifo(tmp_path / spec.filename)
    with pytest.raises(ds.DataAccessError, match="not a regular file"):
        ds.load_hillstrom(tmp_path, download=False)


def test_dangling_symlink(no_env, monkeypatch, tmp_path):
    spec, _ = install("hillstrom", monkeypatch, None)
    (tmp_path / spec.filename).symlink_to(tmp_path / "gone.csv")
    with pytest.raises(ds.DataAccessError, match="symbolic link .*does not exist"):
        ds.load_hillstrom(tmp_path)


def test_data_home_that_is_a_file(no_env, monkeypatch, tmp_path):
    install("hillstrom", monkeypatch, None)
    f = tmp_path / "data"
    f.write_text("not a directory")
    with pytest.raises(ds.DataAccessError, match="is a file, not a directory"):
        ds.load_hillstrom(f)
    monkeypatch.setenv("RETAIL_LAB_DATA", str(f))
    with pytest.raises(ds.DataAccessError, match=r"\$RETAIL_LAB_DATA"):
        ds.load_hillstrom()
    assert f.read_text() == "not a directory"


# ---------------------------------------------------------------- truncated, empty, corrupt, altered
@pytest.mark.parametrize("name", NAMES)
def test_truncated_file(no_env, monkeypatch, tmp_path, name):
    spec, data = install(name, monkeypatch, tmp_path)
    path = tmp_path / spec.filename
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ds.DataIntegrityError, match="truncated") as err:
        LOADERS[name](tmp_path, download=False)
    msg = str(err.value)
    assert f"mv '{path}' '{path}'.bad" in msg and spec.url in msg
    assert_no_delete_advice(msg)
    assert path.read_bytes() == data[: len(data) // 2], "the file must be left as it was"


@pytest.mark.parametrize("name", NAMES)
def test_empty_file(no_env, monkeypatch, tmp_path, name):
    spec, _ = install(name, monkeypatch, tmp_path)
    (tmp_path / spec.filename).write_bytes(b"")
    with pytest.raises(ds.DataIntegrityError, match=r"is empty \(0 bytes\)") as err:
        LOADERS[name](tmp_path)
    assert_no_delete_advice(str(err.value))


def test_altered_parquet_names_column_and_path(no_env, monkeypatch, tmp_path):
    table = edit_table()
    spec = retail_spec(table)
    monkeypatch.setitem(ds.REGISTRY, "online_retail", spec)
    altered = table.copy()
    altered.loc[0, "Description"] = "WHITE HANGING HEART "
    altered.loc[2, "Country"] = "Germany"
    altered.to_parquet(tmp_path / spec.filename)
    with pytest.raises(ds.DataIntegrityError,
                       match=r"in column\(s\) Description, Country: the SHA-256") as err:
        ds.load_online_retail(tmp_path, download=False)
    assert str(tmp_path / spec.filename) in str(err.value)
    assert_no_delete_advice(str(err.value))


def test_no_message_advises_deleting(no_env, monkeypatch, tmp_path):
    """The fingerprint, hash and archive messages, collected in one place."""
    spec = retail_spec(retail_table())
    for facts in ({**spec.fingerprints, "rows": 1},):
        with pytest.raises(ds.DataIntegrityError) as err:
            ds.verify_fingerprints(facts, spec, "x.parquet", path=tmp_path / "x.parquet")
        assert_no_delete_advice(str(err.value))
    with pytest.raises(ds.DataIntegrityError) as err:
        ds.verify_content({}, spec, "x.parquet", path=tmp_path / "x.parquet")
    assert_no_delete_advice(str(err.value))
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ds.DataIntegrityError, match="not a valid zip") as err:
        ds.convert_online_retail_archive(bad, tmp_path / "o.parquet", spec)
    assert_no_delete_advice(str(err.value))
    assert str(bad) in str(err.value)
    source = Path(fetch_mod.__file__).read_text() + Path(loaders_mod.__file__).read_text()
    assert not re.search(r"[\"'][^\"'\n]*\b[Dd]elete it", source)


# ---------------------------------------------------------------- leftovers of interrupted writes
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    if fetch_mod._pid_alive(proc.pid):
        pytest.skip("the process id was reused at once")
    return proc.pid


@posix_only
def test_leftovers_of_dead_writers_are_removed(no_env, monkeypatch, tmp_path):
    spec, _ = install("online_retail", monkeypatch, tmp_path)
    pid = dead_pid()
    ours = [tmp_path / f".online_retail.parquet.part-{pid}",
            tmp_path / "downloads" / f".online_retail.zip.part-{pid}",
            tmp_path / f".{ds.get_spec('hillstrom').filename}.part-{pid}"]
    not_ours = [tmp_path / f".online_retail.parquet.part-{pid}x",   # not a pid
                tmp_path / f"online_retail.parquet.part-{pid}",      # no leading dot
                tmp_path / f".notes.txt.part-{pid}",                 # not a data file name
                tmp_path / "tmpab12cd34",                            # a generic temporary
                tmp_path / "online_retail.parquet.bak"]
    (tmp_path / "downloads").mkdir()
    for p in ours + not_ours:
        p.write_bytes(b"half")
    (tmp_path / f".bitext.part-{pid}").mkdir()
    df = ds.load_online_retail(tmp_path, download=False)
    assert len(df) == 5
    assert [p for p in ours if p.exists()] == []
    assert all(p.exists() for p in not_ours) and (tmp_path / f".bitext.part-{pid}").is_dir()


@posix_only
def test_leftover_of_a_running_writer_is_kept_until_stale(no_env, monkeypatch, tmp_path):
    spec, _ = install("hillstrom", monkeypatch, tmp_path)
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        part = tmp_path / f".{spec.filename}.part-{writer.pid}"
        part.write_bytes(b"in progress")
        ds.load_hillstrom(tmp_path)
        assert part.exists(), "a download in progress must not lose its file"
        old = time.time() - fetch_mod.STALE_PART_AGE_S - 60
        os.utime(part, (old, old))
        ds.load_hillstrom(tmp_path)
        assert not part.exists(), "untouched for longer than the threshold: stale"
    finally:
        writer.kill()
        writer.wait()


@posix_only
def test_leftover_cleanup_ignores_files_it_cannot_remove(monkeypatch, tmp_path):
    part = tmp_path / f".online_retail.parquet.part-{dead_pid()}"
    part.write_bytes(b"half")
    monkeypatch.setattr(fetch_mod.os, "unlink", lambda p: (_ for _ in ()).throw(PermissionError()))
    assert ds.remove_stale_partials(tmp_path) == []
    assert ds.remove_stale_partials(tmp_path / "missing") == []


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        data = self.server.payload
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.path == "/slow":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.server.release.wait(60)  # hang mid-transfer until the test ends
            return
        self.wfile.write(data)


@posix_only
def test_killed_download_leaves_a_part_file_that_the_next_run_removes(no_env, monkeypatch, tmp_path):
    data = hillstrom_csv(200)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.payload, server.release = data, threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    home = tmp_path / "home"
    home.mkdir()
    spec = hillstrom_spec(data, url=f"{base}/slow")
    code = (
        "import dataclasses, sys\n"
        "import retail_lab.datasets as ds\n"
        f"ds.REGISTRY['hillstrom'] = dataclasses.replace(ds.get_spec('hillstrom'), url={spec.url!r}, "
        f"sha256={spec.sha256!r}, fingerprints={dict(spec.fingerprints)!r})\n"
        f"ds.fetch('hillstrom', {str(home)!r})\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIL_LAB_")}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    part = home / f".{spec.filename}.part-{fetch_mod._host()}-{proc.pid}"
    try:
        deadline = time.time() + 60
        while not (part.exists() and part.stat().st_size > 0) and proc.poll() is None:
            assert time.time() < deadline, "the download never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert part.exists(), "a killed download leaves its temporary file"
        assert not (home / spec.filename).exists(), "but never a half file under the real name"
        # the next run: the good server address, the leftover goes, the file loads
        monkeypatch.setitem(ds.REGISTRY, "hillstrom", dataclasses.replace(spec, url=f"{base}/ok"))
        df = ds.load_hillstrom(home)
        assert len(df) == 600
        assert sorted(p.name for p in home.iterdir()) == [spec.filename]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.release.set()
        server.shutdown()
        server.server_close()


@posix_only
def test_interrupted_conversion_leftover_is_removed_before_converting(monkeypatch, tmp_path):
    from test_datasets import retail_zip

    table = retail_table()
    spec = retail_spec(table)
    zpath = tmp_path / "or.zip"
    zpath.write_bytes(retail_zip(table))
    stale = tmp_path / f".online_retail.parquet.part-{dead_pid()}"
    stale.write_bytes(b"PAR1 half")
    out = ds.convert_online_retail_archive(zpath, tmp_path / "online_retail.parquet", spec)
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["online_retail.parquet", "or.zip"]
    assert ds.online_retail_digests(pd.read_parquet(out)) == spec.content_sha256


# ---------------------------------------------------------------- RETAIL_LAB_OFFLINE and the data directory
@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("TRUE", True), (" yes ", True), ("On", True), ("on", True),
    ("0", False), ("false", False), ("No", False), (" OFF ", False), ("", False), ("  ", False),
])
def test_env_flag_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("RETAIL_LAB_OFFLINE", value)
    assert ds.env_flag("RETAIL_LAB_OFFLINE") is expected
    monkeypatch.delenv("RETAIL_LAB_OFFLINE")
    assert ds.env_flag("RETAIL_LAB_OFFLINE") is False
    assert ds.env_flag("RETAIL_LAB_OFFLINE", default=True) is True


@pytest.mark.parametrize("value", ["on", "ON", " yes", "True", "1"])
def test_offline_switch_stops_download_and_creates_nothing(no_env, monkeypatch, tmp_path,
                                                           http_server, value):
    base, www, requests = http_server
    data = hillstrom_csv()
    (www / "h.csv").write_bytes(data)
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data, url=f"{base}/h.csv"))
    monkeypatch.setenv("RETAIL_LAB_OFFLINE", value)
    home = tmp_path / "home"
    with pytest.raises(ds.DataNotFoundError, match="downloads are off"):
        ds.load_hillstrom(home)
    assert requests == [] and not home.exists()


@pytest.mark.parametrize("value", ["maybe", "2", "y", "enable", "tru", "of"])
def test_offline_switch_unknown_value_is_an_error(no_env, monkeypatch, tmp_path, http_server, value):
    base, www, requests = http_server
    data = hillstrom_csv()
    (www / "h.csv").write_bytes(data)
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data, url=f"{base}/h.csv"))
    monkeypatch.setenv("RETAIL_LAB_OFFLINE", value)
    home = tmp_path / "home"
    with pytest.raises(ValueError) as err:
        ds.load_hillstrom(home)
    msg = str(err.value)
    assert "RETAIL_LAB_OFFLINE" in msg and repr(value) in msg
    assert all(w in msg for w in ("1", "true", "yes", "on", "0", "false", "no", "off"))
    assert requests == [] and not home.exists()


def test_mistyped_data_directory_is_not_created(no_env, monkeypatch, tmp_path, http_server):
    base, www, requests = http_server
    data = hillstrom_csv()
    (www / "h.csv").write_bytes(data)
    monkeypatch.setitem(ds.REGISTRY, "hillstrom", hillstrom_spec(data, url=f"{base}/h.csv"))
    (tmp_path / "data").mkdir()
    typo = tmp_path / "dta"
    monkeypatch.setenv("RETAIL_LAB_DATA", str(typo))
    with pytest.raises(ds.DataNotFoundError, match=r"RETAIL_LAB_DATA.*mistyped"):
        ds.load_hillstrom()
    assert not typo.exists() and requests == []
    monkeypatch.setenv("RETAIL_LAB_OFFLINE", "1")
    with pytest.raises(ds.DataNotFoundError, match="does not even exist"):
        ds.load_hillstrom()
    assert not typo.exists()


def test_failed_download_leaves_no_new_directory(no_env, monkeypatch, tmp_path, http_server):
    base, _www, _ = http_server
    monkeypatch.setitem(ds.REGISTRY, "hillstrom",
                        dataclasses.replace(ds.get_spec("hillstrom"), url=f"{base}/missing.csv"))
    home = tmp_path / "a" / "b"
    with pytest.raises(ds.DataNotFoundError, match="download failed"):
        ds.load_hillstrom(home)
    assert not (tmp_path / "a").exists()
    monkeypatch.setitem(ds.REGISTRY, "online_retail",
                        dataclasses.replace(ds.get_spec("online_retail"), url=f"{base}/missing.zip"))
    with pytest.raises(ds.DataNotFoundError, match="download failed"):
        ds.load_online_retail(home)
    assert not (tmp_path / "a").exists()


# ---------------------------------------------------------------- docstring examples stay offline
def test_docstring_examples_never_download(no_env, monkeypatch, tmp_path):
    """The datasets modules' examples run without data and without network; an example
    that calls a loader without a data directory is marked +SKIP."""
    attempts = []
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1"):
            attempts.append(address)
            raise OSError("network use in a docstring example")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(fetch_mod, "_home_and_origin",
                        lambda d: (Path(d), "argument") if d is not None else (tmp_path / "cache", "cache"))
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    ran = 0
    for mod in (loaders_mod, fetch_mod, importlib.import_module("retail_lab.datasets.registry")):
        for test in finder.find(mod):
            for ex in test.examples:
                if re.search(r"load_\w+\(\s*\)", ex.source):
                    assert ex.options.get(doctest.SKIP), f"{test.name}: {ex.source!r} would download"
            out = io.StringIO()
            result = runner.run(test, out=out.write)
            assert result.failed == 0, out.getvalue()
            ran += result.attempted
    assert ran > 0 and attempts == []
    assert not (tmp_path / "cache").exists()


def test_temporaries_name_their_host_and_other_hosts_files_go_by_age(tmp_path):
    """In a data folder shared between machines, another host's process id says nothing here:
    its temporary is removed only once it is stale by age."""
    import os
    import time

    fetch = fetch_mod
    target = tmp_path / "online_retail.parquet"
    own = fetch._partial_name(target)
    assert own.name == f".online_retail.parquet.part-{fetch._host()}-{os.getpid()}"
    fresh_other = tmp_path / ".online_retail.parquet.part-another-host-1"  # pid 1 "alive" there
    stale_other = tmp_path / ".online_retail.parquet.part-another-host-999999"
    dead_here = tmp_path / f".online_retail.parquet.part-{fetch._host()}-999999999"
    for p in (fresh_other, stale_other, dead_here):
        p.write_bytes(b"partial")
    old = time.time() - fetch.STALE_PART_AGE_S - 60
    os.utime(stale_other, (old, old))
    removed = fetch.remove_stale_partials(tmp_path)
    assert sorted(p.name for p in removed) == sorted([stale_other.name, dead_here.name])
    assert fresh_other.exists()
