"""A chapter as a reader sees it in stock JupyterLab: numbers filled in, no MyST left, the
solution folded.

Starts JupyterLab on 127.0.0.1 (no token, a throw-away settings folder) over the repository,
opens chapter 4.3 of the full reader edition (``chapters/``) in headless Chromium, checks the
rendered Markdown, and keeps a screenshot in ``_build/render-check/``. Needs JupyterLab (the
``lab`` extra, which ``make test`` installs) and Debian's Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "render-check"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHAPTER = "chapters/05_cf_worked_example.ipynb"

pytestmark = pytest.mark.render


def _missing(what: str):
    if os.environ.get("CI"):
        pytest.fail(what)
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    lab = Path(sys.executable).parent / "jupyter-lab"
    if not lab.exists():
        _missing("JupyterLab is not installed (the `lab` extra; `make test` installs it)")
    home = tmp_path_factory.mktemp("jupyter-home")
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    args = [str(lab), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={ROOT}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = open(home / "server.log", "w")
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        if proc.poll() is not None:
            pytest.fail("JupyterLab exited:\n" + (home / "server.log").read_text()[-3000:])
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        # JupyterLab leaves a checkpoint folder next to an opened notebook
        shutil.rmtree(ROOT / "chapters" / ".ipynb_checkpoints", ignore_errors=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        _missing("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-lab-profile')}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(90)
    yield driver
    driver.quit()


RENDERED_JS = """
const md = Array.from(document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown'));
return {
  cells: md.length,
  text: md.map(e => e.textContent).join('\\n'),
  details: document.querySelectorAll('.jp-RenderedMarkdown details').length,
  openDetails: document.querySelectorAll('.jp-RenderedMarkdown details[open]').length,
  summaries: Array.from(document.querySelectorAll('.jp-RenderedMarkdown details > summary'))
                 .map(s => s.textContent),
};
"""


def test_a_chapter_reads_right_in_stock_jupyterlab(jupyterlab, browser):
    import nbformat

    browser.get(f"{jupyterlab}/lab/tree/{CHAPTER}")
    info = {"cells": 0}
    t0 = time.time()
    while time.time() - t0 < 90:
        info = browser.execute_script(RENDERED_JS)
        if info["cells"] and "Exercises" in info["text"]:
            break
        time.sleep(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "jupyterlab__05_cf_worked_example.png"))
    assert info["cells"] > 5, f"JupyterLab rendered no Markdown cells of {CHAPTER}"
    text = info["text"]
    for raw in ("{glue", "{cite", "{doc}", "{term}", "```{", "{exercise}", "{solution}"):
        assert raw not in text, f"raw MyST {raw!r} shows in JupyterLab"
    # the numbers the prose glues are there, as the reader edition wrote them
    nb = nbformat.read(ROOT / CHAPTER, as_version=4)
    first = next(c.source for c in nb.cells if c.cell_type == "markdown" and "8.3" in c.source)
    assert "8.3" in text and "8.3" in first
    # every solution is folded
    assert info["details"] >= 3 and info["openDetails"] == 0
    assert all("Solution" in s for s in info["summaries"])
