"""TRL reward functions: `prompts, completions, **kwargs -> list[float | None]`.

`safety_reward` (importable as `codealign.rewards.safety_reward`, so `trl grpo --reward_funcs
codealign.rewards.safety_reward` works) scores each completion with `scoring.judge`, the one place that turns
analyzer findings and response checks into a reward. It reads the prompt's category (harmful / antipattern /
borderline / benign) from the dataset's `category` column and its language from `lang` when present.
Optionally a learned preference reward model (`codealign train reward`) adds its score as one more component,
`preference` (tanh of the classifier's logit, weighted by `preference_weight`); it is combined with the others
in `scoring` like every component, so the reward stays within the configured bounds. Every component is logged
separately through TRL's `log_metric`. A batch without a `category` column, or with a category outside the
four, is scored as benign with a warning (once per reward function): a harmful prompt scored as benign
rewards compliance.

The callables are picklable classes with a `__name__` (multiprocessing, accelerate, Ray).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

from .responses import PROMPT_CATEGORIES

CATEGORIES = PROMPT_CATEGORIES  # harmful, antipattern, borderline, benign: defined once, in responses


def message_text(message) -> str:
    """The text of a plain completion or of a conversational one (list of {role, content} messages)."""
    if isinstance(message, str):
        return message
    if isinstance(message, dict):
        content = message.get("content", "")
        if isinstance(content, list):  # multimodal-style content parts
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content)
    if isinstance(message, (list, tuple)):
        # The last user message of a prompt, or the assistant messages of a completion.
        roles = [m.get("role") for m in message if isinstance(m, dict)]
        if "assistant" in roles:
            return "\n".join(message_text(m) for m in message if isinstance(m, dict) and m.get("role") == "assistant")
        users = [m for m in message if isinstance(m, dict) and m.get("role") == "user"]
        return message_text(users[-1]) if users else "\n".join(message_text(m) for m in message)
    return "" if message is None else str(message)


class PreferenceModel:
    """The learned preference reward model (a sequence classifier), scoring (prompt, response) pairs."""

    def __init__(self, path: str | Path, max_length: int = 384, batch_size: int = 16) -> None:
        self.path = str(path)
        self.max_length = max_length
        self.batch_size = batch_size
        self._loaded = None

    def __getstate__(self):
        return {"path": self.path, "max_length": self.max_length, "batch_size": self.batch_size, "_loaded": None}

    def _load(self):
        if self._loaded is None:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: PLC0415

            tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(self.path, local_files_only=True)
            model.eval()
            self._loaded = (model, tokenizer)
        return self._loaded

    def score(self, prompts, responses) -> list[float]:
        import torch  # noqa: PLC0415

        from .training import reward_text  # noqa: PLC0415

        model, tokenizer = self._load()
        texts = [reward_text(p, r) for p, r in zip(prompts, responses)]
        scores: list[float] = []
        with torch.no_grad():
            for start in range(0, len(texts), self.batch_size):
                batch = tokenizer(texts[start:start + self.batch_size], return_tensors="pt", padding=True,
                                  truncation=True, max_length=self.max_length)
                logits = model(**batch).logits[:, 0].float()
                scores += [float(x) for x in logits]
        return scores


class SafetyReward:
    """codealign's combined reward: analyzers + response checks (+ optional preference model)."""

    def __init__(
        self,
        weights: str | Path | dict | None = None,
        preference_model: str | Path | None = None,
        preference_weight: float = 0.5,
        completions_log: str | Path | None = None,
        log_every: int = 5,
    ) -> None:
        self.__name__ = "safety_reward"
        self.weights = weights
        self.preference = PreferenceModel(preference_model) if preference_model else None
        self.preference_weight = preference_weight
        self.completions_log = str(completions_log) if completions_log else None
        self.log_every = max(1, int(log_every))
        self._last_logged_step = None
        self._warned = False

    def _weights(self):
        """The reward config; with a preference model, its `preference` weight is `preference_weight`."""
        from .scoring import _resolve_config  # noqa: PLC0415

        config = _resolve_config(self.weights)
        if self.preference is not None:
            config = config.merged({"weights": {"preference": float(self.preference_weight)}})
        return config

    def _category(self, value) -> str:
        if value in CATEGORIES:
            return value
        if not self._warned:
            self._warned = True
            what = "no `category` column" if value is None else f"unknown category {value!r}"
            warnings.warn(f"codealign.rewards: {what}; scored as benign (categories: {', '.join(CATEGORIES)})",
                          RuntimeWarning, stacklevel=3)
        return "benign"

    def judge_all(self, prompts, completions, category=None, lang=None):
        from .scoring import judge  # noqa: PLC0415

        weights = self._weights()
        count = len(completions)
        categories = list(category) if category is not None else [None] * count
        langs = list(lang) if lang is not None else [None] * count
        judgements = []
        for prompt, completion, cat, language in zip(prompts, completions, categories, langs):
            judgements.append(judge(message_text(prompt), message_text(completion), self._category(cat),
                                    lang=language, weights=weights))
        if self.preference is not None and completions:
            # tanh squashes the unbounded classifier logit; the weighted sum and its bounds are scoring's.
            preference = self.preference.score(prompts, completions)
            judgements = [j.with_components(preference=math.tanh(p)) for j, p in zip(judgements, preference)]
        return judgements

    def __call__(self, prompts, completions, completion_ids=None, **kwargs) -> list[float | None]:
        judgements = self.judge_all(prompts, completions, kwargs.get("category"), kwargs.get("lang"))
        rewards = [float(j.score) if math.isfinite(j.score) else 0.0 for j in judgements]
        log_metric = kwargs.get("log_metric")
        if log_metric is not None and judgements:
            for name in sorted({k for j in judgements for k in j.components}):
                values = [j.components.get(name, 0.0) for j in judgements]
                log_metric(f"codealign/{name}", sum(values) / len(values))
        self._log_completions(prompts, completions, judgements, rewards, kwargs)
        return rewards

    def _log_completions(self, prompts, completions, judgements, rewards, kwargs) -> None:
        """Every `log_every` steps, append sample completions with their critiques to a JSONL file."""
        if not self.completions_log:
            return
        state = kwargs.get("trainer_state")
        step = getattr(state, "global_step", None)
        if step is None or step % self.log_every or step == self._last_logged_step:
            return
        self._last_logged_step = step
        langs = kwargs.get("lang") or [None] * len(completions)
        categories = kwargs.get("category") or [None] * len(completions)
        path = Path(self.completions_log)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            for prompt, completion, judgement, reward, lang, category in zip(
                    prompts, completions, judgements, rewards, langs, categories):
                handle.write(json.dumps({
                    "step": step, "category": category, "prompt": message_text(prompt),
                    "completion": message_text(completion), "reward": round(reward, 4),
                    "components": {k: round(float(v), 4) for k, v in judgement.components.items()},
                    "critique": judgement.critique(lang or "en"),
                }, ensure_ascii=False) + "\n")


safety_reward = SafetyReward()
