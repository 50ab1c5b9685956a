"""Benchmark: synthetic generation and validation at 100,000 leads (~10 M events).

Each measurement runs in a fresh process so its peak memory (max RSS) is its own. Figures on a
shared machine are noisy: the median of ``--repeat`` runs is reported, next to a reference
measured in the same run (reading the generated events back with pandas).

Usage: ``make bench`` or ``python benchmarks/bench_generate.py --leads 100000 --repeat 3``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap

_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    task, folder, leads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    began = time.perf_counter()
    if task == "generate":
        from leadscore.synthetic import generate
        result = generate(folder, n_leads=leads, seed=42)
        extra = {"events": result.rows["events"]}
    elif task == "validate":
        from leadscore.dataset import load_dataset
        data = load_dataset(folder)
        extra = {"events": len(data.events)}
    else:
        import pandas as pd
        extra = {"events": len(pd.read_parquet(folder + "/events.parquet"))}
    seconds = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, **extra}))
    """
)


def _run(task: str, folder: str, leads: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, task, folder, str(leads)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for task in ("generate", "validate", "read_events"):
            runs = [_run(task, folder, args.leads) for _ in range(args.repeat)]
            rows.append(
                (
                    task,
                    statistics.median(r["seconds"] for r in runs),
                    max(r["peak_mb"] for r in runs),
                    runs[0]["events"],
                    [round(r["seconds"], 2) for r in runs],
                )
            )
    print(f"\n{args.leads:,} leads, median of {args.repeat} runs (each in a fresh process)")
    print(f"{'task':<12} {'median s':>9} {'peak MB':>8} {'events':>11}  runs")
    for task, seconds, peak, events, runs in rows:
        print(f"{task:<12} {seconds:9.2f} {peak:8.0f} {events:11,}  {runs}")
    print("read_events = pandas.read_parquet of the generated events: the reference.")


if __name__ == "__main__":
    main()
