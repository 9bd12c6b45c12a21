"""`codealign data build`: Constitutional AI's respond → critique → revise loop, producing SFT and preference data.

For each training prompt the policy model samples k responses (batched). Each is judged by
`scoring.judge` (static analyzers on its code blocks + response-level checks) and gets a critique citing
the violated principles and concrete findings. The chosen response is a revision: a curated demonstration for
the prompt's topic and language (RLHF stage one's human demonstrations), or, for a sample that fails, with
`--reviser`, a stronger model prompted with the principles and the critique. The best sample is chosen
instead only when it passes and no revision does (a topic without demonstrations). Every revision is
re-judged before it is accepted. Training prompts left unsampled by `--limit` still get
their demonstration as an SFT target (and, for borderline/benign ones, a pair against a needless refusal):
that costs no generation. Outputs are Hugging Face datasets (JSONL + card).

Generation is the only expensive step; it is logged unit by unit (one prompt = one unit) in an append-only
log, so a killed build resumes where it stopped without duplicating anything, and outputs are rewritten
atomically from the log at the end of every run (idempotent).
"""

from __future__ import annotations

import hashlib
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CodealignError
from .jsonl import AppendLog, read_jsonl, write_jsonl_atomic
from .responses import PROMPT_CATEGORIES, analyze_response, detect_language

PROMPT_FIELDS = ("id", "prompt", "category", "lang")
CATEGORIES = PROMPT_CATEGORIES  # harmful, antipattern, borderline, benign: defined once, in responses
# A chosen response must beat its rejected partner by this much (reward units) to make a pair.
PAIR_MARGIN = 0.2
# Share of prompt seeds whose pairs are held out to measure the reward model (by hash, stable).
HELDOUT_SHARE = 0.1


def project_datasets_dir() -> Path:
    """The `datasets/` folder of the checkout (its data is not part of the wheel)."""
    return Path(__file__).resolve().parent.parent / "datasets"


def stable_fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def load_prompts(path: str | Path, split: str | None = "train") -> list[dict]:
    """Prompt records from a JSONL file or a dataset folder (`<dir>/<split>.jsonl`)."""
    path = Path(path)
    if path.is_dir():
        path = path / f"{split}.jsonl"
    if not path.exists():
        raise CodealignError(f"no prompt file {path}")
    records = read_jsonl(path, required=PROMPT_FIELDS)
    for number, record in enumerate(records, start=1):
        if record["category"] not in CATEGORIES:
            raise CodealignError(
                f"{path}: record {record.get('id', number)}: category must be one of {', '.join(CATEGORIES)}"
            )
    return records


def load_demonstrations(path: str | Path) -> dict[tuple[str, str], list[dict]]:
    """Curated demonstrations by (topic, lang)."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    table: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for file in files:
        for record in read_jsonl(file, required=("id", "topic", "lang", "response")):
            table[(record["topic"], record["lang"])].append(record)
    return table


@dataclass
class BuildOptions:
    model: str | None = None
    prompts: Path = field(default_factory=lambda: project_datasets_dir() / "prompts")
    demonstrations: Path = field(default_factory=lambda: project_datasets_dir() / "demonstrations")
    needless_refusals: Path = field(default_factory=lambda: project_datasets_dir() / "negatives" / "needless_refusals.jsonl")
    out: Path = field(default_factory=project_datasets_dir)
    samples: int = 2
    limit: int | None = None
    max_new_tokens: int = 192
    batch_size: int = 8
    temperature: float = 0.8
    seed: int = 0
    reviser: str | None = None
    # Training prompts that `limit` leaves unsampled: "demonstrations" turns each one's curated demonstration into
    # an SFT target (and, for borderline/benign prompts, the chosen side of a pair against a needless refusal);
    # "skip" leaves them out. Demonstrations cost no generation, so a quick build still covers every prompt.
    unsampled: str = "demonstrations"
    progress: bool = True


def _judge(record: dict, response: str):
    from .scoring import judge  # noqa: PLC0415

    return judge(record["prompt"], response, record["category"], lang=record.get("lang"))


def acceptable(judgement) -> bool:
    """A response may be a training target only if nothing at medium or above was found in it."""
    from .findings import severity_at_least  # noqa: PLC0415

    return not any(severity_at_least(f.severity, "medium") for f in judgement.findings)


def _judgement_summary(judgement) -> dict:
    return {
        "score": round(float(judgement.score), 4),
        "components": {k: round(float(v), 4) for k, v in judgement.components.items()},
        "refusal": judgement.refusal,
        "rules": sorted({f.rule for f in judgement.findings}),
    }


def _model_tag(model: str | None) -> str:
    if model in (None, "embedded", "smollm2"):
        return "embedded"  # however it is named, so `--model embedded` reuses the shipped samples log
    folder = Path(model).resolve()
    return f"{folder.name}-{hashlib.sha256(str(folder).encode()).hexdigest()[:8]}"


def samples_log_name(options: "BuildOptions") -> str:
    """Samples of one model and sampling setting share a log; any change starts another (never mixes them)."""
    return (f"samples-{_model_tag(options.model)}-k{options.samples}-t{options.max_new_tokens}"
            f"-T{options.temperature:g}-s{options.seed}.jsonl")


def generate_samples(records: list[dict], options: BuildOptions, log: AppendLog) -> None:
    """Sample `options.samples` responses per prompt, skipping the prompts already in the log."""
    todo = [r for r in records if r["id"] not in log.keys()]
    if not todo:
        return
    from .models import generate, load_model  # noqa: PLC0415

    model, tokenizer = load_model(options.model)
    print(f"codealign: sampling {len(todo)} prompts x {options.samples} ({len(records) - len(todo)} already done)",
          file=sys.stderr)
    chunk = max(1, options.batch_size)
    for start in range(0, len(todo), chunk):
        batch = todo[start:start + chunk]
        seed = options.seed + int(stable_fraction(batch[0]["id"]) * 1_000_000)
        started = time.perf_counter()
        outputs = generate(
            model, tokenizer, [r["prompt"] for r in batch],
            max_new_tokens=options.max_new_tokens, batch_size=options.batch_size,
            temperature=options.temperature, num_return_sequences=options.samples, seed=seed,
            progress=False,
        )
        seconds = time.perf_counter() - started
        log.append(
            {"key": r["id"], "responses": responses, "model": options.model or "embedded", "seed": seed,
             "temperature": options.temperature, "max_new_tokens": options.max_new_tokens}
            for r, responses in zip(batch, outputs)
        )
        if options.progress:
            done = len(records) - len(todo) + start + len(batch)  # of this build's prompts, not the whole log
            print(f"codealign: sampled {done}/{len(records)} prompts ({seconds:.1f}s for the last batch)",
                  file=sys.stderr)


class Reviser:
    """Revision candidates for a prompt, best first: a stronger model's rewrite of a failing draft given its
    critique (with `--reviser`), then the curated demonstrations of the prompt's topic and language. `build_records`
    takes the first the judge accepts (`revision_rejected` counts the others it tried), also when the policy's own
    sample passed."""

    def __init__(self, options: BuildOptions) -> None:
        self.demonstrations = load_demonstrations(options.demonstrations) if Path(options.demonstrations).exists() else {}
        self.reviser_spec = options.reviser
        self.max_new_tokens = options.max_new_tokens
        self._model = None

    def candidates(self, record: dict, response: str | None, critique: str) -> list[tuple[str, str]]:
        """(source, text) revision candidates in order of preference; without a draft, demonstrations only."""
        found = []
        if self.reviser_spec and response is not None:
            found.append((f"reviser:{self.reviser_spec}", self._revise_with_model(record, response, critique)))
        pool = self.demonstrations.get((record.get("topic"), record["lang"]), [])
        if pool:
            start = int(stable_fraction(record["id"]) * len(pool))
            found += [(f"demonstration:{d['id']}", d["response"]) for d in pool[start:] + pool[:start]]
        return found

    def _revise_with_model(self, record: dict, response: str, critique: str) -> str:
        from .models import generate, load_model  # noqa: PLC0415
        from .rulebook import load_constitution  # noqa: PLC0415

        if self._model is None:
            self._model = load_model(self.reviser_spec)
        lang = record["lang"]
        principles = "\n".join(f"- {p.text(lang)}" for p in load_constitution().values())
        request = (
            f"Principles:\n{principles}\n\nUser request:\n{record['prompt']}\n\nDraft response:\n{response}\n\n"
            f"Critique:\n{critique}\n\nRewrite the draft so that it follows every principle. "
            "Reply with the revised response only."
        )
        model, tokenizer = self._model
        return generate(model, tokenizer, [request], max_new_tokens=self.max_new_tokens * 2, progress=False)[0][0]


def _needless_refusals(path: Path) -> dict[str, list[str]]:
    table: dict[str, list[str]] = defaultdict(list)
    if path.exists():
        for record in read_jsonl(path, required=("lang", "response")):
            table[record["lang"]].append(record["response"])
    return table


def build_records(records: list[dict], samples: dict[str, dict], options: BuildOptions):
    """Judge, critique and revise; return (sft, preferences, stats). Pure given the samples."""
    reviser = Reviser(options)
    refusals = _needless_refusals(Path(options.needless_refusals))
    sft, preferences = [], []
    stats = Counter()
    chosen_scores, rejected_scores = [], []
    for record in records:
        unit = samples.get(record["id"])
        if unit is None and options.unsampled != "demonstrations":
            continue
        provenance = {
            "prompt_id": record["id"], "seed_id": record.get("seed_id", record["id"]),
            "topic": record.get("topic"), "model": unit.get("model") if unit else None,
            "seed": unit.get("seed") if unit else None,
        }
        policy = None
        if unit is None:  # no policy sample: its demonstration is the target, a needless refusal the only negative
            stats["unsampled"] += 1
            worst_text, critique, negatives = None, "", []
        else:
            judged = [(text, _judge(record, text)) for text in unit["responses"]]
            judged.sort(key=lambda item: item[1].score, reverse=True)
            best_text, best = judged[0]
            worst_text, worst = judged[-1]
            if acceptable(best):
                policy = (best_text, best, "policy")
            else:
                stats["revised"] += 1
            critique = worst.critique(record["lang"])
            negatives = [(worst_text, worst, "policy", critique)]
        # A curated demonstration is the target whenever one passes; the policy's own accepted sample only where
        # none does (a topic without demonstrations). The judge cannot tell fluent from garbled text with clean
        # code: the embedded model's accepted samples scored as high as its demonstrations, or higher where a
        # demonstration's subprocess call draws a low bandit finding, and read like "create_pycache_shaders_...".
        revision = None
        for candidate_source, text in reviser.candidates(record, None if policy else worst_text, critique):
            verdict = _judge(record, text)
            if acceptable(verdict):
                revision = (text, verdict, candidate_source)
                break
            stats["revision_rejected"] += 1
        if policy and revision:
            stats["demonstration_preferred"] += 1
        chosen_text, chosen, source = revision or policy or (None, None, None)
        if chosen is None:
            stats["no_acceptable_response"] += 1
            continue
        split = "test" if stable_fraction(provenance["seed_id"]) < HELDOUT_SHARE else "train"
        sft.append({
            "messages": [{"role": "user", "content": record["prompt"]},
                         {"role": "assistant", "content": chosen_text}],
            "category": record["category"], "lang": record["lang"], "source": source, **provenance,
        })
        if record["category"] in ("borderline", "benign") and refusals.get(record["lang"]):
            pool = refusals[record["lang"]]
            text = pool[int(stable_fraction(record["id"] + "refusal") * len(pool))]
            verdict = _judge(record, text)
            negatives.append((text, verdict, "needless-refusal", verdict.critique(record["lang"])))
        for text, verdict, negative_source, negative_critique in negatives:
            if text == chosen_text or chosen.score - verdict.score < PAIR_MARGIN:
                continue
            preferences.append({
                "prompt": [{"role": "user", "content": record["prompt"]}],
                "chosen": [{"role": "assistant", "content": chosen_text}],
                "rejected": [{"role": "assistant", "content": text}],
                "chosen_score": round(float(chosen.score), 4),
                "rejected_score": round(float(verdict.score), 4),
                "chosen_analysis": _judgement_summary(chosen),
                "rejected_analysis": _judgement_summary(verdict),
                "critique": negative_critique,
                "chosen_source": source, "rejected_source": negative_source,
                "category": record["category"], "lang": record["lang"], "split": split, **provenance,
            })
            chosen_scores.append(chosen.score)
            rejected_scores.append(verdict.score)
            stats[f"pairs/{record['category']}/{record['lang']}"] += 1
        stats[f"sft/{record['category']}/{record['lang']}"] += 1
        stats[f"chosen_source/{source.split(':')[0]}"] += 1
    summary = dict(sorted(stats.items()))
    summary["pairs"] = len(preferences)
    summary["sft"] = len(sft)
    summary["mean_chosen_score"] = round(statistics.fmean(chosen_scores), 4) if chosen_scores else None
    summary["mean_rejected_score"] = round(statistics.fmean(rejected_scores), 4) if rejected_scores else None
    return sft, preferences, summary


DATASET_CARD = """---
configs:
- config_name: default
  data_files:
{files}
---
# {title}

{description}

Built by `codealign data build` (model: {model}, {samples} samples per prompt, temperature {temperature},
max {max_new_tokens} new tokens, seed {seed}) from `datasets/prompts` (train split only: the test split is never
used for training). Each record keeps its provenance (prompt id, seed id, topic, model, generation seed, and for
preferences the rule codes found in both responses).

## Statistics
```
{stats}
```
"""


def write_outputs(out: Path, sft: list[dict], preferences: list[dict], summary: dict, options: BuildOptions) -> None:
    import json  # noqa: PLC0415

    stats = json.dumps(summary, indent=2, ensure_ascii=False)
    common = dict(model=options.model or "embedded SmolLM2-135M-Instruct", samples=options.samples,
                  temperature=options.temperature, max_new_tokens=options.max_new_tokens, seed=options.seed,
                  stats=stats)
    write_jsonl_atomic(out / "sft" / "train.jsonl", sft)
    (out / "sft" / "README.md").write_text(DATASET_CARD.format(
        title="codealign SFT set",
        description="Prompt → accepted response, as conversational `messages` (TRL's SFT format). The response is "
                    "a re-checked revision (curated demonstration or reviser model), or the policy's own best "
                    "sample where no revision passes and the analyzers found nothing at medium or above in it.",
        files="  - split: train\n    path: train.jsonl", **common), encoding="utf-8")
    write_jsonl_atomic(out / "preferences" / "train.jsonl", [p for p in preferences if p["split"] == "train"])
    write_jsonl_atomic(out / "preferences" / "test.jsonl", [p for p in preferences if p["split"] == "test"])
    (out / "preferences" / "README.md").write_text(DATASET_CARD.format(
        title="codealign preference set",
        description="`prompt`, `chosen`, `rejected` in TRL's conversational preference format, plus the analyzer "
                    "scores of both sides and the critique of the rejected one. Chosen = accepted revision or "
                    "best-scored sample; rejected = worst-scored sample, and for borderline/benign prompts a "
                    "needless refusal too (this keeps over-refusal down). Pairs of 10% of the prompt seeds (by a "
                    "stable hash) form the held-out `test` split used to measure the reward model.",
        files="  - split: train\n    path: train.jsonl\n  - split: test\n    path: test.jsonl", **common),
        encoding="utf-8")
    (out / "build-stats.json").write_text(stats + "\n", encoding="utf-8")


def build(options: BuildOptions) -> dict:
    records = load_prompts(options.prompts, "train")
    sampled = records
    if options.limit is not None:
        # A deterministic mixed subset (by a stable hash of the id), not the file's first N of one category.
        sampled = sorted(records, key=lambda r: stable_fraction(r["id"]))[: options.limit]
    out = Path(options.out)
    log = AppendLog(out / ".work" / samples_log_name(options))
    generate_samples(sampled, options, log)
    wanted = {r["id"] for r in sampled}
    samples = {unit["key"]: unit for unit in log if unit["key"] in wanted}
    sft, preferences, summary = build_records(records, samples, options)
    write_outputs(out, sft, preferences, summary, options)
    return summary


def holdout(datasets: str | Path, topics: list[str], out: str | Path, per_category: int | None = None) -> dict:
    """A development split for tuning a recipe without the test split: the train-split prompts of `topics`
    become `<out>/dev.jsonl` (a `codealign bench --suite`), and `<out>/{sft,preferences,prompts}` are the
    built sets without those topics (train on them, bench on dev). `per_category` keeps at most N dev prompts
    of each category (a stable pseudo-random choice): generation is the costly part of a development run."""
    datasets, out = Path(datasets), Path(out)
    prompts = load_prompts(datasets / "prompts", "train")
    known = {r["topic"] for r in prompts if "topic" in r}
    unknown = sorted(set(topics) - known)
    if unknown:
        raise CodealignError(f"unknown topic(s) {', '.join(unknown)}: the train split has {', '.join(sorted(known))}")
    held = set(topics)
    dev = [r for r in prompts if r.get("topic") in held]
    if per_category is not None:
        by_category: dict[str, list[dict]] = defaultdict(list)
        for record in sorted(dev, key=lambda r: stable_fraction(r["id"])):
            by_category[record["category"]].append(record)
        chosen = {r["id"] for records in by_category.values() for r in records[:per_category]}
        dev = [r for r in dev if r["id"] in chosen]
    # Read every built set before writing anything: a missing one leaves no half-written split behind.
    sets = {"prompts/train.jsonl": prompts}
    if (datasets / "prompts" / "head.jsonl").exists():  # the decision head's prompt-only topics: never dev topics
        sets["prompts/head.jsonl"] = load_prompts(datasets / "prompts", "head")
    for name in ("sft/train.jsonl", "preferences/train.jsonl", "preferences/test.jsonl"):
        if not (datasets / name).exists():
            raise CodealignError(f"no dataset file {datasets / name}: run `codealign data build` first")
        sets[name] = read_jsonl(datasets / name)
    counts = {"dev prompts": len(dev), **{f"dev {c}": sum(r["category"] == c for r in dev) for c in CATEGORIES}}
    write_jsonl_atomic(out / "dev.jsonl", dev)
    for name, records in sets.items():
        kept = [r for r in records if r.get("topic") not in held]
        write_jsonl_atomic(out / name, kept)
        counts[name] = f"{len(kept)} of {len(records)}"
    return counts


def add_parsers(subparsers) -> None:
    data = subparsers.add_parser("data", help="build the SFT and preference datasets (Constitutional AI loop)")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    parser = data_sub.add_parser("build", help="sample, critique and revise responses to the training prompts")
    parser.add_argument("--model", default=None, help="policy model: a local folder or 'embedded' (default)")
    parser.add_argument("--prompts", type=Path, default=BuildOptions().prompts, help="prompt dataset folder or JSONL")
    parser.add_argument("--demonstrations", type=Path, default=BuildOptions().demonstrations,
                        help="curated demonstrations folder (the default revisions)")
    parser.add_argument("--out", type=Path, default=project_datasets_dir(), help="where sft/ and preferences/ go")
    parser.add_argument("--samples", "-k", type=int, default=2, help="responses sampled per prompt (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="only N training prompts (a stable pseudo-random mix of categories)")
    parser.add_argument("--max-new-tokens", type=int, default=192, help="tokens per sampled response (default 192)")
    parser.add_argument("--batch-size", type=int, default=8, help="generation batch size (default 8)")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default 0.8)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--reviser", default=None, help="a stronger local model that writes the revisions")
    parser.add_argument("--unsampled", choices=("demonstrations", "skip"), default="demonstrations",
                        help="training prompts --limit leaves unsampled: train on their curated demonstrations "
                             "(default; borderline/benign ones also pair it with a needless refusal) or skip them")
    parser.set_defaults(handler=_run_build)
    parser = data_sub.add_parser(
        "holdout", help="a development split: some train topics become a bench suite, the sets lose them")
    parser.add_argument("--topics", required=True, help="comma-separated train-split topics to hold out")
    parser.add_argument("--datasets", type=Path, default=project_datasets_dir(),
                        help="folder with prompts/, sft/ and preferences/ (default: the shipped datasets/)")
    parser.add_argument("--out", type=Path, required=True, help="where dev.jsonl and the reduced sets go")
    parser.add_argument("--per-category", type=int, default=None,
                        help="at most N dev prompts per category (a stable pseudo-random choice)")
    parser.set_defaults(handler=_run_holdout)


def _run_holdout(args) -> int:
    topics = [t.strip() for t in args.topics.split(",") if t.strip()]
    if not topics:
        raise CodealignError("--topics needs at least one topic")
    if args.per_category is not None and args.per_category < 1:
        raise CodealignError("--per-category must be positive")
    for key, value in holdout(args.datasets, topics, args.out, args.per_category).items():
        print(f"{key:40} {value}")
    return 0


def _run_build(args) -> int:
    if args.samples < 1 or args.batch_size < 1 or args.max_new_tokens < 1:
        raise CodealignError("--samples, --batch-size and --max-new-tokens must be positive")
    options = BuildOptions(
        model=args.model, prompts=args.prompts, demonstrations=args.demonstrations, out=args.out,
        samples=args.samples, limit=args.limit, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
        temperature=args.temperature, seed=args.seed, reviser=args.reviser, unsampled=args.unsampled,
    )
    started = time.perf_counter()
    summary = build(options)
    for key, value in summary.items():
        print(f"{key:40} {value}")
    print(f"{'seconds':40} {time.perf_counter() - started:.1f}")
    return 0


# ----------------------------------------------------------------------------------------------- answer budget
# SFT trains on the first N tokens of each answer (`sft.max_completion_length`), and the benchmark reads the first
# 128 generated ones. The demonstrations run to 400-470 tokens (median), so what the model learns is their
# opening, and a code answer's explanation mostly comes after its code. `fit_answer` moves it ahead.
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=\S)|(?<=[。！？；])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass
class _Part:
    """A piece of a Markdown answer: a prose paragraph's sentences, a list item, or a fenced block (verbatim)."""

    kind: str  # "prose" | "item" | "code"
    sentences: list[str]


def _parts(text: str) -> list[_Part]:
    from .markdown import lines_and_blocks  # noqa: PLC0415

    lines, blocks = lines_and_blocks(text)
    fenced: dict[int, int] = {}  # fence line -> last line of the block (1-based, closing fence included)
    for block in blocks:
        fenced[block.start_line - 1] = block.start_line + block.code.count("\n") - (0 if block.closed else 1)
    parts: list[_Part] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            joined = " ".join(line.strip() for line in paragraph)
            parts.append(_Part("prose", [s for s in _SENTENCE_SPLIT.split(joined) if s.strip()]))
            paragraph.clear()

    number = 1
    while number <= len(lines):
        line = lines[number - 1]
        if number in fenced:
            flush()
            end = min(fenced[number], len(lines))
            parts.append(_Part("code", ["\n".join(lines[number - 1:end])]))
            number = end + 1
            continue
        if not line.strip():
            flush()
        elif _LIST_ITEM.match(line) or line.lstrip().startswith("#"):
            flush()
            parts.append(_Part("item", [line.rstrip()]))
        else:
            paragraph.append(line)
        number += 1
    flush()
    return parts


def _join(parts: list[_Part], lang: str) -> str:
    out: list[str] = []
    for part in parts:
        if part.kind == "item" and out and out[-1] and _LIST_ITEM.match(out[-1].rsplit("\n", 1)[-1]):
            out[-1] += "\n" + part.sentences[0]
        else:
            out.append(("" if lang == "zh" else " ").join(part.sentences))
    return "\n\n".join(out) + "\n"


# "Explanation: …" / "说明：…" opens the explanation after the code; moved ahead of it, a sentence loses the label.
_LABEL = re.compile(r"^(?:explanation|how\s+it\s+works|notes?|说明|解释|注意|要点)\s*[:：]\s*(?=\S)",
                    re.IGNORECASE)


def _introduces_code(sentence: str) -> bool:
    return sentence.rstrip().endswith((":", "："))


def _explanation_first(parts: list[_Part], lang: str, fits_lead) -> tuple[str, str] | None:
    """The answer with its explanation before its code: the opening sentences, then the closing explanation
    (sentences and list items after the last code block), in their order, each that still fits the lead budget,
    then the code and every sentence that did not fit. An opening "Here is …:" that introduced the code ends in
    a full stop instead; an "Explanation:" label loses its list when none of it fits, and a "说明：" label in
    front of a moved sentence is dropped. None when the answer has no code, no explanation to move, or an
    opening sentence too long to stay first. Otherwise (the answer, what now stands ahead of its first code block
    with that block)."""
    code = [i for i, p in enumerate(parts) if p.kind == "code"]
    if not code:
        return None
    first, last = code[0], code[-1]
    lead = [(i, s) for i, p in enumerate(parts[:first]) for s in p.sentences]
    if lead and _introduces_code(lead[-1][1]):
        lead[-1] = (lead[-1][0], lead[-1][1].rstrip()[:-1] + ("。" if lang == "zh" else "."))
    tail = [(i, s) for i, p in enumerate(parts) if i > last for s in p.sentences]
    moved: list[tuple[int, str]] = []
    for index, sentence in lead + tail:
        trial = moved + [(index, sentence)]
        if fits_lead(_join(_regroup(parts, _unlabelled(trial, last)), lang)):
            moved = trial  # one that does not fit stays behind; a shorter later one may still fit
    # a label whose list did not come along stays behind with it
    moved = [pick for n, pick in enumerate(moved) if not (pick[0] > last and _introduces_code(pick[1]) and (
        n + 1 == len(moved) or moved[n + 1][0] != pick[0] + 1))]
    if not any(i > last for i, _ in moved) or lead and moved[0] != lead[0]:
        return None  # nothing explains ahead of the code, or the answer would not open with its own opening
    rest = [(i, s) for i, s in lead + tail if (i, s) not in moved]
    ahead = _regroup(parts, _unlabelled(moved, last))
    return (_join(ahead + parts[first:last + 1] + _regroup(parts, rest), lang),
            _join(ahead + [parts[first]], lang))


def _unlabelled(picked: list[tuple[int, str]], last_code: int) -> list[tuple[int, str]]:
    return [(i, _LABEL.sub("", s) if i > last_code else s) for i, s in picked]


def _regroup(parts: list[_Part], picked: list[tuple[int, str]]) -> list[_Part]:
    """`picked` (part index, sentence) pairs as parts again, one per original part, in the order picked."""
    out: list[_Part] = []
    last = None
    for index, sentence in picked:
        if index == last and parts[index].kind == "prose":
            out[-1].sentences.append(sentence)
        else:
            out.append(_Part(parts[index].kind, [sentence]))
        last = index
    return out


def fit_answer(answer: str, category: str, lang: str, count_tokens, budget: int, lead_budget: int) -> str:
    """`answer` reshaped, from its own sentences, so that its first `budget` tokens explain the code they show.

    An answer with code that is longer than `budget` puts up to `lead_budget` tokens of explanation (its opening,
    then the explanation after its code) ahead of the code, which stays verbatim; what does not fit follows the
    code. Where that lead does not explain the code (`analyze_response(...).explained` of the lead and the first
    block), the lead grows by an eighth of `budget` at a time, up to three quarters of it. A Chinese sentence
    costs about twice the tokens of an English one: with the lead fixed at 80 of 160 tokens, the trained part of
    57 of the 181 shipped non-harmful Chinese code answers did not explain its code; with it growing, 24 (14 of
    them show no code in 160 tokens). English: 0 of 183 either way.
    Harmful answers (a refusal, its reason and the alternative come first already), answers that fit and
    answers without code are returned unchanged. Tried on the development split and dropped: cutting harmful
    answers to their shortest complete refusal (the model's refusals then gave fewer reasons and alternatives)."""
    if category == "harmful" or count_tokens(answer) <= budget:
        return answer
    parts, first = _parts(answer), None
    for lead in range(lead_budget, max(lead_budget, budget * 3 // 4) + 1, max(1, budget // 8)):
        fitted = _explanation_first(parts, lang, lambda text, lead=lead: count_tokens(text) <= lead)
        if fitted is None:
            continue
        reshaped, ahead_of_code = fitted
        if analyze_response(ahead_of_code).explained:
            return reshaped
        first = first or reshaped  # the shortest lead, when no lead explains the code
    return first or answer


# A leading apology (before a refusal opener) or assent (before a helping one) that the opener replaces.
_LEADING = {
    ("refuse", "en"): re.compile(r"^(?:i'm\s+sorry|i\s+am\s+sorry|i\s+apologi[sz]e|sorry)\b[,.!]?\s*(?:but\s+)?", re.I),
    ("refuse", "zh"): re.compile(r"^(?:很抱歉|抱歉|对不起)[，,。！!]?\s*"),
    ("comply", "en"): re.compile(r"^(?:sure|certainly|of\s+course|absolutely)\b[,.!]?\s*", re.I),
    ("comply", "zh"): re.compile(r"^(?:好的|当然可以|当然|没问题)[，,。！!]\s*"),
}


def refuses(answer: str) -> bool:
    """True when the response judge calls `answer` a full refusal: the decision `openers` and
    `dpo.same_decision_only` go by."""
    return analyze_response(answer).refusal == "full"


def with_opener(answer: str, openers: dict, lang: str | None = None) -> str:
    """`answer` starting with the opener of its decision: `openers["refuse"][lang]` when it refuses
    (`refuses`), else `openers["comply"][lang]` ("" or a missing one: unchanged).

    Why: greedy decoding takes the likeliest first token. Refusals open with a handful of tokens ("I", "Sorry",
    the first bytes of 我 and 抱歉: 4 tokens for the 320 shipped harmful answers) while helping answers spread over
    57 ("Here" at 14% is the commonest). An SFT model that gives a harmless prompt 30% refusal mass still opens
    with the refusal token, because no single helping token has more. With one opener per decision the first
    token is a two-way choice that greedy decoding takes at even odds (development split, the first 6 answer
    tokens trained for 2 epochs from the SFT model: 31/40 harmful openings refused and 9/81 others, against
    38/40 and 45/81 after 1 epoch without openers, where the model learned to refuse everything).
    A leading apology or assent is replaced (not doubled); after an opener ending in ", " the answer's first
    letter is lowered unless it starts "I" or an acronym."""
    decision = "refuse" if refuses(answer) else "comply"
    lang = lang if lang in ("en", "zh") else detect_language(answer)
    head = (openers.get(decision) or {}).get(lang) or ""
    if not head:
        return answer
    body = _LEADING[(decision, lang)].sub("", answer.lstrip(), count=1)
    if head.endswith(", ") and body[:2].isalpha() and body[0].isupper() and body[1].islower() \
            and not re.match(r"I\b", body):
        body = body[0].lower() + body[1:]
    return head + body


_PROMPT_ID = re.compile(rf"^(?:{'|'.join(CATEGORIES)})-.+-(?:en|zh)-\d{{2}}(\d{{2}})$")


def prompt_form(prompt_id) -> str | None:
    """"seed" for a prompt in its hand-written seed's own wording, "variant" for one a template wrapped
    (roleplay, a fake authorization, a forwarded message ...), None for an id outside the shipped scheme
    `<category>-<topic>-<lang>-<NNVV>` (VV 00 = the seed itself: datasets/prompts/README.md)."""
    match = _PROMPT_ID.match(str(prompt_id or ""))
    if not match:
        return None
    return "seed" if match.group(1) == "00" else "variant"
