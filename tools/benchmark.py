"""Benchmark every chapter: wall-clock seconds and peak kernel memory, one fresh kernel each.

Usage: python tools/benchmark.py [notebooks ...]
       python tools/benchmark.py --table-only   # rewrite benchmarks.md from the CSVs
       python tools/benchmark.py --speed [--reps N]   # only the speed comparison
Writes book/_generated/benchmarks.csv (one row per notebook file; naming notebooks measures
only those and replaces their rows, keeping the others') and
book/_generated/benchmarks.md (shown on the book's "How this book runs" page), which names
each chapter by its article section and title ("4.3 Collaborative filtering") from the chapter
map, retail_lab.chapters; the course map reads the run times from the CSV. Budgets
(retail_lab.chapters, CONTRIBUTING.md): each notebook at most 120 s and 3 GB peak on 2 CPU
cores; the whole book at most 15 minutes.

A full run (no notebooks named) ends with the speed comparison, also run alone by ``--speed``:
the book's EASE and item-kNN (fit, score every user, top 10) against plain NumPy
implementations of the same methods, on Online Retail's test split, timed side by side
(interleaved, minimum of at least 5 runs) under the book's numeric configuration. It writes
book/_generated/speed.csv, and benchmarks.md renders its section "Speed against a plain
implementation" from that CSV, so every rewrite of the table keeps it. Goal: book/plain <= 1.1.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import scipy.sparse as sp

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


def _budgets() -> str:
    """The budgets as the table's header states them: the default, then each exception."""
    from retail_lab.chapters import CHAPTERS

    text = f"{BUDGET_S} s, {BUDGET_MB // 1024} GB"
    for ch in CHAPTERS:
        if (ch.budget_s, ch.budget_mb) != (BUDGET_S, BUDGET_MB):
            text += f"; {ch.section}: {ch.budget_s} s, {ch.budget_mb // 1024} GB"
    return text


def write_table(rows: list[tuple[str, float, int, str]], machine: str) -> None:
    """benchmarks.md from (notebook file, seconds, peak MB, within budget) rows, in the
    book's order, each chapter named "4.3 Collaborative filtering"."""
    total = sum(r[1] for r in rows)
    lines = [
        f"Measured with `make bench` (`tools/benchmark.py`) on {machine}; "
        f"each notebook from a fresh kernel, kernel start included.",
        "",
        f"| chapter | seconds | peak memory (MB) | within budget ({_budgets()}) |",
        "|---|---:|---:|---|",
        *[f"| {chapter(n).label} | {s:.1f} | {m:,} | {ok} |" for n, s, m, ok in rows],
        f"| **all chapters** | **{total:.1f}** | | "
        f"{'yes' if total <= BUDGET_TOTAL_S else 'NO'} ({BUDGET_TOTAL_S // 60} min) |",
        "",
    ]
    speed = read_speed()
    if speed is not None:
        lines += speed_section(*speed)
    lines += scaling_section()
    (OUT / "benchmarks.md").write_text("\n".join(lines))


SCALING_CSV = "scaling.csv"
SCALING_HEADING = "### Scaling out: one machine and Spark on growing shops"


def scaling_section(path: Path | None = None) -> list[str]:
    """The rows of the scaling study (``make scaling``, ``tools/scaling_study.py``, appendix C)
    as they were measured, with the study's own header lines; nothing when it has not run."""
    path = path or OUT / SCALING_CSV
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8").splitlines()
    head = [line[2:] for line in text if line.startswith("# ")]
    rows = list(csv.DictReader(line for line in text if not line.startswith("#")))
    out = ["", SCALING_HEADING, "",
           "Written by `make scaling` (`tools/scaling_study.py`), not by `make bench`: "
           + "; ".join(head) + ". Each run is cleaning, the item-item model and its evaluation, "
           "in its own process; a run stopped by a limit shows where that path ends.", "",
           "| shop size | lines | path | status | clean s | fit s | evaluate s | total s | peak MB |",
           "|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines = f"{int(r['lines']):,}" if r.get("lines") else ""
        peak = f"{int(float(r['peak_mb'])):,}" if r.get("peak_mb") else ""
        out.append(f"| {r['size']}x | {lines} | {'single machine' if r['path'] == 'pandas' else 'Spark local[2]'} | "
                   f"{r['status']} | {r['clean_s']} | {r['fit_s']} | {r['evaluate_s']} | {r['total_s']} | {peak} |")
    return out + [""]


def table_only() -> int:
    """Rewrite benchmarks.md from benchmarks.csv (and speed.csv, when there is one) and the
    machine line of the current table (after a chapter is renamed, without measuring again)."""
    if not (OUT / "benchmarks.csv").exists():
        raise SystemExit(f"no {_rel(OUT / 'benchmarks.csv')} to rewrite the table from: "
                         "measure first (python tools/benchmark.py)")
    rows = _read_rows()
    old = (OUT / "benchmarks.md").read_text() if (OUT / "benchmarks.md").exists() else ""
    m = re.search(r"\(`tools/benchmark.py`\) on (.+?); each notebook", old)
    write_table(rows, m.group(1) if m else "an unrecorded machine")
    print(f"wrote {_rel(OUT / 'benchmarks.md')} from benchmarks.csv"
          + (f" and {SPEED_CSV}" if (OUT / SPEED_CSV).exists() else ""))
    return 0


def _rel(path: Path) -> Path:
    """``path`` relative to the repository when it lies inside it."""
    try:
        return path.relative_to(ROOT)
    except ValueError:
        return path


def _cpu_model() -> str:
    """The processor's model name (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# ------------------------------------------------------------ speed against a plain implementation

SPEED_CSV = "speed.csv"
SPEED_HEADING = "### Speed against a plain implementation"
SPEED_GOAL = 1.1        # book / plain, each model (issue 15)
SPEED_REPS = 5          # timed runs of each implementation, interleaved
EASE_L2 = 1000.0
KNN_NEIGHBORS = 50
TOP_K = 10
SPEED_FIELDS = ["model", "book_s", "plain_s", "ratio", "reps", "agreement",
                "agreement_up_to_ties", "book_median_s", "plain_median_s"]


def plain_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Top-k per row by ``np.argpartition``, then the k sorted (ties in any order)."""
    idx = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, idx, axis=1), axis=1)
    return np.take_along_axis(idx, order, axis=1)


def plain_ease(X, l2: float = EASE_L2, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """EASE's closed form in plain NumPy: ``P = (X^T X + l2 I)^-1`` (dense float64,
    ``np.linalg.inv``), ``B = -P / diag(P)`` with a zero diagonal, scores ``X B``, top k.
    Returns (top k items per user, scores)."""
    X = sp.csr_matrix(X, dtype=np.float64)
    G = (X.T @ X).toarray()
    G[np.diag_indices_from(G)] += l2
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    scores = X @ B
    return plain_top_k(scores, k), scores


def plain_item_knn(X, n_neighbors: int = KNN_NEIGHBORS, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """Item-kNN in plain NumPy: cosine of binary purchases from the co-purchase counts
    (float32), each column keeps its ``n_neighbors`` largest by ``np.argpartition``, scores
    ``X S``, top k. Returns (top k items per user, scores)."""
    X = sp.csr_matrix(X, dtype=np.float32)
    X.data[:] = 1.0
    C = (X.T @ X).toarray()                      # co-purchase counts
    norms = np.sqrt(np.diag(C))
    norms[norms == 0] = 1.0
    S = C / norms[:, None] / norms[None, :]
    np.fill_diagonal(S, 0.0)
    n = S.shape[0]
    if n_neighbors < n:
        nb = np.argpartition(-S, n_neighbors - 1, axis=0)[:n_neighbors]   # per column
        cols = np.arange(n)[None, :]
        kept = np.zeros_like(S)
        kept[nb, cols] = S[nb, cols]
        S = kept
    scores = X @ S
    return plain_top_k(scores, k), scores


def book_ease(X, l2: float = EASE_L2, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """The book's ``recsys.EASE``: fit, score every user in one call, rank the top k."""
    from retail_lab import recsys

    model = recsys.EASE(l2=l2).fit(X)
    rows = np.arange(X.shape[0])
    scores = model.score(rows)
    return model.rank(scores, rows, k), scores


def book_item_knn(X, n_neighbors: int = KNN_NEIGHBORS, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """The book's ``recsys.ItemKNN``: fit, score every user in one call, rank the top k."""
    from retail_lab import recsys

    model = recsys.ItemKNN(n_neighbors=n_neighbors).fit(X)
    rows = np.arange(X.shape[0])
    scores = model.score(rows)
    return model.rank(scores, rows, k), scores


def agreement(top_a: np.ndarray, scores_a: np.ndarray, top_b: np.ndarray, scores_b: np.ndarray,
              tie_items: np.ndarray | None = None) -> tuple[float, float]:
    """(share of users whose top-k SETS are identical, share whose lists are identical up to
    ties). Lists that differ count as identical up to ties when, under the scores of either
    implementation, both lists' scores (sorted) are equal within float32 precision, so they
    took different items among tied ones; or when an item in which they differ is one of
    ``tie_items`` (a boolean mask over items: item-kNN's items whose last kept neighbour is
    tied with the next, so their scores depend on which tied neighbour is kept)."""
    a_lists, b_lists = top_a.tolist(), top_b.tolist()
    same = np.array([set(a) == set(b) for a, b in zip(a_lists, b_lists)], dtype=bool)
    explained = same.copy()
    for scores in (scores_a, scores_b):
        s = np.asarray(scores, dtype=np.float64)
        va = np.sort(np.take_along_axis(s, top_a, axis=1), axis=1)
        vb = np.sort(np.take_along_axis(s, top_b, axis=1), axis=1)
        scale = np.maximum(np.abs(va).max(axis=1, keepdims=True), 1e-12)
        explained |= np.all(np.abs(va - vb) <= 1e-5 * scale, axis=1)
    if tie_items is not None:
        for u in np.flatnonzero(~explained):
            explained[u] = any(tie_items[i] for i in set(a_lists[u]) ^ set(b_lists[u]))
    return float(same.mean()), float(explained.mean())


def neighbour_ties(X, n_neighbors: int = KNN_NEIGHBORS) -> np.ndarray:
    """Boolean mask over items: the item's ``n_neighbors``-th largest cosine similarity (in its
    column, float32 as the book computes it) is non-zero and tied with the next one, so which
    neighbours it keeps is a tie-break."""
    X = sp.csr_matrix(X, dtype=np.float32)
    X.data[:] = 1.0
    C = (X.T @ X).toarray()
    norms = np.sqrt(np.diag(C))
    norms[norms == 0] = 1.0
    S = C / norms[:, None] / norms[None, :]
    np.fill_diagonal(S, 0.0)
    if n_neighbors >= S.shape[0] - 1:
        return np.zeros(S.shape[0], dtype=bool)
    part = -np.partition(-S, [n_neighbors - 1, n_neighbors], axis=0)
    return (part[n_neighbors - 1] == part[n_neighbors]) & (part[n_neighbors - 1] > 0)


def time_side_by_side(fns: dict, reps: int = SPEED_REPS) -> dict[str, list[float]]:
    """Wall seconds of each ``fns[name]()`` over ``reps`` rounds, interleaved: every round runs
    each function once, in an order that alternates between rounds, so a burst of load from
    other processes hits both alike. A first, untimed round warms caches and imports. The
    garbage collector is off during each run (the arrays are freed by reference counting)."""
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    names = list(fns)
    for name in names:
        fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(reps):
        for name in (names if r % 2 == 0 else names[::-1]):
            gc.disable()            # as timeit does: no collection pauses inside a run
            try:
                t0 = time.perf_counter()
                fns[name]()
                times[name].append(time.perf_counter() - t0)
            finally:
                gc.enable()
    return times


def speed_comparison(X, reps: int = SPEED_REPS, l2: float = EASE_L2,
                     n_neighbors: int = KNN_NEIGHBORS, k: int = TOP_K, log=print) -> list[dict]:
    """The book's EASE and item-kNN against plain NumPy on the user-item matrix ``X``.

    Returns one dict per model with the fields of :data:`SPEED_FIELDS`: minimum (and median)
    wall seconds of fit + scoring every user + top k, ratio of the minima book/plain, the
    number of timed runs, and the agreement of the two top-k lists (:func:`agreement`).
    """
    cases = [
        (f"EASE (l2 = {l2:g})", lambda: book_ease(X, l2, k), lambda: plain_ease(X, l2, k)),
        (f"item-kNN ({n_neighbors} neighbours)", lambda: book_item_knn(X, n_neighbors, k),
         lambda: plain_item_knn(X, n_neighbors, k)),
    ]
    ties = {"EASE": None, "item-kNN": neighbour_ties(X, n_neighbors)}
    rows = []
    for model, book, plain in cases:
        same, up_to_ties = agreement(*book(), *plain(), tie_items=ties[model.split(" ")[0]])
        times = time_side_by_side({"book": book, "plain": plain}, reps)
        b, p = min(times["book"]), min(times["plain"])
        row = {"model": model, "book_s": round(b, 4), "plain_s": round(p, 4),
               "ratio": round(b / p, 3), "reps": reps, "agreement": round(same, 4),
               "agreement_up_to_ties": round(up_to_ties, 4),
               "book_median_s": round(statistics.median(times["book"]), 4),
               "plain_median_s": round(statistics.median(times["plain"]), 4)}
        log(f"{model}: book {b:.3f} s (median {row['book_median_s']:.3f}), plain {p:.3f} s "
            f"(median {row['plain_median_s']:.3f}), ratio {b / p:.2f} (goal <= {SPEED_GOAL}); "
            f"same top-{k} set for {same:.2%} of users, identical up to ties for {up_to_ties:.2%}")
        rows.append(row)
    return rows


def write_speed(rows: list[dict], header: dict[str, str], path: Path | None = None) -> Path:
    """speed.csv: ``# key: value`` comment lines (machine, load, data), then the rows."""
    path = path or OUT / SPEED_CSV
    buf = io.StringIO()
    for key, value in header.items():
        buf.write(f"# {key}: {value}\n")
    w = csv.DictWriter(buf, fieldnames=SPEED_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue())
    return path


def read_speed(path: Path | None = None) -> tuple[list[dict], dict[str, str]] | None:
    """(rows, header) of speed.csv, or None when it does not exist."""
    path = path or OUT / SPEED_CSV
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    header = dict(line[2:].split(": ", 1) for line in lines if line.startswith("# "))
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    return rows, header


def speed_section(rows: list[dict], header: dict[str, str]) -> list[str]:
    """The lines of benchmarks.md's section "Speed against a plain implementation"."""
    reps = " / ".join(sorted({str(r["reps"]) for r in rows}))
    return [
        SPEED_HEADING,
        "",
        f"The book's EASE and item-kNN against plain NumPy implementations of the same methods "
        f"(EASE's closed form with a general matrix inverse; each item's neighbours found by "
        f"partition), on {header.get('data', 'the test split')}: fit, score every user, take "
        f"each user's top {TOP_K}. The two run side by side, interleaved, {reps} times each; the "
        f"table shows the fastest run (median in brackets) and the ratio of the fastest runs "
        f"(goal: at most {SPEED_GOAL:g}). \"Same top {TOP_K}\": users given the same {TOP_K} "
        f"products by both; \"same up to ties\": also counting lists that differ only where "
        f"a tie decides (equal scores at the {TOP_K}th place, or a product whose last kept "
        f"neighbour is exactly as similar as the next one). Measured on "
        f"{header.get('machine', 'an unrecorded machine')}, "
        f"{header.get('threads', 'BLAS threads not recorded')}, load average "
        f"{header.get('loadavg', 'not recorded')}.",
        "",
        f"| model | book (s) | plain NumPy (s) | book / plain | same top {TOP_K} | same up to ties |",
        "|---|---:|---:|---:|---:|---:|",
        *[f"| {r['model']} | {float(r['book_s']):.2f} ({float(r['book_median_s']):.2f}) | "
          f"{float(r['plain_s']):.2f} ({float(r['plain_median_s']):.2f}) | "
          f"{float(r['ratio']):.2f} | {float(r['agreement']):.1%} | "
          f"{float(r['agreement_up_to_ties']):.1%} |" for r in rows],
        "",
    ]


def _machine() -> str:
    return (f"{_cpu_model()}, {psutil.cpu_count(logical=True)} CPU cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()} {platform.machine()}")


def run_speed(reps: int = SPEED_REPS) -> list[dict]:
    """Measure on Online Retail's book test split, write speed.csv, re-render benchmarks.md."""
    from retail_lab import quality, recsys
    from retail_lab.datasets import load_online_retail
    from retail_lab.repro import BLAS_THREADS, pin_numerics

    pin_numerics()          # the book's configuration: BLAS threads as in the chapters
    test = recsys.book_splits(quality.clean(load_online_retail()).clean)[1]
    n_users, n_items = test.X.shape
    load_before = os.getloadavg()
    print(f"speed: {n_users:,} users x {n_items:,} items, {reps} runs each, "
          f"load average {load_before[0]:.2f}", flush=True)
    rows = speed_comparison(test.X, reps, log=lambda m: print(f"speed: {m}", flush=True))
    load_after = os.getloadavg()
    header = {
        "machine": _machine(),
        "loadavg": f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} before, "
                   f"{load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f} after "
                   f"(1 / 5 / 15 min)",
        "data": f"Online Retail's test split ({n_users:,} users x {n_items:,} products)",
        "threads": f"{BLAS_THREADS} BLAS threads as in the chapters",
        "measured": time.strftime("%Y-%m-%d"),
    }
    path = write_speed(rows, header)
    print(f"speed: wrote {_rel(path)}")
    if (OUT / "benchmarks.csv").exists():
        table_only()
    worst = max(float(r["ratio"]) for r in rows)
    if worst > SPEED_GOAL:
        print(f"speed: a ratio is {worst:.2f} > {SPEED_GOAL} (the goal); timings on a loaded "
              f"machine vary, run again to confirm", flush=True)
    return rows


USAGE = ("usage: python tools/benchmark.py [notebooks ...] | --table-only | "
         "--speed [--reps N]")


def merge_rows(old: list[tuple], new: list[tuple]) -> list[tuple]:
    """The table's rows after measuring ``new``: each notebook's row replaced by its new
    measurement, the others kept, in file-name order."""
    by_name = {r[0]: r for r in old}
    by_name.update({r[0]: r for r in new})
    return [by_name[name] for name in sorted(by_name)]


def _notebook_paths(argv: list[str]) -> list[Path]:
    """The chapters named on the command line (checked), or every chapter."""
    unknown = [a for a in argv if a.startswith("-")]
    if unknown:
        raise SystemExit(f"unknown option {unknown[0]!r}; {USAGE}")
    nbs = [Path(a).resolve() for a in argv]
    for nb in nbs:
        if nb.suffix != ".ipynb" or not nb.is_file():
            raise SystemExit(f"{nb} is not a notebook file; name chapters such as "
                             f"notebooks/05_cf_worked_example.ipynb ({USAGE})")
        chapter(nb.name)  # KeyError naming the chapters when it is not one of the book's
    return nbs or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _read_rows() -> list[tuple]:
    if not (OUT / "benchmarks.csv").exists():
        return []
    with open(OUT / "benchmarks.csv", newline="") as fh:
        return [(r["notebook"], float(r["seconds"]), int(r["peak_mb"]), r["within_budget"])
                for r in csv.DictReader(fh)]


def main(argv: list[str]) -> int:
    if argv in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if argv == ["--table-only"]:
        return table_only()
    reps = SPEED_REPS
    if "--reps" in argv:
        i = argv.index("--reps")
        reps = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
        if reps < SPEED_REPS:
            raise SystemExit(f"--reps must be at least {SPEED_REPS} (minimum of several runs)")
    if argv == ["--speed"]:
        run_speed(reps)
        return 0
    nbs = _notebook_paths(argv)
    rows = []
    for i, nb in enumerate(nbs, 1):
        print(f"[{i}/{len(nbs)}] {nb.name} ...", flush=True)
        seconds, peak_mb = measure(nb)
        ok = seconds <= chapter(nb.name).budget_s and peak_mb <= chapter(nb.name).budget_mb
        rows.append((nb.name, round(seconds, 1), round(peak_mb), "yes" if ok else "NO"))
        print(f"[{i}/{len(nbs)}] {nb.name}: {seconds:.1f} s, peak {peak_mb:.0f} MB", flush=True)
    if argv:  # some chapters measured again: the others keep their rows
        rows = merge_rows(_read_rows(), rows)
    total = sum(r[1] for r in rows)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "benchmarks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["notebook", "seconds", "peak_mb", "within_budget"])
        w.writerows(rows)
    write_table(rows, _machine())
    print(f"total {total:.1f} s; wrote {_rel(OUT / 'benchmarks.md')}")
    if not argv:  # a full run ends with the speed comparison (rewrites benchmarks.md again)
        run_speed(reps)
    return 0 if all(r[3] == "yes" for r in rows) and total <= BUDGET_TOTAL_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
