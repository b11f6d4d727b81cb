"""Seed study of chapter 5's recommenders: every model of the results table, several seeds, two splits.

Usage: python tools/seed_study.py [--seeds 0 1 2] [--splits book later] [--out PATH]
       python tools/seed_study.py --merge PART.csv PART.csv   # runs split over processes -> --out
       python tools/seed_study.py --study rerank [--splits ...]   # chapter 6.1's re-rankers

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


def cpu_line() -> str:
    """The processor and the cores this process may use, for a study's header."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{_cpu_model()}, {cores} cores"


def chosen_on_validation(val) -> tuple[float, float]:
    """Chapter 5's choices on a split's validation month: EASE's ``l2`` (NDCG@10, new products)
    and the repeat baseline's half-life (NDCG@10, all purchases), from ``recsys.BOOK_GRIDS``."""
    from retail_lab import recsys

    ease_val = {l2: recsys.mean_metric(recsys.EASE(l2=l2).fit(val.X), val, "new")
                for l2 in recsys.BOOK_GRIDS["EASE"]["l2"]}
    rep_val = {hl: recsys.mean_metric(recsys.repeat_baseline(val, hl), val, "all")
               for hl in recsys.BOOK_GRIDS["RepeatBuyer"]["half_life_days"]}
    return max(ease_val, key=ease_val.get), max(rep_val, key=rep_val.get)


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


def write(rows: list[dict], header: dict, out: Path = OUT, columns=COLUMNS) -> None:
    """Header lines and rows, written to a temporary file first (an interrupted run leaves the
    previous file or the runs finished so far, never half a table)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".csv.part")
    with open(tmp, "w", newline="") as fh:
        for key, value in header.items():
            fh.write(f"# {key}: {value}\n")
        w = csv.DictWriter(fh, fieldnames=columns)
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


RERANK_OUT = ROOT / "book" / "_generated" / "rerank_seeds.csv"
RERANK_COLUMNS = ["split", "validation_cutoff", "test_cutoff", "seed", "model", "protocol", "stochastic",
                  "ndcg10", "ndcg10_low", "ndcg10_high", "hr10", "baseline", "diff", "diff_low", "diff_high",
                  "users", "setting", "train_seconds"]
#: Chapter 6.1's re-rankers: name -> (protocol, key of RERANKER_SETTINGS).
RERANKERS = {"re-ranker (trees)": ("new", "trees"), "re-ranker (Keras)": ("new", "keras"),
             "re-ranker (trees), all purchases": ("all", "trees_all")}


def rerank_settings_json() -> str:
    """The re-rankers' settings and the EASE / repeat grids, as one JSON line."""
    from retail_lab import recsys

    return json.dumps({"RERANKER_SETTINGS": recsys.RERANKER_SETTINGS,
                       "BOOK_GRIDS": {k: recsys.BOOK_GRIDS[k] for k in ("EASE", "RepeatBuyer")}},
                      sort_keys=True)


def per_user(model, split, protocol):
    """Per-user NDCG@10 and HR@10 of ``model`` on ``split``'s ``protocol`` (users in protocol order)."""
    from retail_lab import recsys

    return recsys.evaluate(model, split, protocol, ks=(10,))[0][["NDCG@10", "HR@10"]]


def rerank_row(split_name, cutoffs, seed, model, protocol, stochastic, pu, base_name, base_pu, setting, secs):
    from retail_lab.recsys import metrics

    mean, low, high = metrics.bootstrap_ci(pu["NDCG@10"], n_boot=1000, seed=0)
    r = {"split": split_name, "validation_cutoff": cutoffs[0], "test_cutoff": cutoffs[1], "seed": seed,
         "model": model, "protocol": protocol, "stochastic": stochastic, "ndcg10": round(mean, 6),
         "ndcg10_low": round(low, 6), "ndcg10_high": round(high, 6), "hr10": round(float(pu["HR@10"].mean()), 6),
         "baseline": base_name, "diff": "", "diff_low": "", "diff_high": "", "users": len(pu),
         "setting": setting, "train_seconds": secs}
    if base_pu is not None:    # paired over the same customers
        d = pu["NDCG@10"].to_numpy() - base_pu["NDCG@10"].to_numpy()
        dm, dl, dh = metrics.bootstrap_ci(d, n_boot=1000, seed=0)
        r.update(diff=round(dm, 6), diff_low=round(dl, 6), diff_high=round(dh, 6))
    return r


def rerank_study(args) -> int:
    """Chapter 6.1's re-rankers over seeds and splits, each against EASE (new products) or the
    repeat baseline (all purchases) on the same customers, with paired intervals."""
    from retail_lab import environment_report, quality, recsys, set_seed
    from retail_lab.datasets import load_online_retail

    set_seed(args.seeds[0])
    env = environment_report()
    start = time.perf_counter()
    out = args.out if args.out != OUT else RERANK_OUT
    header = {
        "study": "chapter 6.1 re-rankers over seeds and splits (tools/seed_study.py --study rerank)",
        "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_line(),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "versions": json.dumps({k: env[k] for k in ("python", "numpy", "scikit-learn", "tensorflow", "keras")
                                if k in env}),
        "seeds": json.dumps(args.seeds),
        "splits": json.dumps({s: SPLITS[s] for s in args.splits}),
        "settings": rerank_settings_json(),
    }
    tx = quality.clean(load_online_retail()).clean
    rows: list[dict] = []
    for split_name in args.splits:
        cutoffs = SPLITS[split_name]
        val, test = recsys.book_splits(tx, validation_cutoff=cutoffs[0], test_cutoff=cutoffs[1])
        best_l2, best_hl = chosen_on_validation(val)
        ease = recsys.EASE(l2=best_l2).fit(test.X)
        base = {"new": ("EASE", per_user(ease, test, "new")),
                "all": ("repeat", per_user(recsys.repeat_baseline(test, best_hl), test, "all"))}
        rows.append(rerank_row(split_name, cutoffs, args.seeds[0], "EASE", "new", False, base["new"][1], "", None,
                               f"l2={best_l2:g}", ""))
        rows.append(rerank_row(split_name, cutoffs, args.seeds[0], "repeat", "all", False, base["all"][1], "", None,
                               f"half-life={best_hl} days", ""))
        for seed in args.seeds:
            for name, (protocol, key) in RERANKERS.items():
                stochastic = recsys.RERANKER_SETTINGS[key]["learner"] == "keras"
                if not stochastic and seed != args.seeds[0]:
                    continue        # the trees are deterministic: one run is every seed's run
                set_seed(seed)
                t0 = time.perf_counter()
                model = recsys.Reranker(**recsys.RERANKER_SETTINGS[key], seed=seed).fit(test)
                secs = round(time.perf_counter() - t0, 1)
                base_name, base_pu = base[protocol]
                rows.append(rerank_row(split_name, cutoffs, seed, name, protocol, stochastic, per_user(model, test, protocol),
                                       base_name, base_pu, "", secs))
                del model
            header["wall_seconds"] = f"{time.perf_counter() - start:.0f}"
            header["runs"] = f"{split_name} seed {seed} done"
            write_rerank(rows, header, out)
            print(f"{split_name} seed {seed}: done after {time.perf_counter() - start:.0f} s", flush=True)
    return 0


def write_rerank(rows, header, out):
    write(rows, header, out, RERANK_COLUMNS)


def merge_rerank(parts: list[Path], out: Path) -> None:
    """One re-ranker file from parts measured in parallel (one process per split)."""
    rows, headers = [], []
    for p in parts:
        r, h = read(p)
        rows += r
        headers.append(h)
    for h in headers[1:]:
        for key in ("settings", "versions", "seeds"):
            if h[key] != headers[0][key]:
                raise ValueError(f"{key} differ between the parts; measure them again with the same settings")
    splits = {}
    for h in headers:
        splits.update(json.loads(h["splits"]))
    header = {**headers[0], "measured": min(h["measured"] for h in headers),
              "splits": json.dumps({s: SPLITS[s] for s in SPLITS if s in splits}),
              "runs": "; ".join(h["runs"] for h in headers),
              "wall_seconds": f"{max(float(h['wall_seconds']) for h in headers):.0f}",
              "parallel": f"{len(parts)} processes, one per split"}
    write_rerank(rows, header, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", choices=["keras", "rerank"], default="keras",
                    help="keras: chapter 5's models (default); rerank: chapter 6.1's re-rankers")
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--merge", type=Path, nargs="+", metavar="PART")
    args = ap.parse_args(argv)
    if args.merge:
        if args.study == "rerank":
            merge_rerank(args.merge, RERANK_OUT if args.out == OUT else args.out)
        else:
            merge(args.merge, args.out)
        return 0
    if args.study == "rerank":
        return rerank_study(args)

    from retail_lab import environment_report, quality, recsys, set_seed
    from retail_lab.datasets import load_online_retail
    from retail_lab.recsys import neural

    set_seed(args.seeds[0])
    env = environment_report()
    start = time.perf_counter()
    header = {
        "study": "chapter 5 recommenders over seeds and splits (tools/seed_study.py)",
        "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_line(),
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
        best_l2, best_hl = chosen_on_validation(val)
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
