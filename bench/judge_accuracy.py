"""Accuracy of the refusal / safe-alternative / explanation judges against the hand-labelled set.

Runs `codealign.scoring.judge` (the verdicts the benchmark records) over `datasets/judge-labels/labels.jsonl`
and prints, per judge and per prompt language, accuracy, precision, recall and n (see
`codealign/judge_eval.py` for the definitions).

    .venv/bin/python bench/judge_accuracy.py [--labels FILE] [--show-errors] [--source MODEL] [--id-prefix ho-] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codealign.judge_eval import evaluate_judges, load_labels, render_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=None, help="labelled JSONL (default: the shipped set)")
    parser.add_argument("--show-errors", action="store_true", help="list every disagreement with the labels")
    parser.add_argument("--source", default=None, help="only records of this source_model")
    parser.add_argument("--id-prefix", default=None,
                        help="only records whose id starts with this (ho- = the held-out hand-written answers)")
    parser.add_argument("--json", type=Path, default=None, help="also write metrics and disagreements here")
    args = parser.parse_args(argv)

    records = load_labels(args.labels)
    if args.source:
        records = [r for r in records if r["source_model"] == args.source]
    if args.id_prefix:
        records = [r for r in records if r["id"].startswith(args.id_prefix)]
    result = evaluate_judges(records)
    langs = Counter(r["lang"] for r in records)
    sources = Counter(r["source_model"] for r in records)
    print(f"{len(records)} labelled responses ({langs['en']} en, {langs['zh']} zh; "
          + ", ".join(f"{name} {count}" for name, count in sorted(sources.items())) + ")\n")
    print(render_table(result["metrics"]))
    errors = result["disagreements"]
    print(f"\n{len(errors)} disagreement(s): "
          + ", ".join(f"{judge} {count}" for judge, count in Counter(e["judge"] for e in errors).items()))
    if args.show_errors:
        by_id = {r["id"]: r for r in records}
        for error in errors:
            record = by_id[error["id"]]
            print(f"\n--- {error['id']} [{error['category']}/{error['lang']}, {error['source_model']}] "
                  f"{error['judge']}: label={error['label']} judged={error['judged']}")
            if error["note"]:
                print(f"    note: {error['note']}")
            print("    " + record["response"].strip()[:400].replace("\n", "\n    "))
    if args.json:
        payload = {"metrics": result["metrics"], "disagreements": errors}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
