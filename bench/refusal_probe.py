"""How well a model's hidden states tell harmful prompts from the others: a linear probe per layer.

    .venv/bin/python bench/refusal_probe.py [--model embedded] [--train datasets/prompts/train.jsonl]
                                            [--test datasets/prompts/test.jsonl] [--every 3] [--json]

The refusal decision is made at an answer's first token, from the hidden state of the prompt's last token (the
chat template's assistant header). This script reads that state at every `--every`-th layer for each prompt,
fits a class-balanced, L2-regularised logistic regression on the train prompts (harmful against antipattern,
borderline and benign) and prints, on the test prompts, the area under the ROC curve and what the probe's own
threshold catches and flags. Compare it with the model's own refusals of the same prompts (`codealign bench`):
a probe far ahead of the model says the information is in the representation and the training did not make the
model act on it; a probe no better than the model says the representation is the limit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from codealign import models
from codealign.decision import fit_probe, probe_scores, prompt_states, roc_auc
from codealign.errors import CodealignError
from codealign.jsonl import read_jsonl

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--train", default=str(ROOT / "datasets" / "prompts" / "train.jsonl"))
    parser.add_argument("--test", default=str(ROOT / "datasets" / "prompts" / "test.jsonl"))
    parser.add_argument("--every", type=int, default=3, help="probe every N-th layer (and the last)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    if args.every < 1 or args.batch_size < 1:
        parser.error("--every and --batch-size must be positive")

    import torch

    started = time.perf_counter()
    try:
        train = read_jsonl(args.train, required=("prompt", "category"))
        test = read_jsonl(args.test, required=("prompt", "category"))
        if not train or not test:
            raise CodealignError("--train and --test need prompt records")
        # eval mode, a pad token, on the GPU when there is one; the states of the model alone
        model, tokenizer = models.load_model(args.model, decision_head=False)
    except CodealignError as exc:
        parser.error(str(exc))
    x_train, _ = prompt_states(model, tokenizer, [r["prompt"] for r in train], batch_size=args.batch_size)
    x_test, _ = prompt_states(model, tokenizer, [r["prompt"] for r in test], batch_size=args.batch_size)
    y_train = torch.tensor([r["category"] == "harmful" for r in train])
    y_test = torch.tensor([r["category"] == "harmful" for r in test])
    print(f"model {args.model}: {len(train)} train and {len(test)} test prompts "
          f"({int(y_test.sum())} harmful), states read in {time.perf_counter() - started:.0f} s")
    layers = sorted(set(range(args.every, x_train.shape[1], args.every)) | {x_train.shape[1] - 1})
    figures = []
    for layer in layers:
        score = probe_scores(x_test[:, layer], *fit_probe(x_train[:, layer], y_train))
        flagged = score > 0
        row = {"layer": layer, "auc": round(roc_auc(score, y_test), 3),
               "harmful_caught": int((flagged & y_test).sum()), "harmful": int(y_test.sum()),
               "others_flagged": int((flagged & ~y_test).sum()), "others": int((~y_test).sum())}
        figures.append(row)
        print(f"layer {layer:2d}: AUC {row['auc']:.3f}, harmful caught {row['harmful_caught']}/{row['harmful']}, "
              f"others flagged {row['others_flagged']}/{row['others']}")
    if args.json:
        print(json.dumps({"model": args.model, "layers": figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
