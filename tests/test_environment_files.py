"""environment.yml (conda) and pyproject.toml must list the same packages and ranges."""

from __future__ import annotations

import re
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


def test_lock_pins_every_dependency_exactly():
    lock = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[re.sub(r"[-_.]+", "-", name).lower()] = version
    missing = [p for p in pyproject_requirements() if p not in lock and p != "jupyterlab"]
    assert missing == [], f"the lock file does not pin {missing}"
    assert all(v for v in lock.values()), "every lock line must be NAME==VERSION"


def test_mismatch_is_detected(tmp_path, monkeypatch):
    # the check itself must fail on a difference: drop one package from a copy
    text = (ROOT / "environment.yml").read_text().replace("  - pooch>=1.8\n", "")
    env = yaml.safe_load(text)
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    conda = dict(_norm(d) for d in deps if not re.match(r"^(python|pip)\b", d))
    assert "pooch" in set(pyproject_requirements()) - set(conda)
