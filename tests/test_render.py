"""Build the HTML book, serve it on 127.0.0.1 and load every page in headless Chromium.

Checks per page: no JavaScript errors or failed loads in the console, every image loaded,
no request leaves 127.0.0.1 (the book works offline), math typeset by the vendored
MathJax, and the mermaid diagram rendered as SVG. Screenshots of a few pages are saved to
``_build/render-check/``.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them when
missing and it can); without them the test is skipped locally and fails in CI.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "render-check"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    if not (ROOT / "book" / "_static" / "vendor" / "mathjax" / "tex-mml-chtml.js").exists():
        pytest.fail("vendored JavaScript missing: run `make vendor` (npm) first")
    out = tmp_path_factory.mktemp("book")
    print(f"\nbuilding the book into a temporary folder for the render check ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder",
         "html", "-W", "--keep-going", "--path-output", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def server(built_book):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_book)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        msg = ("Debian's chromium and chromium-driver are not installed "
               "(apt-get install chromium chromium-driver)")
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def pages(html_root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(html_root)) for p in html_root.rglob("*.html")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(html_root).parts)
    )


WAIT_JS = """
const done = arguments[arguments.length - 1];
const t0 = Date.now();
function ready() {
  const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  const pending = Array.from(document.querySelectorAll('pre.mermaid, div.mermaid'))
      .filter(d => !d.querySelector('svg'));
  return document.readyState === 'complete' && pending.length === 0 && (!document.querySelector('.math') || document.querySelector('mjx-container'));
}
(function poll() {
  if (ready() || Date.now() - t0 > 20000) { done(true); } else { setTimeout(poll, 100); }
})();
"""

CHECK_JS = """
return {
  images: Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0]),
  mathNodes: document.querySelectorAll('.math').length,
  mathRendered: document.querySelectorAll('mjx-container').length,
  mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
  mermaidNodes: document.querySelectorAll('.mermaid').length,
  mermaidSvgs: document.querySelectorAll('.mermaid svg').length,
  title: document.title,
};
"""


def test_every_page_renders_offline(built_book, server, browser):
    all_pages = pages(built_book)
    assert "notebooks/01_background.html" in all_pages
    assert "notebooks/02_concepts_pipeline.html" in all_pages
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_script_timeout(30)
    problems, math_pages, mermaid_pages = [], 0, 0
    for i, page in enumerate(all_pages, 1):
        url = f"{server}/{page}"
        browser.get_log("performance")
        browser.get(url)
        browser.execute_async_script(WAIT_JS)
        info = browser.execute_script(CHECK_JS)
        for entry in browser.get_log("browser"):
            if entry["level"] == "SEVERE":
                problems.append(f"{page}: console error: {entry['message'][:300]}")
        for entry in browser.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                req = msg["params"]["request"]["url"]
                internal = ("data:", "blob:", "about:", "chrome:", "chrome-extension:", "devtools:")
                if not req.startswith((server, *internal)):
                    problems.append(f"{page}: request leaves the book: {req[:200]}")
        bad_images = [src for src, ok in info["images"] if not ok]
        if bad_images:
            problems.append(f"{page}: images not loaded: {bad_images}")
        if info["mathNodes"]:
            math_pages += 1
            if not info["mathRendered"] or info["mathErrors"]:
                problems.append(f"{page}: math not typeset ({info})")
        if info["mermaidNodes"]:
            mermaid_pages += 1
            if info["mermaidSvgs"] < info["mermaidNodes"]:
                problems.append(f"{page}: mermaid diagram not rendered as SVG")
        if page.startswith("notebooks/") or page.endswith("intro.html"):
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1280, min(int(height), 8000))
            browser.save_screenshot(str(SHOTS / (page.replace("/", "__")[:-5] + ".png")))
            browser.set_window_size(1280, 1000)
        print(f"  [{i}/{len(all_pages)}] {page}: {len(info['images'])} images, "
              f"{info['mathRendered']} formulas, {info['mermaidSvgs']} diagrams", flush=True)
    assert problems == [], "\n".join(problems)
    assert math_pages >= 1, "no page with math was checked"
    assert mermaid_pages >= 1, "no page with a mermaid diagram was checked"
