"""Benchmark every chapter: wall-clock seconds and peak kernel memory, one fresh kernel each.

Usage: python tools/benchmark.py [notebooks ...]
Writes book/_generated/benchmarks.csv and book/_generated/benchmarks.md (shown on the
book's "Execution statistics" page). Budgets (CONTRIBUTING.md): each notebook at most 120 s
and 3 GB peak on 2 CPU cores; the whole book at most 15 minutes.
"""

from __future__ import annotations

import csv
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_generated"
BUDGET_S, BUDGET_MB, BUDGET_TOTAL_S = 120, 3072, 900


def measure(nb: Path) -> tuple[float, float]:
    """Run ``nb`` in a child process; poll the kernel's memory (RSS of its process tree)."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "nbrun.py"), str(nb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    runner = psutil.Process(proc.pid)
    peak = 0
    t0 = time.perf_counter()
    while proc.poll() is None:
        try:
            rss = sum(c.memory_info().rss for c in runner.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{nb.name} failed:\n{err[-3000:]}")
    return wall, peak / 2**20


def main(argv: list[str]) -> int:
    nbs = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = []
    for i, nb in enumerate(nbs, 1):
        print(f"[{i}/{len(nbs)}] {nb.name} ...", flush=True)
        seconds, peak_mb = measure(nb)
        ok = seconds <= BUDGET_S and peak_mb <= BUDGET_MB
        rows.append((nb.name, round(seconds, 1), round(peak_mb), "yes" if ok else "NO"))
        print(f"[{i}/{len(nbs)}] {nb.name}: {seconds:.1f} s, peak {peak_mb:.0f} MB", flush=True)
    total = sum(r[1] for r in rows)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "benchmarks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["notebook", "seconds", "peak_mb", "within_budget"])
        w.writerows(rows)
    machine = (f"{psutil.cpu_count(logical=True)} CPU cores, "
               f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
               f"Python {platform.python_version()}, {platform.system()} {platform.machine()}")
    lines = [
        f"Measured with `make bench` (`tools/benchmark.py`) on {machine}; "
        f"each notebook from a fresh kernel, kernel start included.",
        "",
        "| notebook | seconds | peak memory (MB) | within budget (120 s, 3 GB) |",
        "|---|---:|---:|---|",
        *[f"| `{n}` | {s:.1f} | {m:,} | {ok} |" for n, s, m, ok in rows],
        f"| **all chapters** | **{total:.1f}** | | {'yes' if total <= BUDGET_TOTAL_S else 'NO'} (15 min) |",
        "",
    ]
    (OUT / "benchmarks.md").write_text("\n".join(lines))
    print(f"total {total:.1f} s; wrote {(OUT / 'benchmarks.md').relative_to(ROOT)}")
    return 0 if all(r[3] == "yes" for r in rows) and total <= BUDGET_TOTAL_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
