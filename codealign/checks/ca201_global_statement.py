from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import PositionProvider

from . import CodeRule, Invalid

_KEYWORD_RE = re.compile(r"(?:global|nonlocal)\b")  # a literal first: the regex engine scans fast
# What follows the keyword in the statement: names, then the end of the statement (`global a, b  # ...`).
_NAMES_RE = re.compile(r"(?:[ \t]|\\\r?\n)+[A-Za-z_]\w*(?:(?:[ \t]|\\\r?\n)*,(?:[ \t]|\\\r?\n)*[A-Za-z_]\w*)*[ \t]*(?:[\r\n;#]|$)")


def _target_names(target: cst.BaseExpression):
    """The plain names an assignment target binds (`a`, `a, (b, *c)`); attributes and subscripts bind none."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


class _Bindings(cst.CSTVisitor):
    """Every node that binds a name in one scope's body, by name (nested functions, classes, lambdas and
    comprehensions have scopes of their own; only their names, decorators and defaults belong here)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_name: dict[str, list[cst.CSTNode]] = {}

    def _bind(self, name: str, node: cst.CSTNode) -> None:
        self.by_name.setdefault(name, []).append(node)

    def _bind_target(self, target: cst.BaseExpression) -> None:
        for name in _target_names(target):
            self._bind(name.value, name)

    def _visit_all(self, nodes) -> None:
        for node in nodes:
            node.visit(self)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._bind(node.name.value, node.name)
        self._visit_all(node.decorators)
        self._visit_all(p.default for p in (*node.params.params, *node.params.kwonly_params) if p.default)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._bind(node.name.value, node.name)
        self._visit_all(node.decorators)
        self._visit_all(node.bases)
        self._visit_all(node.keywords)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_CompFor(self, node: cst.CompFor) -> None:
        pass  # comprehension variables are local to the comprehension; a walrus inside still binds here

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind_target(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self._bind_target(node.name.name)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name)
        else:
            name = node.name
            while isinstance(name, cst.Attribute):  # `import a.b` binds `a`
                name = name.value
            if isinstance(name, cst.Name):
                self._bind(name.value, node)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind_target(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name.value, node.name)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self._bind(node.name.value, node.name)

    def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
        if node.rest is not None:
            self._bind(node.rest.value, node.rest)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        self._bind(node.name.value, node.name)


class GlobalStatement(CodeRule):
    """
    ## What it does
    Flags functions (and class bodies) that rebind a variable of an enclosing scope declared `global` or
    `nonlocal`: an assignment, augmented assignment, `del`, loop or `with` target, import, or nested `def`
    of that name. A `global` declaration whose names are only read rebinds nothing and is not flagged.

    ## Why is this bad?
    Rebinding module state from inside functions creates hidden coupling: the function's behaviour
    depends on, and changes, state its callers cannot see, which makes the code hard to test, reuse
    and run concurrently.

    ## Example
    ```python
    counter = 0

    def increment():
        global counter
        counter += 1
    ```

    ## Use instead
    Pass state in as a parameter and return the new value, or keep it in a small class.
    ```python
    def increment(counter: int) -> int:
        return counter + 1
    ```

    ## References
    - [Python FAQ: rules for local and global variables](https://docs.python.org/3/faq/programming.html#what-are-the-rules-for-local-and-global-variables-in-python)
    - [Python reference: the global statement](https://docs.python.org/3/reference/simple_stmts.html#the-global-statement)
    """

    CODE = "CA201"
    TRIGGERS = (r"(?:global|nonlocal)\b",)

    @classmethod
    def triggered_by(cls, source: str, memo: dict | None = None) -> bool:
        """The keyword as a statement: first on its line, or after `;` or `:` (`def f(): global x`), followed
        by names and the end of the statement; not in prose ("the global batch size")."""
        if "global" not in source and "nonlocal" not in source:
            return False
        for match in _KEYWORD_RE.finditer(source):
            before = source[source.rfind("\n", 0, match.start()) + 1 : match.start()].rstrip(" \t")
            if (not before or before[-1] in ";:") and _NAMES_RE.match(source, match.end()):
                return True
        return False
    VALID = (
        "counter = 0\ndef read():\n    return counter\n",
        "def outer():\n    total = 0\n    def inner(x):\n        return total + x\n    return inner\n",
        "def f():\n    x = 1\n    return x\n",
        # `global` that only reads: nothing is rebound.
        "config = {}\ndef get(key):\n    global config\n    return config.get(key)\n",
        # The nested function's `x` is its own local, not the declared global.
        "x = 0\ndef f():\n    global x\n    def g():\n        x = 1\n        return x\n    return g() + x\n",
        # `global` at module level is a no-op.
        "global x\nx = 1\n",
        # Comprehension variables are local to the comprehension.
        "i = 0\ndef f(items):\n    global i\n    return [i for i in items]\n",
    )
    INVALID = (
        Invalid("counter = 0\ndef increment():\n    global counter\n    counter += 1\n", severity="low",
                message="`counter`"),
        "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n = n + 1\n    return inner\n",
        Invalid("def setup():\n    global CONFIG, CACHE\n    CONFIG = {}\n", message="`CONFIG`"),
        "db = None\ndef connect():\n    global db\n    import sqlite3 as db\n",
        "x = 0\ndef f(items):\n    global x\n    for x in items:\n        pass\n",
        "state = 1\ndef reset():\n    global state\n    del state\n",
        "last = None\ndef f(items):\n    global last\n    return [(last := item) for item in items]\n",
        "handler = None\ndef install():\n    global handler\n    def handler():\n        pass\n",
        "a = b = 0\ndef swap():\n    global a, b\n    a, b = b, a\n",
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._bindings: dict[cst.CSTNode, dict[str, list[cst.CSTNode]]] = {}
        self._owners: list[cst.FunctionDef | cst.ClassDef] = []  # the enclosing definitions, innermost last

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._owners.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._owners.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._owners.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._owners.pop()

    def _owner(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The function or class whose body holds `node` (the statement being visited); None at module level."""
        return self._owners[-1] if self._owners else None

    def _bindings_of(self, owner: cst.FunctionDef | cst.ClassDef) -> dict[str, list[cst.CSTNode]]:
        if owner not in self._bindings:
            collector = _Bindings()
            owner.body.visit(collector)
            self._bindings[owner] = collector.by_name
        return self._bindings[owner]

    def _check(self, node: cst.Global | cst.Nonlocal, keyword: str, what: str) -> None:
        owner = self._owner(node)
        if owner is None:
            return  # `global` at module level changes nothing
        bindings = self._bindings_of(owner)
        rebound = [item.name.value for item in node.names if bindings.get(item.name.value)]
        if not rebound:
            return
        first = min((b for name in rebound for b in bindings[name]), key=self._line_of)
        kind = "Function" if isinstance(owner, cst.FunctionDef) else "Class"
        names = ", ".join(f"`{name}`" for name in rebound)
        self.report(
            first,
            f"{kind} `{owner.name.value}` rebinds {what} {names} through `{keyword}`",
        )

    def _line_of(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node)
        return (pos.start.line, pos.start.column)

    def visit_Global(self, node: cst.Global) -> None:
        self._check(node, "global", "module-level variable(s)")

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._check(node, "nonlocal", "enclosing variable(s)")
