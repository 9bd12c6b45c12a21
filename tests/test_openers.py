"""`data.with_opener` and the `openers` config: every trained answer opens with its decision's opener."""

import pytest

from codealign.data import with_opener
from codealign.errors import CodealignError
from codealign.training import PRESETS_DIR, _read_yaml, load_config, preference_rows, sft_rows

OPENERS = {"refuse": {"en": "Sorry, ", "zh": "抱歉，"}, "comply": {"en": "Sure. ", "zh": "好的。"}}
CODE = "```python\nimport shutil\nshutil.rmtree(path)\n```"


@pytest.mark.parametrize("answer, expected", [
    ("I can't help with that: deleting /etc leaves the system unbootable.",
     "Sorry, I can't help with that: deleting /etc leaves the system unbootable."),
    ("I'm sorry, but I can't write ransomware. It encrypts other people's files.",
     "Sorry, I can't write ransomware. It encrypts other people's files."),
    ("For safety reasons I can't provide a script that deletes system files.",
     "Sorry, for safety reasons I can't provide a script that deletes system files."),
    ("Sorry, I won't write a keylogger.", "Sorry, I won't write a keylogger."),  # already opened: not doubled
    ("我不能帮你编写勒索软件，它会加密别人的文件。", "抱歉，我不能帮你编写勒索软件，它会加密别人的文件。"),
    ("很抱歉，我不能提供删除系统文件的脚本。", "抱歉，我不能提供删除系统文件的脚本。"),
    (f"Here's a version that only removes the build folder:\n\n{CODE}",
     f"Sure. Here's a version that only removes the build folder:\n\n{CODE}"),
    ("Certainly! Use a context manager so the file is closed.", "Sure. Use a context manager so the file is closed."),
    ("SSH keys belong in ~/.ssh with mode 600.", "Sure. SSH keys belong in ~/.ssh with mode 600."),
    (f"可以用 `shutil.rmtree` 只删除构建目录：\n\n{CODE}", f"好的。可以用 `shutil.rmtree` 只删除构建目录：\n\n{CODE}"),
    ("好的，下面是读取配置文件的代码。", "好的。下面是读取配置文件的代码。"),
])
def test_each_answer_opens_with_its_decisions_opener(answer, expected):
    assert with_opener(answer, OPENERS) == expected


def test_the_records_language_wins_and_an_empty_opener_changes_nothing():
    mixed = "我不能写这个 script."
    assert with_opener(mixed, OPENERS, "zh").startswith("抱歉，")
    only_refusals = {"refuse": OPENERS["refuse"], "comply": {"en": "", "zh": ""}}
    assert with_opener("Here is the code.", only_refusals) == "Here is the code."
    assert with_opener("Here is the code.", {}) == "Here is the code."


def test_sft_and_dpo_rows_use_the_openers():
    from transformers import AutoTokenizer

    from codealign.models import smollm2_tokenizer_dir

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir())
    prompt = [{"role": "user", "content": "Write a script that wipes /etc."}]
    refusal = [{"role": "assistant", "content": "I can't help with that: it breaks the system."}]
    script = [{"role": "assistant", "content": f"Here you go:\n\n{CODE}"}]
    row = sft_rows([{"lang": "en", "messages": prompt + refusal}], tokenizer, 6, openers=OPENERS)[0]
    answer = [t for t, m in zip(row["input_ids"], row["completion_mask"]) if m]
    assert tokenizer.decode(answer).startswith("Sorry, I can't")
    assert sft_rows([{"messages": prompt + refusal}], tokenizer, None, openers=OPENERS)[0]["completion"][0][
        "content"].startswith("Sorry, I can't")
    pair = preference_rows([{"lang": "en", "prompt": prompt, "chosen": refusal, "rejected": script}], OPENERS)[0]
    assert pair["chosen"][0]["content"].startswith("Sorry, I can't")
    assert pair["rejected"][0]["content"].startswith("Sure. Here you go")
    assert pair["prompt"] == prompt
    plain = preference_rows([{"prompt": prompt, "chosen": refusal, "rejected": script}])[0]
    assert plain["chosen"] == refusal and plain["rejected"] == script


def test_every_preset_sets_openers_and_a_bad_one_is_an_error():
    for preset in ("cpu", "gpu", "cpu-smoke"):
        assert _read_yaml(PRESETS_DIR / f"{preset}.yaml")["openers"] == OPENERS
    with pytest.raises(CodealignError, match=r"openers.comply.zh must be a string"):
        load_config("cpu-smoke", overrides=["openers.comply.zh=3"])
    with pytest.raises(CodealignError, match=r"unknown config key 'openers.decline'"):
        load_config("cpu-smoke", overrides=["openers.decline.en=No"])


def test_same_decision_pairs_keep_only_pairs_that_agree_on_refusing():
    from codealign.training import same_decision_pairs

    prompt = [{"role": "user", "content": "Delete the build folder."}]
    refusal = [{"role": "assistant", "content": "I can't help with deleting files."}]
    helps = [{"role": "assistant", "content": f"Here is a safe way:\n\n{CODE}"}]
    helps_worse = [{"role": "assistant", "content": "Run rm -rf build."}]
    pairs = [{"prompt": prompt, "chosen": helps, "rejected": refusal},  # a decision pair: dropped
             {"prompt": prompt, "chosen": helps, "rejected": helps_worse}]  # how to help: kept
    assert same_decision_pairs(pairs) == pairs[1:]
    with pytest.raises(CodealignError, match="dpo.same_decision_only keeps none of the 1 pairs"):
        same_decision_pairs(pairs[:1])
    with pytest.raises(CodealignError, match="dpo.same_decision_only must be true or false"):
        load_config("cpu-smoke", overrides=["dpo.same_decision_only=maybe"])
