"""Scaling study of appendix C: the same cleaning, item-item model and evaluation on one
machine (pandas/NumPy/SciPy) and on Apache Spark (local[2]), at growing shop sizes.

Usage: python tools/scaling_study.py [--sizes 1 4 16 64] [--limit-s 240] [--memory-gb 8]
       [--total-s 1500] [--out PATH]

Data: a shop of Online Retail's size (one "block": ``retail_lab.sim.shop_transactions`` with
8,500 customers and 4,000 products over a year, about 540,000 lines) and shops 4, 16, 64
times larger made of as many blocks, each with its own customers, invoices and products
(the catalogue grows with the shop). Blocks are generated once, written as parquet files
(not timed), and both paths read the same files.

Each (size, path) runs in its own process, timed in stages: ``clean`` (read + the quality
rules), ``fit`` (split by months, item-item model with 50 neighbours), ``evaluate``
(top-20 for every test customer, HR@10, NDCG@10, Recall@20, MAP@10, "new" protocol). Peak
memory is the largest resident set of the process and all its children (the JVM included),
sampled every 0.2 s. A run past the time limit or the memory limit is stopped and recorded
with its status ("time limit", "out of memory"), never dropped; so is a crash. A run is
skipped (status "not run") when the study's total time would exceed ``--total-s``.

Writes ``book/_generated/scaling.csv`` with ``#`` header lines (when, CPU, cores, load
average, versions, limits) and prints the markdown rows of the benchmark table.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import _cpu_model  # noqa: E402  (tools/: the processor name the benchmark table shows)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_generated" / "scaling.csv"
DATA = Path(os.environ.get("RETAIL_LAB_SCALING_DIR", "/tmp/retail_lab_scaling"))
ONLINE_RETAIL_LINES = 541_909
BLOCK = dict(n_customers=8500, n_products=4000, days=365, start="2011-01-01")
SIZES = (1, 4, 16, 64)
COLUMNS = ["size", "lines", "path", "status", "clean_s", "fit_s", "evaluate_s", "total_s",
           "peak_mb", "items", "eval_users", "ndcg10"]


def block(i: int):
    """Block ``i`` of the simulated shop: its own customer ids, invoice numbers and products."""
    import numpy as np
    from retail_lab import sim

    tx = sim.shop_transactions(seed=i, **BLOCK)
    off = i * 1_000_000
    cid = tx["CustomerID"]
    tx["CustomerID"] = cid + off  # NaN (guests) stays NaN
    inv = tx["InvoiceNo"].astype(str)
    canc = inv.str.startswith("C")
    num = inv.str.lstrip("C").astype(np.int64) + off
    tx["InvoiceNo"] = np.where(canc, "C", "") + num.astype(str)
    code = tx["StockCode"].astype(str)
    digits = code.str.extract(r"^(\d+)(\D*)$")
    product = digits[0].notna()
    tx.loc[product, "StockCode"] = ((digits.loc[product, 0].astype(np.int64) + off).astype(str)
                                    + digits.loc[product, 1])
    return tx


def ensure_blocks(n: int) -> list[Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        f = DATA / f"block-{i:03d}.parquet"
        if not f.exists():
            block(i).to_parquet(f.with_suffix(".tmp"), index=False, coerce_timestamps="us")
            f.with_suffix(".tmp").rename(f)
        files.append(f)
    return files


def run_pandas(files: list[str]) -> dict:
    import pandas as pd
    from retail_lab import quality, recsys, schema
    from retail_lab.recsys import metrics

    t0 = time.perf_counter()
    raw = schema.standardize(pd.concat([pd.read_parquet(f) for f in files], ignore_index=True))
    tx = quality.clean(raw, as_of="2012-01-01").clean
    t1 = time.perf_counter()
    _, test = recsys.splits_by_months(tx)
    model = recsys.ItemKNN(n_neighbors=50).fit(test)
    t2 = time.perf_counter()
    rows, relevant, _ = test.protocol("new")
    recs = model.recommend(rows, k=20, exclude_seen=test.X)
    per = metrics.evaluate_rankings(list(recs), relevant, (10, 20))
    t3 = time.perf_counter()
    return {"lines": len(raw), "clean_s": t1 - t0, "fit_s": t2 - t1, "evaluate_s": t3 - t2,
            "items": len(test.items), "eval_users": len(rows), "ndcg10": float(per["NDCG@10"].mean())}


def run_spark(files: list[str]) -> dict:
    from retail_lab import spark as rs

    session = rs.local_session("local[2]", driver_memory="4g")
    t0 = time.perf_counter()
    sdf = rs.standardize(session.read.parquet(*files))
    result = rs.clean(sdf, as_of="2012-01-01")
    lines = result.n_rows
    tx = result.clean.persist()
    tx.count()
    t1 = time.perf_counter()
    _, test = rs.splits_by_months(tx)
    model = rs.SparkItemKNN(n_neighbors=50).fit(test)
    t2 = time.perf_counter()
    rel = test.protocol("new").persist()
    top = model.recommend(rel.select("user"), k=20, exclude=test.X)
    m = rs.mean_metrics(top, rel)
    t3 = time.perf_counter()
    session.stop()
    return {"lines": lines, "clean_s": t1 - t0, "fit_s": t2 - t1, "evaluate_s": t3 - t2,
            "items": test.n_items, "eval_users": int(m["users"]), "ndcg10": float(m["NDCG@10"])}


def child(path: str, size: int, out: str) -> None:
    import warnings

    warnings.simplefilter("ignore")
    files = [str(DATA / f"block-{i:03d}.parquet") for i in range(size)]
    r = (run_pandas if path == "pandas" else run_spark)(files)
    r["total_s"] = r["clean_s"] + r["fit_s"] + r["evaluate_s"]
    Path(out).write_text(json.dumps(r))


def measure(path: str, size: int, limit_s: float, memory_mb: float) -> dict:
    """Run one (path, size) in a child process; time limit, memory limit, peak RSS."""
    import psutil

    out = DATA / f"result-{path}-{size}.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, __file__, "--child", path, str(size), str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    p = psutil.Process(proc.pid)
    peak, status, t0 = 0.0, None, time.perf_counter()
    while proc.poll() is None:
        try:
            rss = sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])
        except psutil.Error:
            rss = 0
        peak = max(peak, rss / 2**20)
        if peak > memory_mb:
            status = f"out of memory (> {memory_mb / 1024:.0f} GB)"
        elif time.perf_counter() - t0 > limit_s:
            status = f"time limit ({limit_s:.0f} s)"
        if status:
            for q in [*p.children(recursive=True), p]:
                try:
                    q.kill()
                except psutil.Error:
                    pass
            break
        time.sleep(0.2)
    err = proc.communicate()[1].decode(errors="replace")
    row = {"size": size, "path": path, "peak_mb": round(peak)}
    if status is None and proc.returncode == 0 and out.exists():
        r = json.loads(out.read_text())
        row.update(status="ok", **{k: (round(v, 1) if k.endswith("_s") else v) for k, v in r.items()})
    else:
        if status is None:
            last = [ln for ln in err.strip().splitlines() if ln.strip()][-1:] or ["no message"]
            status = ("out of memory" if "MemoryError" in err or proc.returncode in (-9, 137)
                      else f"error: {last[0][:80]}")
        row.update(status=status, total_s=round(time.perf_counter() - t0, 1))
    return row


def header(args) -> list[str]:
    import importlib.metadata as md

    import psutil

    versions = {p: md.version(p) for p in ("pandas", "numpy", "scipy", "pyspark")}
    load = os.getloadavg()
    return [f"# measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by tools/scaling_study.py",
            f"# machine: {_cpu_model()}, {psutil.cpu_count(logical=True)} CPU cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}",
            f"# load average at start (1/5/15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
            f"# versions: {json.dumps(versions, sort_keys=True)}; Spark master local[2], driver 4g",
            f"# block: sim.shop_transactions({json.dumps(BLOCK, sort_keys=True)}), "
            f"Online Retail = {ONLINE_RETAIL_LINES} lines",
            f"# limits: {args.limit_s:.0f} s and {args.memory_gb:g} GB per run, {args.total_s:.0f} s in all"]


def markdown(rows: list[dict]) -> list[str]:
    out = ["| shop size | lines | path | status | clean s | fit s | evaluate s | total s | peak MB |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def f(k):
            v = r.get(k, "")
            return "" if v in ("", None) or v != v else f"{v:,}" if isinstance(v, int) else f"{v}"
        out.append(f"| {r['size']}x | {f('lines')} | {r['path']} | {r['status']} | {f('clean_s')} | "
                   f"{f('fit_s')} | {f('evaluate_s')} | {f('total_s')} | {f('peak_mb')} |")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--limit-s", type=float, default=240.0)
    ap.add_argument("--memory-gb", type=float, default=8.0)
    ap.add_argument("--total-s", type=float, default=1500.0)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--child", nargs=3, metavar=("PATH", "SIZE", "OUT"))
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return 0
    head = header(args)
    start = time.perf_counter()
    rows = []
    for size in sorted(args.sizes):
        for path in ("pandas", "spark"):
            left = args.total_s - (time.perf_counter() - start)
            earlier = [r for r in rows if r["path"] == path and r["status"] != "ok"]
            if earlier:  # a smaller shop already failed on this path: a larger one fails too
                rows.append({"size": size, "path": path, "status": f"not run ({earlier[0]['status']} at "
                                                                   f"{earlier[0]['size']}x)"})
                continue
            if left < 60:
                rows.append({"size": size, "path": path, "status": "not run (study time limit)"})
                continue
            print(f"{size}x {path}: preparing data ...", flush=True)
            ensure_blocks(size)
            row = measure(path, size, min(args.limit_s, left), args.memory_gb * 1024)
            rows.append(row)
            print(f"{size}x {path}: {row}", flush=True)
            write(args.out, head, rows)
    write(args.out, head, rows)
    print("\n".join(markdown(rows)))
    return 0


def write(out: Path, head: list[str], rows: list[dict]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        fh.write("\n".join(head) + "\n")
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**{c: "" for c in COLUMNS}, **r})


if __name__ == "__main__":
    sys.exit(main())
