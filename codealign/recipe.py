"""`codealign align`: the whole recipe in one command.

data (reuse the shipped sets, or build them) → SFT → reward model → DPO → optional GRPO/RLOO → decision head
(when `decision_head.enabled`) → export → benchmark base vs aligned. Each stage is a step with a fingerprint
(its config section, the fingerprint of what it starts from and a hash of its data files): a step whose output
carries the current fingerprint is skipped; a step that crashed with the same fingerprint resumes from its last
checkpoint; a changed step reruns, and so does everything after it. `--dry-run` prints that plan without
loading a model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CodealignError

FINGERPRINT = "fingerprint.json"
PENDING = ".pending-fingerprint.json"
RL_STAGES = ("grpo", "rloo")


@dataclass
class Step:
    name: str
    folder: Path
    fingerprint: str
    inputs: dict
    status: str = "run"          # up to date | resume | run
    seconds: float | None = None
    detail: dict = field(default_factory=dict)


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _data_digest(path: str | Path) -> str:
    """A hash of a dataset folder's JSONL files (or one file); 'missing' when nothing is there yet."""
    from .training import data_location  # noqa: PLC0415

    path = data_location(path)  # as training resolves it: a relative path may name the shipped datasets
    return _files_digest(sorted(path.glob("*.jsonl")) if path.is_dir() else [path] if path.exists() else [])


def _head_data_digest(path: str | Path) -> str:
    """A hash of the files the decision head reads (a prompt folder's train and head splits, not its test split);
    'missing' when they are not there yet."""
    from .training import head_prompt_files  # noqa: PLC0415

    try:
        return _files_digest(head_prompt_files(path))
    except CodealignError:
        return "missing"


def _files_digest(files: list[Path]) -> str:
    return _digest({f.name: _file_digest(f) for f in files}) if files else "missing"


def _model_digest(spec: str) -> str:
    """A base model's identity: the embedded default by name, a local folder by its config and weights."""
    from .models import is_embedded  # noqa: PLC0415

    if is_embedded(spec) or spec == "tiny":
        return spec
    folder = Path(spec)
    if not folder.is_dir():
        raise CodealignError(f"model folder {spec} does not exist (pass a local Hugging Face folder or 'embedded')")
    parts = {p.name: (p.stat().st_size, int(p.stat().st_mtime)) for p in sorted(folder.iterdir())
             if p.suffix in (".json", ".safetensors", ".bin")}
    return _digest([str(folder.resolve()), parts])


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _recorded(folder: Path, name: str) -> str | None:
    data = _read_json(folder / name)
    return data.get("fingerprint") if data else None


def _mark(folder: Path, name: str, fingerprint: str, **extra) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps({"fingerprint": fingerprint, **extra}, indent=2), encoding="utf-8")


# ----------------------------------------------------------------------------------------------- plan
def plan(config: dict) -> list[Step]:
    """The recipe's steps with their fingerprints and what each would do now."""
    from .training import stage_dir  # noqa: PLC0415

    recipe = config.get("align", {})
    rl = recipe.get("rl", "none")
    if rl not in ("none",) + RL_STAGES:
        raise CodealignError(f"align.rl must be none, grpo or rloo, got {rl!r}")
    root = Path(config["output_dir"])
    shared = {k: config.get(k) for k in ("seed", "precision", "lora")}
    steps: list[Step] = []

    data_folder = root / "data"
    if recipe.get("build_data", False):
        data_inputs = {"model": _model_digest(config["model"]), "data": recipe.get("data", {})}
        steps.append(Step("data", data_folder, _digest(data_inputs), data_inputs))
        for stage in ("sft", "reward", "dpo"):
            config[stage]["dataset"] = str(data_folder / ("sft" if stage == "sft" else "preferences"))
    base = _model_digest(config["model"])
    previous = {"base": base}
    for stage in ("sft", "reward", "dpo") + ((rl,) if rl != "none" else ()):
        section = config[stage]
        built = steps and steps[0].name == "data"  # data built by this recipe: its fingerprint stands for it
        inputs = {"section": section, "shared": shared,
                  "data": steps[0].fingerprint if built else _data_digest(section.get("dataset") or section.get("prompts"))}
        if stage in ("sft", "dpo"):
            inputs["openers"] = config.get("openers")  # they change what these stages train on
        if stage == "reward":
            inputs["backbone"] = section.get("backbone") if section.get("backbone") != "policy" else base
        else:
            init = section.get("init", "base")
            inputs["init"] = previous.get(init, base) if init != "base" else base
            if init != "base" and init not in previous:
                raise CodealignError(f"{stage}.init is {init}, which this recipe does not train before {stage}")
        if stage in RL_STAGES and section.get("use_reward_model", True):
            inputs["reward_model"] = previous["reward"]
        steps.append(Step(stage, stage_dir(config, stage), _digest(inputs), inputs))
        previous[stage] = steps[-1].fingerprint
    head = config.get("decision_head") or {}
    if head.get("enabled", False):
        head["init"] = steps[-1].name  # the recipe's last training stage
        inputs = {"section": head, "init": steps[-1].fingerprint, "openers": config.get("openers"),
                  "data": _head_data_digest(head.get("prompts", "datasets/prompts"))}
        steps.append(Step("decision_head", stage_dir(config, "decision_head"), _digest(inputs), inputs))
    last = steps[-1]
    export_inputs = {"from": last.name, "fingerprint": last.fingerprint}
    steps.append(Step("export", root / "aligned", _digest(export_inputs), export_inputs))
    bench_inputs = {"base": base, "aligned": steps[-1].fingerprint, "bench": recipe.get("bench", {})}
    steps.append(Step("bench", root / "bench", _digest(bench_inputs), bench_inputs))

    stale = False
    for step in steps:
        done = _recorded(step.folder, FINGERPRINT) == step.fingerprint
        if done and not stale:
            step.status = "up to date"
            continue
        stale = True
        pending = _recorded(step.folder, PENDING) == step.fingerprint
        step.status = "resume" if pending else "run"
    return steps


def render_plan(steps: list[Step]) -> str:
    width = max([8] + [len(s.name) for s in steps])
    lines = [f"{'step':<{width}} {'status':<11} output"]
    lines += [f"{s.name:<{width}} {s.status:<11} {s.folder}" for s in steps]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------- run
def _run_data(config: dict, step: Step) -> dict:
    from .data import BuildOptions, build  # noqa: PLC0415
    from .models import is_embedded  # noqa: PLC0415

    settings = config.get("align", {}).get("data", {})
    options = BuildOptions(
        model=None if is_embedded(config["model"]) else config["model"], out=step.folder,
        samples=int(settings.get("samples", 2)), limit=settings.get("limit"),
        max_new_tokens=int(settings.get("max_new_tokens", 128)), batch_size=int(settings.get("batch_size", 8)),
        seed=int(config.get("seed", 0)),
    )
    return build(options)


def _run_training(config: dict, step: Step) -> dict:
    from .training import run_stage  # noqa: PLC0415

    if step.status != "resume":
        # A changed config or input: old checkpoints belong to another run of this stage.
        shutil.rmtree(step.folder / "checkpoints", ignore_errors=True)
    _mark(step.folder, PENDING, step.fingerprint)
    return run_stage(step.name, config, resume=step.status == "resume")


def _run_export(config: dict, step: Step, source: Path, decision_head: Path | None) -> dict:
    from .training import export  # noqa: PLC0415

    export(source, step.folder, decision_head)
    return {"source": str(source), "decision_head": str(decision_head) if decision_head else None}


def _run_bench(config: dict, step: Step) -> dict:
    from .bench import BenchOptions, GenerationSettings, run_bench  # noqa: PLC0415
    from .models import is_embedded  # noqa: PLC0415

    settings = config.get("align", {}).get("bench", {})
    base = None if is_embedded(config["model"]) else config["model"]
    options = BenchOptions(
        models=[base, str(Path(config["output_dir"]) / "aligned")], out=step.folder,
        functional=bool(settings.get("functional", True)), humaneval_limit=settings.get("humaneval_limit"),
        limit=settings.get("limit"),
        settings=GenerationSettings(max_new_tokens=int(settings.get("max_new_tokens", 192)),
                                    batch_size=int(settings.get("batch_size", 8))),
    )
    summary = run_bench(options)
    return {"models": list(summary)}


def run(config: dict, *, dry_run: bool = False, out=None) -> list[Step]:
    out = out or sys.stderr
    steps = plan(config)
    print(render_plan(steps), file=out)
    if dry_run:
        return steps
    timings_path = Path(config["output_dir"]) / "timings.json"
    timings = _read_json(timings_path) or {}
    for index, step in enumerate(steps):
        if step.status == "up to date":
            continue
        print(f"codealign align: {step.name} ({step.status})", file=out)
        (step.folder / FINGERPRINT).unlink(missing_ok=True)
        started = time.perf_counter()
        if step.name == "data":
            step.detail = _run_data(config, step)
        elif step.name == "export":
            trained = [s for s in steps[:index] if s.name not in ("data", "decision_head")][-1]
            head = steps[index - 1].folder if steps[index - 1].name == "decision_head" else None
            step.detail = _run_export(config, step, trained.folder, head)
        elif step.name == "bench":
            step.detail = _run_bench(config, step)
        else:  # a training stage, or fitting the decision head
            step.detail = {"metrics": _run_training(config, step)}
        step.seconds = round(time.perf_counter() - started, 1)
        _mark(step.folder, FINGERPRINT, step.fingerprint, seconds=step.seconds)
        (step.folder / PENDING).unlink(missing_ok=True)
        timings[step.name] = step.seconds
        timings_path.parent.mkdir(parents=True, exist_ok=True)
        timings_path.write_text(json.dumps(timings, indent=2), encoding="utf-8")
        print(f"codealign align: {step.name} done in {step.seconds:.0f}s", file=out)
    total = sum(v for v in timings.values() if isinstance(v, (int, float)))
    print("codealign align: seconds per step: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
          + f" (total {total:.0f})", file=out)
    report = Path(config["output_dir"]) / "bench" / "report.md"
    if report.exists():
        print(overall_table(report.read_text(encoding="utf-8")))
        print(f"codealign align: full report (per category and language) in {report}", file=out)
    return steps


def overall_table(report: str) -> str:
    """The report's overall section: the base vs aligned table the command ends with."""
    lines, keep = [], False
    for line in report.splitlines():
        if line.startswith("## "):
            keep = line.strip() == "## overall"
        if keep:
            lines.append(line)
    return "\n".join(lines).strip()


def add_parsers(subparsers) -> None:
    from .training import add_config_arguments  # noqa: PLC0415

    parser = subparsers.add_parser(
        "align",
        help="the whole recipe: data → SFT → reward → DPO → [GRPO/RLOO] → [decision head] → export → "
             "bench base vs aligned")
    add_config_arguments(parser, example="align.rl=grpo")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (which steps run, resume or skip)")
    parser.set_defaults(handler=_run_align)


def _run_align(args) -> int:
    from .training import config_from_args  # noqa: PLC0415

    run(config_from_args(args), dry_run=args.dry_run)
    return 0
