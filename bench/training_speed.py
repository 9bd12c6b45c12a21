"""Training overheads, each against its peer measured in the same process:

1. codealign's DPO step (`codealign.training.train_dpo`: our config, data loading, LoRA when the preset has it)
   vs a plain TRL DPOTrainer built by hand on the same model, pairs, tuning (the cpu preset's: full fine-tuning)
   and arguments: seconds per step and the ratio.
2. Reward scoring as a share of a GRPO step: a short `codealign train grpo` run with the combined reward
   (analyzers + response checks; the learned reward model is off unless --with-reward-model), timing every
   reward call inside the trainer; prints reward seconds / total step seconds (target < 5%).

    .venv/bin/python bench/training_speed.py [--model embedded|tiny|FOLDER] [--steps 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codealign import rewards, training  # noqa: E402


def _config(model: str, out: Path, steps: int) -> dict:
    return training.load_config("cpu", None, [
        f"model={model}", f"output_dir={out}", f"dpo.max_steps={steps}", "dpo.init=base", "dpo.grad_accum=1",
        "dpo.batch_size=2", "dpo.max_length=384", "save_steps=1000", "logging_steps=1",
        f"grpo.max_steps={steps}", "grpo.init=base", "grpo.use_reward_model=false",
        "grpo.num_generations=4", "grpo.batch_size=4", "grpo.max_completion_length=96",
    ])


class StepTimer:
    """Times every optimizer step of any transformers Trainer (the first, warm-up step is left out)."""

    def __init__(self) -> None:
        self.durations: list[float] = []

    def __enter__(self):
        import transformers

        self._original = original = transformers.Trainer.training_step
        timer = self

        def timed(trainer, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(trainer, *args, **kwargs)
            finally:
                timer.durations.append(time.perf_counter() - started)

        transformers.Trainer.training_step = timed
        return self

    def __exit__(self, *exc) -> None:
        import transformers

        transformers.Trainer.training_step = self._original

    def seconds_per_step(self) -> float:
        steady = sorted(self.durations[1:] or self.durations)
        return steady[len(steady) // 2]  # the median step


def plain_trl_dpo(config: dict, steps: int) -> float:
    """Seconds per step of a DPOTrainer built directly from TRL with the same inputs as codealign's."""
    from datasets import Dataset
    from peft import LoraConfig
    from trl import DPOConfig, DPOTrainer

    from codealign.jsonl import read_jsonl
    from codealign.models import load_model, resolve_model, seed_everything

    seed_everything(0)
    rows = read_jsonl(training._data_path(config["dpo"]["dataset"], "train"))
    dataset = Dataset.from_list([{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in rows])
    model, tokenizer = load_model(str(resolve_model(config["model"])), for_training=True)
    lora = config["lora"]
    args = DPOConfig(output_dir=str(Path(config["output_dir"]) / "plain"), max_steps=steps, per_device_train_batch_size=2,
                     gradient_accumulation_steps=1, learning_rate=5e-5, beta=0.1, max_length=384, use_cpu=True,
                     bf16=False, report_to=[], save_strategy="no", logging_steps=1, seed=0)
    trainer = DPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                                target_modules=lora["target_modules"], task_type="CAUSAL_LM")
                         if lora.get("enabled", True) else None)  # like for like: the preset's LoRA or full tuning
    with StepTimer() as timer:
        trainer.train()
    return timer.seconds_per_step()


def codealign_dpo(config: dict, steps: int) -> float:
    with StepTimer() as timer:
        training.run_stage("dpo", config)
    return timer.seconds_per_step()


def grpo_reward_share(config: dict, steps: int) -> dict:
    spent = {"seconds": 0.0, "calls": 0, "completions": 0}
    original = rewards.SafetyReward.__call__

    def timed(self, prompts, completions, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, prompts, completions, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - started
            spent["calls"] += 1
            spent["completions"] += len(completions)

    # Warm up the analyzers (imports, rule packs) so the share measures steady-state scoring.
    rewards.safety_reward(["Write a function"], ["```python\nprint(1)\n```\nPrints one."], category=["benign"])
    rewards.SafetyReward.__call__ = timed
    try:
        with StepTimer() as timer:
            training.run_stage("grpo", config)
    finally:
        rewards.SafetyReward.__call__ = original
    total = sum(timer.durations)
    return {"step_seconds": round(total / len(timer.durations), 2),
            "reward_seconds_per_step": round(spent["seconds"] / len(timer.durations), 4),
            "reward_share": round(spent["seconds"] / total, 5), "completions_scored": spent["completions"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        config = _config(args.model, Path(tmp), args.steps)
        plain = plain_trl_dpo(config, args.steps)
        ours = codealign_dpo(config, args.steps)
        grpo = grpo_reward_share(config, args.steps)
    figures = {"model": args.model, "steps": args.steps, "dpo_plain_trl_s_per_step": round(plain, 2),
               "dpo_codealign_s_per_step": round(ours, 2), "dpo_ratio": round(ours / plain, 3), **grpo}
    tuning = f"LoRA r{config['lora']['r']}" if config["lora"].get("enabled", True) else "full fine-tuning"
    print(f"DPO step (2 pairs, {tuning}): plain TRL {plain:.2f} s, codealign {ours:.2f} s (median step) "
          f"= {ours / plain:.2f}x")
    print(f"GRPO step (4 completions x 96 tokens): {grpo['step_seconds']:.2f} s, reward scoring "
          f"{grpo['reward_seconds_per_step'] * 1000:.1f} ms = {grpo['reward_share'] * 100:.3f}% of the step "
          f"(target < 5%)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
