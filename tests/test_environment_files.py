"""The project's own files agree with the package: environment.yml and pyproject.toml list the
same packages and ranges, the lock pins them all and says how it was made, TensorFlow is an
extra, the licences and CITATION.cff exist and match, every module is listed in the README, the
package docstring and the API reference, every name a chapter uses is documented, and the
chapter-to-module map in CONTRIBUTING.md is current."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    spec = ",".join(sorted(p.strip() for p in m.group(2).split(",") if p.strip()))
    return name, spec


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    return dict(_norm(r) for r in reqs)


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    return dict(_norm(d) for d in deps if not re.match(r"^(python|pip)\b", d))


def test_same_packages_and_ranges():
    py, conda = pyproject_requirements(), conda_requirements()
    assert sorted(set(py) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(py)) == [], "in environment.yml but not pyproject.toml"
    differing = {k: (py[k], conda[k]) for k in py if py[k] != conda[k]}
    assert differing == {}, "version ranges differ (pyproject, environment.yml)"


def lock_pins() -> dict[str, str]:
    lock = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+!\-]+", line), f"not NAME==VERSION: {line!r}"
            name, _, version = line.partition("==")
            lock[re.sub(r"[-_.]+", "-", name).lower()] = version
    return lock


def test_lock_pins_every_dependency_exactly():
    lock = lock_pins()
    missing = [p for p in pyproject_requirements() if p not in lock]
    assert missing == [], f"the lock file does not pin {missing}"


def test_lock_says_how_it_was_made():
    text = (ROOT / "requirements" / "lock.txt").read_text()
    header = "\n".join(ln for ln in text.splitlines() if ln.startswith("#"))
    assert "make lock" in header and "tools/lock.sh" in header and "Python 3.11" in header
    script = (ROOT / "tools" / "lock.sh").read_text()
    assert "--dry-run" in script and "--report" in script and "book,test,lab,keras" in script
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lock:\n\t.*tools/lock\.sh", makefile, re.MULTILINE), "make lock runs tools/lock.sh"


# ---- TensorFlow and Keras are an extra; every extra installs what its users import --------

def _meta() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_tensorflow_is_an_extra_that_the_book_tests_and_lab_install():
    meta = _meta()
    core = {_norm(r)[0] for r in meta["dependencies"]}
    assert not core & {"tensorflow", "keras"}, "TensorFlow and Keras must not be core requirements"
    extras = {k: {_norm(r)[0] for r in v} for k, v in meta["optional-dependencies"].items()}
    assert {"tensorflow", "keras"} <= extras["keras"]
    assert {"tensorflow", "keras", "myst-nb", "ipykernel", "jupyterlab"} <= extras["lab"]
    assert {"tensorflow", "keras", "myst-nb", "nbval", "pytest", "hypothesis"} <= extras["test"]
    makefile = (ROOT / "Makefile").read_text()
    assert '--editable ".[book,test,lab,keras]"' in makefile


def test_requires_python_is_what_the_tests_run_on():
    assert _meta()["requires-python"] == ">=3.11"
    assert sys.version_info >= (3, 11)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


# ---- licences and citation ---------------------------------------------------------------

def test_licence_files():
    code = (ROOT / "LICENSE").read_text()
    assert code.startswith("MIT License") and "Permission is hereby granted, free of charge" in code
    assert _meta()["license"] == "MIT"
    prose = (ROOT / "LICENSE-CONTENT").read_text()
    for part in ("Creative Commons Attribution 4.0 International Public License",
                 "Section 1 -- Definitions.", "Section 8 -- Interpretation.",
                 "https://creativecommons.org/licenses/by/4.0/legalcode"):
        assert part in prose, part


def test_citation_file_is_valid_and_current():
    import retail_lab

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors", "version", "date-released", "license"):
        assert cff.get(key), f"CITATION.cff lacks {key}"
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == retail_lab.__version__ == _meta()["version"]
    assert cff["authors"] == [{"name": "Retail AI Lab"}]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    declared = (config.get("sphinx", {}).get("config", {}).get("html_theme_options", {})
                .get("repository_url") or config.get("repository", {}).get("url"))
    assert ("repository-code" in cff) == bool(declared), "repository-code only where the project states one"


def test_data_page_restates_each_dataset_licence():
    from retail_lab.datasets import REGISTRY

    text = (ROOT / "book" / "data.md").read_text().lower()
    for spec in REGISTRY.values():
        assert spec.license, spec.name
        first = spec.license.split(";")[0].lower().removeprefix("published for ")
        assert first in text, (spec.name, first)
        if "redistribute" in spec.license:
            assert "do not redistribute" in text


# ---- every module listed; every name the chapters use documented --------------------------

def public_modules() -> list[str]:
    import pkgutil

    import retail_lab

    return ["retail_lab"] + [m.name for m in pkgutil.walk_packages(retail_lab.__path__, "retail_lab.")
                             if not any(p.startswith("_") for p in m.name.split("."))]


def _listed(module: str, text: str) -> bool:
    """A module is listed by its dotted name under retail_lab (``recsys.neural``), or, for a
    family of numbered modules, by the name with its digits as N (``exercises.chNN``)."""
    rel = module.removeprefix("retail_lab.")
    return any(re.search(rf"(?<![\w.]){re.escape(form)}(?![\w])", text)
               for form in (rel, re.sub(r"\d", "N", rel)))


def test_readme_and_package_docstring_list_every_module():
    import retail_lab

    readme = (ROOT / "README.md").read_text()
    doc = retail_lab.__doc__
    missing = {where: [m for m in public_modules()[1:] if not _listed(m, text)]
               for where, text in (("README.md", readme), ("retail_lab/__init__.py", doc))}
    assert missing == {"README.md": [], "retail_lab/__init__.py": []}, "modules not listed"


def test_listing_check_catches_a_missing_module():
    assert _listed("retail_lab.recsys.neural", "the `recsys.neural` module")
    assert not _listed("retail_lab.recsys.neural", "the `recsys.neural_old` module")
    assert _listed("retail_lab.exercises.ch07", "one `exercises.chNN` per chapter")
    assert not _listed("retail_lab.sim", "`recsys.simple`")


def _api_directives() -> tuple[dict[str, set[str]], set[str]]:
    """book/api.md's automodule entries (module -> options) and its py:data entries."""
    text = (ROOT / "book" / "api.md").read_text()
    modules = {}
    for m in re.finditer(r"^\.\. automodule:: (\S+)\n((?:   :[\w-]+:.*\n)*)", text, re.MULTILINE):
        assert m.group(1) not in modules, f"{m.group(1)} documented twice"
        modules[m.group(1)] = set(re.findall(r":([\w-]+):", m.group(2)))
    data = set()
    for m in re.finditer(r"^\.\. py:data:: (\w+)\n   :module: (\S+)", text, re.MULTILINE):
        data.add(f"{m.group(2)}.{m.group(1)}")
    assert not re.search(r"automodule::.*\n(   :.*\n)*   :members: \w", text), "hand-written member list"
    return modules, data


def test_api_reference_has_every_module_with_a_public_api():
    import importlib

    documented, _ = _api_directives()
    needed = [m for m in public_modules() if hasattr(importlib.import_module(m), "__all__")]
    missing = [m for m in needed if m not in documented]
    assert missing == [], f"no automodule entry in book/api.md for {missing}"


def test_every_name_a_chapter_uses_is_documented():
    import importlib
    import inspect

    from sphinx.pycode import ModuleAnalyzer

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import api_usage
    finally:
        sys.path.remove(str(ROOT / "tools"))
    documented, data_entries = _api_directives()
    problems = []
    for chapter, names in api_usage.chapter_names().items():
        for name in sorted(names):
            obj, owner = api_usage.resolve(name)
            if obj is None:
                problems.append(f"{chapter}: {name} does not exist")
                continue
            if inspect.ismodule(obj):
                if obj.__name__ not in documented:
                    problems.append(f"{chapter}: module {name} has no entry")
                continue
            short = name.rpartition(".")[2]
            if inspect.isclass(obj) or inspect.isfunction(obj):
                home = obj.__module__
                if any(p.startswith("_") for p in home.split(".")):  # public API of a private module
                    home, need = owner, {"members", "imported-members"}
                else:
                    need = {"members"}
                ok = (need <= documented.get(home, set()) and short in importlib.import_module(home).__all__
                      and bool(inspect.getdoc(obj)))
            else:  # a constant: documented by a #: comment where it is defined, or a py:data entry
                owner = api_usage.constant_module(name)
                commented = ("", short) in ModuleAnalyzer.for_module(owner).find_attr_docs()
                entry = f"{owner}.{short}" in data_entries
                assert not (commented and entry), f"{owner}.{short} documented twice: drop its py:data entry"
                ok = (short in importlib.import_module(owner).__all__ and "members" in documented.get(owner, set())
                      and (commented or entry))
            if not ok:
                problems.append(f"{chapter}: {name}")
    assert problems == [], "used by a chapter but not documented in book/api.md (add to __all__, docstring)"


def test_contributing_module_map_is_current():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import api_usage
    finally:
        sys.path.remove(str(ROOT / "tools"))
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert text == api_usage.contributing_with_map(text), \
        "CONTRIBUTING.md's chapter-to-module map is stale: run `python tools/api_usage.py`"
    for section in ("## Estimator convention", "tests/test_estimator_conformance.py", "## Optional TensorFlow",
                    "## The lock file", "make lock"):
        assert section in text


def test_mismatch_is_detected(tmp_path, monkeypatch):
    # the check itself must fail on a difference: drop one package from a copy
    text = (ROOT / "environment.yml").read_text().replace("  - pooch>=1.8\n", "")
    env = yaml.safe_load(text)
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    conda = dict(_norm(d) for d in deps if not re.match(r"^(python|pip)\b", d))
    assert "pooch" in set(pyproject_requirements()) - set(conda)
