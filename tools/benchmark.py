"""Benchmark every chapter: wall-clock seconds and peak kernel memory, one fresh kernel each.

Usage: python tools/benchmark.py [notebooks ...]
       python tools/benchmark.py --table-only   # rewrite benchmarks.md from benchmarks.csv
Writes book/_generated/benchmarks.csv (one row per notebook file) and
book/_generated/benchmarks.md (shown on the book's "How this book runs" page), which names
each chapter by its article section and title ("4.3 Collaborative filtering") from the chapter
map, retail_lab.chapters; the course map reads the run times from the CSV. Budgets
(retail_lab.chapters, CONTRIBUTING.md): each notebook at most 120 s and 3 GB peak on 2 CPU
cores; the whole book at most 15 minutes.
"""

from __future__ import annotations

import csv
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil

from retail_lab.chapters import BUDGET_MB, BUDGET_S, BUDGET_TOTAL_S, chapter

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_generated"


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


def write_table(rows: list[tuple[str, float, int, str]], machine: str) -> None:
    """benchmarks.md from (notebook file, seconds, peak MB, within budget) rows, in the
    book's order, each chapter named "4.3 Collaborative filtering"."""
    total = sum(r[1] for r in rows)
    lines = [
        f"Measured with `make bench` (`tools/benchmark.py`) on {machine}; "
        f"each notebook from a fresh kernel, kernel start included.",
        "",
        f"| chapter | seconds | peak memory (MB) | within budget ({BUDGET_S} s, {BUDGET_MB // 1024} GB) |",
        "|---|---:|---:|---|",
        *[f"| {chapter(n).label} | {s:.1f} | {m:,} | {ok} |" for n, s, m, ok in rows],
        f"| **all chapters** | **{total:.1f}** | | "
        f"{'yes' if total <= BUDGET_TOTAL_S else 'NO'} ({BUDGET_TOTAL_S // 60} min) |",
        "",
    ]
    (OUT / "benchmarks.md").write_text("\n".join(lines))


def table_only() -> int:
    """Rewrite benchmarks.md from benchmarks.csv and the machine line of the current table
    (after a chapter is renamed, without measuring again)."""
    with open(OUT / "benchmarks.csv", newline="") as fh:
        rows = [(r["notebook"], float(r["seconds"]), int(r["peak_mb"]), r["within_budget"])
                for r in csv.DictReader(fh)]
    old = (OUT / "benchmarks.md").read_text() if (OUT / "benchmarks.md").exists() else ""
    m = re.search(r"\(`tools/benchmark.py`\) on (.+?); each notebook", old)
    write_table(rows, m.group(1) if m else "an unrecorded machine")
    print(f"wrote {(OUT / 'benchmarks.md').relative_to(ROOT)} from benchmarks.csv")
    return 0


def _cpu_model() -> str:
    """The processor's model name (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str]) -> int:
    if argv == ["--table-only"]:
        return table_only()
    nbs = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = []
    for i, nb in enumerate(nbs, 1):
        print(f"[{i}/{len(nbs)}] {nb.name} ...", flush=True)
        seconds, peak_mb = measure(nb)
        ok = seconds <= chapter(nb.name).budget_s and peak_mb <= chapter(nb.name).budget_mb
        rows.append((nb.name, round(seconds, 1), round(peak_mb), "yes" if ok else "NO"))
        print(f"[{i}/{len(nbs)}] {nb.name}: {seconds:.1f} s, peak {peak_mb:.0f} MB", flush=True)
    total = sum(r[1] for r in rows)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "benchmarks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["notebook", "seconds", "peak_mb", "within_budget"])
        w.writerows(rows)
    machine = (f"{_cpu_model()}, {psutil.cpu_count(logical=True)} CPU cores, "
               f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
               f"Python {platform.python_version()}, {platform.system()} {platform.machine()}")
    write_table(rows, machine)
    print(f"total {total:.1f} s; wrote {(OUT / 'benchmarks.md').relative_to(ROOT)}")
    return 0 if all(r[3] == "yes" for r in rows) and total <= BUDGET_TOTAL_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
