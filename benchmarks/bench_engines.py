"""Benchmark: the training table on DuckDB and on Spark ``local[2]``, side by side.

The training table for 12 monthly cutoffs (90-day horizon) on ~10 M events
(``generate(n_leads=115_000, seed=42)``, as ``bench_features.py``) and ~51 M events
(``generate(n_leads=151_315, seed=42, activity=6.0)``; ``--data-50m`` reuses a generated
folder, read-only: it is staged into this benchmark's own interim folder). Every run is a fresh
process; each dataset is staged once first (the *cold* run, DuckDB), then timed *warm*:
staging reused, ``cache=False`` (the training table is computed anew each time). The per-part
rollup cache (:mod:`leadscore.features.rollup_cache`) is warm too: the daily rollup of the
events is read, not recomputed, on both engines (it is computed by DuckDB on the driver when a
part is new, whatever the engine). ``rollup`` rows time that rollup alone on each engine
(``behaviour.daily_sql`` over all events, materialised and counted).

Runs alternate engine by engine so that both see the same machine load (other jobs may share
it): the load average (1 min) at the start of each run is printed next to it. Peak memory: the
max RSS of the Python process; on Spark the JVM (driver and, in local mode, executors) and its
Python workers are separate processes, so their peak is reported too (the JVM's ``VmHWM``, and
the peak of the sum of RSS over all child processes, sampled every 0.2 s).

Spark steps are lazy (a step only plans its table; the work runs when the table is collected),
so with ``--eager`` one extra Spark run counts each table as it is made, for per-step timings
(what each stage costs, not the shipped path's time). CPU seconds (this process, the JVM and
the Python workers) are reported next to the wall clock: on a shared machine they say what the
work costs, and they are what the cluster estimate in the README scales.

Usage: ``make bench`` or ``python benchmarks/bench_engines.py [--repeat 3] [--skip-50m]
[--data-50m /tmp/bench13/feat-50m] [--work DIR] [--eager]`` (``--work`` keeps data between
runs). Expect about an hour on two cores: Spark local takes minutes per run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUTOFFS = "monthly:2025-01-01:2025-12-01"
HORIZON = 90
DEFAULT_50M = Path("/tmp/bench13/feat-50m")


def _descendants(root: int) -> list[int]:
    """Process ids below ``root`` (children, grandchildren ...), from ``/proc``."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    """CPU time of ``pid`` and its reaped children (user + system), in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    except (OSError, IndexError, ValueError):
        return 0


def _is_java(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip() == "java"
    except OSError:
        return False


class _ChildMemory:
    """Samples the summed RSS of this process's descendants (the JVM, Spark's Python workers)."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self.jvm_peak_kb = 0
        self.cpu_ticks: dict[int, int] = {}  # last seen, per descendant
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            pids = _descendants(os.getpid())
            for pid in pids:
                self.cpu_ticks[pid] = max(self.cpu_ticks.get(pid, 0), _cpu_ticks(pid))
            self.peak_kb = max(self.peak_kb, sum(_status_kb(p, "VmRSS") for p in pids))
            for pid in pids:
                if _is_java(pid):  # the high-water mark of the JVM, sampled before it exits
                    self.jvm_peak_kb = max(self.jvm_peak_kb, _status_kb(pid, "VmHWM"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _eager(engine) -> None:
    """Make a SparkEngine compute each table as it is made, so that step timings mean
    something (Spark otherwise runs every stage when the table is collected)."""
    materialise, map_blocks = engine.materialise, engine.map_lead_blocks

    def counted(name, *args, **kwargs):
        (materialise if len(args) == 1 else map_blocks)(name, *args, **kwargs)
        engine._kept[name].count()

    engine.materialise = lambda name, sql: counted(name, sql)
    engine.map_lead_blocks = lambda name, *args, **kwargs: counted(name, *args, **kwargs)


def child(args: argparse.Namespace) -> None:
    """One run in this fresh process; prints a JSON line."""
    import resource

    load = os.getloadavg()[0]
    ticks = os.sysconf("SC_CLK_TCK")
    memory = _ChildMemory()
    began = time.perf_counter()
    engine, session_seconds, result = "duckdb", None, {}
    if args.engine == "spark":
        from leadscore.features.engine import SparkEngine

        engine = SparkEngine(master=args.master)
        session_seconds = time.perf_counter() - began
        result["driver_memory"] = engine.spark.conf.get("spark.driver.memory")
        if args.eager:
            _eager(engine)
    if args.rollup:
        result.update(_rollup(args, engine, memory))
    else:
        from leadscore.features.pipeline import build_training_table

        steps: dict[str, float] = {}
        clock = [time.perf_counter()]

        def on_step(name: str) -> None:
            now = time.perf_counter()
            steps.setdefault(name, now - clock[0])
            clock[0] = now

        start, cpu = time.perf_counter(), _cpu_seconds(memory)
        table = build_training_table(
            args.data, CUTOFFS, HORIZON, interim_dir=args.interim, cache=False,
            engine=engine, on_step=on_step,
        )  # fmt: skip
        result["seconds"] = time.perf_counter() - start
        time.sleep(0.5)  # one more sample of the descendants' CPU time
        result["build_cpu_s"] = _cpu_seconds(memory) - cpu
        result["staging"] = steps.get("validated and staged the data", 0.0)
        result["rows"], result["columns"] = table.frame.shape
        result["timings"] = {k: round(v, 2) for k, v in table.timings.items()}
        if args.save:
            table.frame.to_parquet(args.save)
    if args.engine == "spark":
        engine.close()
        engine.spark.stop()
    memory.stop()
    result.update(
        session=session_seconds,
        total=time.perf_counter() - began,
        load=load,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        children_peak_mb=memory.peak_kb / 1024,
        jvm_peak_mb=memory.jvm_peak_kb / 1024,
        # CPU seconds used (this process; the JVM and Python workers): on a shared machine,
        # the work done, whatever the wall clock
        cpu_s=sum(
            getattr(resource.getrusage(resource.RUSAGE_SELF), f) for f in ("ru_utime", "ru_stime")
        ),
        children_cpu_s=sum(memory.cpu_ticks.values()) / ticks,
    )
    print(json.dumps(result))


def _cpu_seconds(memory: _ChildMemory) -> float:
    """CPU seconds used so far by this process and (as last sampled) its descendants."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + sum(memory.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")


def _rollup(args: argparse.Namespace, engine, memory: _ChildMemory) -> dict:
    """The daily rollup of every event (no per-part cache), materialised and counted."""
    import pandas as pd

    from leadscore.dataset import stage_dataset
    from leadscore.features import behaviour
    from leadscore.features.engine import make_engine
    from leadscore.features.pipeline import _key_tables
    from leadscore.features.settings import load_settings

    staged = stage_dataset(args.data, interim_dir=Path(args.interim))
    settings = load_settings(None)
    runner = make_engine(engine, temp_dir=Path(args.interim) / "duckdb-tmp")
    keys = _key_tables(staged)["leads"][["lead_idx", "lead_id"]]
    runner.register("keys", keys)
    runner.register_parquet("events", staged.paths["events"])
    last_day = (pd.Timestamp(CUTOFFS.rsplit(":", 1)[1]) - pd.Timestamp("1970-01-01")).days
    start, cpu = time.perf_counter(), _cpu_seconds(memory)
    runner.materialise("daily", behaviour.daily_sql("events", "keys", last_day, settings))
    rows = runner.arrow("SELECT count(*) AS n FROM daily").column("n")[0].as_py()
    seconds = time.perf_counter() - start
    time.sleep(0.5)  # one more sample of the descendants' CPU time
    rollup_cpu = _cpu_seconds(memory) - cpu
    events = runner.arrow("SELECT count(*) AS n FROM events").column("n")[0].as_py()
    if runner is not engine:
        runner.close()
    return {"seconds": seconds, "rollup_cpu_s": rollup_cpu, "rollup_rows": rows, "events": events}


def _run(engine: str, data: Path, interim: Path, master: str, **flags) -> dict:
    command = [sys.executable, __file__, "--child", engine, str(data), str(interim), master]
    command += [f"--{k}" if v is True else f"--{k}={v}" for k, v in flags.items() if v]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _compare(duck: Path, spark: Path) -> str:
    """Whether the two saved tables are equal: same columns, non-floats exactly, floats to 1e-6."""
    import numpy as np
    import pandas as pd

    left, right = pd.read_parquet(duck), pd.read_parquet(spark)
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return f"DIFFERENT shapes/columns: {left.shape} vs {right.shape}"
    order = ["cutoff", "lead_id"]
    left = left.sort_values(order, ignore_index=True)
    right = right.sort_values(order, ignore_index=True)
    worst, bad = 0.0, []
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_float_dtype(a):
            x, y = a.to_numpy(np.float64), b.to_numpy(np.float64)
            if not np.array_equal(np.isnan(x), np.isnan(y)):
                bad.append(column)
                continue
            gap = np.abs(x - y)[~np.isnan(x)]
            worst = max(worst, float(gap.max()) if gap.size else 0.0)
            if not np.all(gap <= 1e-6 * np.maximum(1.0, np.abs(x[~np.isnan(x)]))):
                bad.append(column)
        elif not a.astype(object).equals(b.astype(object)):
            bad.append(column)
    verdict = "EQUAL" if not bad else f"DIFFERENT in {len(bad)} columns: {bad[:8]}"
    return (
        f"{verdict} ({left.shape[0]:,} rows x {left.shape[1]} columns, max |float gap| {worst:.1e})"
    )


def _summary(name: str, engine: str, mode: str, runs: list[dict]) -> str:
    median = statistics.median(r["seconds"] for r in runs)
    seconds = [round(r["seconds"], 1) for r in runs]
    loads = [round(r["load"], 1) for r in runs]
    session = [r["session"] for r in runs if r.get("session") is not None]
    start = f"{statistics.median(session):6.1f}" if session else "     -"
    jvm = max(r["jvm_peak_mb"] for r in runs)
    kids = max(r["children_peak_mb"] for r in runs)
    used = [r.get("build_cpu_s", r.get("rollup_cpu_s")) for r in runs]
    cpu = statistics.median([u for u in used if u is not None] or [float("nan")])
    return (
        f"{name:<4} {engine:<6} {mode:<6} {runs[0].get('rows', runs[0].get('rollup_rows', 0)):>9,}"
        f" {median:8.1f} {cpu:7.1f} {start} {max(r['peak_mb'] for r in runs):8.0f}"
        f" {jvm if jvm else float('nan'):8.0f} {kids if kids else float('nan'):8.0f}"
        f"  n={len(runs)} {seconds} load {loads}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs per engine on 10 M events.")
    parser.add_argument("--repeat-50m", type=int, default=3, help="DuckDB runs on 50 M events.")
    parser.add_argument("--repeat-spark-50m", type=int, default=1, help="Spark runs on 50 M.")
    parser.add_argument("--skip-50m", action="store_true")
    parser.add_argument(
        "--eager", action="store_true", help="One more Spark run on 10 M: per-step timings."
    )
    parser.add_argument("--data-50m", type=Path, default=None)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path, default=None, help="Keep data here (reused).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        _benchmark(args, work)


def _benchmark(args: argparse.Namespace, work: Path) -> None:
    from leadscore.synthetic import generate

    datasets = [("10M", work / "10M", 115_000, 1.0, args.repeat, args.repeat)]
    if not args.skip_50m:
        data = args.data_50m or (DEFAULT_50M if DEFAULT_50M.is_dir() else work / "50M")
        datasets.append(("50M", data, int(115_000 * 50 / 10 / 3.8), 6.0, args.repeat_50m,
                         args.repeat_spark_50m))  # fmt: skip
    results = []
    for name, data, leads, activity, n_duck, n_spark in datasets:
        if not (data / "events.parquet").exists() and not (data / "events").is_dir():
            generate(data, n_leads=leads, seed=42, activity=activity)
        interim = work / f"interim-{name}"
        cold = _run("duckdb", data, interim, args.master)
        print(f"{name}: staged in {cold['staging']:.1f} s (cold run {cold['seconds']:.1f} s)")
        results.append((name, "duckdb", "cold", [cold]))
        duck, spark = [], []
        first = name == "10M"
        for i in range(max(n_duck, n_spark)):
            save = first and i == 0
            if i < n_duck:
                duck.append(_run("duckdb", data, interim, args.master,
                                 save=work / "duckdb.parquet" if save else None))  # fmt: skip
                print(f"  {name} duckdb warm {duck[-1]['seconds']:.1f} s", flush=True)
            if i < n_spark:
                spark.append(_run("spark", data, interim, args.master,
                                  save=work / "spark.parquet" if save else None))  # fmt: skip
                print(f"  {name} spark  warm {spark[-1]['seconds']:.1f} s", flush=True)
        results += [
            (name, e, "warm", runs) for e, runs in (("duckdb", duck), ("spark", spark)) if runs
        ]
        if first and duck and spark:
            print("  10M tables:", _compare(work / "duckdb.parquet", work / "spark.parquet"))
            if args.eager:
                eager = _run("spark", data, interim, args.master, eager=True)
                results.append((name, "spark", "eager", [eager]))
            for engine in ("duckdb", "spark"):
                results.append((name, engine, "rollup", [_run(engine, data, interim, args.master,
                                                              rollup=True)]))  # fmt: skip
                print(f"  {name} {engine} rollup of {results[-1][3][0]['events']:,} events: "
                      f"{results[-1][3][0]['seconds']:.1f} s", flush=True)  # fmt: skip
    print(f"\n12 monthly cutoffs, 90-day horizon; Spark master {args.master}; fresh process each")
    print(
        f"{'data':<4} {'engine':<6} {'mode':<6} {'rows':>9} {'median s':>8} {'CPU s':>7}"
        f" {'start':>6} {'py MB':>8} {'JVM MB':>8} {'kids MB':>8}  runs"
    )
    for name, engine, mode, runs in results:
        print(_summary(name, engine, mode, runs))
    print("\nwhere the time goes (first run of each kind, seconds; Spark warm = lazy steps):")
    for name, engine, mode, runs in results:
        if mode in ("warm", "eager", "cold"):
            steps = ", ".join(f"{k}: {v:.1f}" for k, v in runs[0]["timings"].items())
            print(f"  {name} {engine} {mode}: {steps}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        parser = argparse.ArgumentParser()
        parser.add_argument("engine")
        parser.add_argument("data")
        parser.add_argument("interim")
        parser.add_argument("master")
        parser.add_argument("--save", default=None)
        parser.add_argument("--eager", action="store_true")
        parser.add_argument("--rollup", action="store_true")
        child(parser.parse_args(sys.argv[2:]))
    else:
        main()
