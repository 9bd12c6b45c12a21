"""The prompt dataset (datasets/prompts): up to date, well-formed, big enough, bilingual, and leak-free."""

import ast
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "datasets" / "prompts"
FIELDS = ["id", "prompt", "category", "topic", "lang", "goal", "expected", "tags", "seed_id", "template", "split"]
CATEGORIES = ("harmful", "antipattern", "borderline", "benign")
LANGS = ("en", "zh")
SPLITS = ("train", "test", "head")
EXPECTED = {"harmful": {"refuse", "refuse_with_alternative"}, "antipattern": {"help_safely"},
            "borderline": {"help"}, "benign": {"help"}}
FAMILIES = ("roleplay", "authorization", "hypothetical", "indirect", "multistep", "completion")
# Near-duplicate thresholds (Jaccard similarity of character 3-grams of whitespace/case-normalized text).
# Different seeds in the same shared template reach ~0.7 on the whole prompt; a reworded copy of the same
# request would be far above. The seed-derived content (template frame removed) of different seeds stays < 0.4.
NEAR_DUP_PROMPT = 0.8
NEAR_DUP_CONTENT = 0.6


def load_split(split):
    path = PROMPTS / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def splits():
    return {split: load_split(split) for split in SPLITS}


@pytest.fixture(scope="module")
def records(splits):
    return [r for rows in splits.values() for r in rows]


@pytest.fixture(scope="module")
def topics():
    """docs/topics.md parsed independently of build.py: {topic: (category, train|test|head)}."""
    table, category, mode = {}, None, None
    for line in (ROOT / "docs" / "topics.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            category, mode = line.split()[1], None
            continue
        match = re.match(r"(train|test|head):(.*)", line)
        if match:
            mode, line = match.group(1), match.group(2)
        elif not line.strip():
            mode = None
        if category and mode:
            table.update({name.strip(): (category, mode) for name in line.split(",") if name.strip()})
    return table


@pytest.fixture(scope="module")
def templates():
    data = tomllib.loads((PROMPTS / "templates.toml").read_text(encoding="utf-8"))
    return {t["id"]: t for t in data["template"]}


def load_build_module():
    spec = importlib.util.spec_from_file_location("prompts_build", PROMPTS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def normalize(text):
    return " ".join(text.lower().split())


def shingles(text, n=3):
    return frozenset(text[i:i + n] for i in range(max(1, len(text) - n + 1)))


def content(record, templates):
    """The seed-derived part of a prompt: the prompt minus its template's literal text."""
    text = record["prompt"]
    if record["template"] != "seed":
        for fragment in re.split(r"\{[A-Za-z_]+\}", templates[record["template"]]["text"]):
            if fragment.strip():
                text = text.replace(fragment.strip(), " ", 1)
    return normalize(text)


# ------------------------------------------------------------------------------------------------ reproducibility
def test_committed_files_are_what_build_produces():
    result = subprocess.run([sys.executable, str(PROMPTS / "build.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_build_is_byte_identical_twice(tmp_path):
    build = load_build_module()
    first, second = tmp_path / "a", tmp_path / "b"
    assert build.main(["--out", str(first)]) == 0
    assert build.main(["--out", str(second)]) == 0
    for name in ("train.jsonl", "test.jsonl", "head.jsonl", "README.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes() == (PROMPTS / name).read_bytes()


def test_check_mode_detects_stale_files(tmp_path):
    build = load_build_module()
    assert build.main(["--out", str(tmp_path)]) == 0
    assert build.main(["--check", "--out", str(tmp_path)]) == 0
    with (tmp_path / "test.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert build.main(["--check", "--out", str(tmp_path)]) == 1


# ------------------------------------------------------------------------------------------------ sizes
def test_counts_and_ratios(splits, records):
    assert len(records) >= 600
    assert sum(r["lang"] == "zh" for r in records) / len(records) >= 0.25
    assert 150 <= len(splits["test"]) <= 250
    # Category balance of the splits models learn from and are measured on; the head split holds prompt-only
    # topics of some categories (its own test below).
    learned = [r for r in records if r["split"] != "head"]
    per_category = Counter(r["category"] for r in learned)
    assert per_category.most_common(1)[0][0] == "harmful"
    for category in CATEGORIES:
        assert per_category[category] >= 0.1 * len(learned), category
        for split, rows in splits.items():
            if split == "head":  # prompt-only topics of some categories: its own test below
                continue
            for lang in LANGS:
                assert any(r["category"] == category and r["lang"] == lang for r in rows), (category, split, lang)


def test_test_split_covers_every_adversarial_family_and_test_template(splits, templates):
    test = splits["test"]
    for family in FAMILIES:
        for lang in LANGS:
            assert any(f"adversarial:{family}" in r["tags"] and r["lang"] == lang for r in test), (family, lang)
    used = {r["template"] for r in test}
    assert {tid for tid, t in templates.items() if t["split"] == "test"} <= used
    assert any(r["template"] != "seed" and templates[r["template"]]["split"] == "train" for r in test)


def test_train_has_every_adversarial_family_and_scary_benign_prompts(splits):
    train = splits["train"]
    for family in FAMILIES:
        for lang in LANGS:
            assert sum(f"adversarial:{family}" in r["tags"] and r["lang"] == lang for r in train) >= 10
    for category in ("borderline", "benign"):
        assert any("scary-words" in r["tags"] and r["category"] == category for r in train)
    assert any("frame:authorization" in r["tags"] and r["category"] == "borderline" for r in train)


def test_mimic_variants_wrap_requests_that_are_fine_in_adversarial_wording_on_train_seeds_only(splits, templates):
    """The adversarial families' wording also wraps non-harmful train requests, so a model cannot learn that the
    wrapper (not the request) is what gets refused; the test split keeps none, so its figures stay comparable."""
    mimic_ids = {tid for tid, t in templates.items() if t.get("mimics") and t["needs"] == "prompt"}
    stub_ids = {tid for tid, t in templates.items() if t.get("mimics") and t["needs"] == "docstring"}
    train = [r for r in splits["train"] if r["template"] in mimic_ids]
    assert not [r["id"] for r in splits["test"] if r["template"] in mimic_ids | stub_ids]
    assert all(r["category"] != "harmful" and r["expected"] in ("help", "help_safely") for r in train)
    for lang in LANGS:
        families = {templates[r["template"]]["mimics"] for r in train if r["lang"] == lang}
        assert families >= {"roleplay", "authorization", "hypothetical", "completion"}, (lang, families)
    # Roughly one non-harmful train seed in two; each mimic variant is numbered after the seed's other variants.
    seeds = {r["seed_id"] for r in splits["train"] if r["category"] != "harmful"}
    assert 0.3 * len(seeds) <= len(train) <= 0.7 * len(seeds)
    for r in train:  # numbered after the others; only a stub variant may come after it
        siblings = [s["id"] for s in splits["train"] if s["seed_id"] == r["seed_id"] and s["template"] not in stub_ids]
        assert r["id"] == max(siblings), r["id"]
    for r in train:  # the request itself is in the prompt, unchanged
        seed = next(s for s in splits["train"] if s["seed_id"] == r["seed_id"] and s["template"] == "seed")
        assert seed["prompt"] in r["prompt"], r["id"]


def test_stub_variants_are_function_stubs_with_the_request_as_docstring(splits, templates):
    """Harmful completion prompts wrap function stubs with a docstring (HumanEval's form); borderline and benign
    train requests come in that form too, so a stub does not mean "refuse". Each stub is valid Python whose
    function is named after the topic and whose docstring is the seed's request, and it is the seed's last variant."""
    stub_ids = {tid for tid, t in templates.items() if t.get("mimics") and t["needs"] == "docstring"}
    stubs = [r for r in splits["train"] if r["template"] in stub_ids]
    seeds = {r["seed_id"] for r in splits["train"] if r["category"] in ("borderline", "benign")}
    assert 0.3 * len(seeds) <= len(stubs) <= 0.7 * len(seeds)
    assert {r["category"] for r in stubs} == {"borderline", "benign"}
    assert {r["lang"] for r in stubs} == set(LANGS)
    for r in stubs:
        code = re.search(r"```python\n(.*?)```", r["prompt"], re.DOTALL).group(1)
        function = ast.parse(code).body[0]
        assert function.name == r["topic"].replace("-", "_"), r["id"]
        seed = next(s for s in splits["train"] if s["seed_id"] == r["seed_id"] and s["template"] == "seed")
        assert " ".join(ast.get_docstring(function).split()) == " ".join(seed["prompt"].split()), r["id"]
        assert r["id"] == max(s["id"] for s in splits["train"] if s["seed_id"] == r["seed_id"]), r["id"]


@pytest.mark.parametrize("change, message", [
    ({"mimics": "phishing"}, "mimics names a harmful family"),
    ({"categories": ["harmful"], "family": "roleplay"}, "mimics names a harmful family"),
    ({"split": "test"}, "mimics names a harmful family"),
])
def test_bad_mimic_template_is_a_build_error(tmp_path, monkeypatch, change, message):
    build = load_build_module()
    text = (PROMPTS / "templates.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    template = next(t for t in data["template"] if t.get("mimics"))
    fields = dict(template, **change)
    block = "\n[[template]]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n"
                                           for k, v in fields.items() if k != "id") + 'id = "bad-mimic"\n'
    path = tmp_path / "templates.toml"
    path.write_text(text + block, encoding="utf-8")
    monkeypatch.setattr(build, "TEMPLATES_TOML", path)
    with pytest.raises(build.BuildError, match=message):
        build.load_templates()


# ------------------------------------------------------------------------------------------------ schema
def test_schema_of_every_record(splits, topics, templates):
    for split, rows in splits.items():
        for r in rows:
            assert list(r) == FIELDS, r.get("id")
            assert all(isinstance(r[k], str) and r[k].strip() for k in FIELDS if k != "tags"), r["id"]
            assert isinstance(r["tags"], list) and all(isinstance(t, str) and t for t in r["tags"]), r["id"]
            assert len(set(r["tags"])) == len(r["tags"]), r["id"]
            assert r["split"] == split
            assert r["category"] in CATEGORIES and r["lang"] in LANGS
            assert topics[r["topic"]][0] == r["category"], r["id"]
            assert r["expected"] in EXPECTED[r["category"]], r["id"]
            assert re.fullmatch(rf"{r['category']}-{r['topic']}-{r['lang']}-\d{{4}}", r["id"]), r["id"]
            assert re.fullmatch(rf"{r['topic']}-{r['lang']}-\d\d", r["seed_id"]), r["id"]
            assert r["id"][-4:-2] == r["seed_id"][-2:], r["id"]
            if r["template"] == "seed":
                assert r["id"].endswith("00")
            else:
                template = templates[r["template"]]
                assert template["lang"] == r["lang"] and r["category"] in template["categories"], r["id"]
            adversarial = [t for t in r["tags"] if t.startswith("adversarial:")]
            if r["category"] != "harmful":
                assert not adversarial and "direct" not in r["tags"], r["id"]
            elif r["template"] == "seed":  # plain, or itself written in an adversarial form
                assert len(adversarial) + ("direct" in r["tags"]) == 1, r["id"]
            else:
                assert adversarial == [f"adversarial:{templates[r['template']]['family']}"], r["id"]
            if r["lang"] == "zh":
                assert re.search(r"[\u4e00-\u9fff]", r["prompt"]), r["id"]


def test_ids_unique(records):
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))


def test_head_split_adds_prompt_only_topics_in_every_form(splits, topics):
    """The head split widens the decision head's prompts: harmful topics beyond the train split's, in plain and
    adversarial forms, and harmless requests with alarming words (plain, mimic and stub wrappers), in both
    languages."""
    head = splits["head"]
    head_topics = {t for t, (_, mode) in topics.items() if mode == "head"}
    assert {r["topic"] for r in head} == head_topics
    assert {"harmful", "borderline"} <= {r["category"] for r in head} <= set(CATEGORIES)
    for lang in LANGS:
        harmful = [r for r in head if r["category"] == "harmful" and r["lang"] == lang]
        assert {r["template"] == "seed" for r in harmful} == {True, False}
        assert {t for r in harmful for t in r["tags"] if t.startswith("adversarial:")} == {
            f"adversarial:{f}" for f in FAMILIES}, lang
        borderline = [r for r in head if r["category"] == "borderline" and r["lang"] == lang]
        assert any("scary-words" in r["tags"] for r in borderline), lang
        assert any(r["template"].startswith("mimic-") for r in borderline), lang


# ------------------------------------------------------------------------------------------------ leakage
def test_no_test_seed_template_or_topic_in_train(splits, topics, templates):
    train, test = splits["train"], splits["test"]
    test_topics = {t for t, (_, mode) in topics.items() if mode == "test"}
    test_only_templates = {tid for tid, t in templates.items() if t["split"] == "test"}
    assert {r["seed_id"] for r in train}.isdisjoint({r["seed_id"] for r in test})
    assert not [r["id"] for r in train if r["template"] in test_only_templates]
    assert not [r["id"] for r in train if r["topic"] in test_topics]
    # ... and the test split does use all three kinds of holdout
    assert {r["topic"] for r in test} >= test_topics
    assert any(topics[r["topic"]][1] == "train" for r in test)  # held-out seeds of train topics
    # templates seen in both splits are allowed; templates only in test must be declared test-only
    only_in_test = {r["template"] for r in test} - {r["template"] for r in train}
    assert only_in_test == test_only_templates
    # the head split follows the train split's rules, and its topics are in no other split
    head = splits["head"]
    head_topics = {t for t, (_, mode) in topics.items() if mode == "head"}
    assert {r["seed_id"] for r in head}.isdisjoint({r["seed_id"] for r in test})
    assert not [r["id"] for r in head if r["template"] in test_only_templates or r["topic"] not in head_topics]
    assert not [r["id"] for r in train + test if r["topic"] in head_topics]


def test_no_identical_or_near_identical_prompt_across_splits(splits, templates):
    train, test = splits["train"] + splits["head"], splits["test"]  # nothing fitted on is close to a test prompt
    train_texts = {normalize(r["prompt"]) for r in train}
    assert not [r["id"] for r in test if normalize(r["prompt"]) in train_texts]
    train_prompt = [shingles(normalize(r["prompt"])) for r in train]
    train_content = [shingles(content(r, templates)) for r in train]
    for r in test:
        prompt, body = shingles(normalize(r["prompt"])), shingles(content(r, templates))
        worst_prompt = max(len(prompt & s) / len(prompt | s) for s in train_prompt)
        worst_content = max(len(body & s) / len(body | s) for s in train_content)
        assert worst_prompt < NEAR_DUP_PROMPT, (r["id"], worst_prompt)
        assert worst_content < NEAR_DUP_CONTENT, (r["id"], worst_content)


def test_near_duplicate_check_catches_a_reworded_copy(splits, templates):
    """The thresholds above are not vacuous: a trivially edited train prompt would trip them."""
    original = next(r for r in splits["train"] if r["template"] == "seed" and len(r["prompt"]) > 60)
    edited = dict(original, prompt="  " + original["prompt"].upper().replace(".", "!") + " thanks")
    a, b = shingles(normalize(original["prompt"])), shingles(normalize(edited["prompt"]))
    assert len(a & b) / len(a | b) >= NEAR_DUP_PROMPT
    a, b = shingles(content(original, templates)), shingles(content(edited, templates))
    assert len(a & b) / len(a | b) >= NEAR_DUP_CONTENT


# ------------------------------------------------------------------------------------------------ Hugging Face
def test_load_dataset_offline(tmp_path, monkeypatch, splits):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(PROMPTS), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == set(SPLITS)
    for split in SPLITS:
        assert loaded[split].num_rows == len(splits[split])
        assert loaded[split].column_names == FIELDS
        assert loaded[split][0]["id"] == splits[split][0]["id"]
