"""Benchmark: scoring a million leads from their events, with and without reasons.

1. A model is trained as ``make demo`` trains it (20,000 synthetic leads, monthly cutoffs).
2. 1,000,000 other synthetic leads (about 90 M events) are scored as of the day after their
   data ends, as ``leadscore score`` does:
   - *features, cold*: validation and staging of the raw files plus the feature pipeline;
   - *features, warm*: the staged files reused (the nightly case when only scoring changes);
   - *scoring*: probability, hand-set points, grades, rank and priority;
   - *reasons*: grouped TreeSHAP contributions and their words for every lead.
   Targets: features (warm) + scoring ≤ 60 s; with reasons for every lead ≤ 4 minutes.
   Warm measurements and scoring are repeated (``--repeat``, medians reported).
3. TreeSHAP speed (rows/s) of the default compact model (depth 4, 15 leaves) against 31-leaf
   trees of unlimited depth, on the same 20,000 leads.

Peak memory is the process's. *Warm* reuses what ``leadscore`` keeps in ``data/interim`` between
runs on unchanged inputs: the staged files and the per-part daily rollup of the events.

Usage: ``make bench`` or ``python benchmarks/bench_score.py [--leads 1000000] [--data FOLDER]
[--repeat 3]`` (``--data``: a folder made by ``leadscore generate``, to skip generating).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from leadscore.features.pipeline import build_scoring_table, build_training_table
from leadscore.modeling.bundle import LoadedModel
from leadscore.modeling.compare import compare_models
from leadscore.modeling.explain import contributions
from leadscore.modeling.predict import score_leads
from leadscore.modeling.train import LightGBMModel, split_table, time_split
from leadscore.synthetic import generate


def _timed(what: str, function, repeat: int = 1):
    """Run ``function`` ``repeat`` times; print and return the last result and the median."""
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - began)
    median = statistics.median(seconds)
    runs = f" (median of {[round(s, 1) for s in seconds]})" if repeat > 1 else ""
    print(f"{what}: {median:.1f} s{runs}", flush=True)
    return result, median


#: The figures this benchmark gave when issue 13 was filed (same machine, one run each).
BEFORE = {"features, warm": 127.0, "total without reasons, warm": 136.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument(
        "--data", type=Path, help="Score this generated folder instead of generating one."
    )
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each warm measurement.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "train", n_leads=20_000, seed=42)
        training = build_training_table(root / "train", None, 90, interim_dir=root / "i1").frame
        model = compare_models(training, 90).models["lightgbm"]
        print(f"model: {model.best_iteration_} trees, depth {model.max_depth}")

        train, valid, test = split_table(training, time_split(training["cutoff"].unique(), 90))
        deep = LightGBMModel(num_leaves=31, max_depth=-1).fit(
            train, train["label"], X_valid=valid, y_valid=valid["label"]
        )
        rows = test.head(20_000)
        for name, candidate in (("default (depth 4, 15 leaves)", model), ("31 leaves", deep)):
            began = time.perf_counter()
            contributions(candidate, rows)
            speed = len(rows) / (time.perf_counter() - began)
            print(f"TreeSHAP, {name}, {candidate.best_iteration_} trees: {speed:,.0f} rows/s")

        data = args.data
        if data is None:
            data = root / "score"
            result = generate(data, n_leads=args.leads, seed=7)
            print(f"scoring data: {args.leads:,} leads, {result.rows['events']:,} events")
        interim = root / "i2"
        table, cold = _timed(
            "features, cold (validation + staging + features)",
            lambda: build_scoring_table(data, interim_dir=interim),
        )
        table, warm = _timed(
            "features, warm (staged files and rollup reused)",
            lambda: build_scoring_table(data, interim_dir=interim),
            args.repeat,
        )
        steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in table.timings.items())
        print(f"  where the warm time goes: {steps}")
        print(f"scored leads: {len(table.frame):,} (skipped {sum(table.skipped.values()):,})")
        loaded = LoadedModel(model, None, "bench", "bench")
        families = {f.name: f.family or f.name for f in table.catalogue}
        when = table.cutoffs[0]
        _, plain = _timed(
            "scoring without reasons (probability, points, grade, rank)",
            lambda: score_leads(table.frame, loaded, as_of=when, families=families, explain=0),
            args.repeat,
        )
        _, full = _timed(
            "scoring with reasons for every lead",
            lambda: score_leads(table.frame, loaded, as_of=when, families=families),
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"total without reasons: warm {warm + plain:.1f} s (target 60 s; "
            f"{BEFORE['total without reasons, warm']:.0f} s before), cold {cold + plain:.1f} s; "
            f"with reasons: warm {warm + full:.1f} s (target 240 s), cold {cold + full:.1f} s; "
            f"peak memory {peak:,.0f} MiB"
        )


if __name__ == "__main__":
    main()
