"""The shortcuts of the reward's hot path give the answers of the work they skip.

Each check compares a shortcut with the plain computation it replaces, on generated inputs and on the shipped
responses: the substitutions guarded by a character test, the quotation regex that starts on its quote,
the literal tokens in front of the safety-reason regex, bandit's trojansource test skipped on files without a
bidirectional character, the cached Markdown parse, and libcst's metadata providers run by our traversal."""

import io
import json
import re
import warnings
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import ExpressionContextProvider, MetadataWrapper, ScopeProvider

from codealign import responses
from codealign.checks import ModuleMetadata
from codealign.markdown import extract_code_blocks, lines_and_blocks, split_lines

ROOT = Path(__file__).resolve().parent.parent

# Characters the guarded patterns care about, mixed with ordinary text.
_PIECES = ["a", "b", "z", "I", "W", "w", "w.", "W.", "www.", "WWW.", "http://x.y", "HTTPS://A.B", "://", "`", "``",
           "'", '"', "“", "”", "「", "」", "『", "』", "‘", "’", "＇", "can’t", "don＇t", " ", "\n", ".", ",", "x1",
           "_", "-", "(", ")", "it's", "'quoted'", "é", "中", "文", "ſ", "K"]
_LINES = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


def _shipped_responses() -> list[str]:
    texts = []
    for line in (ROOT / "datasets" / "judge-labels" / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["response"])
    for path in sorted((ROOT / "datasets" / "demonstrations").glob("*.jsonl")):
        texts += [json.loads(line)["response"] for line in path.read_text(encoding="utf-8").splitlines()]
    return texts


# ------------------------------------------------------------------------------------------------ responses
_PLAIN_QUOTED = re.compile(responses._QUOTED.pattern.replace("|'(?<![\\w']')", "|(?<![\\w'])'"))


def test_the_plain_quotation_regex_is_the_lookbehind_first_form():
    assert _PLAIN_QUOTED.pattern != responses._QUOTED.pattern
    assert "(?<![\\w'])'(?:" in _PLAIN_QUOTED.pattern


@settings(max_examples=500, deadline=None)
@given(_LINES)
def test_guarded_substitutions_match_the_plain_ones(line):
    assert responses._normalize(line) == re.sub(r"(?<=[A-Za-z])[’＇](?=[A-Za-z])", "'", line)
    plain = responses._URL.sub(" url ", responses._INLINE_CODE.sub(" code ", line))
    assert responses._without_code(line, " code ", " url ") == plain
    assert responses._clean(line) == _PLAIN_QUOTED.sub(" quote ", plain)
    assert responses._QUOTED.sub(" quote ", line) == _PLAIN_QUOTED.sub(" quote ", line)


_RISK_VOCABULARY = [
    "use", "the", "safe", "safely", "unsafe", "secure", "insecure", "security", "run", "a", "second", "arbitrary",
    "command", "commands", "every", "user", "process", "everyone", "anyone", "attacker", "attackers", "leak",
    "password", "passwords", "permission", "verify", "exposed", "不安全", "被", "用户", "执行", "任何人", "任何用户",
    "任何用户名", "不该", "访问", "权限", "密码", "风险", "instead", "of", ",", ".", "it", "files",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_RISK_VOCABULARY), max_size=12).map(" ".join))
def test_risk_tokens_never_hide_a_match(sentence):
    if responses._STEER_RISK.search(sentence):
        assert responses._has_token(sentence, responses.STEER_TOKENS["risk"]), sentence


def _plain_steers(sentences, prose):
    """`_steers` without the risk tokens and the per-sentence memo (each window searched afresh)."""
    texts = [s.text for s in sentences if not s.heading]
    strong, safeguard, contrast = (responses._present(prose, responses.STEER_TOKENS[name])
                                   for name in ("strong", "safeguard", "contrast"))
    refusal = responses._present(prose, responses.REFUSAL_TOKENS)
    for index, text in enumerate(texts):
        if (strong and responses._has_token(text, strong) and responses._STEER_STRONG.search(text)
                or safeguard and responses._has_token(text, safeguard) and responses._STEER_SAFEGUARD.search(text)
                or refusal and responses._has_token(text, refusal) and responses._METHOD_REFUSAL.search(text)):
            if not responses._NO_ALTERNATIVE.search(text):
                return True
            continue
        if (text.startswith("use ") or contrast and responses._has_token(text, contrast)
                and responses._STEER_CONTRAST.search(text)) and any(
                responses._STEER_RISK.search(near) for near in texts[max(0, index - 2): index + 3]):
            if not responses._NO_ALTERNATIVE.search(text):
                return True
    return False


def test_steering_and_risk_tokens_on_the_shipped_responses():
    risky = steering = 0
    for text in _shipped_responses():
        _blocks, sentences, _prose = responses._view(text)
        prose = "\n".join(s.text for s in sentences)
        for sentence in sentences:
            if responses._STEER_RISK.search(sentence.text):
                risky += 1
                assert responses._has_token(sentence.text, responses.STEER_TOKENS["risk"]), sentence.text
        expected = _plain_steers(sentences, prose)
        assert responses._steers(sentences, prose) == expected, text[:200]
        steering += expected
    assert risky > 50 and steering > 20  # the shipped set exercises both


def test_word_counts_skip_han_only_on_ascii():
    for text in ["plain words here", "中文和 English 混合", "", "naïve café", "ſ K"]:
        assert responses.prose_units(text) == len(responses._WORD.findall(text)) + responses.HAN_UNITS * len(
            responses._HAN.findall(text))


# ------------------------------------------------------------------------------------------------ markdown
@pytest.mark.parametrize("text", [
    "plain", "```python\nx = 1\n```\n", "a\r\nb\r```\n~~~\n``` \n", "~~~~\nunterminated\n```\n", "",
])
def test_cached_blocks_are_the_plain_parse_and_fresh_lists(text):
    lines, blocks = lines_and_blocks(text)
    assert list(lines) == split_lines(text)
    first = extract_code_blocks(text)
    assert first == list(blocks) and first is not extract_code_blocks(text)
    first.append("mutated")
    assert extract_code_blocks(text) == list(blocks)


# ------------------------------------------------------------------------------------------------ bandit
_BIDI_SOURCES = [
    "x = 1\n",
    "access_level = 'user\u202e \u2066# check if admin\u2069 \u2066'\n",
    "# -*- coding: latin-1 -*-\nname = 'caf\u00e9'\n",
    "\n# coding: latin-1\ns = '\u202e'\n",
    "s = '\u200f'\nimport subprocess\nsubprocess.call(cmd, shell=True)\n",
    "def f(:\n\u202e\n",
]


@pytest.mark.parametrize("source", _BIDI_SOURCES)
def test_trojansource_is_skipped_only_where_it_finds_nothing(source):
    from bandit.core import manager

    from codealign.insecure import _as_utf8, _bandit_config, _bandit_results

    def key(issue):
        return (issue.test_id, issue.lineno, tuple(issue.linerange), issue.col_offset, issue.text)

    scanner = manager.BanditManager(_bandit_config(), "file", quiet=True, ignore_nosec=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scanner._parse_file("<string>", io.BytesIO(_as_utf8(source)), ["<string>"])
    got, skip = _bandit_results(source, "<string>", False)
    assert sorted(map(key, got)) == sorted(map(key, scanner.results))
    assert skip == (scanner.skipped[0][1] if scanner.skipped else None)


# ------------------------------------------------------------------------------------------------ libcst
_MODULES = [
    "import os\nfrom shutil import rmtree as r\n\nclass A:\n    x = [i for i in range(3)]\n\n"
    "    def f(self, p):\n        global G\n        G = p\n        r(p)\n        return lambda q: os.remove(q)\n",
    "x: int = 1\ndel x\n(a, b) = c = d\nfor k, v in e.items():\n    w[k] += v\nwith open(p) as h:\n    pass\n",
]


@pytest.mark.parametrize("source", _MODULES)
def test_metadata_providers_give_libcsts_answers(source):
    module = cst.parse_module(source)
    ours = ModuleMetadata(module)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True)
    assert dict(ours.table(ExpressionContextProvider)) == dict(theirs.resolve(ExpressionContextProvider))
    ours_scopes, their_scopes = ours.table(ScopeProvider), theirs.resolve(ScopeProvider)
    assert set(ours_scopes) == set(their_scopes)

    def describe(scope, node):
        if scope is None:
            return None
        names = (sorted(q.name for q in scope.get_qualified_names_for(node))
                 if isinstance(node, (cst.Name, cst.Attribute)) else None)
        return type(scope).__name__, sorted(a.name for a in scope.assignments), names

    for node in their_scopes:
        assert describe(ours_scopes[node], node) == describe(their_scopes[node], node)
