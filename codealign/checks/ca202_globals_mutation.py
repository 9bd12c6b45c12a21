from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import GlobalScope, ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from . import AnyOf, CodeRule, Invalid
from ._targets import Resolver

# Methods that change a dict in place.
_DICT_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"})

_MODULES = frozenset(("modules",))
# `g = globals()`, `this: ModuleType = sys.modules[__name__]`, `d = vars(sys.modules[__name__])`
_NAMESPACE_ALIAS_RE = re.compile(r"([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)(?=[\s\S]{0,200}?(?:globals|vars|modules))")

_DICT = "dict"  # an expression that is the module's namespace dict (globals(), ...)
_MODULE = "module"  # an expression that is the module object itself (sys.modules[__name__])


class GlobalsMutation(CodeRule):
    """
    ## What it does
    Flags code that writes module globals through the namespace instead of by name:
    `globals()[name] = value`, `globals().update(...)`, `globals().setdefault(...)`, `del globals()[name]`,
    `setattr(sys.modules[__name__], name, value)`, `sys.modules[__name__].x = value`,
    `sys.modules[__name__].__dict__[name] = value`, and `vars()[name] = value` at module level (where
    `vars()` is `globals()`). Simple aliases (`g = globals()`, `this = sys.modules[__name__]`) are followed.
    Each function is reported once (at its first such write); module-level writes are reported each.

    Writes inside functions are reported with medium severity; writes at module level, which still
    create names no reader or tool can see, with low severity. A module-level `__getattr__` (PEP 562)
    that caches a lazily imported attribute in `globals()` is an accepted idiom and is not flagged.

    ## Why is this bad?
    Names created or replaced through the namespace dict are invisible to readers, linters, type checkers
    and IDEs: "go to definition" finds nothing, a typo creates a new global silently, and any function can
    change what every other function in the module sees. It is global state at its most hidden.

    ## Example
    ```python
    def load_settings(settings: dict) -> None:
        for key, value in settings.items():
            globals()[key.upper()] = value
    ```

    ## Use instead
    Keep the values in an explicit object (a dict, a dataclass or a class instance) and pass it where needed.
    ```python
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Settings:
        debug: bool = False
        timeout: float = 10.0

    def load_settings(raw: dict) -> Settings:
        return Settings(**raw)
    ```

    ## References
    - [Python docs: globals()](https://docs.python.org/3/library/functions.html#globals)
    - [Python docs: vars()](https://docs.python.org/3/library/functions.html#vars)
    - [PEP 562: module __getattr__](https://peps.python.org/pep-0562/)
    """

    CODE = "CA202"
    # Every write goes through `globals()`, `vars()` or `sys.modules[__name__]` (assigning that entry itself,
    # a lazy module, writes no global); `from builtins import globals as g` calls one under another name.
    TRIGGERS = (
        AnyOf(
            r"globals[\s\\]*\([\s\\]*\)",
            r"vars[\s\\]*\([\s\\]*\)",
            r"modules[\s\\]*\[[\s\\]*__name__[\s\\]*\](?![\s\\]*=[^=])",
            r"from[\s\\]+builtins\b",
        ),
    )
    VALID = (
        # Reading globals is not writing them.
        "def lookup(name):\n    return globals().get(name)\n",
        # A parameter or a local called `globals` is not the builtin.
        "def f(globals):\n    globals()['x'] = 1\n",
        # `vars()` inside a function is the function's locals, not module state.
        "def f():\n    vars()['x'] = 1\n",
        # A copy of the namespace is a new dict.
        "def snapshot():\n    ns = dict(globals())\n    ns['x'] = 1\n    return ns\n",
        # exec with a fresh namespace dict.
        "def run(code):\n    namespace = {}\n    exec(code, namespace)\n    return namespace\n",
        # Another module's entry is not this module (monkeypatching is another matter).
        "import sys\ndef patch():\n    setattr(sys.modules['json'], 'x', 1)\n",
        # PEP 562 lazy loading that caches the attribute.
        "import importlib\ndef __getattr__(name):\n    value = importlib.import_module('.' + name, __name__)\n"
        "    globals()[name] = value\n    return value\n",
        # Giving the module a subclass (lazy attribute loading) creates no global name.
        "import sys, types\nclass _Lazy(types.ModuleType):\n    pass\nsys.modules[__name__].__class__ = _Lazy\n",
        # A local alias that is rebound to a fresh dict before use.
        "def f():\n    g = {}\n    g['x'] = 1\n",
    )
    INVALID = (
        Invalid("def load(settings):\n    for k, v in settings.items():\n        globals()[k] = v\n",
                severity="medium", message="globals()"),
        "def load(settings):\n    globals().update(settings)\n",
        "def default(name):\n    globals().setdefault(name, None)\n",
        "def forget(name):\n    del globals()[name]\n",
        Invalid("import sys\ndef register(name, value):\n    setattr(sys.modules[__name__], name, value)\n",
                severity="medium", message="sys.modules[__name__]"),
        Invalid("for name in ('a', 'b'):\n    vars()[name] = name.upper()\n", severity="low"),
        Invalid("globals()['VERSION'] = '1.0'\n", severity="low"),
        "from sys import modules\ndef f():\n    modules[__name__].flag = True\n",
        "import sys as _sys\ndef f(d):\n    _sys.modules[__name__].__dict__.update(d)\n",
        "def f(d):\n    g = globals()\n    g.update(d)\n",
        "import sys\nthis = sys.modules[__name__]\ndef f(v):\n    setattr(this, 'value', v)\n",
        "def f(name):\n    globals()[name] += 1\n",
        "import sys\ndef f(name):\n    delattr(sys.modules[__name__], name)\n",
        "import sys\ndef f(d):\n    vars(sys.modules[__name__]).update(d)\n",
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._reported: set[cst.FunctionDef] = set()
        self._names = Resolver(self)  # only for `may_be`: what a call cannot be needs no scopes
        self._namespace_names: set[str] | None = None

    # -- what an expression is ------------------------------------------------------------------------

    def _qualnames(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _is_builtin_call(self, node: cst.BaseExpression, name: str, nargs: int | None = None) -> bool:
        return (
            isinstance(node, cst.Call)
            and (nargs is None or len(node.args) == nargs)
            and self._names.may_be(node.func, frozenset((name,)))
            and f"builtins.{name}" in self._qualnames(node.func)
        )

    def _is_this_module(self, node: cst.BaseExpression) -> bool:
        """`sys.modules[__name__]`."""
        if not (isinstance(node, cst.Subscript) and len(node.slice) == 1):
            return False
        index = node.slice[0].slice
        return (
            isinstance(index, cst.Index)
            and isinstance(index.value, cst.Name)
            and index.value.value == "__name__"
            and self._names.may_be(node.value, _MODULES)
            and "sys.modules" in self._qualnames(node.value)
        )

    def _at_module_level(self, node: cst.CSTNode) -> bool:
        return isinstance(self.get_metadata(ScopeProvider, node, None), GlobalScope)

    def _kind(self, node: cst.BaseExpression, follow_aliases: bool = True) -> str | None:
        """_DICT, _MODULE or None for what `node` evaluates to."""
        if self._is_builtin_call(node, "globals", 0):
            return _DICT
        if self._is_builtin_call(node, "vars", 0):
            return _DICT if self._at_module_level(node) else None
        if self._is_builtin_call(node, "vars", 1) and self._kind(node.args[0].value, follow_aliases) == _MODULE:
            return _DICT
        if self._is_this_module(node):
            return _MODULE
        if (
            isinstance(node, cst.Attribute)
            and node.attr.value == "__dict__"
            and self._kind(node.value, follow_aliases) == _MODULE
        ):
            return _DICT
        if follow_aliases and isinstance(node, cst.Name):
            return self._alias_kind(node)
        return None

    def _alias_kind(self, name: cst.Name) -> str | None:
        """The kind of a name whose every assignment is `name = <namespace expression>`."""
        if self._namespace_names is None:  # names assigned something that mentions a namespace, as text
            self._namespace_names = set(_NAMESPACE_ALIAS_RE.findall(self.context.source))
        if name.value not in self._namespace_names:
            return None
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None or name.value not in scope:
            return None
        kinds = set()
        for assignment in scope[name.value]:
            node = getattr(assignment, "node", None)
            parent = self.get_metadata(ParentNodeProvider, node, None) if node is not None else None
            if isinstance(parent, cst.AssignTarget):
                statement = self.get_metadata(ParentNodeProvider, parent)
                kinds.add(self._kind(statement.value, follow_aliases=False))
            elif isinstance(parent, cst.AnnAssign) and parent.value is not None and parent.target is node:
                kinds.add(self._kind(parent.value, follow_aliases=False))
            else:
                return None
        return kinds.pop() if len(kinds) == 1 else None

    # -- where the write happens ----------------------------------------------------------------------

    def _enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        current = self.get_metadata(ParentNodeProvider, node, None)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.Module)):
            current = self.get_metadata(ParentNodeProvider, current, None)
        return current if isinstance(current, cst.FunctionDef) else None

    def _is_lazy_getattr(self, function: cst.FunctionDef) -> bool:
        return function.name.value == "__getattr__" and self._at_module_level(function)

    def _flag(self, node: cst.CSTNode, namespace: cst.BaseExpression, how: str) -> None:
        function = self._enclosing_function(node)
        if function is not None and (self._is_lazy_getattr(function) or function in self._reported):
            return
        source = cst.Module([]).code_for_node(namespace)
        if function is None:
            where, severity = "at module level", "low"
        else:
            self._reported.add(function)  # once per function: one hidden-state habit, one finding
            where, severity = f"in function `{function.name.value}`", "medium"
        self.report(node, f"Module globals are {how} through `{source}` {where}", severity=severity)

    # -- the writes -----------------------------------------------------------------------------------

    def _check_target(self, node: cst.CSTNode, target: cst.BaseExpression, how: str) -> None:
        if isinstance(target, cst.Subscript) and self._kind(target.value) == _DICT:
            self._flag(node, target.value, how)
        elif (
            isinstance(target, cst.Attribute)
            and target.attr.value != "__class__"  # a module subclass (lazy modules) is not a global name
            and self._kind(target.value) == _MODULE
        ):
            self._flag(node, target.value, how)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._check_target(node, element.value, how)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check_target(node, target.target, "written")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check_target(node, node.target, "written")

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check_target(node, node.target, "written")

    def visit_Del(self, node: cst.Del) -> None:
        self._check_target(node, node.target, "deleted")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _DICT_MUTATORS:
            if self._kind(func.value) == _DICT:
                self._flag(node, func.value, f"changed with `.{func.attr.value}()`")
        elif (
            node.args
            and (self._is_builtin_call(node, "setattr") or self._is_builtin_call(node, "delattr"))
            and self._kind(node.args[0].value) == _MODULE
        ):
            verb = "written" if self._is_builtin_call(node, "setattr") else "deleted"
            self._flag(node, node.args[0].value, f"{verb} with `{func.value}()`")
