"""How fast is `codealign review` next to plain bandit, on a real third-party tree?

Reviews one installed package (default: `trl`; `--tree PATH` for another folder) three ways in the same run,
each through its command line in a fresh subprocess (start-up included, as a user or pre-commit sees it):

    codealign review --jobs 1 --format json TREE
    codealign review --jobs 2 --format json TREE
    bandit -r -q TREE                 (the venv's bandit)

and prints files, wall seconds, files/s and CPU seconds for each, and codealign's times as ratios of
bandit's (CPU seconds include worker processes and hardly depend on the machine's load; wall seconds do).
Targets: --jobs 1 within 1.5x of bandit (codealign runs bandit's checks *and* its own libcst rules),
--jobs 2 faster than bandit. `--repeat N` keeps each tool's best of N runs, the tools taking turns. It also
times both tools on one small file (start-up; target for codealign: under 0.5 s).

Each command runs once untimed first, with bytecode writing allowed even where PYTHONDONTWRITEBYTECODE is
set: an installed package has its .pyc files, and compiling codealign's sources on every run is no part of
what a user waits for.

    .venv/bin/python bench/review_speed.py [--tree PATH] [--repeat N] [--json OUT]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# bandit's default --exclude, so that the file count below is the set bandit scans
BANDIT_EXCLUDES = (".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".eggs", "*.egg")


def default_tree() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("trl")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("trl is not installed: pass --tree PATH")
    return Path(list(spec.submodule_search_locations)[0])


def bandit_file_count(tree: Path) -> int:
    count = 0
    for folder, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in BANDIT_EXCLUDES)]
        count += sum(1 for name in filenames if name.endswith(".py"))
    return count


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_together(commands: list[list[str]], repeat: int) -> list[tuple[float, float, subprocess.CompletedProcess]]:
    """For each command, best wall seconds and best CPU seconds (user + system, worker processes included)
    of `repeat` runs, after one untimed run. The commands take turns (a, b, c, a, b, c), so that a change in
    what else the machine runs does not favour the ones that happened to run first. CPU time depends less
    on that than wall time, though not at all only on an idle machine."""
    for command in commands:
        subprocess.run(command, capture_output=True, text=True, env=ENV)
    best = [[float("inf"), float("inf"), None] for _ in commands]
    for _ in range(repeat):
        for index, command in enumerate(commands):
            cpu = _children_cpu()
            started = time.perf_counter()
            proc = subprocess.run(command, capture_output=True, text=True, env=ENV)
            best[index][0] = min(best[index][0], time.perf_counter() - started)
            best[index][1] = min(best[index][1], _children_cpu() - cpu)
            best[index][2] = proc
    return [tuple(entry) for entry in best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=None, help="folder to review (default: the installed trl)")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per tool (default 1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    tree = (args.tree or default_tree()).resolve()
    if not tree.is_dir():
        raise SystemExit(f"{tree}: not a folder")

    codealign = str(BIN / "codealign")
    bandit = str(BIN / "bandit")
    rows = []
    tools = (
        ("bandit -r -q", [bandit, "-r", "-q", str(tree)]),
        ("codealign --jobs 1", [codealign, "review", "--no-config", "--jobs", "1", "--format", "json", str(tree)]),
        ("codealign --jobs 2", [codealign, "review", "--no-config", "--jobs", "2", "--format", "json", str(tree)]),
    )
    timings = timed_together([command for _, command in tools], args.repeat)
    for (label, _), (seconds, cpu, proc) in zip(tools, timings):
        if label.startswith("bandit"):
            if proc.returncode not in (0, 1):
                raise SystemExit(f"bandit failed ({proc.returncode}): {proc.stderr[-2000:]}")
            files, findings = bandit_file_count(tree), None
        else:
            if proc.returncode not in (0, 1, 2):
                raise SystemExit(f"codealign failed ({proc.returncode}): {proc.stderr[-2000:]}")
            report = json.loads(proc.stdout)
            files, findings = report["stats"]["files_reviewed"], report["stats"]["findings"]
        rows.append({"tool": label, "files": files, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                     "files_per_second": round(files / seconds, 1), "findings": findings})

    base, base_cpu = rows[0]["seconds"], rows[0]["cpu_seconds"]
    for row in rows:
        row["vs_bandit"] = round(row["seconds"] / base, 2)
        row["cpu_vs_bandit"] = round(row["cpu_seconds"] / base_cpu, 2)
    with tempfile.TemporaryDirectory() as folder:
        one = Path(folder) / "one.py"
        one.write_text("import os\n\nos.remove('build/report.txt')\n", encoding="utf-8")
        pair = timed_together([[bandit, "-q", str(one)], [codealign, "review", "--no-config", str(one)]], max(args.repeat, 3))
        startup = {"bandit": pair[0][0], "codealign": pair[1][0]}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"tree: {tree}  (cpus: {os.cpu_count()}, load average {load:.1f}, best of {args.repeat})")
    print(f"{'tool':20} {'files':>6} {'wall s':>8} {'files/s':>8} {'x bandit':>9} {'cpu s':>8} {'x bandit':>9} "
          f"{'findings':>9}")
    for row in rows:
        findings = "-" if row["findings"] is None else str(row["findings"])
        print(f"{row['tool']:20} {row['files']:>6} {row['seconds']:>8.2f} {row['files_per_second']:>8.1f} "
              f"{row['vs_bandit']:>8.2f}x {row['cpu_seconds']:>8.2f} {row['cpu_vs_bandit']:>8.2f}x {findings:>9}")
    print(f"one file (start-up): bandit {startup['bandit']:.2f} s, codealign review {startup['codealign']:.2f} s")
    single, double = rows[1]["vs_bandit"], rows[2]["vs_bandit"]
    print(f"target --jobs 1 <= 1.5x bandit: {'met' if single <= 1.5 else 'MISSED'} ({single:.2f}x)")
    print(f"target --jobs 2 < 1.0x bandit:  {'met' if double < 1.0 else 'MISSED'} ({double:.2f}x)")
    print(f"target start-up < 0.5 s:        {'met' if startup['codealign'] < 0.5 else 'MISSED'} ({startup['codealign']:.2f} s)")
    if args.json:
        figures = {"tree": str(tree), "rows": rows, "startup_seconds": {k: round(v, 3) for k, v in startup.items()}}
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
