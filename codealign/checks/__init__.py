"""LibCST rules, one per module (Fixit style), run together in one batched traversal.

A rule is a `CodeRule` subclass with a `CODE` (its spec lives in a `rules/*.toml` pack), a ruff-style
docstring (What it does / Why is this bad? / Example / Use instead / References), and `VALID` / `INVALID`
code examples that `tests/test_rule_examples.py` turns into tests. Rules report with `self.report(node)`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from ..findings import Finding
from ..rulebook import RuleSpec, rule_spec


@dataclass(frozen=True)
class Invalid:
    """An INVALID example: the code, and optionally the severity and a message fragment it must produce."""

    code: str
    severity: str | None = None
    message: str | None = None


@dataclass
class RuleContext:
    path: str
    source: str


class CodeRule(cst.BatchableCSTVisitor):
    CODE: ClassVar[str] = ""
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[str | Invalid, ...]] = ()
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    _registry: ClassVar[dict[str, type["CodeRule"]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.CODE:
            if cls.CODE in CodeRule._registry and CodeRule._registry[cls.CODE] is not cls:
                raise ValueError(f"two rules claim code {cls.CODE}")
            CodeRule._registry[cls.CODE] = cls

    def __init__(self, context: RuleContext) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []

    @classmethod
    def spec(cls) -> RuleSpec:
        return rule_spec(cls.CODE)

    @classmethod
    def data(cls, key: str, default=None):
        """Rule-specific data (deny-lists, paths) from the rule pack."""
        return cls.spec().data.get(key, default)

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        severity: str | None = None,
        confidence: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        pos = self.get_metadata(PositionProvider, node)
        self.findings.append(
            self.spec().finding(
                message=message,
                severity=severity,
                confidence=confidence,
                suggestion=suggestion,
                path=self.context.path,
                line=pos.start.line,
                column=pos.start.column + 1,
                end_line=pos.end.line,
                end_column=pos.end.column + 1,
            )
        )


@cache
def registered_rules() -> dict[str, type[CodeRule]]:
    """Import every rule module in this package once and return the rules by code."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(CodeRule._registry.items()))


def run_code_rules(module: cst.Module, context: RuleContext, codes: set[str] | None = None) -> list[Finding]:
    """Run the selected rules (all when `codes` is None) over a parsed module in one traversal."""
    rules = [cls(context) for code, cls in registered_rules().items() if codes is None or code in codes]
    if not rules:
        return []
    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched(rules)
    return [finding for rule in rules for finding in rule.findings]
