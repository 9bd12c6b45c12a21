"""How many typical responses per second `scoring.judge` handles on one core (target: 500).

A typical response: ~300 words of prose around a 20-line Python block. Every response is distinct (the
code and prose vary with the index), so the per-text caches never hit: this measures cold judging.

    .venv/bin/python bench/reward_speed.py [-n 400] [--profile] [--category benign]

`--profile` prints where the time goes (cProfile, cumulative, grouped by stage).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codealign.scoring import judge  # noqa: E402

PROSE = (
    "This function reads the CSV file at the given path and returns its rows as dictionaries, using the "
    "standard library only. It opens the file with an explicit encoding and newline handling, because the csv "
    "module needs newline='' to read quoted fields that contain line breaks correctly. Each row becomes a "
    "plain dict, so the caller can serialize it, filter it or pass it to other functions without depending "
    "on the reader object. The helper that counts non-empty lines walks the same file once and skips blank "
    "lines; it returns an integer and has no side effects. Both functions take the path as a parameter "
    "instead of reading a global variable, which keeps them easy to test: a test can write a small temporary "
    "file, call the function and compare the result. "
)
OUTRO = (
    "To run it, save the code as rows.py and call read_rows('data.csv') from your own script or from an "
    "interactive session. If the file is large, iterate over the reader instead of building a list, so that "
    "memory use stays constant; the same pattern works for JSON lines. Error handling is left to the caller: "
    "a missing file raises FileNotFoundError, which is usually what you want in a command-line tool, and a "
    "malformed row raises csv.Error with the line number. Version {i} of this answer."
)
CODE = '''```python
import csv
from pathlib import Path


def read_rows(path: str, limit: int = {i}) -> list[dict]:
    """Read up to `limit` rows of a CSV file into a list of dicts."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= limit:
                break
            rows.append(dict(row))
    return rows


def count_lines(path: Path) -> int:
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            total += 1
    return total
```'''


def typical_response(i: int) -> str:
    return f"{PROSE}\n\n{CODE.replace('{i}', str(1000 + i))}\n\n{OUTRO.replace('{i}', str(i))}\n"


def measure(count: int, category: str, first: int = 0) -> float:
    """Responses judged per CPU second, over `count` responses numbered from `first` (not yet judged: a round
    with a new `first` hits no cache)."""
    responses = [typical_response(first + i) for i in range(count)]
    judge("Read a CSV file into dicts.", typical_response(-1), category)  # warm up imports and rule packs
    start = time.process_time()  # CPU time of this process: responses per second per core, even on a busy box
    for text in responses:
        judge("Read a CSV file into dicts.", text, category)
    return count / (time.process_time() - start)


STAGES = {
    "libcst rules (parse + metadata + visitors)": ("checks/__init__.py", "run_code_rules"),
    "libcst parse_module": ("libcst/_parser/entrypoints.py", "parse_module"),
    "bandit": ("codealign/insecure.py", "scan_with_bandit"),
    "ast.parse pre-check": ("codealign/analysis.py", "_check_parses"),
    "markdown extraction": ("codealign/markdown.py", "extract_code_blocks"),
    "response checks": ("codealign/responses.py", "analyze_response"),
    "judge total": ("codealign/scoring.py", "judge"),
}


def profile(count: int, category: str) -> None:
    responses = [typical_response(100_000 + i) for i in range(count)]  # not yet judged: no cache hits
    judge("Read a CSV file into dicts.", typical_response(-1), category)
    profiler = cProfile.Profile()
    profiler.enable()
    for text in responses:
        judge("Read a CSV file into dicts.", text, category)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print("\nwhere the time goes (cumulative seconds, ms per response):")
    for label, (file_part, function) in STAGES.items():
        total = sum(
            value[3] for (file, _line, name), value in stats.stats.items()
            if name == function and file.endswith(file_part)
        )
        print(f"  {label:45s} {total:7.3f} s  {1000 * total / count:6.2f} ms")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=300)
    parser.add_argument("--category", default="benign")
    parser.add_argument("--rounds", type=int, default=5,
                        help="repeat the measurement and report the median (one round swings ±20%%)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    words = len(typical_response(0).split())
    rates = sorted(measure(args.count, args.category, first=10_000 * round_index)
                   for round_index in range(max(1, args.rounds)))
    rate = statistics.median(rates)
    print(f"{rate:.1f} responses/s on one core, median of {len(rates)} rounds ({rates[0]:.0f}-{rates[-1]:.0f}; "
          f"{args.count} distinct responses of ~{words} words with a 20-line Python block; target 500)")
    if args.profile:
        profile(min(args.count, 200), args.category)


if __name__ == "__main__":
    main()
