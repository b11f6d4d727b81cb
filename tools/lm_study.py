"""Appendix B's study: does pretraining help, over several seeds, and how the model scales.

Usage: python tools/lm_study.py [--part all|comparison|scaling]

(a) Comparison. For each seed of ``lm.BOOK_LM.seeds``: pretrain the book's encoder
(:class:`retail_lab.lm.MaskedLanguageModel` with ``BOOK_LM``'s settings and that seed) on
:func:`retail_lab.lm.pretraining_corpus` (product descriptions, answers, and only the messages
no split tests on), then on chapter 6.4's random split and phrasing-family split (seed 0 each,
:func:`retail_lab.lm.book_splits`) fine-tune it, train the same architecture from scratch
(same tokenizer, random weights, same fine-tuning), and train chapter 6.4's Keras text CNN with
that seed; TF-IDF + logistic regression is deterministic and runs once. Every model is scored
on the random split's test part, and on the family split's test part as written and rewritten
(:func:`retail_lab.service.robustness_sets`, seed 0) with
:func:`retail_lab.service.score_with_interval` (mean over seeds, 95% bootstrap interval; on
the family split whole phrasing families are resampled). For the pretrained model the paired
accuracy difference against the model from scratch is added, with its interval.

(b) Scaling. For each size of ``BOOK_LM.sizes``: pretrain (seed 0) and read the encoder at
each of ``BOOK_LM.checkpoints``; fine-tune each (and the untrained encoder, steps 0) on the
family split (seed 0) and score it on the family test part. Records the encoder's parameter
count and the held-out masked-token loss.

Writes ``book/_generated/lm_study.csv`` and ``book/_generated/lm_scaling.csv``: ``#`` header
lines say when, on what CPU, with which versions and settings (``BOOK_LM`` as JSON) they were
measured, then one row per (test set, model) and per (size, steps). Appendix B reads them
(``pd.read_csv(path, comment="#")``). Takes about 20 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmark import _cpu_model  # tools/: the same processor name the benchmark table shows

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_generated" / "lm_study.csv"
SCALING_OUT = ROOT / "book" / "_generated" / "lm_scaling.csv"
MODELS = ("pretrained transformer", "transformer from scratch", "TF-IDF + logistic regression", "Keras text CNN")


def _versions() -> str:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for pkg in ("numpy", "tensorflow", "keras"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return json.dumps(out)


def _write(path: Path, title: str, frame, extra: dict, seconds: float) -> None:
    from retail_lab import lm

    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# study: {title} (tools/lm_study.py)",
             f"# measured: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"# cpu: {_cpu_model()}, {os.cpu_count()} cores",
             f"# versions: {_versions()}",
             f"# settings: {json.dumps(lm.BOOK_LM.as_dict(), sort_keys=True)}"]
    lines += [f"# {k}: {v}" for k, v in extra.items()]
    lines.append(f"# seconds: {seconds:.0f}")
    path.write_text("\n".join(lines) + "\n" + frame.to_csv(index=False, float_format="%.6g"), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}", flush=True)


def _data():
    from retail_lab import lm
    from retail_lab.datasets import load_bitext_support, load_online_retail

    support = load_bitext_support()
    texts = support["instruction"].to_numpy(str)
    intents = support["intent"].astype(str).to_numpy()
    responses = support["response"].to_numpy(str)
    splits = lm.book_splits(texts, intents)
    corpus = lm.pretraining_corpus(load_online_retail()["Description"], responses, texts, splits)
    return texts, intents, splits, [t for part in corpus.values() for t in part]


def _pretrain(corpus, seed, **shape):
    from retail_lab import lm

    s = lm.BOOK_LM
    kw = {**s.architecture(), **shape}
    return lm.MaskedLanguageModel(**kw, mask_rate=s.mask_rate, steps=max(s.checkpoints),
                                  batch_size=s.pretrain_batch, learning_rate=s.pretrain_lr,
                                  checkpoints=s.checkpoints, seed=seed).fit(corpus)


def _finetune(encoder, init, seed):
    from retail_lab import lm

    s = lm.BOOK_LM
    return lm.TransformerIntentClassifier(encoder=encoder, init=init, dropout=s.dropout, epochs=s.finetune_epochs,
                                          batch_size=s.finetune_batch, learning_rate=s.finetune_lr, seed=seed)


def comparison(texts, intents, splits, corpus, keep: dict) -> None:
    import pandas as pd

    from retail_lab import lm, service

    t0 = time.perf_counter()
    rtr, rte = splits["random"]
    ftr, fte = splits["family"]
    test_sets = service.robustness_sets(texts[fte], seed=0)
    families = service.near_duplicate_groups(texts, intents, threshold=service.FAMILY_THRESHOLD)[fte]
    preds: dict = {}  # (test, model) -> list of prediction arrays, one per seed
    for split, (tr, _) in (("random", splits["random"]), ("family", splits["family"])):
        m = service.TfidfIntentClassifier().fit(texts[tr], intents[tr])
        _predict(preds, split, "TF-IDF + logistic regression", m, texts, rte, test_sets)
    for seed in lm.BOOK_LM.seeds:
        mlm = _pretrain(corpus, seed)
        if seed == lm.BOOK_LM.seed:
            keep["small"] = mlm
        print(f"seed {seed}: pretrained, val_loss {mlm.history_['val_loss'].iloc[-1]:.3f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        for split, (tr, _) in (("random", splits["random"]), ("family", splits["family"])):
            for name, model in (("pretrained transformer", _finetune(mlm.encoder_, "pretrained", seed)),
                                ("transformer from scratch", _finetune(mlm.encoder_, "random", seed)),
                                ("Keras text CNN", service.KerasIntentClassifier(epochs=12, seed=seed))):
                model.fit(texts[tr], intents[tr])
                _predict(preds, split, name, model, texts, rte, test_sets)
        print(f"seed {seed}: done ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows = []
        for (test, name), runs in preds.items():
            truth, groups = (intents[rte], None) if test == "random split" else (intents[fte], families)
            s = service.score_with_interval(truth, runs, groups=groups)
            row = {"test": test, "model": name, **s,
                   "macro_f1_runs": ";".join(f"{service.score_with_interval(truth, r, n_boot=1)['macro_f1']:.4f}"
                                             for r in runs)}
            if name == "pretrained transformer":
                ref = preds[test, "transformer from scratch"]
                d = lm.paired_difference([np.asarray(r) == truth for r in runs],
                                         [np.asarray(r) == truth for r in ref], groups=groups)
                row.update(acc_diff_vs_scratch=d["diff"], acc_diff_lo=d["lo"], acc_diff_hi=d["hi"])
            rows.append(row)
        frame = pd.DataFrame(rows)
        _write(OUT, "appendix B: pretrained transformer vs controls on chapter 6.4's splits", frame,
               {"seeds": json.dumps(list(lm.BOOK_LM.seeds[: lm.BOOK_LM.seeds.index(seed) + 1])),
                "splits": json.dumps(["random (seed 0)", "family (seed 0)"]),
                "pretraining texts": len(corpus)},
               time.perf_counter() - t0)


def _predict(preds, split, name, model, texts, rte, test_sets) -> None:
    if split == "random":
        preds.setdefault(("random split", name), []).append(model.predict(texts[rte]))
        return
    for test, msgs in test_sets.items():
        preds.setdefault((f"family split, {test}", name), []).append(model.predict(msgs))


def scaling(texts, intents, splits, corpus, keep: dict) -> None:
    import pandas as pd

    from retail_lab import lm, service

    t0 = time.perf_counter()
    s = lm.BOOK_LM
    ftr, fte = splits["family"]
    rows = []
    for name, dim, heads, layers in s.sizes:
        shape = dict(dim=dim, heads=heads, layers=layers, ffn=4 * dim)
        same = (dim, heads, layers, 4 * dim) == (s.dim, s.heads, s.layers, s.ffn)
        mlm = keep.get("small") if same and "small" in keep else _pretrain(corpus, s.seed, **shape)
        hist = mlm.history_.set_index("step")
        for steps in (0,) + tuple(s.checkpoints):
            enc = mlm.checkpoints_[steps] if steps else mlm.encoder_
            clf = _finetune(enc, "pretrained" if steps else "random", s.seed).fit(texts[ftr], intents[ftr])
            sc = service.score_with_interval(intents[fte], clf.predict(texts[fte]), n_boot=1)
            rows.append({"size": name, "dim": dim, "heads": heads, "layers": layers, "ffn": 4 * dim,
                         "params": mlm.n_params_, "steps": steps,
                         "val_loss": float(hist.loc[steps, "val_loss"]) if steps else float("nan"),
                         "accuracy": sc["accuracy"], "macro_f1": sc["macro_f1"]})
            print(f"{name} steps {steps}: macro-F1 {sc['macro_f1']:.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
        _write(SCALING_OUT, "appendix B: pretraining loss and fine-tuned accuracy by model size and steps",
               pd.DataFrame(rows), {"split": "family (seed 0), fine-tune seed 0",
                                    "pretraining texts": len(corpus)}, time.perf_counter() - t0)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("all", "comparison", "scaling"), default="all")
    args = p.parse_args(argv)
    from retail_lab import set_seed

    set_seed(0)
    texts, intents, splits, corpus = _data()
    keep: dict = {}
    if args.part in ("all", "comparison"):
        comparison(texts, intents, splits, corpus, keep)
    if args.part in ("all", "scaling"):
        scaling(texts, intents, splits, corpus, keep)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
