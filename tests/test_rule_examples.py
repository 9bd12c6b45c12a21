"""Turns every rule's embedded VALID / INVALID examples into tests (Fixit's test generator)."""

import pytest

from codealign.analysis import Selection, analyze_python
from codealign.checks import Invalid, registered_rules
from codealign.rulebook import DOC_HEADINGS, docstring_sections, load_rule_specs

RULES = registered_rules()


def _cases(kind):
    for code, rule in RULES.items():
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(code, example, id=f"{code}-{kind.lower()}-{index}")


@pytest.mark.parametrize("code, example", list(_cases("VALID")))
def test_valid_example_has_no_finding(code, example):
    findings = analyze_python(example, selection=Selection(select=(code,))).findings
    assert [f for f in findings if f.rule == code] == [], example


@pytest.mark.parametrize("code, example", list(_cases("INVALID")))
def test_invalid_example_is_found(code, example):
    expected = example if isinstance(example, Invalid) else Invalid(example)
    findings = [
        f for f in analyze_python(expected.code, selection=Selection(select=(code,))).findings if f.rule == code
    ]
    assert findings, f"{code} missed:\n{expected.code}"
    if expected.severity:
        assert expected.severity in {f.severity for f in findings}, (findings, expected.code)
    if expected.message:
        assert any(expected.message in f.message for f in findings), findings


@pytest.mark.parametrize("code", list(RULES))
def test_rule_has_examples_docs_and_pack_entry(code):
    rule = RULES[code]
    assert len(rule.VALID) >= 3 and len(rule.INVALID) >= 3, f"{code} needs at least 3 VALID and 3 INVALID examples"
    sections = docstring_sections(rule.__doc__)
    assert all(sections.get(h) for h in DOC_HEADINGS), f"{code} docstring must have {DOC_HEADINGS}"
    spec = load_rule_specs()[code]
    assert spec.critique and spec.suggestion and spec.principle
