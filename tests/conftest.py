"""Shared fixtures: the real data directory, a local HTTP server, small upstream-format files."""

from __future__ import annotations

import functools
import http.server
import os
import threading
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
