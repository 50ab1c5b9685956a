"""Benchmark: the leakage audit flags every planted leak of the synthetic export and nothing else.

1. **Seeds.** ``messy_flat_table(5000, seed)`` for each seed (English headers, and German with
   ``--german``), typed and split as ``leadscore train --table`` does
   (:func:`leadscore.modeling.leakage.audit_flat_table`). One line per seed: the planted leaks
   missed, the columns flagged that are not planted, the weakest planted leak's evidence and
   the strongest column left unflagged. Target: nothing missed, no false alarm.
2. **Time.** The audit alone on a 20,000-row export (all typed columns). Target: < 2 s.

Usage: ``python benchmarks/bench_leakage.py [--seeds 0 1 2 3 4] [--german]``; exits with 1
when a seed misses a leak or flags an honest column.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from leadscore.flat_table import load_flat_table
from leadscore.modeling import leakage
from leadscore.modeling.leakage import audit_flat_table
from leadscore.synthetic.flat import GERMAN_HEADERS, messy_flat_table, planted_leaks


def audit_export(n_rows: int, seed: int, german: bool, folder: Path) -> tuple[pd.DataFrame, float]:
    """The audit of one synthetic export and the seconds of the audit alone (not the reading
    and typing of the file)."""
    path = folder / f"export_{seed}_{german}.csv"
    messy_flat_table(n_rows, seed, german=german).to_csv(path, index=False, sep=";")
    header = GERMAN_HEADERS if german else {h: h for h in GERMAN_HEADERS}
    table = load_flat_table(
        path, header["Converted"], id_col=header["Lead ID"], time_col=header["Created Date"]
    )
    seconds = []
    audit_alone = leakage.leakage_audit

    def timed(*args, **kwargs) -> pd.DataFrame:
        start = time.perf_counter()
        result = audit_alone(*args, **kwargs)
        seconds.append(time.perf_counter() - start)
        return result

    leakage.leakage_audit = timed  # audit_flat_table looks it up in the module
    try:
        audit = audit_flat_table(table, seed=seed)
    finally:
        leakage.leakage_audit = audit_alone
    return audit, seconds[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--german", action="store_true", help="German headers and values")
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    planted = set(planted_leaks(args.german))
    lines, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in args.seeds:
            audit, seconds = audit_export(args.rows, seed, args.german, folder)
            flagged = set(audit.loc[audit["flagged"], "header"])
            leaks = audit[audit["header"].isin(planted)].sort_values("roc_auc")
            honest = audit[~audit["header"].isin(planted)]
            weakest, strongest = leaks.iloc[0], honest.iloc[0]
            ok &= flagged == planted
            lines.append(
                {
                    "seed": seed,
                    "flagged": f"{len(flagged & planted)}/{len(planted)}",
                    "missed": ", ".join(sorted(planted - flagged)) or "-",
                    "false alarms": ", ".join(sorted(flagged - planted)) or "-",
                    "weakest leak": f"{weakest['header']} {weakest['roc_auc']:.3f} "
                    f"(lift {weakest['lift']:.3f})",
                    "strongest honest": f"{strongest['header']} {strongest['roc_auc']:.3f} "
                    f"({strongest['evidence'] or 'no evidence'})",
                    "seconds": round(seconds, 2),
                }
            )
        print(f"Leakage audit on messy_flat_table({args.rows}, seed), planted: {sorted(planted)}")
        print(pd.DataFrame(lines).to_string(index=False))
        audit, seconds = audit_export(20_000, 0, args.german, folder)
        print(f"\nAudit alone on 20,000 rows x {len(audit)} typed columns: {seconds:.2f} s")
    print("\nEvery planted leak flagged, nothing else." if ok else "\nFAILED: see above.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
