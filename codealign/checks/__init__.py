"""LibCST rules, one per module (Fixit style), run together in one batched traversal.

A rule is a `CodeRule` subclass with a `CODE` (its spec lives in a `rules/*.toml` pack), a ruff-style
docstring (What it does / Why is this bad? / Example / Use instead / References), and `VALID` / `INVALID`
code examples that `tests/test_rule_examples.py` turns into tests. Rules report with `self.report(node)`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from typing import ClassVar

import libcst as cst
from libcst._metadata_dependent import LazyValue
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


_UNDEFINED = object()


class CodeRule(cst.BatchableCSTVisitor):
    CODE: ClassVar[str] = ""
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[str | Invalid, ...]] = ()
    # Cheap pre-filters on the raw source (regexes, all must match; empty: the rule always runs). They must
    # match every source the rule could report on (an import of the API counts), so they never hide a finding;
    # when no selected rule is triggered, the module is not even parsed by libcst (metadata is the expensive
    # part of a review or a reward). Rules whose APIs are data override `triggers()`.
    TRIGGERS: ClassVar[tuple[str, ...]] = ()
    # The metadata a rule may ask for with `get_metadata`. Nothing is computed before the traversal: each
    # provider runs the first time a rule asks for it (positions usually only for a finding), once per module.
    METADATA_DEPENDENCIES = (PositionProvider,)

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

    def get_visitors(self):
        # libcst's default re-inspects the class on every call; the table of visitor names is per class.
        names = _VISITOR_NAMES.get(type(self))
        if names is None:
            names = _VISITOR_NAMES[type(self)] = tuple(
                name for name in dir(type(self))
                if name.startswith(("visit_", "leave_"))
                and callable(getattr(type(self), name))
                and not getattr(getattr(type(self), name), "_is_no_op", False)
            )
        return {name: getattr(self, name) for name in names}

    @classmethod
    def triggers(cls) -> tuple[str, ...]:
        return cls.TRIGGERS

    @classmethod
    def triggered_by(cls, source: str) -> bool:
        patterns = _TRIGGER_PATTERNS.get(cls)
        if patterns is None:
            patterns = _TRIGGER_PATTERNS[cls] = tuple(re.compile(t, re.MULTILINE) for t in cls.triggers())
        return all(pattern.search(source) for pattern in patterns)

    def get_metadata(self, key, node, default=_UNDEFINED):
        """Like libcst's, but a provider is computed on first use (for the whole module, then cached)."""
        table = self.metadata.get(key)
        if table is None:
            if key not in self.get_inherited_dependencies():
                raise KeyError(f"{key.__name__} is not declared in {type(self).__name__}.METADATA_DEPENDENCIES")
            source = getattr(self, "_metadata_source", None)
            if source is None:
                raise KeyError(f"{key.__name__}: the rule is not running on a module")
            table = self.metadata[key] = source.table(key)
        value = table.get(node, default) if default is not _UNDEFINED else table[node]
        if isinstance(value, LazyValue):
            value = value()
        return value

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


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}
_TRIGGER_PATTERNS: dict[type, tuple[re.Pattern, ...]] = {}


def any_name(*groups) -> str:
    """A trigger regex matching the last component of any of these qualnames / words (mappings give keys)."""
    words = set()
    for group in groups:
        for name in group:
            words.add(name.rsplit(".", 1)[-1])
    return "|".join(sorted(re.escape(w) for w in words if w))


@cache
def registered_rules() -> dict[str, type[CodeRule]]:
    """Import every rule module in this package once and return the rules by code."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(CodeRule._registry.items()))


def run_code_rules(context: RuleContext, codes: set[str] | None = None) -> list[Finding]:
    """Run the selected rules (all when `codes` is None) whose triggers match, in one batched traversal.

    Parses with libcst only when some rule is triggered; raises `libcst.ParserSyntaxError` like `parse_module`.
    """
    rules = [
        cls(context)
        for code, cls in registered_rules().items()
        if (codes is None or code in codes) and cls.triggered_by(context.source)
    ]
    if not rules:
        return []
    module = cst.parse_module(context.source)
    metadata = ModuleMetadata(module)
    for rule in rules:
        rule._metadata_source = metadata
    cst.visit_batched(module, rules)
    return [finding for rule in rules for finding in rule.findings]


class ModuleMetadata:
    """The metadata tables of one module, each computed the first time a rule asks for it.

    Parents come from one walk over the tree (libcst's ParentNodeProvider is a full visitor pass, several
    times slower), qualified names are computed per node from the scopes when asked (QualifiedNameProvider
    would compute them for every node of the module), everything else comes from libcst's providers.
    """

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.tables: dict = {}

    def table(self, key):
        table = self.tables.get(key)
        if table is None:
            if key is ParentNodeProvider:
                table = _parents(self.module)
            elif key is QualifiedNameProvider:
                table = _QualifiedNames(self.table(ScopeProvider))
            else:
                table = self.wrapper.resolve(key)
            self.tables[key] = table
        return table


def _parents(module: cst.Module) -> dict:
    parents: dict = {}
    stack = [module]
    while stack:
        node = stack.pop()
        for child in node.children:
            parents[child] = node
            stack.append(child)
    return parents


class _QualifiedNames:
    """QualifiedNameProvider's answers, computed per node on demand (what its lazy values compute)."""

    def __init__(self, scopes) -> None:
        self.scopes = scopes
        self.cache: dict = {}

    def __getitem__(self, node):
        names = self.cache.get(node)
        if names is None:
            scope = self.scopes.get(node)
            names = self.cache[node] = scope.get_qualified_names_for(node) if scope else set()
        return names

    def get(self, node, default=None):
        return self[node]
