"""The constitution and the rule packs, loaded from the TOML files in `rules/` (shipped as
`codealign.rulepacks`).

* `rules/constitution.toml`: the principles (id, English and Chinese text, critique and revision requests).
* every other `rules/*.toml`: a pack of `[[rule]]` tables (code, name, category, severity, confidence, cwe,
  principle, message, and rule-specific data such as qualname deny-lists) plus optional `[pack]` defaults.

Rules implemented in Python (`codealign/checks/`) take their human documentation from their docstring
(ruff's headings); "Why is this bad?" becomes the critique and "Use instead" the suggestion unless the pack
gives them explicitly (bandit's B-codes have no docstring of ours, so their pack does).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from .findings import CATEGORIES, CONFIDENCES, SEVERITIES, Finding

RULES_DIR_ENV = "CODEALIGN_RULES_DIR"


class RulePackError(ValueError):
    """A rule pack or the constitution is malformed."""


@dataclass(frozen=True)
class Principle:
    id: str
    title: str
    en: str
    zh: str
    critique_request: str = ""
    revision_request: str = ""
    title_zh: str = ""
    critique_request_zh: str = ""
    revision_request_zh: str = ""

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" and self.zh else self.en

    def localized(self, key: str, lang: str = "en") -> str:
        """`title`, `critique_request` or `revision_request` in `lang` (falls back to English)."""
        if lang == "zh" and getattr(self, f"{key}_zh", ""):
            return getattr(self, f"{key}_zh")
        return getattr(self, key)


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    category: str
    severity: str
    confidence: str
    principle: str | None
    message: str
    cwe: int | None = None
    critique: str = ""
    suggestion: str = ""
    zh: dict = field(default_factory=dict, hash=False, compare=False)
    data: dict = field(default_factory=dict, hash=False, compare=False)
    doc: str = ""
    pack: str = ""

    def finding(
        self,
        *,
        message: str | None = None,
        severity: str | None = None,
        confidence: str | None = None,
        cwe: int | None = None,
        line: int = 1,
        column: int = 1,
        end_line: int | None = None,
        end_column: int | None = None,
        path: str = "<string>",
        suggestion: str | None = None,
    ) -> Finding:
        return Finding(
            rule=self.code,
            category=self.category,
            severity=severity or self.severity,
            confidence=confidence or self.confidence,
            message=message or self.message,
            principle=self.principle,
            suggestion=suggestion if suggestion is not None else (self.suggestion or None),
            cwe=cwe if cwe is not None else self.cwe,
            path=path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
        )

    def localized(self, key: str, lang: str = "en") -> str:
        """`message`, `critique` or `suggestion` in `lang` (falls back to English)."""
        if lang == "zh" and self.zh.get(key):
            return self.zh[key]
        return getattr(self, key)


def rules_dir() -> Path:
    override = os.environ.get(RULES_DIR_ENV)
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parent.parent / "rules"
    if (checkout / "constitution.toml").is_file():  # a source checkout or an editable install
        return checkout
    from . import rulepacks  # noqa: PLC0415  (a wheel: setuptools maps rules/ onto codealign.rulepacks)

    return Path(rulepacks.__path__[0])


DOC_HEADINGS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")
_SECTION_RE = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)


def docstring_sections(doc: str) -> dict[str, str]:
    """Split a ruff-style rule docstring into its `## Heading` sections."""
    import inspect

    doc = inspect.cleandoc(doc or "")
    parts = _SECTION_RE.split(doc)
    sections: dict[str, str] = {}
    for heading, body in zip(parts[1::2], parts[2::2]):
        sections[heading.strip()] = body.strip()
    return sections


def _check_choice(code: str, key: str, value, choices) -> None:
    if value not in choices:
        raise RulePackError(f"rule {code}: {key} must be one of {', '.join(choices)}, got {value!r}")


@cache
def load_constitution() -> dict[str, Principle]:
    path = rules_dir() / "constitution.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulePackError(f"cannot read the constitution {path}: {exc}") from None
    principles = {}
    for entry in raw.get("principle", []):
        principle = Principle(**entry)
        principles[principle.id] = principle
    return principles


_RULE_KEYS = {
    "code", "name", "category", "severity", "confidence", "principle", "message", "cwe",
    "critique", "suggestion", "zh", "data",
}


@cache
def load_rule_specs() -> dict[str, RuleSpec]:
    """Every rule of every pack, keyed by code. Docstrings of Python rules are merged in by `checks`."""
    principles = load_constitution()
    specs: dict[str, RuleSpec] = {}
    for path in sorted(rules_dir().glob("*.toml")):
        if path.name == "constitution.toml":
            continue
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RulePackError(f"cannot read rule pack {path}: {exc}") from None
        defaults = raw.get("pack", {})
        for entry in raw.get("rule", []):
            merged = {k: v for k, v in defaults.items() if k in _RULE_KEYS} | entry
            unknown = set(merged) - _RULE_KEYS
            code = merged.get("code", "?")
            if unknown:
                raise RulePackError(f"rule {code} in {path.name}: unknown keys {sorted(unknown)}")
            for key in ("code", "name", "category", "severity", "confidence", "message"):
                if key not in merged:
                    raise RulePackError(f"rule {code} in {path.name}: missing {key!r}")
            _check_choice(code, "category", merged["category"], CATEGORIES)
            _check_choice(code, "severity", merged["severity"], SEVERITIES)
            _check_choice(code, "confidence", merged["confidence"], CONFIDENCES)
            principle = merged.get("principle")
            if principle is not None and principle not in principles:
                raise RulePackError(f"rule {code} in {path.name}: unknown principle {principle!r}")
            if code in specs:
                raise RulePackError(f"rule {code} is defined twice ({specs[code].pack} and {path.name})")
            specs[code] = RuleSpec(pack=path.stem, **merged)
    return _merge_docstrings(specs)


def _first_paragraph(text: str) -> str:
    prose = text.split("```", 1)[0].strip()
    return " ".join(prose.split("\n\n", 1)[0].split())


def _merge_docstrings(specs: dict[str, RuleSpec]) -> dict[str, RuleSpec]:
    """Fill critique/suggestion/doc of the Python rules from their ruff-style docstrings."""
    import inspect

    from .checks import registered_rules  # noqa: PLC0415  (checks imports this module)

    for code, cls in registered_rules().items():
        if code not in specs:
            raise RulePackError(f"rule {code} ({cls.__name__}) has no [[rule]] entry in rules/*.toml")
        sections = docstring_sections(cls.__doc__ or "")
        missing = [h for h in DOC_HEADINGS if h not in sections]
        if missing:
            raise RulePackError(f"rule {code} docstring lacks the headings {missing}")
        spec = specs[code]
        specs[code] = replace(
            spec,
            critique=spec.critique or " ".join(sections["Why is this bad?"].split()),
            suggestion=spec.suggestion or _first_paragraph(sections["Use instead"]),
            doc=inspect.cleandoc(cls.__doc__),
        )
    return specs


def rule_spec(code: str) -> RuleSpec:
    specs = load_rule_specs()
    if code in specs:
        return specs[code]
    # Bandit ids we have no entry for pass through with the insecure-code pack's defaults.
    if re.fullmatch(r"B\d{3}", code) and "B000" in specs:
        template = specs["B000"]
        return RuleSpec(
            code=code, name=code, category=template.category, severity=template.severity,
            confidence=template.confidence, principle=template.principle, message=template.message,
            critique=template.critique, suggestion="", zh=template.zh, pack=template.pack,
        )
    raise KeyError(f"unknown rule code {code!r}")
