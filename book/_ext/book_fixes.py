"""Small Sphinx fixes for the book's HTML, loaded from _config.yml (local_extensions).

- Jupyter Book 1.0.4 with sphinx-thebe 0.3.1 writes sphinx-thebe's inline configuration
  script (``const THEBE_JS_URL = ...``) twice into every page; the second copy is a
  JavaScript SyntaxError (a ``const`` declared twice) that the render check reports. We
  drop exact duplicates of inline scripts from each page's script list.
"""

from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
