"""Seed study of chapter 5's recommenders: every model of the results table, several seeds, two splits.

Usage: python tools/seed_study.py [--seeds 0 1 2] [--splits book later] [--out PATH]
       python tools/seed_study.py --merge PART.csv PART.csv   # runs split over processes -> --out

For each split (``book``: validation 2011-08-01, test 2011-09-01, the split the chapter tuned
its settings on; ``later``: validation 2011-09-01, test 2011-10-01, which nothing was tuned
on) it runs chapter 5's procedure exactly: EASE's penalty, the repeat baseline's half-life
and the blend weight are chosen on the split's own validation month from
``recsys.BOOK_GRIDS``; the Keras models use ``recsys.BOOK_SETTINGS``, early-stop on the
validation month and are refit on all training data with their best epoch count; every model
then ranks the full catalogue once for every test customer. The classical models are
deterministic and run once per split; the Keras models and the blend run once per seed.

Writes ``book/_generated/recsys_seeds.csv``: ``#`` header lines say when, on what CPU, with
which package versions and which settings (``BOOK_SETTINGS``, ``BOOK_GRIDS`` as JSON) it was
measured; then one row per (split, seed, model) with NDCG@10 and HR@10 under both protocols
(the mean over test customers and its 95% bootstrap interval), the evaluated customers, the
chosen setting, epochs and training seconds. Chapter 5 reads it
(``pd.read_csv(path, comment="#")``). The file is rewritten after every (split, seed), so an
interrupted run leaves the runs it finished. Takes about 10 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmark import _cpu_model  # tools/: the same processor name the benchmark table shows

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_generated" / "recsys_seeds.csv"

#: The splits, by name: (validation cutoff, test cutoff).
SPLITS = {"book": ("2011-08-01", "2011-09-01"), "later": ("2011-09-01", "2011-10-01")}
SEEDS = (0, 1, 2)
#: Keras models: name in the chapter -> class name in BOOK_SETTINGS.
KERAS = {"BPR-MF": "BPRMF", "NeuMF": "NeuMF", "two-tower": "TwoTower", "SASRec": "SASRec"}
COLUMNS = ["split", "validation_cutoff", "test_cutoff", "seed", "model", "stochastic",
           "ndcg10_new", "ndcg10_new_low", "ndcg10_new_high", "ndcg10_all", "ndcg10_all_low",
           "ndcg10_all_high", "hr10_new", "hr10_all", "users_new", "users_all", "setting",
           "best_epoch", "train_seconds"]


def settings_json() -> str:
    """The settings the study ran with, as one JSON line (what the header records)."""
    from retail_lab import recsys

    return json.dumps({"BOOK_SETTINGS": recsys.BOOK_SETTINGS, "BOOK_GRIDS": recsys.BOOK_GRIDS},
                      sort_keys=True)


def rows_of(table, split_name, cutoffs, seed, stochastic, extra) -> list[dict]:
    """One CSV row per model of an ``evaluation_table`` result."""
    out = []
    for model, g in table.groupby("model", sort=False):
        r = {"split": split_name, "validation_cutoff": cutoffs[0], "test_cutoff": cutoffs[1],
             "seed": seed, "model": model, "stochastic": stochastic}
        for prot in ("new", "all"):
            nd = g[(g.protocol == prot) & (g.metric == "NDCG@10")].iloc[0]
            hr = g[(g.protocol == prot) & (g.metric == "HR@10")].iloc[0]
            r[f"ndcg10_{prot}"], r[f"hr10_{prot}"] = round(float(nd["mean"]), 6), round(float(hr["mean"]), 6)
            r[f"ndcg10_{prot}_low"] = round(float(nd["low"]), 6)
            r[f"ndcg10_{prot}_high"] = round(float(nd["high"]), 6)
            r[f"users_{prot}"] = int(nd["users"])
        r.update({"setting": "", "best_epoch": "", "train_seconds": ""}, **extra.get(model, {}))
        out.append(r)
    return out


def write(rows: list[dict], header: dict, out: Path = OUT) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".csv.part")
    with open(tmp, "w", newline="") as fh:
        for key, value in header.items():
            fh.write(f"# {key}: {value}\n")
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, out)


def read(path: Path) -> tuple[list[dict], dict]:
    """Rows and header of a file :func:`write` wrote."""
    header, body = {}, []
    for line in Path(path).read_text().splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(": ")
            header[key] = value
        else:
            body.append(line)
    return list(csv.DictReader(body)), header


def merge(parts: list[Path], out: Path) -> None:
    """One file from parts measured in parallel (e.g. one process per split, or per seed)
    with the same settings: rows concatenated (a deterministic model measured twice on the
    same split is kept once), seeds and splits joined, runs counted from the rows."""
    rows, headers = [], []
    for p in parts:
        r, h = read(p)
        rows += r
        headers.append(h)
    first = headers[0]
    for h in headers[1:]:
        for key in ("settings", "versions"):
            if h[key] != first[key]:
                raise ValueError(f"{key} differ between the parts; measure them again with the same settings")
    # a deterministic model measured by two parts of the same split: keep the first
    seen, kept = set(), []
    for r in rows:
        key = (r["split"], r["model"]) if r["stochastic"] == "False" else (r["split"], r["model"], r["seed"])
        if key not in seen:
            seen.add(key)
            kept.append(r)
    rows = kept
    splits = {r["split"] for r in rows}                      # the splits the parts measured
    seeds = sorted({int(r["seed"]) for r in rows if r["stochastic"] == "True"})
    done = len({(r["split"], r["seed"]) for r in rows if r["stochastic"] == "True"})
    total = len(splits) * len(seeds)
    header = {**first, "measured": min(h["measured"] for h in headers), "seeds": json.dumps(seeds),
              "splits": json.dumps({s: SPLITS[s] for s in SPLITS if s in splits}),
              "runs": f"{done} of {total} (split, seed) runs done",
              "wall_seconds": f"{max(float(h['wall_seconds']) for h in headers):.0f}",
              "parallel": f"{len(parts)} processes, one per part"}
    write(rows, header, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--merge", type=Path, nargs="+", metavar="PART")
    args = ap.parse_args(argv)
    if args.merge:
        merge(args.merge, args.out)
        return 0

    from retail_lab import environment_report, quality, recsys, set_seed
    from retail_lab.datasets import load_online_retail
    from retail_lab.recsys import neural

    set_seed(args.seeds[0])
    env = environment_report()
    start = time.perf_counter()
    header = {
        "study": "chapter 5 recommenders over seeds and splits (tools/seed_study.py)",
        "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{_cpu_model()}, {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} cores",
        "versions": json.dumps({k: env[k] for k in ("python", "numpy", "tensorflow", "keras") if k in env}),
        "seeds": json.dumps(args.seeds),
        "splits": json.dumps({s: SPLITS[s] for s in args.splits}),
        "settings": settings_json(),
    }
    tx = quality.clean(load_online_retail()).clean
    rows: list[dict] = []
    runs, total = 0, len(args.splits) * len(args.seeds)
    for split_name in args.splits:
        cutoffs = SPLITS[split_name]
        val, test = recsys.book_splits(tx, validation_cutoff=cutoffs[0], test_cutoff=cutoffs[1])
        # classical models: the chapter's grids, chosen on this split's validation month
        ease_val = {l2: recsys.mean_metric(recsys.EASE(l2=l2).fit(val.X), val, "new")
                    for l2 in recsys.BOOK_GRIDS["EASE"]["l2"]}
        best_l2 = max(ease_val, key=ease_val.get)
        rep_val = {hl: recsys.mean_metric(recsys.repeat_baseline(val, hl), val, "all")
                   for hl in recsys.BOOK_GRIDS["RepeatBuyer"]["half_life_days"]}
        best_hl = max(rep_val, key=rep_val.get)
        classical = {
            "popularity (all-time)": recsys.Popularity().fit(test.X),
            "popularity (last 30 days)": recsys.recent_popularity(test, days=30),
            "repeat": recsys.repeat_baseline(test, best_hl),
            "item-kNN": recsys.ItemKNN().fit(test.X),
            "EASE": recsys.EASE(l2=best_l2).fit(test.X),
        }
        table = recsys.evaluation_table(classical, test, metric_names=("HR@10", "NDCG@10"), n_boot=1000, seed=0)
        rows += rows_of(table, split_name, cutoffs, args.seeds[0], False,
                        {"EASE": {"setting": f"l2={best_l2:g}"}, "repeat": {"setting": f"half-life={best_hl} days"}})
        for seed in args.seeds:
            set_seed(seed)
            models = {name: getattr(neural, cls)(**recsys.BOOK_SETTINGS[cls], seed=seed)
                      for name, cls in KERAS.items()}
            for m in models.values():
                m.fit(val, validate=True)
            rep = recsys.repeat_baseline(val, best_hl)
            blend_val = {w: recsys.mean_metric(recsys.Blend({"repeat": rep, "two-tower": models["two-tower"]},
                                                            {"repeat": 1 - w, "two-tower": w}).fit(), val, "all")
                         for w in recsys.BOOK_GRIDS["Blend"]["weight"]}
            best_w = max(blend_val, key=blend_val.get)
            set_seed(seed)
            final, extra = {}, {}
            for name, m in models.items():
                final[name] = type(m)(**m.refit_params()).fit(test)
                extra[name] = {"best_epoch": int(m.best_epoch_), "train_seconds": round(m.train_seconds_ + final[name].train_seconds_, 1)}
            final["repeat + two-tower"] = recsys.Blend({"repeat": classical["repeat"], "two-tower": final["two-tower"]},
                                                       {"repeat": 1 - best_w, "two-tower": best_w}).fit()
            extra["repeat + two-tower"] = {"setting": f"two-tower weight={best_w:g}"}
            table = recsys.evaluation_table(final, test, metric_names=("HR@10", "NDCG@10"), n_boot=1000, seed=0)
            rows += rows_of(table, split_name, cutoffs, seed, True, extra)
            del models, final
            runs += 1
            header["runs"] = f"{runs} of {total} (split, seed) runs done"
            header["wall_seconds"] = f"{time.perf_counter() - start:.0f}"
            write(rows, header, args.out)
            print(f"{split_name} seed {seed}: done after {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
