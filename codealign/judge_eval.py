"""How accurate are the response judges? Measured against the hand-labelled set `datasets/judge-labels/`.

The judged facts are exactly the ones the benchmark records (`codealign.bench.judge_record`): `refusal`,
`safe_alternative` and `explained` of `codealign.scoring.judge(prompt, response, category, lang)`.

Metrics, overall and per prompt language:

* `refusal`: 3-class accuracy (full / partial / none), plus precision and recall of "refused" (full or partial)
  against "not refused";
* `safe_alternative`: binary accuracy, precision, recall;
* `explained`: the same, over the responses that have code (label not null): without code the judge reports
  False by definition, which would only inflate the score.

    from codealign.judge_eval import load_labels, evaluate_judges
    report = evaluate_judges(load_labels())
    print(render_table(report["metrics"]))
"""

from __future__ import annotations

from pathlib import Path

from .errors import CodealignError
from .jsonl import read_jsonl
from .responses import PROMPT_CATEGORIES

JUDGES = ("refusal", "safe_alternative", "explained")
SCOPES = ("overall", "en", "zh")
REFUSAL_LEVELS = ("full", "partial", "none")
CATEGORIES = PROMPT_CATEGORIES  # harmful, antipattern, borderline, benign: defined once, in responses
LANGS = ("en", "zh")
FIELDS = ("id", "source_model", "prompt", "category", "lang", "response", "refusal", "safe_alternative",
          "explained", "note")


def default_labels_path() -> Path:
    from .data import project_datasets_dir  # noqa: PLC0415

    return project_datasets_dir() / "judge-labels" / "labels.jsonl"


def validate_record(record: dict) -> list[str]:
    """Problems with one labelled record (empty list: valid)."""
    problems = [f"missing {name}" for name in FIELDS if name not in record]
    if problems:
        return problems
    for name in ("id", "source_model", "prompt", "response"):
        if not isinstance(record[name], str) or not record[name].strip():
            problems.append(f"{name} must be a non-empty string")
    if record["category"] not in CATEGORIES:
        problems.append(f"category {record['category']!r}")
    if record["lang"] not in LANGS:
        problems.append(f"lang {record['lang']!r}")
    if record["refusal"] not in REFUSAL_LEVELS:
        problems.append(f"refusal {record['refusal']!r}")
    if not isinstance(record["safe_alternative"], bool):
        problems.append("safe_alternative must be true or false")
    if record["explained"] is not None and not isinstance(record["explained"], bool):
        problems.append("explained must be true, false or null")
    if not isinstance(record["note"], str):
        problems.append("note must be a string")
    return problems


def load_labels(path: str | Path | None = None) -> list[dict]:
    """The labelled records; a malformed record is an error naming its id."""
    records = read_jsonl(path or default_labels_path(), required=FIELDS)
    seen = set()
    for record in records:
        problems = validate_record(record)
        if problems:
            raise CodealignError(f"judge label {record.get('id')!r}: {'; '.join(problems)}")
        if record["id"] in seen:
            raise CodealignError(f"duplicate judge label id {record['id']!r}")
        seen.add(record["id"])
    return records


def predict(record: dict) -> dict:
    """The judges' verdicts on one labelled record, as the benchmark computes them."""
    from .scoring import judge  # noqa: PLC0415

    verdict = judge(record["prompt"], record["response"], record["category"], lang=record["lang"])
    return {"refusal": verdict.refusal, "safe_alternative": bool(verdict.safe_alternative),
            "explained": bool(verdict.explained), "has_code": bool(verdict.has_code)}


def _binary(pairs: list[tuple[bool, bool]]) -> dict:
    tp = sum(1 for gold, pred in pairs if gold and pred)
    fp = sum(1 for gold, pred in pairs if not gold and pred)
    fn = sum(1 for gold, pred in pairs if gold and not pred)
    n = len(pairs)
    return {
        "n": n,
        "positives": tp + fn,
        "accuracy": (n - fp - fn) / n if n else None,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "tp": tp, "fp": fp, "fn": fn,
    }


def metrics(records: list[dict], predictions: list[dict]) -> dict:
    """{judge: {scope: {n, accuracy, precision, recall, ...}}} for judges JUDGES and scopes SCOPES."""
    out: dict = {judge: {} for judge in JUDGES}
    for scope in SCOPES:
        rows = [(r, p) for r, p in zip(records, predictions) if scope == "overall" or r["lang"] == scope]
        refused = _binary([(r["refusal"] != "none", p["refusal"] != "none") for r, p in rows])
        exact = sum(1 for r, p in rows if r["refusal"] == p["refusal"])
        out["refusal"][scope] = {**refused, "accuracy": exact / len(rows) if rows else None,
                                 "binary_accuracy": refused["accuracy"]}
        out["safe_alternative"][scope] = _binary([(r["safe_alternative"], p["safe_alternative"]) for r, p in rows])
        out["explained"][scope] = _binary([(r["explained"], p["explained"]) for r, p in rows
                                           if r["explained"] is not None])
    return out


def disagreements(records: list[dict], predictions: list[dict]) -> list[dict]:
    """One row per (record, judge) where the judge and the label differ."""
    rows = []
    for record, pred in zip(records, predictions):
        for judge in JUDGES:
            gold = record[judge]
            if gold is None:
                continue
            if pred[judge] != gold:
                rows.append({"id": record["id"], "judge": judge, "label": gold, "judged": pred[judge],
                             "lang": record["lang"], "category": record["category"],
                             "source_model": record["source_model"], "note": record["note"]})
    return rows


def evaluate_judges(records: list[dict]) -> dict:
    """{"predictions", "metrics", "disagreements"} for the labelled records."""
    predictions = [predict(record) for record in records]
    return {"predictions": predictions, "metrics": metrics(records, predictions),
            "disagreements": disagreements(records, predictions)}


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def render_table(result: dict) -> str:
    """A Markdown table: judge × scope with accuracy, precision, recall, n."""
    lines = ["| judge | scope | accuracy | precision | recall | n |", "|---|---|---|---|---|---|"]
    names = {"refusal": "refusal (3-class acc.; P/R of refused)", "safe_alternative": "safe_alternative",
             "explained": "explained (responses with code)"}
    for judge in JUDGES:
        for scope in SCOPES:
            m = result[judge][scope]
            lines.append(f"| {names[judge]} | {scope} | {_pct(m['accuracy'])} | {_pct(m['precision'])} "
                         f"| {_pct(m['recall'])} | {m['n']} |")
    return "\n".join(lines)
