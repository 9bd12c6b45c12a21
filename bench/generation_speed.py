"""Batched vs one-at-a-time generation speed on the embedded model (or --model FOLDER).

    .venv/bin/python bench/generation_speed.py [--max-new-tokens 48] [--batch-size 8] [--model embedded]

Generates greedy replies to the same 8 coding prompts twice: in batches (left padding, prompts sorted by length)
and one prompt at a time, then prints generated tokens per second for each and the speed-up. Tokens are counted
by re-tokenizing each reply (end-of-turn tokens excluded).
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

PROMPTS = [
    "Write a Python function that checks whether a string is a palindrome.",
    "How do I read a JSON file in Python?",
    "Write a function that runs a shell command given by the user.",
    "Explain what a SQL injection is in two sentences.",
    "Write a Python class for a bank account with deposit and withdraw methods.",
    "How should I store user passwords?",
    "Write a function to download a file from a URL and save it to disk.",
    "What does the `global` statement do in Python?",
]


def count_tokens(tokenizer, replies: list[list[str]]) -> int:
    return sum(len(tokenizer(reply[0], add_special_tokens=False)["input_ids"]) for reply in replies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)

    import torch

    started = time.perf_counter()
    model, tokenizer = models.load_model(args.model)
    load_seconds = time.perf_counter() - started
    print(f"model {args.model}: loaded in {load_seconds:.2f} s, {torch.get_num_threads()} torch threads")
    models.generate(model, tokenizer, PROMPTS[:1], max_new_tokens=4, progress=False)  # warm-up

    figures = {}
    replies = {}
    for name, batch_size in (("batched", args.batch_size), ("single", 1)):
        started = time.perf_counter()
        replies[name] = models.generate(
            model, tokenizer, PROMPTS, max_new_tokens=args.max_new_tokens, batch_size=batch_size, progress=False
        )
        seconds = time.perf_counter() - started
        tokens = count_tokens(tokenizer, replies[name])
        figures[name] = {
            "batch_size": batch_size,
            "seconds": round(seconds, 2),
            "tokens": tokens,
            "tokens_per_s": round(tokens / seconds, 1),
        }
        print(f"{name:8} batch {batch_size}: {tokens} tokens in {seconds:.2f} s = {tokens / seconds:.1f} tokens/s")
    ratio = figures["batched"]["tokens_per_s"] / figures["single"]["tokens_per_s"]
    same = sum(a == b for a, b in zip(replies["batched"], replies["single"]))
    print(f"speed-up batched/single: {ratio:.2f}x; identical replies: {same}/{len(PROMPTS)}")
    if args.json:
        print(
            json.dumps(
                {
                    "model": args.model,
                    "max_new_tokens": args.max_new_tokens,
                    "load_s": round(load_seconds, 2),
                    **figures,
                    "speedup": round(ratio, 2),
                    "identical_replies": same,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
