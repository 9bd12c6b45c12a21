"""The decision head: a linear read-out of the policy's own hidden state that picks each answer's opener.

Every SFT and DPO answer starts with its decision's opener ("Sorry, " or "Sure. ", in English or Chinese), so
the answer's first tokens are a two-way choice made from the hidden state of the prompt's last token. A
class-balanced logistic regression on that state tells harmful requests from the others far better than the
fine-tuned model's own first token does (`bench/refusal_probe.py`, README); beside it, the hidden state averaged
over the prompt's own tokens at another layer separates topics the head never saw a little better still. The head
is that regression: fitted on the training prompts (`expected` refuse… against help…) after the last training
stage, on the layers and with the threshold that a topic-grouped cross-validation picks (held-out topics stand for
unseen requests), and saved next to the weights as `decision_head.json`. Generation through codealign
(`models.generate_replies`: bench, data building, the CLI) reads both states in one forward pass over the prompts,
forces the opener the head decides, in the language the model itself prefers among that decision's openers, and
lets the model write the rest. A plain `transformers` generate ignores the file and gives the model alone.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .errors import CodealignError

HEAD_FILE = "decision_head.json"
DECISIONS = ("refuse", "comply")


def has_openers(openers: dict | None) -> bool:
    """Whether `openers` (config key) gives both decisions an opener in some language: the head needs both."""
    return all(any(str(text).strip() for text in ((openers or {}).get(decision) or {}).values())
               for decision in DECISIONS)


def refuses(record: dict) -> bool:
    """The behaviour a prompt record expects: refuse / refuse_with_alternative against help / help_safely."""
    return str(record.get("expected", "")).startswith("refuse")


@dataclass
class DecisionHead:
    layer: int  # the layer whose hidden state at the prompt's last token the head reads
    mean: list[float]
    std: list[float]
    weight: list[float]
    bias: float
    threshold: float
    openers: dict[str, dict[str, str]]  # decision -> language -> opener text, as the training data starts answers
    report: dict = field(default_factory=dict)
    # The layer whose hidden state averaged over the prompt's own tokens (from token `pool_start` on: the chat
    # template's fixed opening left out) joins the last token's; None: the last token's state alone (heads
    # fitted before it or with `decision_head.pooled: false`).
    pooled_layer: int | None = None
    pool_start: int = 0

    def features(self, last: Any, pooled: Any) -> Any:
        """This head's features from `read_prompts`' states (rows × layers+1 × hidden each), one row per prompt."""
        import torch

        if self.pooled_layer is None:
            return last[:, self.layer]
        return torch.cat([last[:, self.layer], pooled[:, self.pooled_layer]], dim=1)

    def scores(self, features: Any) -> Any:
        """Refusal scores (logits) for this head's features (`features`), one row per prompt."""
        import torch

        mean, std, weight = (torch.tensor(v, dtype=torch.float32, device=features.device)
                             for v in (self.mean, self.std, self.weight))
        return probe_scores(features.float(), mean, std, weight, self.bias)

    def refuses(self, features: Any) -> list[bool]:
        return [bool(value) for value in (self.scores(features) > self.threshold).tolist()]

    def opener_ids(self, tokenizer: Any) -> dict[str, list[list[int]]]:
        """Per decision, the token ids of each language's opener (trailing spaces dropped: the model writes them
        as part of the next word, as in training)."""
        table = {}
        for decision in DECISIONS:
            texts = [text.rstrip() for text in self.openers.get(decision, {}).values() if text.strip()]
            table[decision] = [tokenizer.encode(text, add_special_tokens=False) for text in texts]
            if not table[decision]:
                raise CodealignError(f"the decision head has no opener for '{decision}'")
        return table

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / HEAD_FILE
        path.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> "DecisionHead | None":
        path = Path(folder) / HEAD_FILE
        if not path.is_file():
            return None
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise CodealignError(f"{path} is not a decision head: {exc}") from None


# --------------------------------------------------------------------------------------------- states
def pool_start(tokenizer: Any) -> int:
    """How many tokens the chat template puts ahead of every prompt's own text (its fixed opening: a default
    system prompt, the user turn's header): the tokens of two one-letter prompts up to the first that differs."""
    from .models import render_prompt

    first, second = (tokenizer(render_prompt(tokenizer, text), add_special_tokens=False)["input_ids"]
                     for text in ("a", "b"))
    shared = 0
    while shared < min(len(first), len(second)) and first[shared] == second[shared]:
        shared += 1
    return shared


def read_prompts(model: Any, batch: Any, start: int = 0) -> tuple[Any, Any, Any]:
    """One forward pass over a left-padded batch. Returns each row's hidden states, embeddings first, at its last
    token and averaged over its tokens from the `start`-th on (`pool_start`: the prompt's own text and the
    assistant turn's opening; at least the last token), each rows × layers+1 × hidden, and the last token's logits
    (the other positions' are not computed where the model allows)."""
    import inspect

    import torch

    keep = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}
    outputs = model(**batch, output_hidden_states=True, **keep)
    layers = outputs.hidden_states
    mask = batch["attention_mask"]
    width = mask.shape[1]
    first = (width - mask.sum(dim=1) + start).clamp(max=width - 1)  # left padding: the row starts at width - length
    pool = (torch.arange(width, device=mask.device)[None, :] >= first[:, None]).to(layers[0].dtype)
    pool = pool / pool.sum(dim=1, keepdim=True)
    last = torch.stack([layer[:, -1] for layer in layers], dim=1)
    pooled = torch.stack([torch.einsum("bt,btd->bd", pool, layer) for layer in layers], dim=1)
    return last, pooled, outputs.logits[:, -1]


def prompt_states(model: Any, tokenizer: Any, prompts: Sequence[str], *, batch_size: int = 16) -> tuple[Any, Any]:
    """`read_prompts`' two states for each prompt (each a tensor prompts × layers+1 × hidden, embeddings first):
    at the last prompt token, the chat template's opened assistant turn where the answer's first token is decided,
    and averaged over the prompt's own tokens (from `pool_start(tokenizer)` on).
    Prompts are batched by length (left padding), so little compute goes to padding.
    """
    import torch

    from .models import render_prompt

    encoded = [tokenizer(render_prompt(tokenizer, p), add_special_tokens=False)["input_ids"] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda index: -len(encoded[index]))
    start = pool_start(tokenizer)
    last_rows: list[Any] = [None] * len(prompts)
    pooled_rows: list[Any] = [None] * len(prompts)
    device = next(model.parameters()).device
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            chunk = order[begin:begin + batch_size]
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in chunk]}, padding=True, padding_side="left",
                                  return_tensors="pt").to(device)
            last, pooled, _ = read_prompts(model, batch, start)
            last, pooled = last.float().cpu(), pooled.float().cpu()
            for row, index in enumerate(chunk):
                last_rows[index], pooled_rows[index] = last[row], pooled[row]
    return torch.stack(last_rows), torch.stack(pooled_rows)


# ---------------------------------------------------------------------------------------------- probes
def fit_probe(features: Any, labels: Any, l2: float = 1e-2) -> tuple[Any, Any, Any, float]:
    """A class-balanced, L2-regularised logistic regression (LBFGS) on standardised features.

    Returns (mean, std, weight, bias): score = ((x - mean) / std) @ weight + bias.
    """
    import torch

    features = features.float()
    mean, std = features.mean(0), features.std(0) + 1e-6
    x = (features - mean) / std
    y = labels.float()
    share = labels.float().mean().clamp(1e-6, 1 - 1e-6)
    weights = torch.where(labels, 0.5 / share, 0.5 / (1 - share))
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([w, b], max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        logits = x @ w + b
        loss = (weights * torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")).mean()
        loss = loss + l2 * (w * w).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return mean, std, w.detach(), float(b.detach())


def probe_scores(features: Any, mean: Any, std: Any, weight: Any, bias: float) -> Any:
    """A fitted probe's scores (logits; higher = refuse) for standardised features, one per row."""
    return ((features - mean) / std) @ weight + bias


def roc_auc(scores: Any, labels: Any) -> float:
    """The chance that a random positive scores above a random negative (ties count half)."""
    positive, negative = scores[labels], scores[~labels]
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    greater = (positive[:, None] > negative[None, :]).float().sum()
    ties = (positive[:, None] == negative[None, :]).float().sum()
    return float((greater + 0.5 * ties) / (len(positive) * len(negative)))


def _fold(group: str, folds: int) -> int:
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest()[:8], 16) % folds


def cross_validated_scores(features: Any, labels: Any, groups: Sequence[str], folds: int, l2: float) -> Any:
    """Each prompt's score from a probe fitted without its group (topic): how the head meets unseen topics."""
    import torch

    assignment = torch.tensor([_fold(group, folds) for group in groups])
    scores = torch.zeros(len(groups))
    for fold in range(folds):
        held = assignment == fold
        if held.all() or not held.any() or labels[~held].all() or not labels[~held].any():
            continue
        mean, std, weight, bias = fit_probe(features[~held], labels[~held], l2)
        scores[held] = probe_scores(features[held], mean, std, weight, bias)
    return scores


def best_threshold(scores: Any, labels: Any, flag_cost: float = 1.0) -> tuple[float, float, float]:
    """The threshold that maximises caught − flag_cost × flagged (shares of each class; 1.0: Youden's J);
    returns (threshold, caught, flagged)."""
    import torch

    candidates = torch.unique(scores)
    best = (float("-inf"), 0.0, 0.0, 0.0)
    positives, negatives = labels.sum().clamp(min=1), (~labels).sum().clamp(min=1)
    for value in candidates.tolist():
        # threshold halfway below the candidate: scores >= candidate count as refusals
        flagged = scores >= value
        caught = float((flagged & labels).sum() / positives)
        false = float((flagged & ~labels).sum() / negatives)
        if caught - flag_cost * false > best[0]:
            lower = scores[scores < value]
            threshold = (value + float(lower.max())) / 2 if len(lower) else value - 1.0
            best = (caught - flag_cost * false, threshold, caught, false)
    return best[1], best[2], best[3]


def fit_head(model: Any, tokenizer: Any, records: Sequence[dict], openers: dict, *, folds: int = 5,
             l2: float = 1e-2, layers: Sequence[int] | None = None, batch_size: int = 16,
             flag_cost: float = 1.0, pooled: bool = True) -> DecisionHead:
    """Fit the decision head on prompt records (`prompt`, `expected`, `topic`): the last token's layer (and with
    `pooled` the averaged state's layer, each chosen alone) and the threshold by topic-grouped cross-validation,
    the probe itself on all records."""
    import torch

    if not has_openers(openers):
        raise CodealignError("the decision head needs openers for both decisions (config key `openers`)")
    labels = torch.tensor([refuses(r) for r in records])
    if labels.all() or not labels.any():
        raise CodealignError("the decision head needs prompts that expect a refusal and prompts that do not")
    groups = [str(r.get("topic") or r.get("seed_id") or r.get("id") or i) for i, r in enumerate(records)]
    if len(set(groups)) < folds:
        raise CodealignError(f"the decision head's cross-validation needs at least {folds} topics, got "
                             f"{len(set(groups))}")
    depth = int(model.config.num_hidden_layers)
    candidates = list(layers) if layers else list(range(1, depth + 1))
    for layer in candidates:
        if not 0 < layer <= depth:
            raise CodealignError(f"decision head layer {layer} is outside 1..{depth}")
    started = time.perf_counter()
    last, averaged = prompt_states(model, tokenizer, [r["prompt"] for r in records], batch_size=batch_size)
    read_seconds = time.perf_counter() - started

    def best_layer(states: Any) -> tuple[int, dict]:
        aucs = {layer: roc_auc(cross_validated_scores(states[:, layer], labels, groups, folds, l2), labels)
                for layer in candidates}
        return max(aucs, key=lambda key: (aucs[key], key)), aucs

    layer, per_layer = best_layer(last)
    pooled_layer, per_pooled_layer = best_layer(averaged) if pooled else (None, {})
    head = DecisionHead(layer=layer, mean=[], std=[], weight=[], bias=0.0, threshold=0.0,
                        openers={k: dict(v) for k, v in openers.items() if k in DECISIONS},
                        pooled_layer=pooled_layer, pool_start=pool_start(tokenizer) if pooled else 0)
    features = head.features(last, averaged)
    scores = cross_validated_scores(features, labels, groups, folds, l2)
    head.threshold, caught, flagged = best_threshold(scores, labels, flag_cost)
    mean, std, weight, head.bias = fit_probe(features, labels, l2)
    head.mean, head.std, head.weight = mean.tolist(), std.tolist(), weight.tolist()
    pooled_report = {"pooled_layer": pooled_layer, "pool_start": head.pool_start} if pooled else {}
    pooled_aucs = {str(k): round(v, 4) for k, v in per_pooled_layer.items()}
    head.report = {
        "prompts": len(records), "refuse": int(labels.sum()), "topics": len(set(groups)), "folds": folds,
        "layer": layer, **pooled_report, "flag_cost": flag_cost, "cv_auc": round(roc_auc(scores, labels), 4),
        "cv_caught": round(caught, 4), "cv_flagged": round(flagged, 4),
        "cv_auc_per_layer": {str(k): round(v, 4) for k, v in per_layer.items()},
        **({"cv_auc_per_pooled_layer": pooled_aucs} if pooled else {}),
        "states_seconds": round(read_seconds, 1), "seconds": round(time.perf_counter() - started, 1),
    }
    return head


# ------------------------------------------------------------------------------------------ coding tasks
# Harmless function stubs in the form coding benchmarks use (signature, docstring, doctest examples), made from
# the public functions of pure-Python standard-library modules with nothing destructive in them. The training
# prompts' function stubs are mostly harmful completion requests; without these the head flags ordinary coding
# tasks (development split: 7 of 30 HumanEval problems).
CODE_TASK_MODULES = ("bisect", "calendar", "colorsys", "difflib", "fnmatch", "fractions", "heapq", "html",
                     "keyword", "posixpath", "statistics", "string", "textwrap", "json", "base64", "shlex",
                     "graphlib", "ipaddress", "functools", "itertools", "operator", "random", "datetime", "decimal",
                     "urllib.parse", "email.utils", "csv", "zlib", "math", "cmath", "quopri", "uu", "wave", "zipfile")
CODE_TASK_INSTRUCTIONS = (
    "Complete the following Python function. Reply with the complete function (signature and the imports it needs "
    "included) in a single ```python code block.\n\n```python\n{stub}```",
    "Implement this function:\n\n```python\n{stub}```",
    "{stub}",
    "请补全下面的 Python 函数，给出完整的函数代码：\n\n```python\n{stub}```",
)


def code_task_prompts(limit: int = 160) -> list[dict]:
    """Up to `limit` harmless coding-task prompt records (`expected: help`, topic = the module)."""
    import ast
    import importlib
    import inspect
    import textwrap as _textwrap
    import warnings

    stubs = []
    for module_name in CODE_TASK_MODULES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecated modules (uu) still serve as examples
                module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, function in sorted(vars(module).items()):
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            doc = inspect.getdoc(function)
            try:
                signature = str(inspect.signature(function))
            except (TypeError, ValueError):
                continue
            if not doc or len(signature) > 100:
                continue
            doc = "\n".join(doc.splitlines()[:12]).replace('"""', "'''").replace("\\", "\\\\")
            stub = f"def {name}{signature}:\n" + _textwrap.indent(f'"""{doc}\n"""', "    ") + "\n"
            try:
                ast.parse(stub)  # a default's repr (`<function ...>`) is no Python
            except SyntaxError:
                continue
            stubs.append((module_name, name, stub))
    stubs.sort(key=lambda item: hashlib.sha256(f"{item[0]}.{item[1]}".encode()).hexdigest())
    records = []
    for module_name, name, stub in stubs[:limit]:
        digest = int(hashlib.sha256(f"{module_name}.{name}".encode()).hexdigest()[:8], 16)
        instruction = CODE_TASK_INSTRUCTIONS[digest % len(CODE_TASK_INSTRUCTIONS)]
        records.append({"id": f"code-task-{module_name}-{name}", "prompt": instruction.format(stub=stub),
                        "expected": "help", "category": "benign", "topic": f"stdlib-{module_name}",
                        "lang": "zh" if instruction.startswith("请") else "en"})
    return records
