"""bench/refusal_probe.py: the linear probe on a model's hidden states (tiny random model, real transformers)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("refusal_probe", ROOT / "bench" / "refusal_probe.py")
probe = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(probe)


def test_auc_ranks_harmful_scores_above_the_others():
    import torch

    labels = torch.tensor([True, True, False, False])
    assert probe.roc_auc(torch.tensor([3.0, 2.0, 1.0, 0.0]), labels) == 1.0
    assert probe.roc_auc(torch.tensor([0.0, 1.0, 2.0, 3.0]), labels) == 0.0
    assert probe.roc_auc(torch.tensor([1.0, 1.0, 1.0, 1.0]), labels) == 0.5  # ties count half


def test_the_probe_separates_a_direction_it_was_trained_on_and_balances_the_classes():
    import torch

    generator = torch.Generator().manual_seed(0)
    direction = torch.randn(32, generator=generator)
    x = torch.randn(120, 32, generator=generator)
    labels = (x @ direction) > 1.0  # about one in six positive: the class weights keep the threshold honest
    score = probe.probe_scores(x[80:], *probe.fit_probe(x[:80], labels[:80]))
    assert probe.roc_auc(score, labels[80:]) > 0.9
    assert ((score > 0) == labels[80:]).float().mean() > 0.8


def test_the_script_prints_a_row_per_layer_and_json(tmp_path):
    prompts = [json.loads(line) for line in (ROOT / "datasets" / "prompts" / "test.jsonl").read_text().splitlines()]
    harmful = [p for p in prompts if p["category"] == "harmful"][:6]
    others = [p for p in prompts if p["category"] != "harmful"][:6]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(p) + "\n" for p in harmful[:4] + others[:4]))
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(p) + "\n" for p in harmful[4:] + others[4:]))
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "refusal_probe.py"), "--model", "tiny", "--every", "1",
         "--train", str(tmp_path / "train.jsonl"), "--test", str(tmp_path / "test.jsonl"), "--json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert [row["layer"] for row in figures["layers"]] == [1, 2]  # the tiny model's two layers
    assert all(0.0 <= row["auc"] <= 1.0 and row["harmful"] == 2 and row["others"] == 2 for row in figures["layers"])
    assert "layer  1: AUC" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--every", "0"], "--every and --batch-size must be positive"),
    (["--train", "/nonexistent.jsonl"], "cannot read /nonexistent.jsonl"),
    (["--model", "/nonexistent/model"], "no local model folder"),
])
def test_bad_arguments_are_one_line_errors(args, message):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "refusal_probe.py"), "--model", "tiny", *args],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
