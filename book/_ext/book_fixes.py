"""Small Sphinx fixes for the book's HTML, loaded from _config.yml (local_extensions).

- Jupyter Book 1.0.4 with sphinx-thebe 0.3.1 writes sphinx-thebe's inline configuration
  script (``const THEBE_JS_URL = ...``) twice into every page; the second copy is a
  JavaScript SyntaxError (a ``const`` declared twice) that the render check reports. We
  drop exact duplicates of inline scripts from each page's script list.
- ``book/_static/book-fixes.js`` and ``book-fixes.css`` on every page: sidebar toggles that
  work on phones and on desktop (pydata-sphinx-theme issue #2451), output tables whose cells
  do not wrap, API signatures and the intro's chapter table that fit a phone.
- Chinese search (``html_search_language: zh`` in _config.yml): Sphinx's Chinese language
  segments the text with jieba, helped by the book's terms in ``zh_search_words.txt``. Two
  changes to it: the index stems English words with the Porter stemmer, the one its
  JavaScript uses on the query (Sphinx's Chinese language stems with "english", Porter2,
  so some English words were indexed under a stem the query never produces); and the query
  splitter cuts a run of Chinese characters that is not itself an indexed word into the
  longest indexed words it contains, so that 协同过滤推荐 finds 协同过滤 and 推荐.
- References to re-exported names (``retail_lab.set_seed`` is documented as
  ``retail_lab.repro.set_seed``) resolve to the documented object, so the API page's table of
  the names each chapter uses links every name to its entry.
- ``bibtex_default_style: authoryear``: the bibliography labelled "Chen et al., 2012" like
  the author-year citations in the text, instead of [1]-[32].
- The two editions (``book_edition``: ``en``, the default, or ``zh``, set by
  ``tools/zh_edition.py`` for the Chinese book built under ``zh/``): every page starts with a
  link to the same page in the other language, and declares it with ``<link rel="alternate"
  hreflang=...>``.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

HERE = Path(__file__).resolve().parent
ZH_WORDS = HERE / "zh_search_words.txt"


# --- the language switch -----------------------------------------------------------------

EDITIONS = {"en": ("zh", "中文", "本页中文版"), "zh": ("en", "English", "This page in English")}


def other_edition_url(pagename: str, edition: str) -> str:
    """The URL, relative to page ``pagename``, of the same page in the other edition: the
    Chinese book lives in ``zh/`` under the English one."""
    up = "../" * pagename.count("/")
    return f"{up}zh/{pagename}.html" if edition == "en" else f"{up}../{pagename}.html"


def _language_switch(app, pagename, templatename, context, doctree):
    edition = app.config.book_edition
    if edition not in EDITIONS:
        raise ValueError(f"book_edition must be 'en' or 'zh', got {edition!r}")
    other, label, title = EDITIONS[edition]
    if "body" not in context or pagename in ("search", "genindex"):
        return
    url = other_edition_url(pagename, edition)
    lang = "zh-CN" if other == "zh" else "en"
    context["body"] = (f'<p class="bf-language"><a href="{url}" hreflang="{lang}" lang="{lang}" '
                       f'title="{title}">{label}</a></p>\n' + context["body"])
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{lang}" href="{url}" />')


# --- duplicate inline scripts ------------------------------------------------------------

def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body") if hasattr(js, "attributes") else None
        key = ("inline", body) if body else None
        if key is not None and key in seen:
            continue
        if key is not None:
            seen.add(key)
        kept.append(js)
    scripts[:] = kept


# --- Chinese search ----------------------------------------------------------------------

# Replaces searchtools.js's default splitQuery (language_data.js defines it first). Runs of
# Chinese characters that are not an indexed word are cut, longest match first, into the
# indexed words they contain; characters that start no indexed word are dropped.
ZH_SPLITTER_JS = r"""
function splitQuery(query) {
  const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  const runs = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  const index = (typeof Search !== "undefined" && Search._index) ? Search._index : null;
  const known = (word) => index !== null && (
    Object.prototype.hasOwnProperty.call(index.terms, word) ||
    Object.prototype.hasOwnProperty.call(index.titleterms, word));
  const out = [];
  query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).forEach((token) => {
    if (!token) return;
    (token.match(runs) || []).forEach((part) => {
      if (!han.test(part) || known(part) || index === null) { out.push(part); return; }
      let i = 0;
      while (i < part.length) {
        let n = Math.min(12, part.length - i);
        while (n >= 2 && !known(part.substr(i, n))) n--;
        if (n >= 2) { out.push(part.substr(i, n)); i += n; } else { i += 1; }
      }
    });
  });
  return out;
}
"""


def _chinese_search_language():
    import snowballstemmer
    from sphinx.search.zh import JIEBA, SearchChinese

    if JIEBA:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict ..." in the build log

    class SearchChineseBook(SearchChinese):
        js_splitter_code = ZH_SPLITTER_JS

        def init(self, options):
            super().init(options)
            # the same stemmer as the JavaScript (js_porter_stemmer) applies to the query
            self.stemmer = snowballstemmer.stemmer("porter")

    return SearchChineseBook


def _search_options(app, config):
    if config.html_search_language == "zh":
        options = dict(config.html_search_options or {})
        options.setdefault("dict", str(ZH_WORDS))
        config.html_search_options = options


# --- references to re-exported names ----------------------------------------------------

def _import(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


_MISSING = object()


def _resolve_reexport(app, env, node, contnode):
    """Resolve ``retail_lab.X.name`` to the documented entry of the same object."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("retail_lab."):
        return None
    obj = _import(target)
    if obj is None:
        return None
    domain = env.get_domain("py")
    short = target.rsplit(".", 1)[-1]
    for name in sorted(domain.objects):
        if name != target and name.rsplit(".", 1)[-1] == short and _import(name) is obj:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                       name, node, contnode)
    return None


# --- author-year bibliography labels -------------------------------------------------------

def _register_bibliography_style():
    import pybtex.plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.labels import BaseLabelStyle
    from sphinxcontrib.bibtex.style.referencing import PersonStyle
    from sphinxcontrib.bibtex.style.template import join, year

    class _Data:
        person = PersonStyle()

    # the text sphinxcontrib-bibtex's author_year reference style puts inside a citation
    template = join(sep=", ")[_Data.person.author_or_editor_or_title(full=False), year]

    class AuthorYearLabelStyle(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            seen: dict[str, int] = {}
            for entry in sorted_entries:
                label = template.format_data({"entry": entry, "style": _Data}).render_as("text")
                seen[label] = seen.get(label, 0) + 1
                # a second "Smith, 2020" becomes "Smith, 2020b"
                yield label if seen[label] == 1 else f"{label}{chr(ord('a') + seen[label] - 1)}"

    class AuthorYearStyle(PlainStyle):
        """pybtex's "plain" (sorted by author, year, title) with author-year labels."""

        default_label_style = AuthorYearLabelStyle

    pybtex.plugin.register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
    pybtex.plugin.register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    app.add_config_value("book_edition", "en", "html")
    app.connect("html-page-context", _language_switch)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.add_js_file("book-fixes.js", loading_method="defer")
    app.add_css_file("book-fixes.css")
    app.add_search_language(_chinese_search_language())
    app.connect("config-inited", _search_options)
    app.connect("missing-reference", _resolve_reexport)
    _register_bibliography_style()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
