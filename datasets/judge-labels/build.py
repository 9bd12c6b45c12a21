"""Assemble the hand-labelled judge set `labels.jsonl` from its hand-written sources in `src/`.

The labels are data written by a person (see README.md for the guideline); this script only joins them with
the texts they label, so the set is reproducible and reviewable:

* `src/embedded-smollm2-135m.txt`: labels for responses sampled from the base embedded SmolLM2 model; the
  response texts come from `datasets/.work/samples-embedded-*.jsonl`, the prompts from
  `datasets/prompts/train.jsonl`.
* `src/human-demonstration.txt`: labels for curated demonstrations (`datasets/demonstrations/*.jsonl`); the
  prompt is the first train prompt of the demonstration's topic and language.
* `src/hand-written{,-holdout,-holdout2,-holdout3}-{en,zh}.md`: responses written by hand in the style of different
  assistants, each preceded by marker lines:

      <!-- item: hw-en-001 | style=terse | category=harmful | refusal=full | alt=y | explained=- -->
      <!-- prompt: test:<id of datasets/prompts/test.jsonl> -->   (or the prompt text itself)
      <!-- note: optional free text -->

  The response runs to the next `item` marker.

    python datasets/judge-labels/build.py          # rewrite labels.jsonl
    python datasets/judge-labels/build.py --check  # exit 1 if labels.jsonl is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parent
TARGET = HERE / "labels.jsonl"
SAMPLES_GLOB = "samples-embedded-*.jsonl"
# The sampling run the labels refer to (the log's file name has changed over time; its rows say how they were made).
SAMPLING = {"model": "embedded", "temperature": 0.8, "max_new_tokens": 128}

SOURCE_MODELS = ("embedded-smollm2-135m", "human-demonstration", "hand-written-assistant")
CATEGORIES = ("harmful", "antipattern", "borderline", "benign")
REFUSALS = ("full", "partial", "none")
YES_NO = {"y": True, "n": False}
EXPLAINED = {"y": True, "n": False, "-": None}
ITEM = re.compile(r"^<!-- item: (?P<id>(?:hw|ho|hp|hq)-(?P<lang>en|zh)-\d{3}) \| (?P<fields>.*?) -->$")
# Hand-written sources: (file, prompt language). The held-out batches (ids ho-*, hp-*, hq-*) were written and
# committed before the then-current judges were run on them (see README.md).
HAND_WRITTEN = [(f"hand-written{batch}-{lang}.md", lang)
                for batch in ("", "-holdout", "-holdout2", "-holdout3") for lang in ("en", "zh")]
PROMPT = re.compile(r"^<!-- prompt: (?P<prompt>.*?) -->$")
NOTE = re.compile(r"^<!-- note: (?P<note>.*?) -->$")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _label_lines(path: Path):
    """(key, refusal, safe_alternative, explained, note) of each non-comment line of a label table."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("|", 4)]
        if len(parts) < 4:
            raise ValueError(f"{path.name}:{number}: expected 'key | refusal | alt | explained | note'")
        key, refusal, alt, explained = parts[:4]
        note = parts[4] if len(parts) > 4 else ""
        if refusal not in REFUSALS or alt not in YES_NO or explained not in EXPLAINED:
            raise ValueError(f"{path.name}:{number}: bad label values {parts[1:4]}")
        yield key, refusal, YES_NO[alt], EXPLAINED[explained], note


def _record(id_, source, prompt_id, prompt, category, lang, response, refusal, alt, explained, note, **extra):
    if category not in CATEGORIES:
        raise ValueError(f"{id_}: bad category {category!r}")
    record = {"id": id_, "source_model": source, "prompt_id": prompt_id, "prompt": prompt, "category": category,
              "lang": lang, "response": response, "refusal": refusal, "safe_alternative": alt,
              "explained": explained, "note": note}
    record.update(extra)
    return record


def embedded_records() -> list[dict]:
    prompts = {r["id"]: r for r in _jsonl(DATASETS / "prompts" / "train.jsonl")}
    samples = {}
    for path in sorted((DATASETS / ".work").glob(SAMPLES_GLOB)):
        for row in _jsonl(path):
            if all(row.get(name) == value for name, value in SAMPLING.items()):
                samples.setdefault(row["key"], row["responses"])
    if not samples:
        raise FileNotFoundError(f"no {SAMPLES_GLOB} log with {SAMPLING} under {DATASETS / '.work'}")
    records = []
    for key, refusal, alt, explained, note in _label_lines(HERE / "src" / "embedded-smollm2-135m.txt"):
        prompt_id, _, index = key.partition("#")
        prompt = prompts[prompt_id]
        records.append(_record(
            f"smollm2-{prompt_id}-s{index}", "embedded-smollm2-135m", prompt_id, prompt["prompt"],
            prompt["category"], prompt["lang"], samples[prompt_id][int(index)], refusal, alt, explained, note))
    return records


def demonstration_records() -> list[dict]:
    first_prompt: dict[tuple[str, str], dict] = {}
    for prompt in _jsonl(DATASETS / "prompts" / "train.jsonl"):
        first_prompt.setdefault((prompt["topic"], prompt["lang"]), prompt)
    demos = {}
    for category in CATEGORIES:
        for demo in _jsonl(DATASETS / "demonstrations" / f"{category}.jsonl"):
            demos[demo["id"]] = demo
    records = []
    for key, refusal, alt, explained, note in _label_lines(HERE / "src" / "human-demonstration.txt"):
        demo = demos[key]
        prompt = first_prompt[(demo["topic"], demo["lang"])]
        records.append(_record(
            f"demo-{key}", "human-demonstration", prompt["id"], prompt["prompt"], demo["category"], demo["lang"],
            demo["response"], refusal, alt, explained, note))
    return records


def _fields(text: str, where: str) -> dict[str, str]:
    fields = {}
    for part in text.split("|"):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise ValueError(f"{where}: bad field {part!r}")
        fields[name] = value
    missing = {"style", "category", "refusal", "alt", "explained"} - set(fields)
    if missing:
        raise ValueError(f"{where}: missing {sorted(missing)}")
    return fields


def hand_written_records() -> list[dict]:
    test_prompts = {r["id"]: r for r in _jsonl(DATASETS / "prompts" / "test.jsonl")}
    records = []
    for name, lang in HAND_WRITTEN:
        path = HERE / "src" / name
        current: dict | None = None
        body: list[str] = []

        def close() -> None:
            if current is not None:
                current["response"] = "\n".join(body).strip() + "\n"
                records.append(current)

        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.name}:{number}"
            match = ITEM.match(line)
            if match:
                close()
                body = []
                if match.group("lang") != lang:
                    raise ValueError(f"{where}: item {match.group('id')} in the wrong file")
                fields = _fields(match.group("fields"), where)
                if fields["refusal"] not in REFUSALS or fields["alt"] not in YES_NO \
                        or fields["explained"] not in EXPLAINED:
                    raise ValueError(f"{where}: bad label values")
                current = _record(
                    match.group("id"), "hand-written-assistant", None, None, fields["category"], lang, "",
                    fields["refusal"], YES_NO[fields["alt"]], EXPLAINED[fields["explained"]], "",
                    style=fields["style"])
                continue
            if line.startswith("<!-- item:"):
                raise ValueError(f"{where}: malformed marker {line!r}")
            if current is None:
                continue  # the file's heading
            if current["prompt"] is None and (prompt := PROMPT.match(line)):
                text = prompt.group("prompt")
                if text.startswith("test:"):
                    source = test_prompts[text[5:]]
                    if (source["category"], source["lang"]) != (current["category"], lang):
                        raise ValueError(f"{where}: {text} is {source['category']}/{source['lang']}")
                    current["prompt_id"], current["prompt"] = source["id"], source["prompt"]
                else:
                    current["prompt"] = text
                continue
            if not body and not current["note"] and (note := NOTE.match(line)):
                current["note"] = note.group("note")
                continue
            body.append(line)
        close()
    for record in records:
        if not record["prompt"]:
            raise ValueError(f"{record['id']}: no prompt line")
    return records


def build_records() -> list[dict]:
    records = embedded_records() + demonstration_records() + hand_written_records()
    ids = [r["id"] for r in records]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate ids: {sorted(duplicates)}")
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that labels.jsonl is up to date")
    args = parser.parse_args()
    text = render(build_records())
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if current == text:
        return 0
    if args.check:
        print(f"stale: {TARGET.name} (run python {Path(__file__).name})", file=sys.stderr)
        return 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.name} ({text.count(chr(10))} records)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
