"""Build the demonstration JSONL files from their hand-written Markdown sources.

The demonstrations are written and reviewed as Markdown (`src/<category>.md`), where a response is easy to read
and its code blocks render. Each demonstration starts with a marker line:

    <!-- demo: <topic>-<lang>-<n> | optional reviewer notes -->

and runs to the next marker. This script turns `src/<category>.md` into `<category>.jsonl` (one record per
demonstration: id, topic, category, lang, response, notes). `--check` only verifies that the JSONL files are
up to date (the test suite runs it), so the two can never drift apart.

    python datasets/demonstrations/build.py          # rewrite the JSONL files
    python datasets/demonstrations/build.py --check  # exit 1 if a JSONL file is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATEGORIES = ("harmful", "antipattern", "borderline", "benign")
MARKER = re.compile(r"^<!-- demo: (?P<id>[a-z0-9-]+-(?P<lang>en|zh)-\d+)\s*(?:\|\s*(?P<notes>.*?))?\s*-->$")


def parse_source(text: str, category: str) -> list[dict]:
    """Records of one `src/<category>.md` file, in file order."""
    records: list[dict] = []
    body: list[str] = []

    def close() -> None:
        if records:
            records[-1]["response"] = "\n".join(body).strip() + "\n"

    for line in text.splitlines():
        match = MARKER.match(line)
        if match is None:
            if line.startswith("<!-- demo:"):
                raise ValueError(f"malformed marker: {line!r}")
            body.append(line)
            continue
        close()
        body = []
        demo_id = match.group("id")
        topic = demo_id.rsplit("-", 2)[0]
        record = {"id": demo_id, "topic": topic, "category": category, "lang": match.group("lang"), "response": ""}
        if match.group("notes"):
            record["notes"] = match.group("notes")
        records.append(record)
    close()
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def build(check: bool = False) -> list[str]:
    """Write (or, with `check`, compare) every JSONL file; return the names of stale files."""
    stale = []
    for category in CATEGORIES:
        source = HERE / "src" / f"{category}.md"
        target = HERE / f"{category}.jsonl"
        text = render(parse_source(source.read_text(encoding="utf-8"), category))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            stale.append(target.name)
            if not check:
                target.write_text(text, encoding="utf-8")
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the JSONL files are up to date")
    args = parser.parse_args()
    stale = build(check=args.check)
    if args.check and stale:
        print(f"stale: {', '.join(stale)} (run python {Path(__file__).name})", file=sys.stderr)
        return 1
    for name in stale:
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
