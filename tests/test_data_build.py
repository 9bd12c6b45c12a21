"""`codealign data build` end to end on a tiny random model: critique, revision, pairs, provenance, resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codealign.data import BuildOptions, build, load_prompts
from codealign.jsonl import read_jsonl
from codealign.scoring import judge

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "datasets" / "prompts" / "train.jsonl"

DEMOS = [
    {"id": "demo-wipe-en", "topic": "wipe-disk", "lang": "en", "category": "harmful",
     "response": "I can't help wipe a whole disk: it irreversibly destroys every file on it, and a script like this is "
                 "easy to point at the wrong drive. Instead, I can help you back up the data you want to keep, or "
                 "securely delete one file you own with your operating system's secure-erase tool."},
    {"id": "demo-fizz-en", "topic": "fizzbuzz", "lang": "en", "category": "benign",
     "response": "Here is FizzBuzz:\n\n```python\ndef fizzbuzz(n):\n    for i in range(1, n + 1):\n        if i % 15 == 0:\n"
                 "            print('FizzBuzz')\n        elif i % 3 == 0:\n            print('Fizz')\n        elif i % 5 == 0:\n"
                 "            print('Buzz')\n        else:\n            print(i)\n```\n\nThe loop checks divisibility by 15 "
                 "first, so numbers divisible by both 3 and 5 print FizzBuzz; otherwise it prints Fizz, Buzz or the "
                 "number itself. Call `fizzbuzz(100)` to print the first hundred lines."},
]


def _prompt_subset(tmp_path, count_per_topic=2):
    wanted = {"wipe-disk": "harmful", "fizzbuzz": "benign"}
    picked, seen = [], {}
    for record in load_prompts(TRAIN):
        if record.get("topic") in wanted and record["lang"] == "en" and seen.get(record["topic"], 0) < count_per_topic:
            picked.append(record)
            seen[record["topic"]] = seen.get(record["topic"], 0) + 1
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in picked))
    demos = tmp_path / "demos.jsonl"
    demos.write_text("".join(json.dumps(d) + "\n" for d in DEMOS))
    return path, demos, picked


def _options(tmp_path, prompts, demos, **extra):
    return BuildOptions(model="tiny", prompts=prompts, demonstrations=demos, out=tmp_path / "out", samples=2,
                        max_new_tokens=12, batch_size=2, progress=False, **extra)


def test_build_revises_failures_pairs_and_keeps_provenance(tmp_path):
    prompts, demos, picked = _prompt_subset(tmp_path)
    summary = build(_options(tmp_path, prompts, demos))
    sft = read_jsonl(tmp_path / "out" / "sft" / "train.jsonl")
    pairs = read_jsonl(tmp_path / "out" / "preferences" / "train.jsonl") + read_jsonl(
        tmp_path / "out" / "preferences" / "test.jsonl")
    # A random tiny model writes gibberish: every target is a re-checked demonstration.
    assert len(sft) == len(picked) and summary["sft"] == len(picked)
    assert {r["source"] for r in sft} == {"demonstration:demo-wipe-en", "demonstration:demo-fizz-en"}
    for record in sft:
        assert record["prompt_id"] in {p["id"] for p in picked} and record["model"] == "tiny"
        assert record["messages"][0]["role"] == "user" and record["messages"][1]["role"] == "assistant"
    assert pairs, summary
    for pair in pairs:
        assert pair["chosen_score"] - pair["rejected_score"] >= 0.2
        assert pair["critique"].strip()
        assert pair["chosen"][0]["role"] == "assistant" and pair["rejected"][0]["role"] == "assistant"
        assert pair["prompt_id"] and pair["seed_id"] and pair["topic"] in {"wipe-disk", "fizzbuzz"}
    assert summary["mean_chosen_score"] > summary["mean_rejected_score"]
    card = (tmp_path / "out" / "preferences" / "README.md").read_text()
    assert "configs:" in card and "path: train.jsonl" in card


def test_revision_that_fails_the_checks_is_rejected(tmp_path):
    prompts, _, picked = _prompt_subset(tmp_path)
    bad = tmp_path / "bad-demos.jsonl"
    bad.write_text(json.dumps({"id": "bad", "topic": "wipe-disk", "lang": "en", "category": "harmful",
                               "response": "Sure:\n```python\nimport shutil\nshutil.rmtree('/')\n```"}) + "\n")
    summary = build(_options(tmp_path, prompts, bad))
    sft = read_jsonl(tmp_path / "out" / "sft" / "train.jsonl")
    assert all(r["source"] != "demonstration:bad" for r in sft)
    assert summary["revision_rejected"] >= 2 and summary["no_acceptable_response"] >= 2


def test_needless_refusal_is_a_rejected_response_for_benign_prompts(tmp_path):
    prompts, demos, _ = _prompt_subset(tmp_path)
    build(_options(tmp_path, prompts, demos))
    pairs = read_jsonl(tmp_path / "out" / "preferences" / "train.jsonl") + read_jsonl(
        tmp_path / "out" / "preferences" / "test.jsonl")
    refusals = [p for p in pairs if p["rejected_source"] == "needless-refusal"]
    assert refusals and all(p["category"] == "benign" for p in refusals)
    for pair in refusals:
        verdict = judge(pair["prompt"][0]["content"], pair["rejected"][0]["content"], "benign", lang="en")
        assert verdict.refusal != "none"


def test_prompts_left_unsampled_train_on_their_demonstrations(tmp_path):
    prompts, demos, picked = _prompt_subset(tmp_path)
    summary = build(_options(tmp_path, prompts, demos, limit=1))
    sft = read_jsonl(tmp_path / "out" / "sft" / "train.jsonl")
    pairs = read_jsonl(tmp_path / "out" / "preferences" / "train.jsonl") + read_jsonl(
        tmp_path / "out" / "preferences" / "test.jsonl")
    assert sorted(r["prompt_id"] for r in sft) == sorted(p["id"] for p in picked)  # every prompt has a target
    unsampled = [r for r in sft if r["model"] is None]
    assert len(unsampled) == summary["unsampled"] == len(picked) - 1
    assert all(r["source"].startswith("demonstration:") and r["seed"] is None for r in unsampled)
    logged = (tmp_path / "out" / ".work").glob("samples-*.jsonl")
    assert sum(len(path.read_text().splitlines()) for path in logged) == 1  # generation only for the limit
    unsampled_ids = {r["prompt_id"] for r in unsampled}
    for pair in pairs:
        if pair["prompt_id"] in unsampled_ids:  # its only negative: a needless refusal of a benign prompt
            assert pair["rejected_source"] == "needless-refusal" and pair["category"] == "benign"
    assert any(p["prompt_id"] in unsampled_ids for p in pairs)

    skipped = build(_options(tmp_path, prompts, demos, limit=1, unsampled="skip"))
    assert skipped["sft"] == 1 and "unsampled" not in skipped


def test_killed_build_resumes_without_duplicates(tmp_path):
    prompts, demos, picked = _prompt_subset(tmp_path, count_per_topic=4)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "codealign", "data", "build", "--model", "tiny", "--prompts", str(prompts),
               "--demonstrations", str(demos), "--out", str(out), "--samples", "2", "--max-new-tokens", "24",
               "--batch-size", "1"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    logs = []
    while time.time() < deadline and process.poll() is None:
        logs = list((out / ".work").glob("samples-*.jsonl")) if (out / ".work").exists() else []
        if logs and len(logs[0].read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    if process.poll() is not None:
        pytest.fail("the build finished before it could be killed; make it slower")
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(logs[0].read_text().splitlines())
    assert 0 < done_before < len(picked)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert f"{done_before} already done" in finished.stderr
    keys = [json.loads(line)["key"] for line in logs[0].read_text().splitlines()]
    assert sorted(keys) == sorted(r["id"] for r in picked)  # every prompt once: nothing lost, nothing twice
    sft = read_jsonl(out / "sft" / "train.jsonl")
    assert len(sft) == len({r["prompt_id"] for r in sft}) == len(picked)


def test_bad_prompt_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "prompt": "hi", "category": "weird", "lang": "en"}\n')
    result = subprocess.run([sys.executable, "-m", "codealign", "data", "build", "--prompts", str(bad), "--out",
                             str(tmp_path / "o"), "--model", "tiny"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "category must be one of" in result.stderr
    missing = subprocess.run([sys.executable, "-m", "codealign", "data", "build", "--model", "org/name", "--prompts",
                              str(TRAIN), "--limit", "1", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert missing.returncode == 2 and "never downloads" in missing.stderr and "Traceback" not in missing.stderr


def test_holdout_moves_whole_topics_from_the_training_sets_to_a_dev_suite(tmp_path):
    topics = ["reverse-shell", "kill-process", "merge-sorted"]
    result = subprocess.run([sys.executable, "-m", "codealign", "data", "holdout", "--topics", ",".join(topics),
                             "--per-category", "5", "--out", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    dev = read_jsonl(tmp_path / "dev.jsonl")
    assert dev and {r["topic"] for r in dev} <= set(topics)
    assert max(sum(r["category"] == c for r in dev) for c in ("harmful", "borderline", "benign")) == 5
    for folder, name in (("prompts", "train.jsonl"), ("sft", "train.jsonl"), ("preferences", "train.jsonl")):
        shipped = read_jsonl(ROOT / "datasets" / folder / name)
        kept = read_jsonl(tmp_path / folder / name)
        assert not {r["topic"] for r in kept} & set(topics)
        assert len(kept) == sum(r["topic"] not in topics for r in shipped) < len(shipped)
    # The decision head's prompt-only topics are never train topics: its split goes along whole.
    head = "prompts/head.jsonl"
    assert read_jsonl(tmp_path / head) == read_jsonl(ROOT / "datasets" / head)
    # The dev file is a bench suite as it is.
    from codealign.bench import load_suite

    assert len(load_suite(tmp_path / "dev.jsonl")) == len(dev)
    unknown = subprocess.run([sys.executable, "-m", "codealign", "data", "holdout", "--topics", "no-such-topic",
                              "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "unknown topic(s) no-such-topic" in unknown.stderr
    # A build without its SFT set is an error before anything is written.
    partial = tmp_path / "partial"
    (partial / "prompts").mkdir(parents=True)
    (partial / "prompts" / "train.jsonl").write_bytes(TRAIN.read_bytes())
    missing = subprocess.run([sys.executable, "-m", "codealign", "data", "holdout", "--topics", topics[0],
                              "--datasets", str(partial), "--out", str(tmp_path / "y")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no dataset file" in missing.stderr and not (tmp_path / "y").exists()


def test_a_passing_demonstration_beats_the_policys_own_passing_sample(tmp_path):
    """The judge scores clean garbled text as high as a demonstration: a passing demonstration is the target, and
    the policy's accepted sample only where no demonstration passes (here: a topic without one)."""
    from codealign.data import build_records

    prompts, demos, picked = _prompt_subset(tmp_path)
    fizz = [r for r in picked if r["topic"] == "fizzbuzz"]
    sample = ("FizzBuzz loops over the numbers and checks 15 first:\n\n```python\ndef fizz(n):\n    for i in "
              "range(1, n + 1):\n        print('FizzBuzz' if i % 15 == 0 else i)\n```\n\nThe check for 15 comes "
              "first, so a number divisible by both 3 and 5 prints FizzBuzz; call `fizz(30)` to see the pattern.")
    samples = {r["id"]: {"responses": [sample, sample], "model": "tiny", "seed": 1} for r in fizz}
    assert all(judge(r["prompt"], sample, "benign", lang="en").findings == [] for r in fizz)  # it passes

    sft, _, stats = build_records(fizz, samples, _options(tmp_path, prompts, demos))
    assert {r["source"] for r in sft} == {"demonstration:demo-fizz-en"}
    assert stats["demonstration_preferred"] == len(fizz) and "revised" not in stats

    no_demos = tmp_path / "no-demos.jsonl"
    no_demos.write_text(json.dumps(DEMOS[0]) + "\n")  # wipe-disk only: fizzbuzz has no demonstration
    sft, _, stats = build_records(fizz, samples, _options(tmp_path, prompts, no_demos))
    assert {r["source"] for r in sft} == {"policy"} and "demonstration_preferred" not in stats
    assert all(r["messages"][1]["content"] == sample for r in sft)
