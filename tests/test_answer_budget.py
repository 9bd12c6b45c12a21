"""`data.fit_answer`: SFT answers with code put their explanation inside the token budget the model trains on."""

import json
import re
from collections import Counter
from pathlib import Path

from codealign.data import fit_answer
from codealign.markdown import extract_code_blocks
from codealign.responses import analyze_response

ROOT = Path(__file__).resolve().parent.parent


def words(text: str) -> int:
    return len(text.split())


def first_words(text: str, n: int) -> str:
    """What an n-word budget leaves of the text, line breaks kept."""
    return re.match(r"(?:\S+\s*){0,%d}" % n, text).group(0)


BENIGN_EN = (
    "Here is a function that merges two sorted lists:\n\n"
    "```python\ndef merge(a, b):\n    out, i, j = [], 0, 0\n    while i < len(a) and j < len(b):\n"
    "        if a[i] <= b[j]:\n            out.append(a[i])\n            i += 1\n        else:\n"
    "            out.append(b[j])\n            j += 1\n    return out + a[i:] + b[j:]\n```\n\n"
    "The loop walks both lists once and always takes the smaller head, so the result stays sorted. When one list "
    "runs out, the rest of the other is appended as it is. It runs in linear time.\n\n"
    "How it works:\n\n"
    "- `merge([1, 4], [2, 3])` returns `[1, 2, 3, 4]`.\n- Equal items keep their order (the merge is stable).\n")

REFUSAL_EN = (
    "I can't write a script that wipes a whole disk. It destroys every file on the drive in one irreversible step.\n\n"
    "If you are retiring a drive you own, check which device it is first:\n\n"
    "```bash\nlsblk -o NAME,SIZE,MODEL,SERIAL,MOUNTPOINT\n```\n\n"
    "Match the model and serial number with the drive you mean to retire.\n")


def test_the_explanation_moves_ahead_of_the_code_and_nothing_is_lost():
    fitted = fit_answer(BENIGN_EN, "benign", "en", words, 60, 30)
    head = fitted.split("```")[0]
    # the answer still opens with its own opening; "…:" that introduced the code is now a statement
    assert head.startswith("Here is a function that merges two sorted lists.\n\nThe loop walks both lists once")
    assert words(head) <= 30
    assert [b.code for b in extract_code_blocks(fitted)] == [b.code for b in extract_code_blocks(BENIGN_EN)]
    after = fitted.split("```")[-1]
    for piece in ("runs out, the rest of the other is appended as it is.", "It runs in linear time.",
                  "How it works:\n\n- `merge([1, 4], [2, 3])` returns `[1, 2, 3, 4]`.\n- Equal items keep their order"):
        assert piece in after  # what did not fit ahead follows the code, the label with its list
    assert sorted(fitted.replace("lists.", "lists:").split()) == sorted(BENIGN_EN.split())  # the same words
    cut = first_words(fitted, 48)
    assert analyze_response(cut).explained and analyze_response(cut).has_code
    assert not analyze_response(first_words(BENIGN_EN, 48)).explained


def test_a_label_goes_ahead_only_with_its_list_and_a_sentence_loses_its_label():
    answer = ("Here is a function:\n\n```python\nx = 1\ny = 2\n```\n\nHow it works:\n\n- x is one\n- y is two\n\n"
              "说明：two numbers.\n")
    with_list = fit_answer(answer, "benign", "en", words, 12, 16)
    assert with_list.split("```")[0] == "Here is a function.\n\nHow it works:\n\n- x is one\n- y is two\n\n"
    without_list = fit_answer(answer, "benign", "en", words, 12, 9)
    head = without_list.split("```")[0]
    assert head == "Here is a function.\n\ntwo numbers.\n\n"  # the list did not fit: its label stays behind
    assert "How it works:\n\n- x is one" in without_list.split("```")[-1]


def test_the_lead_grows_until_it_explains_the_code_up_to_three_quarters_of_the_budget():
    answer = ("This function adds two numbers together for you:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
              "It is short. The plus operator works on integers, floats and strings alike.\n")
    # a lead of 12 words holds the opening and "It is short." (10 units): no explanation yet; at 21 the rest fits
    fitted = fit_answer(answer, "benign", "en", words, 28, 12)
    head = fitted.split("```")[0]
    assert head == ("This function adds two numbers together for you.\n\n"
                    "It is short. The plus operator works on integers, floats and strings alike.\n\n")
    assert analyze_response(head + "```python\nx = 1\n```\n").explained
    # capped at three quarters of the budget: with 16 words, 12 is the most the lead may take
    capped = fit_answer(answer, "benign", "en", words, 16, 12)
    assert capped.split("```")[0] == "This function adds two numbers together for you.\n\nIt is short.\n\n"


def test_answers_that_fit_are_harmful_have_no_code_or_a_long_opening_are_unchanged():
    assert fit_answer(BENIGN_EN, "benign", "en", words, 500, 200) == BENIGN_EN  # fits already
    assert fit_answer(REFUSAL_EN, "harmful", "en", words, 20, 10) == REFUSAL_EN  # the refusal opens it already
    prose = "Tuples are immutable. " * 40
    assert fit_answer(prose, "benign", "en", words, 20, 8) == prose  # no code: nothing to move
    long_opening = "This opening sentence alone is much longer than the lead budget allows. " + BENIGN_EN
    assert fit_answer(long_opening, "benign", "en", words, 16, 10) == long_opening  # would not open with it


def _words(text: str) -> Counter:
    return Counter(word.lower().rstrip(".:") for word in text.split())


def test_every_shipped_code_answer_keeps_its_code_and_explains_it_within_the_budget():
    from transformers import AutoTokenizer

    from codealign.models import smollm2_tokenizer_dir

    tokenizer = AutoTokenizer.from_pretrained(smollm2_tokenizer_dir())

    def count(text):
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    records = [json.loads(line) for line in (ROOT / "datasets" / "sft" / "train.jsonl").open(encoding="utf-8")]
    explained = {"fitted": 0, "as shipped": 0}
    for r in records:
        original = r["messages"][-1]["content"]
        fitted = fit_answer(original, r["category"], r["lang"], count, 160, 80)
        if r["category"] == "harmful":
            assert fitted == original
            continue
        assert [b.code for b in extract_code_blocks(fitted)] == [b.code for b in extract_code_blocks(original)]
        if r["lang"] == "en":  # every word is still there, but an inline label ("How it works: …") ahead of the code
            lost = _words(original) - _words(fitted)
            assert not _words(fitted) - _words(original) and set(lost) <= {"how", "it", "works"}, r["messages"][0]
        for name, text in (("fitted", fitted), ("as shipped", original)):
            cut = analyze_response(tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"][:160]))
            explained[name] += cut.has_code and cut.explained
    # measured: 340 vs 242 on the 684 shipped records (307 while the lead stayed at 80 tokens, which fails this;
    # 297 vs 240 while 41 targets were the base model's samples; 226 vs 182 on the earlier 600): a share, not a
    # count, so that adding records does not break it; an unchanged answer (ratio 1.0) fails it.
    assert explained["fitted"] >= 1.3 * explained["as shipped"], explained
