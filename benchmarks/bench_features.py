"""Benchmark: point-in-time training tables over 12 monthly cutoffs.

Datasets: 115,000 synthetic leads with ~10 M events, and ~50 M events (the same kind of leads
with 6x the web and action volume: ``generate --activity 6``). Each measurement runs in a fresh
process so its peak memory (max RSS) is its own:

- ``cold``: validation and staging of the raw files included (nothing cached);
- ``warm``: staging and the per-part daily rollup reused (the inputs did not change): what a
  second ``leadscore features`` or ``train`` on the same files costs. Target at 51 M events:
  ≤ 30 s, peak ≤ 4 GB.

Usage: ``make bench`` or ``python benchmarks/bench_features.py --repeat 3 [--skip-50m]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CUTOFFS = "monthly:2025-01-01:2025-12-01"
_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from leadscore.features.pipeline import build_training_table
    data, interim, cutoffs = sys.argv[1:4]
    began = time.perf_counter()
    table = build_training_table(data, cutoffs, 90, interim_dir=interim, cache=False)
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": len(table.frame),
                      "features": len(table.feature_names), "timings": table.timings}))
    """
)


def _generate(folder: Path, leads: int, activity: float) -> int:
    from leadscore.synthetic import generate

    return generate(folder, n_leads=leads, seed=42, activity=activity).rows["events"]


def _run(data: Path, interim: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data), str(interim), CUTOFFS],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


#: Median seconds (cold, warm) of this benchmark before issue 13's work on speed (README,
#: 2026-12-04), printed for comparison; warm then meant staging reused, rollup computed.
BEFORE = {"10M": (21.6, 16.8), "50M": (66.9, 50.4)}


def _measure(name: str, data: Path, events: int, repeat: int, root: Path) -> list[tuple]:
    rows = []
    for mode in ("cold", "warm"):
        runs = []
        for _ in range(repeat):
            interim = root / f"interim-{name}"
            if mode == "cold":
                shutil.rmtree(interim, ignore_errors=True)
            runs.append(_run(data, interim))
        rows.append((name, mode, events, runs))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=115_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-50m", action="store_true", help="Only the 10 M event dataset.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = []
        datasets = [("10M", 1.0, args.leads)]
        if not args.skip_50m:
            datasets.append(("50M", 6.0, int(args.leads * 50 / 10 / 3.8)))
        for name, activity, leads in datasets:
            data = root / name
            events = _generate(data, leads, activity)
            print(f"generated {name}: {leads:,} leads, {events:,} events", flush=True)
            results += _measure(name, data, events, args.repeat, root)
    print(f"\n12 monthly cutoffs, 90-day horizon; median of {args.repeat} runs, fresh process each")
    print(
        f"{'data':<5} {'mode':<5} {'events':>11} {'rows':>9} {'median s':>9} {'before':>7} "
        f"{'peak MB':>8}  runs"
    )
    for name, mode, events, runs in results:
        median = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        seconds = [round(r["seconds"], 1) for r in runs]
        print(
            f"{name:<5} {mode:<5} {events:11,} {runs[0]['rows']:9,} {median:9.1f} "
            f"{BEFORE[name][mode == 'warm']:7.1f} {peak:8.0f}  {seconds}"
        )
    print("\nwhere the time goes (first warm run of each dataset, seconds):")
    for name, mode, _events, runs in results:
        if mode == "warm":
            steps = ", ".join(f"{k}: {v:.1f}" for k, v in runs[0]["timings"].items())
            print(f"  {name}: {steps}")


if __name__ == "__main__":
    main()
