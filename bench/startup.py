"""Start-up benchmark: a one-shot `citebot ask` on the shipped corpus beside `python -c pass`.

    .venv/bin/python bench/startup.py                      # this checkout
    .venv/bin/python bench/startup.py --project /tmp/old   # another checkout (e.g. `git archive` of a
                                                           # commit), run with this venv's libraries

Both commands run --runs times (after one warm-up run that builds the index if needed) as fresh
processes; the table shows the median and best wall time of each, and the ratio of `ask` to the bare
interpreter. The question is answered from the saved index, so the figure is what a user waits for:
interpreter start, imports, loading the index, answering and printing. Run on an idle machine;
other load moves both columns, and the ratio less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
QUESTION = "When did Turkey recognize Azerbaijan?"


# As a user's machine runs it: Python keeps the modules' bytecode (some shells and CI images set
# PYTHONDONTWRITEBYTECODE, and then every start compiles every module again: 0.1 s and more).
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def wall_times(command: list[str], cwd: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            command, cwd=cwd, env=ENVIRONMENT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=PROJECT, help="checkout to run (default: this one)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    ask = [sys.executable, "-m", "bot", "ask", QUESTION]
    # the index built once, and the bytecode written
    subprocess.run(ask, cwd=args.project, env=ENVIRONMENT, check=True, capture_output=True)
    rows = {
        "python -c pass": wall_times([sys.executable, "-c", "pass"], args.project, args.runs),
        f"citebot ask {QUESTION}": wall_times(ask, args.project, args.runs),
    }
    reference = statistics.median(rows["python -c pass"])
    print(f"{args.project} ({args.runs} runs each)")
    print(f"{'command':<52}{'median s':>10}{'best s':>10}{'× pass':>9}")
    for name, times in rows.items():
        median = statistics.median(times)
        print(f"{name:<52}{median:>10.3f}{min(times):>10.3f}{median / reference:>9.1f}")


if __name__ == "__main__":
    main()
