"""LibCST rules, one per module (Fixit style), run together in one batched traversal.

A rule is a `CodeRule` subclass with a `CODE` (its spec lives in a `rules/*.toml` pack), a ruff-style
docstring (What it does / Why is this bad? / Example / Use instead / References), and `VALID` / `INVALID`
code examples that `tests/test_rule_examples.py` turns into tests. Rules report with `self.report(node)`.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import typing
from contextlib import ExitStack
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
    # Cheap pre-filters on the raw source (regexes, or objects with a `search(source)` such as `Api`; all must
    # match; empty: the rule always runs). They must match every source the rule could report on, so they
    # never hide a finding, and should match little else: when no selected rule is triggered, the module is
    # not even parsed by libcst (parsing and metadata are most of a review's time). Ask for evidence that can
    # lead to a finding: a call of the API however it is imported (`api(...)`) and what makes it dangerous
    # (a rooted path literal, a device name). Rules whose APIs are data override `triggers()`; a rule that
    # needs more than that overrides `triggered_by()`.
    TRIGGERS: ClassVar[tuple] = ()
    # The metadata a rule may ask for with `get_metadata`. Nothing is computed before the traversal: each
    # provider runs the first time a rule asks for it, once per module, so a rule pays only for what it uses
    # (positions usually only for a finding; CA201 never needs scopes).
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
    def triggers(cls) -> tuple:
        return cls.TRIGGERS

    @classmethod
    def triggered_by(cls, source: str, memo: dict | None = None) -> bool:
        """Do the triggers all match? `memo` shares the answers of patterns several rules use, for one source."""
        patterns = _TRIGGER_PATTERNS.get(cls)
        if patterns is None:
            patterns = _TRIGGER_PATTERNS[cls] = tuple(_compiled(t) if isinstance(t, str) else t for t in cls.triggers())
        for pattern in patterns:
            found = memo.get(pattern) if memo is not None else None
            if found is None:
                found = bool(pattern.search(source))
                if memo is not None:
                    memo[pattern] = found
            if not found:
                return False
        return True

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
_TRIGGER_PATTERNS: dict[type, tuple] = {}


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.MULTILINE)


def any_name(*groups) -> str:
    """A trigger regex matching the last component of any of these qualnames / words (mappings give keys)."""
    words = set()
    for group in groups:
        for name in group:
            words.add(name.rsplit(".", 1)[-1])
    return "|".join(sorted(re.escape(w) for w in words if w))


class Trigger:
    """Base of the triggers: `search(source)` says whether a rule can find something in `source`.

    Triggers of one type with the same `_key()` are equal, so they share one memoized answer per source; a
    trigger without parameters (the default key) equals every other instance of its type.
    """

    def search(self, source: str) -> bool:
        raise NotImplementedError

    def _key(self) -> tuple:
        return ()

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, self._key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._key()!r}"


class AnyOf(Trigger):
    """A trigger (anything with `search(source)` can be one) that matches when one of these regexes does.

    Keep each regex starting with one literal word: the regex engine then scans for it at C speed, while an
    alternation at the start (`(?:a|b)`, or a leading `\\b`) makes it try every position, several times slower;
    a trigger runs on every file a review sees.
    """

    def __init__(self, *patterns: str) -> None:
        self.patterns = tuple(re.compile(p, re.MULTILINE) for p in patterns)

    def search(self, source: str) -> bool:
        return any(p.search(source) for p in self.patterns)

    def _key(self) -> tuple:
        return tuple(p.pattern for p in self.patterns)


class Api(Trigger):
    """A trigger: a use of one of these qualnames (mappings give keys), however the module is imported.

    libcst resolves `shutil.rmtree` only for `shutil.rmtree` (after `import shutil`; `from os import path`
    then `path.x` for `os.path.x`), `rmtree` after `from shutil import rmtree [as r]`, and `sh.rmtree` /
    `sh.sub.f` after `import shutil as sh` (an alias of the module or of a part of its path). A use is a
    call, or a reference the rules follow: the value of an assignment (the resolver's local aliases,
    `rm = shutil.rmtree`) or an argument (`map(os.remove, files)`); `mp.Process | None` in an annotation is
    none. `builtins.x` needs the word `x` only; `methods` are attribute names called on any object
    (`Path(p).unlink()`). `[\\s\\\\]` is whitespace or a line continuation.

    It scans for `.name` (a literal first: the regex engine's fast path) and looks at what precedes the dot
    in Python, rather than one regex per module: `os\\.` would stop at every "pos", "loss" and "close".
    """

    def __init__(self, *groups, methods=()) -> None:
        self.owners: dict[str, set[str]] = {}  # function -> the module parts right before it (`os`, `Path`)
        self.from_imports: dict[str, set[str]] = {}  # module -> its functions
        parts: set[str] = set()
        plain: set[str] = set()
        for group in groups:
            for name in group:
                pieces = name.split(".")
                if len(pieces) < 2 or pieces[0] == "builtins":
                    plain.add(pieces[-1])
                    continue
                self.owners.setdefault(pieces[-1], set()).add(pieces[-2])
                self.from_imports.setdefault(".".join(pieces[:-1]), set()).add(pieces[-1])
                parts.update(pieces[:-1])
        self.methods = frozenset(methods)
        self.words = tuple(sorted(set(self.owners) | self.methods | plain))
        attributes = set(self.owners) | self.methods
        self.attribute = re.compile(rf"\.[\s\\]*({_words(attributes)})\b") if attributes else None
        # `from mod import f [as g]`, on one logical line (continuations included) or in parentheses
        self.from_import = (
            re.compile(rf"from[\s\\]+({_words(self.from_imports)})[\s\\]+import((?:[\s\\]*\([^)]*|(?:\\\n|[^\n;])*))")
            if self.from_imports
            else None
        )
        self.plain = re.compile(rf"(?:{_words(plain)})\b") if plain else None
        # `import shutil as sh`, `import multiprocessing.context as ctx`, `from pathlib import Path as P`
        self.alias = re.compile(rf"\b(?:{_words(parts)})[\s\\]+as[\s\\]+([A-Za-z_]\w*)") if parts else None

    def search(self, source: str) -> bool:
        if not any(word in source for word in self.words):
            return False
        if self.plain is not None and self.plain.search(source):
            return True
        if self.from_import is not None and "import" in source:
            for match in self.from_import.finditer(source):
                names = self.from_imports[match.group(1)]
                if re.search(rf"\b(?:{_words(names)})\b", match.group(2)):
                    return True
        if self.attribute is None:
            return False
        aliases = None
        for match in self.attribute.finditer(source):
            word = match.group(1)
            if word in self.methods and _CALLED_RE.match(source, match.end()):
                return True
            if word not in self.owners:
                continue
            owner, start = _name_before(source, match.start())
            if owner is None or not _is_use(source, start, match.end()):
                continue
            if owner in self.owners[word]:
                return True
            if aliases is None:
                aliases = self._aliases(source)
            if owner in aliases:
                return True
        return False

    def _aliases(self, source: str) -> set[str]:
        found = set()
        if self.alias is not None:
            for match in self.alias.finditer(source):
                statement = source[source.rfind("import", 0, match.start()) : match.start()]
                if statement and ("\n" not in statement or "(" in statement):  # inside this import statement
                    found.add(match.group(1))
        return found

    def _key(self) -> tuple:
        return tuple(p.pattern if p is not None else None for p in (self.attribute, self.from_import, self.plain))



_CALLED_RE = re.compile(r"[\s\\)]*\(")
_REFERENCED_RE = re.compile(r"(?:=|\()[\s\\(]*(?:[A-Za-z_]\w*[\s\\]*\.[\s\\]*)*$")


def _name_before(source: str, dot: int) -> tuple[str | None, int]:
    """The identifier right before the `.` at `dot` (blanks and line continuations between), and its start."""
    end = dot
    while end > 0 and source[end - 1] in " \t\n\r\\":
        end -= 1
    start = end
    while start > 0 and (source[start - 1].isalnum() or source[start - 1] == "_"):
        start -= 1
    return (source[start:end], start) if start < end else (None, end)


def _is_use(source: str, start: int, end: int) -> bool:
    """Is `source[start:end]` (`mod.f`) called, assigned (`rm = mod.f`, `rm: T = ...`) or passed (`map(mod.f, xs)`)?"""
    return bool(_CALLED_RE.match(source, end) or _REFERENCED_RE.search(source, max(0, start - 120), start))


def api(*groups, methods=()) -> Api:
    return Api(*groups, methods=methods)


def _words(names) -> str:
    return "|".join(sorted((re.escape(n) for n in set(names) if n), key=lambda w: (-len(w), w)))


@cache
def registered_rules() -> dict[str, type[CodeRule]]:
    """Import every rule module in this package once and return the rules by code."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(CodeRule._registry.items()))


def triggered_rules(source: str, codes: set[str] | None = None) -> list[type[CodeRule]]:
    """The selected rules (all when `codes` is None) whose triggers match `source`."""
    memo: dict = {}
    return [
        cls for code, cls in registered_rules().items() if (codes is None or code in codes) and cls.triggered_by(source, memo)
    ]


def run_code_rules(
    context: RuleContext, codes: set[str] | None = None, *, rules: list[type[CodeRule]] | None = None
) -> list[Finding]:
    """Run the selected rules whose triggers match (or these `rules`, from `triggered_rules`) in one batched
    traversal. Parses with libcst only when some rule runs; raises `libcst.ParserSyntaxError` like `parse_module`.
    """
    if rules is None:
        rules = triggered_rules(context.source, codes)
    if not rules:
        return []
    rules = [cls(context) for cls in rules]
    module = cst.parse_module(context.source)
    metadata = ModuleMetadata(module)
    for rule in rules:
        rule._metadata_source = metadata
    visit_batched(module, rules)
    return [finding for rule in rules for finding in rule.findings]


def visit_batched(module: cst.CSTNode, rules: list[CodeRule]) -> None:
    """`libcst.visit_batched` for these rules: the same `visit_<Node>` / `leave_<Node>` calls in the same
    order, about 3x faster. It reads children from the nodes' fields where libcst rebuilds every node it
    visits, and skips whitespace and punctuation (two thirds of a tree) unless a rule visits those. Rules
    with attribute visitors (`visit_<Node>_<field>`) go to libcst."""
    methods: dict[str, list] = {}
    for rule in rules:
        for name, method in _visitor_methods(rule).items():
            methods.setdefault(name, []).append(method)
    if any(name.count("_") > 1 for name in methods):
        cst.visit_batched(module, rules)
        return
    trivia = any(_is_trivia(getattr(cst, name.split("_", 1)[1], None)) for name in methods)
    calls: dict[type, tuple[list, list]] = {}
    stack: list = [module]
    while stack:
        node = stack.pop()
        if type(node) is _Leave:
            for method in node.methods:
                method(node.node)
            continue
        kind = type(node)
        found = calls.get(kind)
        if found is None:
            found = calls[kind] = (methods.get(f"visit_{kind.__name__}", []), methods.get(f"leave_{kind.__name__}", []))
        for method in found[0]:
            method(node)
        if found[1]:
            stack.append(_Leave(node, found[1]))
        stack.extend(reversed(source_children(node, trivia=trivia)))


def _visitor_methods(visitor: cst.BatchableCSTVisitor) -> dict:
    """`visitor.get_visitors()`. The names are the same for every instance of a class, so libcst's own
    `get_visitors` (which inspects every attribute of the class: ~2 ms for a metadata provider) runs once per
    class, into the table `CodeRule.get_visitors` fills for the rules."""
    names = _VISITOR_NAMES.get(type(visitor))
    if names is None:
        names = _VISITOR_NAMES[type(visitor)] = tuple(visitor.get_visitors())
    return {name: getattr(visitor, name) for name in names}


class _Leave:
    __slots__ = ("node", "methods")

    def __init__(self, node, methods) -> None:
        self.node, self.methods = node, methods


# Whitespace, comments, brackets, punctuation and operators: nodes that hold nothing but more of them.
_TRIVIA = (
    cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Comment, cst.Newline,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
    cst.RightCurlyBrace, cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual,
    cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp,
)


def _is_trivia(kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return any(isinstance(k, type) and issubclass(k, _TRIVIA) for k in kinds)


def source_children(node: cst.CSTNode, *, trivia: bool = True) -> list[cst.CSTNode]:
    """`node.children` in the same (source) order, without the whitespace and punctuation unless `trivia`.

    It reads the node's fields (`children` runs a visitor that rebuilds the node) in the order libcst's
    `_visit_and_replace_children` visits them (the order of their names among its constants); each type's
    first nodes are checked against `children`, and a type that disagrees falls back to it.
    """
    kind = type(node)
    order = _FIELD_ORDER.get((kind, trivia), _UNSEEN)
    if order is _UNSEEN:
        order = _FIELD_ORDER[(kind, trivia)] = _field_order(kind, trivia)
    if order is None:
        return _children(node, trivia)
    found = []
    for name in order:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(item for item in value if isinstance(item, cst.CSTNode))
    checks = _UNCHECKED.get((kind, trivia), 0)
    if checks:
        _UNCHECKED[(kind, trivia)] = checks - 1
        if [id(child) for child in _children(node, trivia)] != [id(child) for child in found]:
            _FIELD_ORDER[(kind, trivia)] = None
            return _children(node, trivia)
    return found


def _children(node: cst.CSTNode, trivia: bool) -> list[cst.CSTNode]:
    return list(node.children) if trivia else [child for child in node.children if not isinstance(child, _TRIVIA)]


def _field_order(kind: type, trivia: bool) -> tuple[str, ...] | None:
    code = getattr(getattr(kind, "_visit_and_replace_children", None), "__code__", None)
    if code is None or not dataclasses.is_dataclass(kind):
        return None
    fields = {field.name for field in dataclasses.fields(kind)}
    if not trivia:
        try:
            hints = typing.get_type_hints(kind)
        except Exception:  # noqa: BLE001  (an annotation that does not resolve: keep every field)
            hints = {}
        fields = {name for name in fields if not _only_trivia(hints.get(name))}
    _UNCHECKED[(kind, trivia)] = 50
    return tuple(dict.fromkeys(c for c in code.co_consts if isinstance(c, str) and c in fields))


def _only_trivia(annotation) -> bool:
    """Can a field with this type hold only whitespace / punctuation (or nothing)?"""
    if annotation is None:
        return False
    kinds = _hint_classes(annotation)
    nodes = [k for k in kinds if isinstance(k, type) and issubclass(k, cst.CSTNode)]
    return bool(nodes) and all(issubclass(k, _TRIVIA) for k in nodes) and all(
        isinstance(k, type) and (issubclass(k, cst.CSTNode) or k in (type(None), str, bool) or k.__name__ == "MaybeSentinel")
        for k in kinds
    )


def _hint_classes(annotation) -> list:
    if typing.get_origin(annotation) is None:
        return [annotation]
    return [k for argument in typing.get_args(annotation) for k in _hint_classes(argument)]


_FIELD_ORDER: dict[tuple[type, bool], tuple[str, ...] | None] = {}
_UNSEEN = object()
_UNCHECKED: dict[tuple[type, bool], int] = {}  # how many more nodes of a type to compare with `children`


class ModuleMetadata:
    """The metadata tables of one module, each computed the first time a rule asks for it.

    Parents come from one walk over the tree (libcst's ParentNodeProvider is a full visitor pass, several
    times slower), qualified names are computed per node from the scopes when asked (QualifiedNameProvider
    would compute them for every node of the module), everything else comes from libcst's providers.
    """

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.wrapper = _MetadataWrapper(module, unsafe_skip_copy=True)
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


class _MetadataWrapper(MetadataWrapper):
    """libcst's wrapper, whose batched providers (scopes, expression contexts) run in `visit_batched` above instead
    of libcst's traversal, which rebuilds every node of the module to call what is, for those providers, only a
    `visit_Module`. Dependencies are resolved on each provider as libcst's `visit_batched` resolves them."""

    def visit_batched(self, visitors, before_visit=None, after_leave=None):
        if before_visit is not None or after_leave is not None:
            return super().visit_batched(visitors, before_visit, after_leave)
        visitors = list(visitors)
        with ExitStack() as stack:
            for visitor in visitors:
                stack.enter_context(visitor.resolve(self))
            visit_batched(self.module, visitors)
        return self.module


def _parents(module: cst.Module) -> dict:
    """Parent of every node but whitespace and punctuation (no rule asks for theirs)."""
    parents: dict = {}
    stack = [module]
    while stack:
        node = stack.pop()
        for child in source_children(node, trivia=False):
            parents[child] = node
            stack.append(child)
    return parents


def nodes_under(root: cst.CSTNode, kind, *, skip=()) -> list:
    """Nodes of `kind` in `root` (itself included), not descending into `skip` nodes below it; any order."""
    trivia = _is_trivia(kind)
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            found.append(node)
        if node is root or not isinstance(node, skip):
            stack.extend(source_children(node, trivia=trivia))
    return found


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
