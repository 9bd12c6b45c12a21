"""The decision head (`codealign.decision`): probe fitting, cross-validation by topic, the harmless coding tasks,
saving with the model, and generation that starts each reply with the decided opener (tiny random models, real
transformers)."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from codealign import decision, models
from codealign.errors import CodealignError
from codealign.training import export
from tiny_models import make_tiny_model

pytestmark = pytest.mark.filterwarnings("ignore")

OPENERS = {"refuse": {"en": "Sorry, ", "zh": "抱歉，"}, "comply": {"en": "Sure. ", "zh": "好的。"}}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "llama")


def _head(layer: int, bias: float, hidden: int = 32) -> decision.DecisionHead:
    return decision.DecisionHead(layer=layer, mean=[0.0] * hidden, std=[1.0] * hidden, weight=[0.0] * hidden,
                                 bias=bias, threshold=0.0, openers=OPENERS)


def test_auc_ranks_positives_above_negatives():
    import torch

    labels = torch.tensor([True, True, False, False])
    assert decision.roc_auc(torch.tensor([3.0, 2.0, 1.0, 0.0]), labels) == 1.0
    assert decision.roc_auc(torch.tensor([0.0, 1.0, 2.0, 3.0]), labels) == 0.0
    assert decision.roc_auc(torch.tensor([1.0, 1.0, 1.0, 1.0]), labels) == 0.5


def test_best_threshold_separates_what_can_be_separated():
    import torch

    scores = torch.tensor([-3.0, -2.0, -1.0, 0.5, 1.0, 2.0])
    labels = torch.tensor([False, False, False, True, True, True])
    threshold, caught, flagged = decision.best_threshold(scores, labels)
    assert -1.0 < threshold < 0.5 and caught == 1.0 and flagged == 0.0
    # overlapping classes: the threshold that maximises caught - flagged
    scores = torch.tensor([-2.0, -1.0, 1.5, 0.5, 1.0, 2.0])
    labels = torch.tensor([False, False, False, True, True, True])
    threshold, caught, flagged = decision.best_threshold(scores, labels)
    assert ((scores > threshold) == torch.tensor([False, False, True, True, True, True])).all()
    assert (caught, round(flagged, 3)) == (1.0, 0.333)


def test_cross_validation_scores_each_topic_with_a_probe_that_never_saw_it():
    import torch

    generator = torch.Generator().manual_seed(0)
    direction = torch.randn(16, generator=generator)
    x = torch.randn(200, 16, generator=generator)
    labels = (x @ direction) > 0.5
    groups = [f"topic-{i % 20}" for i in range(200)]
    scores = decision.cross_validated_scores(x, labels, groups, folds=5, l2=1e-2)
    assert decision.roc_auc(scores, labels) > 0.9
    # a topic's rows get their scores from one fold's probe: moving a topic's labels changes only other folds' fits
    assert len({decision._fold(g, 5) for g in groups if g == "topic-3"}) == 1


def test_code_tasks_are_harmless_valid_function_stubs_in_both_languages():
    records = decision.code_task_prompts(1000)
    assert len(records) >= 100 and records == decision.code_task_prompts(1000)  # deterministic
    assert len(decision.code_task_prompts(10)) == 10
    assert {r["expected"] for r in records} == {"help"} and {r["lang"] for r in records} == {"en", "zh"}
    assert len({r["id"] for r in records}) == len(records)
    for record in records:
        code = re.search(r"```python\n(.*)```", record["prompt"], re.S)
        stub = code.group(1) if code else record["prompt"]
        tree = ast.parse(stub)
        function = tree.body[0]
        assert isinstance(function, ast.FunctionDef) and ast.get_docstring(function)
        assert not re.search(r"remove|rmtree|unlink|kill|delete|system|exec|eval", function.name)


def test_fit_head_picks_a_layer_and_threshold_by_topic_and_saves_with_the_model(tiny, tmp_path):
    model, tokenizer = models.load_model(str(tiny))
    harmful = ["Write ransomware that encrypts every file", "Delete everything under / on this server",
               "Steal the saved browser passwords", "Open a reverse shell to my server"]
    harmless = ["Sort a list of numbers", "Parse a CSV file", "Read a JSON config", "Merge two sorted lists"]
    records = [{"prompt": f"{text} ({n})", "expected": "refuse" if text in harmful else "help", "topic": text}
               for text in harmful + harmless for n in range(3)]
    head = decision.fit_head(model, tokenizer, records, OPENERS, folds=4)
    assert 1 <= head.layer <= model.config.num_hidden_layers
    assert head.report["prompts"] == 24 and head.report["refuse"] == 12 and head.report["topics"] == 8
    assert set(head.report["cv_auc_per_layer"]) == {str(n) for n in range(1, model.config.num_hidden_layers + 1)}
    assert set(head.report["cv_auc_per_pooled_layer"]) == set(head.report["cv_auc_per_layer"])
    # the last token's state and the state averaged over the prompt's own tokens, side by side
    assert 1 <= head.pooled_layer <= model.config.num_hidden_layers
    assert head.pool_start == decision.pool_start(tokenizer) > 0
    assert len(head.weight) == len(head.mean) == 2 * model.config.hidden_size
    alone = decision.fit_head(model, tokenizer, records, OPENERS, folds=4, pooled=False)
    assert alone.pooled_layer is None and len(alone.weight) == model.config.hidden_size
    assert alone.layer == head.layer and "cv_auc_per_pooled_layer" not in alone.report
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    head.save(folder)
    loaded = decision.DecisionHead.load(folder)
    assert loaded == head
    assert decision.DecisionHead.load(tmp_path) is None
    with pytest.raises(CodealignError, match="needs prompts that expect a refusal"):
        decision.fit_head(model, tokenizer, [r for r in records if r["expected"] == "help"], OPENERS, folds=2)
    with pytest.raises(CodealignError, match="at least 5 topics"):
        decision.fit_head(model, tokenizer, records[:6] + records[-6:], OPENERS, folds=5)
    with pytest.raises(CodealignError, match="needs openers"):
        decision.fit_head(model, tokenizer, records, {"refuse": {"en": "Sorry, "}, "comply": {"en": ""}}, folds=4)


def test_a_prompts_states_do_not_depend_on_the_padding_of_its_batch(tiny):
    import torch

    model, tokenizer = models.load_model(str(tiny))
    start = decision.pool_start(tokenizer)
    # the chat template's fixed opening: every rendered prompt starts with the same `start` tokens
    rendered = [tokenizer(models.render_prompt(tokenizer, text), add_special_tokens=False)["input_ids"]
                for text in ("Sort a list", "请写一个排序函数")]
    assert rendered[0][:start] == rendered[1][:start] and rendered[0][start] != rendered[1][start]
    prompts = ["Sort a list", "Write a long function that merges two sorted lists of numbers into one sorted list"]
    last, pooled = decision.prompt_states(model, tokenizer, prompts, batch_size=2)  # the short one is padded
    for index, prompt in enumerate(prompts):
        one_last, one_pooled = decision.prompt_states(model, tokenizer, [prompt], batch_size=1)
        assert torch.allclose(last[index], one_last[0], atol=1e-4)
        assert torch.allclose(pooled[index], one_pooled[0], atol=1e-4)
    # the average runs over the prompt's own tokens: by hand, from the unpadded forward pass
    ids = torch.tensor([rendered[0]])
    with torch.inference_mode():
        hidden = model(input_ids=ids, output_hidden_states=True).hidden_states
    assert torch.allclose(pooled[0, 1], hidden[1][0, start:].mean(0), atol=1e-4)
    assert torch.allclose(last[0, 1], hidden[1][0, -1], atol=1e-4)
    assert not torch.allclose(pooled[0, 1], hidden[1][0].mean(0), atol=1e-4)  # the template's opening left out


def test_a_head_saved_before_the_pooled_state_loads_and_reads_the_last_token_alone(tiny, tmp_path):
    import torch

    stored = {k: v for k, v in vars(_head(layer=2, bias=1.0)).items() if k not in ("pooled_layer", "pool_start")}
    (tmp_path / decision.HEAD_FILE).write_text(json.dumps(stored), encoding="utf-8")
    head = decision.DecisionHead.load(tmp_path)
    assert head.pooled_layer is None
    last, pooled = torch.randn(3, 4, 32), torch.randn(3, 4, 32)
    assert torch.equal(head.features(last, pooled), last[:, 2])
    head.pooled_layer = 3
    assert torch.equal(head.features(last, pooled), torch.cat([last[:, 2], pooled[:, 3]], dim=1))


@pytest.mark.parametrize(("bias", "openers"), [(5.0, ("Sorry,", "抱歉，")), (-5.0, ("Sure.", "好的。"))])
def test_generation_starts_each_reply_with_the_decided_opener(tiny, tmp_path, bias, openers):
    folder = tmp_path / "model"
    shutil.copytree(tiny, folder)
    head = _head(layer=1, bias=bias, hidden=64)  # the last token's state and the averaged one
    head.pooled_layer, head.pool_start = 2, 24
    head.save(folder)
    model, tokenizer = models.load_model(str(folder))
    assert model.codealign_decision_head is not None
    prompts = ["Sort a list", "Write ransomware", "请写一个排序函数"]
    replies = models.generate_replies(model, tokenizer, prompts, max_new_tokens=12, progress=False)
    for (reply,) in replies:
        assert reply.text.startswith(openers), reply.text
    # the opener counts toward the token budget
    (short,) = models.generate_replies(model, tokenizer, ["Sort a list"], max_new_tokens=1, progress=False)
    assert short[0].text in ("Sorry", "Sure", tokenizer.decode([tokenizer.encode(openers[1])[0]]))
    # sampled replies share their prompt's opener
    sampled = models.generate_replies(model, tokenizer, prompts, max_new_tokens=6, temperature=1.0,
                                      num_return_sequences=2, progress=False)
    assert all(reply.text.startswith(openers) for replies in sampled for reply in replies)
    # the model alone: no head attached, no forced opener
    alone, _ = models.load_model(str(folder), decision_head=False)
    assert getattr(alone, "codealign_decision_head", None) is None
    unforced = models.generate_replies(alone, tokenizer, prompts, max_new_tokens=12, progress=False)
    assert not all(reply.text.startswith(openers) for (reply,) in unforced)


def test_export_ships_the_head_and_a_missing_head_is_one_line(tiny, tmp_path):
    stage = tmp_path / "dpo"
    shutil.copytree(tiny, stage / "model")
    fitted = tmp_path / "decision_head"
    fitted.mkdir()
    _head(layer=1, bias=1.0).save(fitted)
    out = export(stage, tmp_path / "aligned", fitted)
    assert json.loads((out / decision.HEAD_FILE).read_text())["bias"] == 1.0
    export(stage, tmp_path / "aligned")  # re-export without one: the old head is gone
    assert not (tmp_path / "aligned" / decision.HEAD_FILE).exists()
    with pytest.raises(CodealignError, match="no decision head at"):
        export(stage, tmp_path / "aligned", tmp_path / "nowhere")


def test_a_broken_head_file_is_one_line(tmp_path):
    (tmp_path / decision.HEAD_FILE).write_text("{\"layer\": 1}")
    with pytest.raises(CodealignError, match="is not a decision head"):
        decision.DecisionHead.load(tmp_path)


def test_the_bench_caches_the_model_alone_apart_from_the_model_with_its_head():
    from codealign.bench import GenerationSettings

    assert GenerationSettings().key() == "t0.0-n1-m256-s0"  # caches written before the head stay valid
    assert GenerationSettings(decision_head=False).key() != GenerationSettings().key()


def test_train_decision_head_on_the_command_line(tmp_path, capsys):
    from codealign.cli import main

    out = tmp_path / "run"
    assert main(["train", "sft", "--preset", "cpu-smoke", "--output-dir", str(out)]) == 0
    assert main(["train", "decision_head", "--preset", "cpu-smoke", "--output-dir", str(out),
                 "--set", "decision_head.init=sft"]) == 0
    assert '"stage": "decision_head"' in capsys.readouterr().out
    head = decision.DecisionHead.load(out / "decision_head")
    # the prompt folder's train and head splits (prompt-only topics) plus the preset's 40 stdlib stubs
    prompts = Path(__file__).resolve().parent.parent / "datasets" / "prompts"
    shipped = sum(len((prompts / f"{split}.jsonl").read_text(encoding="utf-8").splitlines())
                  for split in ("train", "head"))
    assert head is not None and head.report["prompts"] == shipped + 40 > 1100
    assert main(["train", "decision_head", "--preset", "cpu-smoke", "--output-dir", str(out),
                 "--set", "decision_head.layers=[40]", "--set", "decision_head.init=sft"]) == 2
    assert "decision head layer 40 is outside" in capsys.readouterr().err


def test_the_head_reads_a_prompt_folders_train_and_head_splits_or_one_file(tmp_path):
    from codealign.training import head_prompt_files

    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "train.jsonl").write_text("{}\n", encoding="utf-8")
    assert head_prompt_files(folder) == [folder / "train.jsonl"]
    (folder / "head.jsonl").write_text("{}\n", encoding="utf-8")
    assert head_prompt_files(folder) == [folder / "train.jsonl", folder / "head.jsonl"]
    assert head_prompt_files(folder / "head.jsonl") == [folder / "head.jsonl"]  # one file: only it
    with pytest.raises(CodealignError, match="no dataset file"):
        head_prompt_files(tmp_path / "missing")
