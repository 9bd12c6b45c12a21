"""`codealign align` end to end on a tiny random model: every step runs, a rerun skips, a change reruns
from the changed step on, and a crashed step resumes."""

from __future__ import annotations

import json
import re

import pytest

from codealign import recipe
from codealign.cli import main
from codealign.training import load_config

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("align") / "run"
    code = main(["align", "--preset", "cpu-smoke", "--output-dir", str(out)])
    assert code == 0
    return out


def _config(out, *overrides):
    return load_config("cpu-smoke", None, [f"output_dir={out}", *overrides])


def test_every_step_produces_its_output(smoke_run, capsys):
    for stage in ("sft", "reward", "dpo", "grpo"):
        stage_info = json.loads((smoke_run / stage / "stage.json").read_text())
        assert stage_info["stage"] == stage
        assert (smoke_run / stage / "model" / "config.json").exists()
    assert (smoke_run / "grpo" / "completions.jsonl").exists()
    assert (smoke_run / "aligned" / "model.safetensors").exists()
    # the decision head is fitted on the last training stage and shipped next to the weights
    head_info = json.loads((smoke_run / "decision_head" / "stage.json").read_text())
    assert head_info["init"] == str(smoke_run / "grpo" / "model")
    assert (smoke_run / "aligned" / "decision_head.json").read_bytes() == \
        (smoke_run / "decision_head" / "decision_head.json").read_bytes()
    summary = json.loads((smoke_run / "bench" / "summary.json").read_text())
    assert set(summary) == {"tiny", "aligned"}
    assert "insecure_code_rate" in summary["aligned"]["overall"]
    assert "pass_at_1" in summary["aligned"]["overall"]
    timings = json.loads((smoke_run / "timings.json").read_text())
    assert set(timings) == {"sft", "reward", "dpo", "grpo", "decision_head", "export", "bench"}


def test_rerun_skips_everything_and_prints_the_table(smoke_run, capsys):
    assert main(["align", "--preset", "cpu-smoke", "--output-dir", str(smoke_run)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("up to date") == 7
    assert "| insecure_code_rate |" in captured.out and "| metric | tiny | aligned |" in captured.out


def test_a_changed_stage_reruns_from_there_on(smoke_run):
    steps = recipe.plan(_config(smoke_run, "dpo.beta=0.3"))
    assert [s.status for s in steps] == ["up to date", "up to date", "run", "run", "run", "run", "run"]
    steps = recipe.plan(_config(smoke_run, "openers.comply.en=Okay. "))  # what SFT and DPO train on changed
    assert [s.status for s in steps] == ["run"] * 7
    steps = recipe.plan(_config(smoke_run, "align.rl=none"))
    assert [s.name for s in steps] == ["sft", "reward", "dpo", "decision_head", "export", "bench"]
    assert [s.status for s in steps][:3] == ["up to date"] * 3
    assert steps[3].inputs["section"]["init"] == "dpo"
    steps = recipe.plan(_config(smoke_run, "decision_head.threshold=0.5"))  # only the head and what follows
    assert [s.status for s in steps] == ["up to date"] * 4 + ["run"] * 3
    steps = recipe.plan(_config(smoke_run, "decision_head.enabled=false"))
    assert [s.name for s in steps] == ["sft", "reward", "dpo", "grpo", "export", "bench"]
    assert [s.status for s in steps] == ["up to date"] * 4 + ["run"] * 2  # the export loses the head


def test_a_crashed_stage_resumes(smoke_run):
    config = _config(smoke_run)
    dpo = next(s for s in recipe.plan(config) if s.name == "dpo")
    (smoke_run / "dpo" / recipe.FINGERPRINT).rename(smoke_run / "dpo" / recipe.PENDING)
    try:
        statuses = {s.name: s.status for s in recipe.plan(config)}
        assert statuses == {"sft": "up to date", "reward": "up to date", "dpo": "resume", "grpo": "run",
                            "decision_head": "run", "export": "run", "bench": "run"}
    finally:
        (smoke_run / "dpo" / recipe.PENDING).rename(smoke_run / "dpo" / recipe.FINGERPRINT)
    assert dpo.status == "up to date"


def test_dry_run_loads_nothing(tmp_path, capsys):
    assert main(["align", "--preset", "cpu-smoke", "--output-dir", str(tmp_path / "r"), "--dry-run"]) == 0
    assert re.search(r"^sft +run ", capsys.readouterr().err, re.M)
    assert not (tmp_path / "r").exists()


def test_bad_input_is_one_line(tmp_path, capsys):
    assert main(["align", "--preset", "cpu-smoke", "--set", "align.rl=ppo", "--dry-run"]) == 2
    assert capsys.readouterr().err.strip() == "codealign: error: align.rl must be none, grpo or rloo, got 'ppo'"
    assert main(["align", "--model", str(tmp_path / "nowhere"), "--dry-run"]) == 2
    assert "does not exist" in capsys.readouterr().err
    # values a stage would reject only after loading its model fail the plan itself
    assert main(["align", "--preset", "cpu-smoke", "--set", "sft.max_completion_length=0", "--dry-run"]) == 2
    assert "sft.max_completion_length must be a positive integer" in capsys.readouterr().err
    assert main(["align", "--preset", "cpu-smoke", "--set", "sft.mix.harmful=2", "--dry-run"]) == 2
    assert "sft.mix.harmful must be a fraction" in capsys.readouterr().err
    assert main(["align", "--preset", "cpu-smoke", "--set", "decision_head.folds=1", "--dry-run"]) == 2
    assert "decision_head.folds must be an integer of at least 2" in capsys.readouterr().err
    assert main(["align", "--preset", "cpu-smoke", "--set", "decision_head.threshold=high", "--dry-run"]) == 2
    assert "decision_head.threshold must be a number or null" in capsys.readouterr().err
    assert main(["align", "--preset", "cpu-smoke", "--set", "openers.refuse.en=''", "--set", "openers.refuse.zh=''",
                 "--dry-run"]) == 2
    assert "decision_head.enabled needs an opener for each decision" in capsys.readouterr().err


def test_the_head_step_follows_the_files_the_head_reads(tmp_path):
    """The head reads a prompt folder's train and head splits: an edit of its test split leaves the step up to
    date, an edit of either split it reads makes it stale (planning only: nothing is loaded)."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    for split in ("train", "head", "test"):
        (folder / f"{split}.jsonl").write_text(f'{{"id": "{split}-1"}}\n', encoding="utf-8")

    def head_fingerprint():
        config = _config(tmp_path / "run", f"decision_head.prompts={folder}")
        return next(s for s in recipe.plan(config) if s.name == "decision_head").fingerprint

    first = head_fingerprint()
    with (folder / "test.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "test-2"}\n')
    assert head_fingerprint() == first
    for split in ("head", "train"):
        before = head_fingerprint()
        with (folder / f"{split}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(f'{{"id": "{split}-2"}}\n')
        assert head_fingerprint() != before, split
    (folder / "train.jsonl").unlink()
    assert next(s for s in recipe.plan(_config(tmp_path / "run", f"decision_head.prompts={folder}"))
                if s.name == "decision_head").inputs["data"] == "missing"
