"""Build the HTML book, serve it on 127.0.0.1 and read it in headless Chromium like a reader.

On a desktop (1280 px) and on a phone (390 px, 2x pixel density) every page must:

- load without JavaScript errors or failed loads, every image loaded, no request leaving
  127.0.0.1 (the book works offline), math typeset by the vendored MathJax, the mermaid
  diagram drawn as SVG;
- show no raw markup in its rendered text: ``$...$``, LaTeX commands (``\\sum``,
  ``\\frac``), Markdown table debris (a line starting with ``|``, ``|---|``), MyST roles
  and directives (``{glue:text}`...```, ``{cite}``, ````` ``` `````), ``**bold**`` or
  ``[link](url)`` -- outside code, outside math, outside the mermaid source;
- show figures whose text is legible (rule below);
- keep output-table cells of up to 40 characters on one line;
- on the phone, not be laid out wider than the screen.

Navigation and search are used the way a reader uses them: on the phone the menu button opens
the chapter list and "Contents" opens the page's table of contents (both drawers must become
visible, and a chapter link in the drawer must lead to the chapter); on the desktop the menu
button collapses and restores the sidebar; the search box finds an English term and Chinese
terms inside Chinese text.

Screenshots are saved to ``_build/render-check/``: every chapter on the desktop, and on the
phone chapters 4.3, 5, 6.1 and 6.3 (the page in 8,000 px slices, and each figure at the
phone's 2x resolution).

Figure legibility rule (the figures are matplotlib PNGs, see ``retail_lab/plotting.py``):

1. *Text height.* The smallest text in a figure is ``MIN_FONT_PT`` points (the book's
   style; matplotlib's default of 10 pt if the style does not say). In a PNG saved at
   ``dpi`` (read from the PNG's pHYs chunk) it is ``pt * dpi / 72`` image pixels tall, and
   shown ``displayed_width / natural_width`` times that, in CSS pixels. It must be at least
   ``MIN_TEXT_PX = 9`` CSS px on the phone and on the desktop: 9 px is about 60% of the
   book's 15-16 px body text, the smallest size at which digits and axis labels are read
   without zooming on a phone (Material's smallest caption style is 12 px, Apple's 11 pt;
   9 px is already a concession for figures).
2. *Sharpness.* ``natural_width / displayed_width >= 1.5``: on a 2x screen (every current
   phone, most laptops) an image with fewer pixels is upscaled by more than 4/3 and its text
   blurs. A figure rendered at 2x and shown at its design size has a ratio of 2.

Images narrower than 48 CSS px (icons) are not judged; SVG images are sharp at any size and
are not judged either. A PNG without a pHYs chunk is taken to be 72 dpi (the PNG default).

Needs Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them when
missing and it can); without them the test is skipped locally and fails in CI. Set
``RENDER_CHECK_HTML=path/to/_build/html`` to check an already built book instead of building
one (for working on the check itself).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import struct
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "render-check"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

DESKTOP = (1280, 1000)
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
MIN_TEXT_PX = 9.0
MIN_PIXEL_RATIO = 1.5
ICON_PX = 48
# chapters whose phone screenshots are kept (article sections 4.3, 5, 6.1, 6.3)
PHONE_SHOTS = ("notebooks/05_cf_worked_example.html", "notebooks/06_keras_recommender.html",
               "notebooks/07_recommendation_case.html", "notebooks/09_inventory.html")
CHAPTER = "notebooks/09_inventory.html"

pytestmark = pytest.mark.render


# --- fixtures (the built book, ``built_book``, is tests/conftest.py's: one build per run) ---

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
                 "--hide-scrollbars", f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def desktop(browser):
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(*DESKTOP)


def phone(browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def pages(html_root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(html_root)) for p in html_root.rglob("*.html")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(html_root).parts)
    )


# --- what the browser reports about a page -----------------------------------------------

WAIT_JS = """
const done = arguments[arguments.length - 1];
const t0 = Date.now();
function ready() {
  const pending = Array.from(document.querySelectorAll('pre.mermaid, div.mermaid'))
      .filter(d => !d.querySelector('svg'));
  const images = Array.from(document.images).filter(i => !i.complete);
  return document.readyState === 'complete' && pending.length === 0 && images.length === 0
      && (!document.querySelector('.math') || document.querySelector('mjx-container'));
}
(function poll() {
  if (ready() || Date.now() - t0 > 20000) { done(true); } else { setTimeout(poll, 100); }
})();
"""

CHECK_JS = """
const main = document.querySelector('article.bd-article') || document.body;
// text a reader sees, outside code, math and the mermaid source
const skip = 'pre, code, kbd, samp, script, style, textarea, .math, mjx-container, '
           + '.mermaid, .highlight, svg';
const texts = [];
const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (!/[$\\\\|{`*\\]]/.test(node.nodeValue)) continue;
  const parent = node.parentElement;
  if (parent && parent.closest(skip)) continue;
  texts.push(node.nodeValue);
}
const figures = Array.from(main.querySelectorAll('img')).map(i => {
  const r = i.getBoundingClientRect();
  return {src: i.currentSrc || i.src, natural: i.naturalWidth, shown: r.width,
          top: r.top + window.scrollY, left: r.left + window.scrollX, height: r.height};
});
// output-table cells that should be on one line but are not
const wrapped = [];
main.querySelectorAll('.cell_output table.dataframe td, .cell_output table.dataframe th')
    .forEach(c => {
  const text = c.textContent.trim();
  if (!text || text.length > 40) return;
  const line = parseFloat(getComputedStyle(c).lineHeight) || 24;
  const range = document.createRange();
  range.selectNodeContents(c);
  if (Math.round(range.getBoundingClientRect().height / line) > 1) wrapped.push(text);
});
return {
  images: Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0]),
  mathNodes: document.querySelectorAll('.math').length,
  mathRendered: document.querySelectorAll('mjx-container').length,
  mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
  mermaidNodes: document.querySelectorAll('.mermaid').length,
  mermaidSvgs: document.querySelectorAll('.mermaid svg').length,
  title: document.title,
  texts: texts,
  figures: figures,
  wrapped: wrapped,
  viewport: document.documentElement.clientWidth,
  layoutWidth: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight,
};
"""

_LATEX = ("sum|prod|frac|dfrac|tfrac|sqrt|mathbf|mathrm|mathcal|mathbb|boldsymbol|text|textbf|"
          "operatorname|hat|bar|tilde|vec|left|right|big|cdot|cdots|ldots|times|le|leq|ge|geq|"
          "neq|approx|sim|propto|infty|partial|nabla|alpha|beta|gamma|delta|epsilon|varepsilon|"
          "eta|theta|lambda|mu|pi|rho|sigma|tau|phi|omega|Delta|Sigma|log|exp|min|max|arg|"
          "argmax|argmin|in|notin|subset|cup|cap|quad|qquad|begin|end|top|mid")
RAW_MARKUP = [
    ("math left as $...$", re.compile(r"\$\$|\$[^$\s][^$]{0,300}?\$")),
    ("LaTeX command", re.compile(rf"\\(?:{_LATEX})(?![A-Za-z])")),
    ("Markdown table row", re.compile(r"(?m)^[ \t]*\|[^|\n]*\|")),
    ("Markdown table rule", re.compile(r"\|\s*:?-{3,}")),
    ("MyST role", re.compile(r"\{[a-z][\w:.-]*\}`")),
    ("MyST directive", re.compile(r"(?m)```|^[ \t]*:::|\{(?:glue|cite|doc|term|ref|numref|eq|"
                                  r"download|exercise|solution|figure|code-cell|math)[:}]")),
    ("Markdown bold", re.compile(r"\*\*[^*\s][^*]*?\*\*")),
    ("Markdown link", re.compile(r"\]\((?:https?://|\.{0,2}/|#)[^)\s]*\)")),
]


def raw_markup(texts: list[str]) -> list[str]:
    """Raw markup in the rendered text: 'what: ...context...' for each find."""
    found = []
    for text in texts:
        for what, pattern in RAW_MARKUP:
            for m in pattern.finditer(text):
                a, b = max(0, m.start() - 40), min(len(text), m.end() + 40)
                found.append(f"{what}: ...{' '.join(text[a:b].split())}...")
    return found


# --- figure legibility -------------------------------------------------------------------

def min_font_pt() -> float:
    """Smallest text size in the book's figures: the style's floor, else matplotlib's 10 pt."""
    try:
        from retail_lab import plotting
    except Exception:  # pragma: no cover - the package is installed with the book
        return 10.0
    return float(getattr(plotting, "MIN_FONT_PT", 10.0))


def png_dpi(path: Path) -> float | None:
    """The dpi in a PNG's pHYs chunk (None when the file is not a PNG or has none)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"pHYs":
            x, _, unit = struct.unpack(">IIB", data[pos + 8:pos + 17])
            return x * 0.0254 if unit == 1 else None
        if kind in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


def legibility(figure: dict, file: Path | None, font_pt: float) -> str | None:
    """Why ``figure`` (as CHECK_JS reports it) is not legible, or None when it is."""
    natural, shown = figure["natural"], figure["shown"]
    if shown < ICON_PX or not natural or file is None or file.suffix.lower() == ".svg":
        return None
    ratio = natural / shown
    dpi = png_dpi(file) or 72.0
    text_px = font_pt * dpi / 72 / ratio
    problems = []
    if text_px < MIN_TEXT_PX:
        problems.append(f"{font_pt:g} pt text shown {text_px:.1f} px tall (< {MIN_TEXT_PX:g}; "
                        f"{dpi:.0f} dpi PNG {natural} px wide shown {shown:.0f} px wide)")
    if ratio < MIN_PIXEL_RATIO:
        problems.append(f"{natural} px wide shown {shown:.0f} px wide: {ratio:.2f} image px per "
                        f"CSS px (< {MIN_PIXEL_RATIO}), blurred on a 2x screen")
    return "; ".join(problems) or None


def _png(path: Path, width: int, dpi: float | None) -> Path:
    """A PNG header (signature, IHDR, optional pHYs) as much as png_dpi reads."""
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sIIBBBBBI", 13, b"IHDR", width, 100,
                                               8, 6, 0, 0, 0, 0)
    if dpi:
        data += struct.pack(">I4sIIBI", 9, b"pHYs", round(dpi / 0.0254), round(dpi / 0.0254),
                            1, 0)
    path.write_bytes(data + struct.pack(">I4sI", 0, b"IEND", 0))
    return path


def test_legibility_rule(tmp_path):
    # the book's style: 6 in at 100 dpi, saved at 2x (200 dpi, 1200 px), 11 pt text; on a
    # phone shown 358 px wide (11 * 200/72 * 358/1200 = 9.1 px), on a desktop 600 px wide
    retina = _png(tmp_path / "retina.png", 1200, 200)
    assert png_dpi(retina) == pytest.approx(200, abs=0.01)
    assert legibility({"natural": 1200, "shown": 358}, retina, 11) is None
    assert legibility({"natural": 1200, "shown": 600}, retina, 11) is None
    # the figures found in the issue: 90 dpi, 760 px wide, 10 pt text; on a phone the text is
    # 5.9 px tall, on a desktop the image is shown at its pixel size (blurred on a 2x screen)
    old = _png(tmp_path / "old.png", 760, 90)
    assert "px tall" in legibility({"natural": 760, "shown": 358}, old, 10)
    assert "blurred" in legibility({"natural": 760, "shown": 760}, old, 10)
    # six panels in a row, 1323 px at 90 dpi on a phone: 3.4 px text
    assert "px tall" in legibility({"natural": 1323, "shown": 358},
                                   _png(tmp_path / "wide.png", 1323, 90), 10)
    # no pHYs: 72 dpi assumed
    assert png_dpi(_png(tmp_path / "plain.png", 100, None)) is None
    # icons and vector images are not judged
    assert legibility({"natural": 20, "shown": 20}, old, 10) is None
    assert legibility({"natural": 1200, "shown": 900}, tmp_path / "diagram.svg", 11) is None


def image_file(built_book: Path, server: str, src: str) -> Path | None:
    if not src.startswith(server):
        return None
    path = built_book / urllib.parse.unquote(urllib.parse.urlparse(src).path).lstrip("/")
    return path if path.is_file() else None


# --- loading pages -----------------------------------------------------------------------

def load(browser, url):
    browser.get(url)
    browser.execute_async_script(WAIT_JS)


def page_problems(page, info, built_book, server, font_pt, layout):
    problems = []
    bad_images = [src for src, ok in info["images"] if not ok]
    if bad_images:
        problems.append(f"{page}: images not loaded: {bad_images}")
    for find in raw_markup(info["texts"]):
        problems.append(f"{page}: raw markup in the rendered text ({find})")
    for fig in info["figures"]:
        why = legibility(fig, image_file(built_book, server, fig["src"]), font_pt)
        if why:
            problems.append(f"{page} ({layout}): figure {fig['src'].rsplit('/', 1)[-1][:16]}... "
                            f"not legible: {why}")
    for text in info["wrapped"]:
        problems.append(f"{page} ({layout}): output-table cell wraps onto several lines: {text!r}")
    return problems


def test_every_page_renders_offline(built_book, server, browser):
    all_pages = pages(built_book)
    assert "notebooks/01_background.html" in all_pages
    assert "notebooks/02_concepts_pipeline.html" in all_pages
    SHOTS.mkdir(parents=True, exist_ok=True)
    desktop(browser)
    font_pt = min_font_pt()
    problems, math_pages, mermaid_pages = [], 0, 0
    for i, page in enumerate(all_pages, 1):
        url = f"{server}/{page}"
        browser.get_log("performance")
        load(browser, url)
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
        problems += page_problems(page, info, built_book, server, font_pt, "desktop")
        if info["mathNodes"]:
            math_pages += 1
            if not info["mathRendered"] or info["mathErrors"]:
                problems.append(f"{page}: math not typeset ({info['mathRendered']} of "
                                f"{info['mathNodes']}, {info['mathErrors']} errors)")
        if info["mermaidNodes"]:
            mermaid_pages += 1
            if info["mermaidSvgs"] < info["mermaidNodes"]:
                problems.append(f"{page}: mermaid diagram not rendered as SVG")
        if page.startswith("notebooks/") or page.endswith("intro.html"):
            browser.set_window_size(DESKTOP[0], min(int(info["height"]), 8000))
            browser.save_screenshot(str(SHOTS / (page.replace("/", "__")[:-5] + ".png")))
            browser.set_window_size(*DESKTOP)
        print(f"  [{i}/{len(all_pages)}] {page}: {len(info['images'])} images, "
              f"{info['mathRendered']} formulas, {info['mermaidSvgs']} diagrams", flush=True)
    assert problems == [], "\n".join(problems)
    assert math_pages >= 1, "no page with math was checked"
    assert mermaid_pages >= 1, "no page with a mermaid diagram was checked"


def save_phone_shots(browser, page, info):
    """The page in slices of 8,000 CSS px (at 1x), and each figure at the phone's 2x."""
    stem = "phone__" + page.replace("/", "__")[:-5]
    for old in SHOTS.glob(stem + "__*.png"):
        old.unlink()
    height = int(info["height"])
    for n, top in enumerate(range(0, height, 8000), 1):
        clip = {"x": 0, "y": top, "width": PHONE["width"], "height": min(8000, height - top),
                "scale": 0.5}
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": clip})
        (SHOTS / f"{stem}__page{n}.png").write_bytes(_b64(shot["data"]))
    figures = [f for f in info["figures"] if f["shown"] >= ICON_PX]
    for n, fig in enumerate(figures, 1):
        clip = {"x": max(0, fig["left"] - 4), "y": max(0, fig["top"] - 4),
                "width": min(PHONE["width"], fig["shown"] + 8), "height": fig["height"] + 8,
                "scale": 1}
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": clip})
        (SHOTS / f"{stem}__figure{n:02d}.png").write_bytes(_b64(shot["data"]))


def _b64(data: str) -> bytes:
    import base64

    return base64.b64decode(data)


def test_every_page_reads_on_a_phone(built_book, server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    font_pt = min_font_pt()
    problems = []
    phone(browser)
    try:
        for page in pages(built_book):
            load(browser, f"{server}/{page}")
            info = browser.execute_script(CHECK_JS)
            if info["layoutWidth"] > info["viewport"] + 1:
                problems.append(f"{page} (phone): laid out {info['layoutWidth']} px wide on a "
                                f"{info['viewport']} px screen")
            # the raw-markup check is the desktop pass's; the layout-dependent checks run here
            info["texts"] = []
            problems += page_problems(page, info, built_book, server, font_pt, "phone")
            if page in PHONE_SHOTS:
                save_phone_shots(browser, page, info)
    finally:
        desktop(browser)
    assert problems == [], "\n".join(problems)


# --- navigation --------------------------------------------------------------------------

DRAWER_JS = """
const d = document.querySelector(arguments[0]);
if (!d) return null;
const r = d.getBoundingClientRect();
const s = getComputedStyle(d);
return {open: d.open === true, left: r.left, right: r.right, width: r.width, height: r.height,
        visible: s.visibility === 'visible' && s.display !== 'none' && r.width > 0,
        links: Array.from(d.querySelectorAll('a[href]')).filter(a => a.getClientRects().length)
                    .map(a => a.textContent.trim())};
"""


def visible(browser, selector):
    from selenium.webdriver.common.by import By

    shown = [e for e in browser.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]
    assert shown, f"no visible {selector} button"
    return shown[0]


def wait_for(browser, js, *args, timeout=5.0):
    t0 = time.perf_counter()
    while True:
        value = browser.execute_script(js, *args)
        if value or time.perf_counter() - t0 > timeout:
            return value
        time.sleep(0.1)


def test_phone_navigation_opens_the_drawers(built_book, server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    phone(browser)
    try:
        for page in ("book/intro.html", CHAPTER):
            load(browser, f"{server}/{page}")
            closed = browser.execute_script(DRAWER_JS, "#pst-primary-sidebar-modal")
            assert closed and not closed["open"], f"{page}: the chapter list is open on load"
            visible(browser, ".primary-toggle").click()
            wait_for(browser, "return document.querySelector(arguments[0]).open",
                     "#pst-primary-sidebar-modal")
            drawer = browser.execute_script(DRAWER_JS, "#pst-primary-sidebar-modal")
            assert drawer["open"] and drawer["visible"], (
                f"{page}: the menu button does not open the chapter list at 390 px: {drawer}")
            assert drawer["left"] >= -1 and drawer["width"] >= 200, drawer
            assert any("Inventory" in t for t in drawer["links"]), drawer["links"]
            browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
            browser.execute_script(
                "const d = document.querySelector('#pst-primary-sidebar-modal');"
                "if (d.open) d.close();")
        # the chapter's table of contents ("Contents")
        visible(browser, ".secondary-toggle").click()
        wait_for(browser, "return document.querySelector(arguments[0]).open",
                 "#pst-secondary-sidebar-modal")
        toc = browser.execute_script(DRAWER_JS, "#pst-secondary-sidebar-modal")
        assert toc["open"] and toc["visible"], (
            f"{CHAPTER}: the Contents button does not open the page's contents at 390 px: {toc}")
        assert toc["right"] <= PHONE["width"] + 1 and toc["width"] >= 200, toc
        assert len(toc["links"]) >= 3, toc["links"]
        browser.execute_script("document.querySelector('#pst-secondary-sidebar-modal').close()")
        # a reader picks a chapter from the drawer and gets there
        visible(browser, ".primary-toggle").click()
        wait_for(browser, "return document.querySelector(arguments[0]).open",
                 "#pst-primary-sidebar-modal")
        link = next(a for a in browser.find_elements(
            By.CSS_SELECTOR, "#pst-primary-sidebar-modal a.reference.internal")
            if a.is_displayed() and "01_background" in (a.get_attribute("href") or ""))
        link.click()
        assert wait_for(browser, "return location.pathname.endsWith('01_background.html')")
        browser.save_screenshot(str(SHOTS / "phone__navigation.png"))
    finally:
        desktop(browser)


SIDEBAR_SHOWN_JS = """
const s = document.querySelector('#pst-primary-sidebar');
const r = s.getBoundingClientRect();
return getComputedStyle(s).visibility === 'visible' && r.right > 100;
"""
SIDEBAR_HIDDEN_JS = SIDEBAR_SHOWN_JS.replace("return ", "return !(").rstrip().rstrip(";") + ");"
ARTICLE_LEFT_JS = "return document.querySelector('article.bd-article').getBoundingClientRect().left;"


def test_desktop_menu_button_collapses_the_sidebar(server, browser):
    desktop(browser)
    load(browser, f"{server}/{CHAPTER}")
    assert browser.execute_script(SIDEBAR_SHOWN_JS), "the sidebar is not shown on the desktop"
    left = browser.execute_script(ARTICLE_LEFT_JS)
    visible(browser, ".primary-toggle").click()
    assert wait_for(browser, SIDEBAR_HIDDEN_JS), "the menu button does not collapse the sidebar"
    assert not browser.execute_script(
        "return document.querySelector('#pst-primary-sidebar-modal').open"), (
        "the menu button opened the phone drawer on the desktop")
    assert wait_for(browser, "return (() => {" + ARTICLE_LEFT_JS + "})() < arguments[0] - 100",
                    left), "the article does not use the room the sidebar left"
    visible(browser, ".primary-toggle").click()
    assert wait_for(browser, SIDEBAR_SHOWN_JS), "the menu button does not bring the sidebar back"


# --- search ------------------------------------------------------------------------------

def search_hits(browser, server, query, edition=""):
    load(browser, f"{server}/{edition}search.html?q={urllib.parse.quote(query)}")
    summary = wait_for(browser, """
        const s = document.querySelector('#search-results .search-summary');
        return s && !/Preparing|Searching/.test(s.textContent) ? s.textContent : null;""",
                       timeout=20)
    assert summary, f"search for {query!r} did not finish"
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results ul.search li > a'))"
        ".map(a => a.getAttribute('href').split('#')[0])")


def test_search_finds_english_and_chinese_terms(built_book, server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    desktop(browser)
    # like a reader: the search box on a chapter page
    load(browser, f"{server}/{CHAPTER}")
    visible(browser, ".search-button, .search-button-field").click()
    box = wait_for(browser, "const i = document.querySelector('#pst-search-dialog input[name=q]');"
                            " return i && i.getClientRects().length ? i : null;")
    assert box, "the search button does not open the search box"
    box.send_keys("inventory", Keys.ENTER)
    assert wait_for(browser, "return location.pathname.endsWith('search.html')"), (
        "the search box does not lead to the search page")
    hits = search_hits(browser, server, "inventory")
    assert "notebooks/09_inventory.html" in hits, hits
    # Chinese terms inside Chinese text (the article's section titles, the glossary, the intro)
    stock = search_hits(browser, server, "库存")
    assert "notebooks/09_inventory.html" in stock, stock  # 库存管理 in its title
    assert {"book/intro.html", "notebooks/02_concepts_pipeline.html"} & set(stock), stock
    cf = search_hits(browser, server, "协同过滤")
    assert "book/glossary.html" in cf, cf
    # a longer query is cut into the indexed words it contains
    assert "notebooks/09_inventory.html" in search_hits(browser, server, "库存管理系统")
    # the index itself: words segmented out of Chinese runs, English words stemmed as before
    text = (built_book / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    for word in ("库存", "协同过滤", "推荐", "inventori", "recommend"):
        assert word in index["terms"] or word in index["titleterms"], word


def test_chinese_edition_search_and_language_switch(built_book, server, browser):
    desktop(browser)
    # Chinese words in the Chinese chapters' running text
    hits = search_hits(browser, server, "库存", edition="zh/")
    assert "notebooks/09_inventory.html" in hits, hits
    assert "notebooks/07_recommendation_case.html" in search_hits(browser, server, "转化率", edition="zh/")
    # every page links the same page in the other language, and the link leads there
    load(browser, f"{server}/{CHAPTER}")
    link = browser.execute_script("const a = document.querySelector('p.bf-language a');"
                                  " return a && a.href;")
    assert link and link.endswith(f"/zh/{CHAPTER}"), link
    load(browser, link)
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    back = browser.execute_script("return document.querySelector('p.bf-language a').href")
    assert back.endswith(f"/{CHAPTER}") and "/zh/" not in back, back
    for page in pages(built_book):
        if not page.startswith("zh/"):
            assert f"zh/{page}" in pages(built_book), f"{page} has no Chinese edition"


# --- pages checked in the built HTML -----------------------------------------------------

def test_api_table_links_every_name(built_book):
    html = (built_book / "book" / "api.html").read_text(encoding="utf-8")
    table = html[html.index("retail_lab names it uses"):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    assert rows, "the names table is empty"
    ids = set(re.findall(r'id="([^"]+)"', html))
    unlinked = []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        names = cells[-1].split(", ")
        for name in names:
            m = re.search(r'<a class="reference internal" href="#([^"]+)"', name)
            if not m or m.group(1) not in ids:
                unlinked.append(re.sub(r"<[^>]+>", "", name).strip())
    assert unlinked == [], f"names in the API usage table without an entry to link to: {unlinked}"


def test_bibliography_is_author_year(built_book):
    html = (built_book / "book" / "bibliography.html").read_text(encoding="utf-8")
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)'
                        r'<span class="fn-bracket">\]</span></span>', html)
    assert len(labels) >= 10, labels
    numeric = [x for x in labels if re.fullmatch(r"\d+", x)]
    assert numeric == [], f"numbered bibliography labels: {numeric}"
    assert all(re.search(r"\d{4}[a-z]?$", x) for x in labels), labels
    assert len(set(labels)) == len(labels), "two references share a label"
    # each citation in the text shows the label of the entry it points to
    entries = dict(re.findall(
        r'<div class="citation" id="([^"]+)" role="doc-biblioentry">\s*'
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<', html))
    intro = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    cites = re.findall(r'href="bibliography.html#([^"]+)"[^>]*>([^<]+)</a>', intro)
    assert cites, "no citation on the intro page"
    for target, text in cites:
        assert entries.get(target) == text, (target, text, entries.get(target))
