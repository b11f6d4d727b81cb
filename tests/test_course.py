"""Course features: the reader editions (student/, chapters/) read right in any Jupyter, hide
or drop every solution, stay current, and `make lab` gives a reader what the chapters need."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest

from retail_lab.chapters import chapter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import reader_edition as reader  # noqa: E402

SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EDITIONS = {"student": ROOT / "student", "full": ROOT / "chapters"}
GENERATED = [(e, d / p.name) for e, d in EDITIONS.items() for p in SOURCES] + [
    (f"{e}/zh", d / "zh" / p.name) for e, d in EDITIONS.items() for p in SOURCES]   # the Chinese edition
GEN_IDS = [f"{e}/{p.name}" for e, p in GENERATED]

#: MyST left in Markdown: a role ``{name}`...``` or a directive fence ```{name} / :::{name}.
MYST_ROLE = re.compile(r"\{[A-Za-z][\w:+.-]*\}`")
MYST_DIRECTIVE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\{[A-Za-z][\w:+.-]*\}", re.MULTILINE)
SOLUTION = re.compile(r"^```\{solution\}[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
DETAILS = re.compile(r"<details>\s*<summary>Solution[^<]*</summary>(.*?)</details>", re.DOTALL)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def src(cell) -> str:
    return "".join(cell["source"])


def markdown(nb) -> str:
    return "\n\n".join(src(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def stored_glue(nb) -> dict[str, str]:
    """name -> the text/plain a glue() call stored, read straight from the executed outputs."""
    out = {}
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = "".join(o["data"]["application/papermill.record/text/plain"])
    return out


# ---- the editions are current, deterministic and survive a JupyterLab save ----------------

def test_reader_editions_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "reader_edition.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_full_edition_carries_the_chapters_current_outputs(source):
    """--check ignores outputs (a JupyterLab save changes them); the committed full edition
    must still show what the executed chapter shows."""
    def outputs(nb):
        return [[{k: o.get(k) for k in ("output_type", "name", "text", "data", "ename", "evalue")}
                 for o in c.get("outputs", [])]
                for c in nb["cells"] if c["cell_type"] == "code"]

    assert outputs(load(ROOT / "chapters" / source.name)) == outputs(load(source)), (
        f"chapters/{source.name} has stale outputs: run `make student` after re-executing")


def test_generator_is_deterministic():
    assert reader.build() == reader.build()


def test_saving_a_rerun_chapter_in_jupyterlab_keeps_the_check_green(tmp_path):
    """JupyterLab rewrites a notebook on save: outputs and execution counts of the run,
    the kernel's language_info, no metadata.execution. None of that makes an edition stale;
    changing a cell's text does."""
    nbformat = pytest.importorskip("nbformat")
    dests = {e: tmp_path / d.name for e, d in EDITIONS.items()}
    for e, d in EDITIONS.items():
        shutil.copytree(d, dests[e])
    for path in sorted(dests["student"].glob("*.ipynb")) + sorted(dests["full"].glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            cell.metadata.pop("execution", None)
            cell.execution_count = n + 1
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"run {n}\n")]
        nb.metadata["language_info"] = {"name": "python", "version": "3.12.9"}
        nb.metadata["widgets"] = {}
        nbformat.write(nb, path)
    built = reader.build()
    assert reader.stale(built, dests) == []

    edited = dests["student"] / SOURCES[0].name
    nb = load(edited)
    md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    md["source"] = ["my notes\n"] + md["source"]
    edited.write_text(json.dumps(nb), encoding="utf-8")
    assert reader.stale(built, dests) == [f"student/{SOURCES[0].name}"]


@pytest.mark.parametrize("edition, path", GENERATED, ids=GEN_IDS)
def test_no_machine_specific_metadata(edition, path):
    nb = load(path)
    assert set(nb["metadata"]) <= {"kernelspec", "language_info"}
    assert "version" not in nb["metadata"].get("language_info", {}), "the build machine's Python"
    for c in nb["cells"]:
        assert set(c["metadata"]) <= {"tags", "jupyter"}, c["metadata"]


# ---- plain Markdown that stock JupyterLab, Colab, VS Code and nbviewer render -------------

@pytest.mark.parametrize("edition, path", GENERATED, ids=GEN_IDS)
def test_no_myst_left_in_markdown(edition, path):
    nb = load(path)
    for c in nb["cells"]:
        if c["cell_type"] != "markdown":
            continue
        text = src(c)
        assert not MYST_ROLE.search(text), MYST_ROLE.search(text).group(0) + " in: " + text[:300]
        assert not MYST_DIRECTIVE.search(text), text[:300]
        assert not re.search(r"^\([\w.:-]+\)=\s*$", text, re.MULTILINE), "a MyST target"


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_code_cells_are_the_chapters_code(source):
    code = [src(c) for c in load(source)["cells"] if c["cell_type"] == "code"
            and "solution" not in c["metadata"].get("tags", [])]
    for d in EDITIONS.values():
        assert [src(c) for c in load(d / source.name)["cells"] if c["cell_type"] == "code"] == code


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_every_glue_reference_is_filled_with_its_formatted_value(source):
    """Each {glue:text}`name:spec` becomes the value the executed chapter stored, formatted
    by myst-nb's own function (the HTML book shows exactly this text)."""
    variables = pytest.importorskip("myst_nb.core.variables")
    nb = load(source)
    glue = stored_glue(nb)
    for edition, d in EDITIONS.items():
        cells = {c.get("id"): c for c in load(d / source.name)["cells"]}
        for c in nb["cells"]:
            if c["cell_type"] != "markdown" or c.get("id") not in cells:
                continue
            text = src(c)
            if edition == "student":
                text = SOLUTION.sub("", text)
            out = src(cells[c["id"]])
            for ref in re.findall(r"\{glue:text\}`([^`]+)`", text):
                name, _, spec = ref.rpartition(":") if ":" in ref else (ref, "", "s")
                expected = variables.format_plain_text(glue[name], spec)
                assert expected in out, f"{edition}: {ref} should read {expected!r}"


def test_hand_checked_glue_values():
    """A few values, formatted here by hand from the stored outputs."""
    nb = load(ROOT / "notebooks" / "02_concepts_pipeline.ipynb")
    glue = stored_glue(nb)
    md = markdown(load(ROOT / "chapters" / "02_concepts_pipeline.ipynb"))
    n, rate, auc = int(glue["n_customers"]), float(glue["base_rate"]), float(glue["auc"])
    assert f"{n:,} customers bought before the cutoff" in md
    assert f"{rate * 100:.1f}% of them bought again" in md
    assert f"held-out customers is {auc:.3f}" in md

    # a glued string is shown without its quotes
    for source in SOURCES:
        strings = {k: v for k, v in stored_glue(load(source)).items() if v[:1] in "'\""}
        used = re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)`", markdown(load(source)))
        hit = next((k for k in used if k in strings), None)
        if hit:
            text = markdown(load(ROOT / "chapters" / source.name))
            assert strings[hit][1:-1] in text and strings[hit] not in text
            break
    else:
        pytest.fail("no chapter glues a string into its prose; pick another hand check")


def _synthetic(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": [
            "AUC {glue:text}`auc:.3f`, {glue:text}`n:,` rows, {glue:text}`share:.1%`, "
            "library {glue:text}`lib`. A {term}`foundation model <Foundation model (基础模型)>` "
            "{cite}`chen2012data,uci2015onlineretail`; see {doc}`chapter 1 <01_background>`.\n\n"
            "```{note}\nA note.\n```\n\n(my-target)=\n## Exercises\n\n"
            "```{exercise}\n:label: ch99-ex2\n\nHow many? {glue:text}`n:,`\n```\n\n"
            "```{solution} ch99-ex2\n:class: dropdown\n\nThe answer is 42.\n```\n\n"
            "```{mermaid}\ngraph TD\n    A[\"Collect\"] --> B[\"Clean\"]\n```\n"]},
        {"cell_type": "code", "id": "c1", "execution_count": 3, "source": ["glue('auc', 0.7322)"],
         "metadata": {"execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"}, "tags": ["x"]},
         "outputs": [
             {"output_type": "display_data", "metadata": {"scrapbook": {"name": n}},
              "data": {"application/papermill.record/text/plain": v}}
             for n, v in (("auc", "0.7322"), ("n", "2709"), ("share", "0.4924"), ("lib", "'Keras 3'"))]},
        {"cell_type": "code", "id": "c2", "execution_count": 4, "source": ["answer = 42"],
         "metadata": {"tags": ["solution"]}, "outputs": []},
    ], "metadata": {"language_info": {"name": "python", "version": "3.11.7"}},
        "nbformat": 4, "nbformat_minor": 5}
    path = ROOT / "notebooks" / "99_synthetic.ipynb"  # never written: only its name is used
    return nb, path


def test_conversion_of_each_myst_construct(tmp_path):
    nb, path = _synthetic(tmp_path)
    full = reader.reader_version(nb, path, "full")
    md = src(full["cells"][0])
    assert md.startswith("AUC 0.732, 2,709 rows, 49.2%, library Keras 3. A foundation model "
                         "(Chen et al., 2012; Chen, 2015); see [chapter 1](01_background.ipynb).")
    assert "> **Note**\n>\n> A note." in md
    assert "(my-target)=" not in md and "## Exercises" in md
    assert "**Exercise 99.2**\n\nHow many? 2,709" in md
    assert ("<details>\n<summary>Solution to Exercise 99.2</summary>\n\nThe answer is 42.\n\n"
            "</details>") in md
    assert "- Collect → Clean" in md and "```mermaid\ngraph TD" in md
    assert full["cells"][1]["outputs"] and full["cells"][1]["execution_count"] == 3
    assert full["cells"][1]["metadata"] == {"tags": ["x"]}, "metadata.execution is dropped"
    assert full["metadata"]["language_info"] == {"name": "python"}
    refs = src(full["cells"][-1])
    assert refs.startswith("## References\n\n- Daqing Chen.") and "doi:10.1057/dbm.2012.17" in refs

    student = reader.reader_version(nb, path, "student")
    md = src(student["cells"][0])
    assert "**Exercise 99.2**" in md and "42" not in md and "<details>" not in md
    assert [c["id"] for c in student["cells"]] == ["m1", "c1", "references"], "solution cell dropped"
    assert student["cells"][1]["outputs"] == [] and student["cells"][1]["execution_count"] is None
    assert nb["cells"][1]["outputs"], "the source notebook is not modified"


# ---- solutions: folded in the full edition, absent from the student edition ---------------

def _solution_lines(source: Path) -> list[str]:
    """Distinctive lines of the chapter's solutions: long, and nowhere else in the chapter."""
    md = markdown(load(source))
    bodies = SOLUTION.findall(md)
    rest = SOLUTION.sub("", md)
    lines = [ln.strip() for b in bodies for ln in b.splitlines()]
    return [ln for ln in lines if len(ln) > 30 and not ln.startswith(":") and ln not in rest
            and "{" not in ln]


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_student_edition_has_no_solutions_and_no_outputs(source):
    nb = load(ROOT / "student" / source.name)
    md = markdown(nb)
    assert "<summary>Solution" not in md
    for line in _solution_lines(source):
        assert line not in md, f"solution text in the student edition: {line}"
    for c in nb["cells"]:
        assert "solution" not in c["metadata"].get("tags", [])
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None
    n = len(re.findall(r"```\{exercise\}", markdown(load(source))))
    assert n >= 3 and len(re.findall(r"^\*\*Exercise (?:\d+|[A-Z])(?:\.\d+)+\*\*", md, re.MULTILINE)) == n


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_full_edition_folds_every_solution_in_details(source):
    md = markdown(load(ROOT / "chapters" / source.name))
    n = len(re.findall(r"```\{solution\}", markdown(load(source))))
    folded = DETAILS.findall(md)
    assert len(folded) == n and md.count("<details>") == md.count("</details>") == n
    inside, outside = "\n".join(folded), DETAILS.sub("", md)
    for line in _solution_lines(source):
        assert line in inside and line not in outside, line
    labels = re.findall(r"^\*\*Exercise ((?:\d+|[A-Z])(?:\.\d+)+)\*\*", md, re.MULTILINE)
    assert labels and all(lab.rsplit(".", 1)[0] == chapter(source.stem).section for lab in labels)
    assert re.findall(r"<summary>Solution to Exercise ([A-Z\d.]+)</summary>", md) == labels


# ---- make lab: what a reader needs, pinned, as root, both editions reachable --------------

def _lock() -> dict[str, str]:
    lines = (ROOT / "requirements" / "lock.txt").read_text().splitlines()
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, _, v in
            (ln.partition("==") for ln in lines if ln and not ln.startswith("#"))}


def _lab_extra() -> list[str]:
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return meta["dependencies"], meta["optional-dependencies"]["lab"]


def _name(req: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.\-]+", req).group(0)).lower()


def test_lab_extra_is_pinned_in_the_lock():
    lock = _lock()
    _, lab = _lab_extra()
    assert {"jupyterlab", "myst-nb", "ipykernel"} <= {_name(r) for r in lab}
    for req in lab:
        assert lock.get(_name(req)), f"{req} is not pinned in requirements/lock.txt"
    major, minor = map(int, lock["jupyterlab"].split(".")[:2])
    assert (major, minor) >= (4, 1), "JupyterLab 4.1+ draws ```mermaid blocks"


def _closure(requirements: list[str]) -> set[str]:
    """Distributions these requirements pull in, following installed packages' metadata."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        req = Requirement(todo.pop())
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        name = _name(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            pass
    return seen


def test_lab_extra_covers_every_import_of_the_chapters():
    """A reader installs only the package and its `lab` extra: everything a chapter imports
    must come with them (the kernel too)."""
    deps, lab = _lab_extra()
    have = _closure(deps + lab)
    assert "ipykernel" in have
    dists = metadata.packages_distributions()
    missing = set()
    for path in sorted((ROOT / "student").glob("*.ipynb")):
        for c in load(path)["cells"]:
            if c["cell_type"] != "code":
                continue
            code = "\n".join(ln for ln in src(c).splitlines() if not ln.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
                for top in {n.split(".")[0] for n in names}:
                    if top in sys.stdlib_module_names or top == "retail_lab":
                        continue
                    if not {_name(d) for d in dists.get(top, [])} & have:
                        missing.add(f"{path.name}: {top}")
    assert missing == set(), "imported by a chapter but not installed by `make lab`"


def test_make_lab_installs_the_lab_extra_and_opens_the_student_edition():
    proc = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cmd = proc.stdout
    assert '--constraint requirements/lock.txt --editable ".[lab]"' in cmd
    assert "jupyter lab" in cmd and "--LabApp.default_url=/lab/tree/student" in cmd
    assert "--ServerApp.root_dir=." in cmd, "the root holds student/ and chapters/"
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_jupyterlab_starts_in_the_student_edition(tmp_path):
    """Where the lab extra is installed: the server `make lab` starts lands in student/ and
    reaches both editions. Started for a few seconds, then stopped."""
    jupyter = Path(sys.executable).parent / "jupyter-lab"
    if not jupyter.exists():
        pytest.skip("JupyterLab is not installed (make lab installs it)")
    version = subprocess.run([str(jupyter), "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == _lock()["jupyterlab"]
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_DATA_DIR": str(tmp_path),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path)}
    args = [str(jupyter), "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
            "--IdentityProvider.token=", "--ServerApp.root_dir=.",
            "--LabApp.default_url=/lab/tree/student"] + (["--allow-root"] if os.geteuid() == 0 else [])
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        try:
            urllib.request.build_opener(NoRedirect).open(base + "/", timeout=5)
            landing = None
        except urllib.error.HTTPError as exc:
            landing = exc.headers.get("Location")
        assert landing and landing.split("?")[0].endswith("/lab/tree/student"), landing
        for folder in ("student", "chapters"):
            listing = json.load(urllib.request.urlopen(f"{base}/api/contents/{folder}", timeout=5))
            names = {c["name"] for c in listing["content"]}
            assert {p.name for p in SOURCES} <= names, folder
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---- the API usage index ------------------------------------------------------------------

def test_api_usage_index_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "api_usage.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_api_usage_parser():
    from api_usage import used_names

    code = ("from retail_lab import quality, set_seed\nfrom retail_lab.nn import MLP as Net\n"
            "import retail_lab.recsys as rs\nquality.clean(df)\nrs.evaluate(m)\nnet = Net((1, 1), ('relu',))")
    assert used_names(code) == {"retail_lab.set_seed", "retail_lab.quality.clean",
                                "retail_lab.nn.MLP", "retail_lab.recsys.evaluate"}


def test_toc_is_generated_from_the_chapter_map():
    """_toc.yml is written by tools/make_toc.py from retail_lab.chapters: a chapter added to
    the map (or renamed, or moved to another part) without regenerating it fails here."""
    import make_toc
    assert (ROOT / "_toc.yml").read_text(encoding="utf-8") == make_toc.render(), \
        "_toc.yml is stale: run `python tools/make_toc.py`"
    toc_pages = [p for _, pages in make_toc.parts() for p in pages]
    from retail_lab.chapters import CHAPTERS
    assert [p for p in toc_pages if p.startswith("notebooks/")] == [c.docname for c in CHAPTERS]
