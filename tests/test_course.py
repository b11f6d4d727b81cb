"""Course features: the student edition is current and hides every solution."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from student_edition import student_version  # noqa: E402


def test_student_edition_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "student_edition.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_student_version_removes_solutions_and_outputs():
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "```{exercise}\n:label: e1\n\nQ?\n```\n\n"
                                                            "```{solution} e1\n:class: dropdown\n\nA.\n```\n\nAfter."},
        {"cell_type": "code", "metadata": {}, "source": "1 + 1", "outputs": [{"output_type": "stream"}],
         "execution_count": 3},
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": "answer = 42", "outputs": [],
         "execution_count": 4},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    s = student_version(nb)
    assert len(s["cells"]) == 2
    md = s["cells"][0]["source"]
    assert "{exercise}" in md and "Q?" in md and "After." in md
    assert "{solution}" not in md and "A." not in md
    assert s["cells"][1]["outputs"] == [] and s["cells"][1]["execution_count"] is None
    assert nb["cells"][1]["outputs"], "the source notebook is not modified"


def test_every_student_notebook_keeps_its_exercises():
    for p in sorted((ROOT / "student").glob("*.ipynb")):
        text = "".join("".join(c["source"]) for c in json.loads(p.read_text())["cells"])
        assert text.count("```{exercise}") >= 3, p.name
        assert "```{solution}" not in text, p.name


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
