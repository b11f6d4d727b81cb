"""Shared fixtures: the real data directory, a local HTTP server, small upstream-format files,
the built book."""

from __future__ import annotations

import fcntl
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _real_data_dir() -> Path | None:
    env = os.environ.get("RETAIL_LAB_DATA")
    for cand in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "data"]:
        if (cand / "online_retail.parquet").exists():
            return cand
    return None


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The directory with the real datasets; skip (with the reason) when it is absent."""
    d = _real_data_dir()
    if d is None:
        pytest.skip(
            "real datasets not found: set RETAIL_LAB_DATA to a directory holding "
            "online_retail.parquet and the Hillstrom and Bitext CSVs (CI uses ../shared/data)"
        )
    return d


@pytest.fixture
def no_env(monkeypatch):
    """Remove the data-directory and offline variables so a test controls them."""
    monkeypatch.delenv("RETAIL_LAB_DATA", raising=False)
    monkeypatch.delenv("RETAIL_LAB_OFFLINE", raising=False)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path / 'www'`` on 127.0.0.1; yields (base_url, www_dir, requests list)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_Handler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", www, server.requests
    finally:
        server.shutdown()
        server.server_close()


def _build_book(out: Path) -> Path:
    """Both editions built into ``out`` as `make book` builds them; fails the test with the
    warnings when a build does not pass -W."""
    if not (ROOT / "book" / "_static" / "vendor" / "mathjax" / "tex-mml-chtml.js").exists():
        pytest.fail("vendored JavaScript missing: run `make vendor` (npm) first")
    print("\nbuilding the book (both editions) into a temporary folder ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder",
         "html", "-W", "--keep-going", "--path-output", str(out)],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
        warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
        pytest.fail("the book does not build without warnings (-W):\n"
                    + "\n".join(warnings or log.splitlines()[-60:]), pytrace=False)
    html = out / "_build" / "html"
    print(f"built in {time.perf_counter() - t0:.0f} s; building the Chinese edition ...", flush=True)
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "zh_edition.py"), "build",
                           "--html", str(html / "zh"), "--work", str(out / "zh")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
        warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
        pytest.fail("the Chinese edition does not build without warnings (-W):\n"
                    + "\n".join(warnings or log.splitlines()[-60:]), pytrace=False)
    print(f"both editions built in {time.perf_counter() - t0:.0f} s", flush=True)
    return html


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Both editions of the book built as `make book` builds them (warnings are errors) into a
    temporary folder, once per test run: the render check reads every page of it and the course
    map tests read the chapters' boxes. With parallel workers (pytest-xdist) the first worker
    to need it builds it and the others wait for it and read the same folder (a file lock).
    ``RENDER_CHECK_HTML=path/to/_build/html`` uses an already built book instead."""
    prebuilt = os.environ.get("RENDER_CHECK_HTML")
    if prebuilt:
        return Path(prebuilt).resolve()
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    out, failed = base / "built_book", base / "built_book.failed"
    with open(base / "built_book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if failed.exists():
            pytest.fail(failed.read_text(encoding="utf-8"), pytrace=False)
        if not (out / "_build" / "html" / "zh" / "index.html").exists():
            try:
                _build_book(out)
            except pytest.fail.Exception as exc:
                failed.write_text(str(exc), encoding="utf-8")
                raise
        return out / "_build" / "html"
