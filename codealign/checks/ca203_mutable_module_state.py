from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import (
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    ParentNodeProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from . import CodeRule, Invalid, nodes_under

# Calls that build a new mutable container.
_MUTABLE_FACTORIES = frozenset({
    "builtins.list", "builtins.dict", "builtins.set", "builtins.bytearray",
    "builtins.dict.fromkeys",
    "collections.defaultdict", "collections.OrderedDict", "collections.Counter", "collections.deque",
    "collections.ChainMap",
})

# Methods that change a list, dict, set, deque, Counter, OrderedDict or bytearray in place.
_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",  # list
    "update", "setdefault", "popitem", "__setitem__", "__delitem__", "__iadd__", "__ior__",  # dict
    "add", "discard", "difference_update", "intersection_update", "symmetric_difference_update",  # set
    "appendleft", "extendleft", "popleft", "rotate",  # deque
    "subtract", "move_to_end",  # Counter, OrderedDict
})

# Functions that change their first argument in place.
_MUTATING_FUNCTIONS = frozenset({
    "heapq.heappush", "heapq.heappop", "heapq.heapify", "heapq.heapreplace", "heapq.heappushpop",
    "bisect.insort", "bisect.insort_left", "bisect.insort_right", "random.shuffle",
})

# -- the trigger: text evidence that some module-level container is mutated ---------------------------

# A binding whose value can be a container (group 1: the targets, `a = b: T = `).
_BINDING = r"((?:[A-Za-z_]\w*[ \t]*(?::[^=\n]+)?=(?!=)[ \t]*)+)[^\n]*[\[{(]"
_BINDING_RE = re.compile("^" + _BINDING, re.MULTILINE)  # at column 0
_TARGET_NAME_RE = re.compile(r"(?:^|=)[ \t]*([A-Za-z_]\w*)")
# The same, indented inside a module-level `if` / `try` / `with` / `for` / `while` block, where it still binds a
# module-level name (`try: import ujson as json; CACHE = {}`): the block runs up to the next column-0 line.
_COMPOUND = r"(?:if|elif|else|try|except|finally|with|for|while|async)\b"
_COMPOUND_HEADER_RE = re.compile(r"^" + _COMPOUND + r"[^\n]*\n", re.MULTILINE)
_INDENTED_BINDING_RE = re.compile(r"^[ \t]+" + _BINDING, re.MULTILINE)
_TOP_LEVEL_LINE_RE = re.compile(r"^[^\s#]", re.MULTILINE)
# On a compound statement's own line (`if DEBUG: CACHE = {}`) or after a `;` (`n = 0; CACHE = {}`), at any
# depth: a function's locals caught this way only make the trigger say yes more often.
_INLINE_BINDING_RE = re.compile(
    r"(?:^[ \t]*" + _COMPOUND + r"[^\n]*?:|;)[ \t]*" + _BINDING,
    re.MULTILINE)
_METHODS = "|".join(sorted(_MUTATING_METHODS, key=lambda m: (-len(m), m)))
_FUNCTIONS = sorted({f.rsplit(".", 1)[1] for f in _MUTATING_FUNCTIONS})
_FUNCTION_ALIAS_RE = re.compile(rf"(?:{'|'.join(_FUNCTIONS)})[\s\\]+as[\s\\]+([A-Za-z_]\w*)")
# After a name: a subscript, or a mutating method.
_AFTER_NAME_RE = re.compile(rf"[\s\\)]*(?:\[|\.[\s\\]*(?:{_METHODS})\b)")
# What may follow a subscript (`]`) that makes it a mutation: `= v`, `+= v`, `: T = v`, a mutating method.
_AFTER_ITEM_RE = re.compile(rf"[\s\\)]*(?:(?:\*\*|//|>>|<<|[-+*/%&|^@])?=(?!=)|:[^\n=]*=(?!=)|,|\.[\s\\]*(?:{_METHODS})\b)")
_DEL_RE = re.compile(r"\bdel\b(?:[^\n;]|\\\n)*$")


def _module_binding_names(source: str) -> set[str]:
    """Names a module-level binding may make a container: at column 0 or inside a module-level block (a
    function defined in such a block adds its locals too: that only makes the trigger say yes more often)."""
    names = set()
    for match in _BINDING_RE.finditer(source):
        names.update(_TARGET_NAME_RE.findall(match.group(1)))
    for header in _COMPOUND_HEADER_RE.finditer(source):
        end = _TOP_LEVEL_LINE_RE.search(source, header.end())
        for match in _INDENTED_BINDING_RE.finditer(source, header.end(), end.start() if end else len(source)):
            names.update(_TARGET_NAME_RE.findall(match.group(1)))
    for match in _INLINE_BINDING_RE.finditer(source):
        names.update(_TARGET_NAME_RE.findall(match.group(1)))
    return {n for n in names if not (n.startswith("__") and n.endswith("__"))}


def _mutated(source: str, names: set[str]) -> bool:
    """Is one of `names` used where a container is mutated: a subscript that is assigned, deleted or has a
    mutating method (`x[k] = v`, `x[a][b] += 1`, `del x[k]`, `x[k].append(v)`, `x[k], y = ...`), a
    mutating method (`x.append(v)`), or the first argument of a mutating function (`heappush(x, v)`, also
    under an import alias)? Text only: it may say yes where the rule finds nothing, never the reverse."""
    callees = [f for f in _FUNCTIONS if f in source]
    if callees:
        callees += _FUNCTION_ALIAS_RE.findall(source)
        for callee in callees:
            first = re.compile(rf"{re.escape(callee)}[\s\\]*\([\s\\]*(?:\w+[\s\\]*=[\s\\]*)?\**([A-Za-z_]\w*)")
            if any(m.group(1) in names for m in first.finditer(source)):
                return True
    for name in names:
        start = source.find(name)
        while start >= 0:
            end = start + len(name)
            before = source[start - 1 : start]
            after = source[end : end + 1]
            if not (before and (before.isalnum() or before in "_.")) and not (after.isalnum() or after == "_"):
                if _mutation_at(source, start, end):
                    return True
            start = source.find(name, end)
    return False


def _mutation_at(source: str, start: int, end: int) -> bool:
    """Is the name at `source[start:end]` subscripted and assigned / deleted, or given a mutating method?"""
    match = _AFTER_NAME_RE.match(source, end)
    if match is None:
        return False
    if not match.group().endswith("["):
        return True  # a mutating method
    if _DEL_RE.search(source, max(0, start - 200), start):
        return True
    close = _subscripts_end(source, match.end() - 1)
    after = _AFTER_ITEM_RE.match(source, close) if close is not None else None
    if close is None or after and not after.group().endswith(","):
        return True
    if after:  # `x[k], y = ...`: a target list starts the statement
        line = source[source.rfind("\n", 0, start) + 1 : start].strip()
        return line in ("", "(", "[")
    return False


def _subscripts_end(source: str, index: int) -> int | None:
    """Where the subscripts starting at `source[index] == "["` end (`x[a][b]`), or None when unclear."""
    depth, i, limit = 0, index, min(len(source), index + 4000)
    while i < limit:
        char = source[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                j = i + 1
                while j < limit and source[j] in " \t":
                    j += 1
                if j < limit and source[j] == "[":
                    i = j
                    continue
                return i + 1
        elif char in "'\"":
            close = source.find(char, i + 1)
            while close > 0 and source[close - 1] == "\\" and source[close - 2] != "\\":
                close = source.find(char, close + 1)
            if close < 0:
                return None
            i = close
        elif char == "#":
            i = source.find("\n", i)
            if i < 0:
                return None
        i += 1
    return None


# -- the rule ------------------------------------------------------------------------------------------

# Methods that run when a class is created (at import time), the class-based form of registration.
_CLASS_CREATION_HOOKS = frozenset({"__init_subclass__", "__set_name__"})


class MutableModuleState(CodeRule):
    """
    ## What it does
    Flags functions that mutate a module-level mutable object: a list, dict or set (a literal, a
    comprehension, `[0] * n`, or a `list()` / `dict()` / `set()` / `bytearray()` / `collections.defaultdict`
    / `OrderedDict` / `Counter` / `deque` / `ChainMap` call) that is changed inside a function with a
    mutating method (`.append()`, `.update()`, `.add()`, `.pop()`, `.clear()`, ...), an item assignment,
    augmented assignment or `del`, or `heapq` / `bisect.insort` / `random.shuffle`.

    The name is resolved with scopes, so a parameter or local variable of the same name is not flagged.
    Not flagged: mutation at module level (import time), reads, immutable constants (tuples, frozensets,
    strings), dunder names such as `__all__`, and registries filled by decorators at import time: a
    function that stores its argument and returns it unchanged (`def register(fn): REGISTRY[fn.__name__]
    = fn; return fn`), a function the module applies as a decorator, or an `__init_subclass__` hook is
    treated as import-time registration, an accepted idiom (a decorator's *wrapper*, which runs at call
    time, is still flagged). Each function is reported once per module-level object.

    ## Why is this bad?
    A module-level container that functions mutate is global state in disguise: every call leaves data
    behind for the next one, tests leak into each other, results depend on call order, and concurrent
    callers race on the same object. Nothing in the function's signature tells the caller about it.

    ## Example
    ```python
    results = []

    def process(item):
        results.append(item * 2)
    ```

    ## Use instead
    Return the new data, accept the container as a parameter, or keep the state in a class instance (use
    `functools.lru_cache` for memoization).
    ```python
    def process(items):
        return [item * 2 for item in items]
    ```

    ## References
    - [Python FAQ: how do I share global variables across modules?](https://docs.python.org/3/faq/programming.html#how-do-i-share-global-variables-across-modules)
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    """

    CODE = "CA203"
    # A function, and a module-level binding (column 0, or inside a module-level block) of something that can
    # be a mutable container (a display, a comprehension or a call: `[]`, `{}`, `[0] * n`,
    # `dict.fromkeys(...)`, `dd(int)` after an import alias) whose name is mutated somewhere (see `_mutated`).
    TRIGGERS = (r"def\b|lambda\b",)

    @classmethod
    def triggered_by(cls, source: str, memo: dict | None = None) -> bool:
        if not super().triggered_by(source, memo):
            return False
        names = _module_binding_names(source)
        return bool(names) and _mutated(source, names)
    VALID = (
        # A parameter with the same name shadows the module-level list.
        "items = []\ndef add(items, x):\n    items.append(x)\n    return items\n",
        # A local with the same name.
        "cache = {}\ndef f(k):\n    cache = {}\n    cache[k] = 1\n    return cache\n",
        # Read-only use of module state.
        "DEFAULTS = {'a': 1}\ndef get(key):\n    return DEFAULTS.get(key)\n",
        # Mutation at module level happens once, at import time.
        "handlers = []\nhandlers.append(print)\nfor i in range(3):\n    handlers.append(i)\n",
        # Immutable constants.
        "ALLOWED = ('a', 'b')\nNAMES = frozenset({'x'})\ndef f(x):\n    return x in ALLOWED or x in NAMES\n",
        # `__all__` is module metadata.
        "__all__ = []\ndef export(fn):\n    __all__.append(fn.__name__)\n    return fn\n",
        # A registry filled by a decorator at import time.
        "REGISTRY = {}\ndef register(fn):\n    REGISTRY[fn.__name__] = fn\n    return fn\n"
        "@register\ndef hello():\n    pass\n",
        # A decorator factory that registers under a given name.
        "PLUGINS = {}\ndef plugin(name):\n    def decorate(cls):\n        PLUGINS[name] = cls\n        return cls\n"
        "    return decorate\n",
        # Subclass registration runs when the class is created.
        "PLUGINS = {}\nclass Plugin:\n    def __init_subclass__(cls, **kw):\n        super().__init_subclass__(**kw)\n"
        "        PLUGINS[cls.__name__] = cls\n",
        # Loggers are not containers.
        "import logging\nlogger = logging.getLogger(__name__)\ndef setup(h):\n    logger.addHandler(h)\n",
        # A module-level name that is also rebound to a non-container is not a known container.
        "state = []\nstate = tuple(state)\ndef f(x):\n    state.count(x)\n",
        # Attributes of a module-level object are not the container.
        "import types\nconfig = types.SimpleNamespace()\ndef f():\n    config.debug = True\n",
        # A method of a class whose attribute has the same name.
        "items = []\nclass Bag:\n    def __init__(self):\n        self.items = []\n    def add(self, x):\n"
        "        self.items.append(x)\n",
        # A function defined inside a module-level block, mutating its own local.
        "if True:\n    def collect():\n        found = []\n        found.append(1)\n        return found\n",
    )
    INVALID = (
        Invalid("results = []\ndef process(item):\n    results.append(item * 2)\n", severity="low",
                message="`results`"),
        "cache = {}\ndef fib(n):\n    if n not in cache:\n        cache[n] = n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "    return cache[n]\n",
        "seen = set()\ndef visit(node):\n    seen.add(node)\n",
        "import collections\ncounts = collections.defaultdict(int)\ndef count(word):\n    counts[word] += 1\n",
        "from collections import deque\nhistory = deque(maxlen=10)\ndef remember(x):\n    history.appendleft(x)\n",
        "SESSIONS: dict[str, object] = {}\ndef logout(sid):\n    del SESSIONS[sid]\n",
        "import heapq\nqueue = []\ndef push(job):\n    heapq.heappush(queue, job)\n",
        "squares = {i: i * i for i in range(10)}\ndef reset():\n    squares.clear()\n",
        "buffer = [0] * 16\ndef write(i, v):\n    buffer[i] = v\n",
        "groups = dict()\ndef add(key, value):\n    groups.setdefault(key, []).append(value)\n",
        "tree = {}\ndef put(a, b, v):\n    tree[a][b] = v\n",
        "class Handler:\n    pass\nregistry = []\nclass Plugin:\n    def load(self):\n        registry.append(self)\n",
        "items = []\ndef f():\n    global items\n    items.extend([1, 2])\n",
        "calls = []\ndef log_calls(fn):\n    def wrapper(*args):\n        calls.append(fn.__name__)\n"
        "        return fn(*args)\n    return wrapper\n",
        "jobs = []\nworker = lambda job: jobs.append(job)\n",
        # Containers bound inside module-level `try` / `if` blocks are module-level too.
        "try:\n    import ujson as json\n    CACHE = {}\nexcept ImportError:\n    import json\n    CACHE = dict()\n"
        "def put(key, value):\n    CACHE[key] = json.dumps(value)\n",
        "import sys\nif sys.platform == 'win32':\n    seen = set()\nelse:\n    seen = set()\n"
        "def visit(node):\n    seen.add(node)\n",
        # ... also on the header's own line, or after a `;`.
        "import os\nif os.environ.get('DEBUG'): CACHE = {}\nelse: CACHE = dict()\n"
        "def put(key, value):\n    CACHE[key] = value\n",
        "count = 0; seen = set()\ndef visit(node):\n    seen.add(node)\n",
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._containers: set[str] | None = None
        self._decorators: set[str] = set()
        self._decorator_factories: set[str] = set()
        self._reported: set[tuple[int, str]] = set()

    # -- which module-level names are mutable containers ----------------------------------------------

    def _qualnames(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _is_mutable_value(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
            return True
        if isinstance(node, cst.Call):
            return bool(self._qualnames(node.func) & _MUTABLE_FACTORIES)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Multiply, cst.Add)):
            return isinstance(node.left, cst.List) or isinstance(node.right, cst.List)
        return False

    def _assigned_value(self, assignment) -> cst.BaseExpression | None:
        """The value of `name = value` / `name: T = value` for a scope assignment, else None."""
        node = getattr(assignment, "node", None)
        if not isinstance(node, cst.Name):
            return None
        parent = self.get_metadata(ParentNodeProvider, node, None)
        if isinstance(parent, cst.AssignTarget):
            return self.get_metadata(ParentNodeProvider, parent).value
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            return parent.value
        return None

    def visit_Module(self, node: cst.Module) -> None:
        scope = self.get_metadata(ScopeProvider, node, None)
        self._containers = set()
        if not isinstance(scope, GlobalScope):
            return
        self._decorators, self._decorator_factories = _decorator_names(node)
        by_name: dict[str, list] = {}
        for assignment in scope.assignments:
            # Only bindings made at module level define what the name is (`global x; x = ...` in a
            # function resets it at run time and is CA201's business).
            if isinstance(self.get_metadata(ScopeProvider, getattr(assignment, "node", node), None), GlobalScope):
                by_name.setdefault(assignment.name, []).append(assignment)
        for name, assignments in by_name.items():
            if name.startswith("__") and name.endswith("__"):
                continue
            values = [self._assigned_value(a) for a in assignments]
            if values and all(v is not None and self._is_mutable_value(v) for v in values):
                self._containers.add(name)


    # -- where the mutation happens --------------------------------------------------------------------

    def _resolves_to_container(self, name: cst.Name) -> bool:
        if not self._containers or name.value not in self._containers:
            return False
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None or isinstance(scope, GlobalScope):
            return False
        if not self._runs_in_function(scope):
            return False
        assignments = scope[name.value] if name.value in scope else set()
        return bool(assignments) and all(isinstance(a.scope, GlobalScope) for a in assignments)

    @staticmethod
    def _runs_in_function(scope) -> bool:
        while scope is not None and not isinstance(scope, GlobalScope):
            if isinstance(scope, FunctionScope):
                return True
            if not isinstance(scope, (ClassScope, ComprehensionScope)):
                return False
            scope = scope.parent
        return False

    def _base_name(self, node: cst.BaseExpression) -> cst.Name | None:
        """`x` for `x`, `x[k]`, `x[k][j]` (mutating an item of the container mutates the container's data)."""
        while isinstance(node, cst.Subscript):
            node = node.value
        return node if isinstance(node, cst.Name) else None

    def _enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Lambda | None:
        current = self.get_metadata(ParentNodeProvider, node, None)
        while current is not None and not isinstance(current, (cst.FunctionDef, cst.Lambda)):
            current = self.get_metadata(ParentNodeProvider, current, None)
        return current

    def _parameter_names(self, function: cst.FunctionDef) -> set[str]:
        params = function.params
        names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)
        return names

    def _is_registration(self, function: cst.FunctionDef | cst.Lambda, stored: cst.CSTNode) -> bool:
        """Import-time registration: a decorator that stores its argument and returns it, or a function the
        module applies as a decorator (directly, or as the function a decorator factory returns)."""
        if not isinstance(function, cst.FunctionDef):
            return False
        name = function.name.value
        if name in self._decorators or name in _CLASS_CREATION_HOOKS:
            return True
        returned = set()
        for statement in _returns(function.body):
            if isinstance(statement.value, cst.Name):
                returned.add(statement.value.value)
        parent = self._enclosing_function(function)
        if (
            isinstance(parent, cst.FunctionDef)
            and parent.name.value in self._decorator_factories
            and name in {r.value.value for r in _returns(parent.body) if isinstance(r.value, cst.Name)}
        ):
            return True
        kept = returned & self._parameter_names(function)
        return bool(kept) and any(n.value in kept for n in _names_in(stored))

    def _flag(self, node: cst.CSTNode, name: cst.Name, how: str, stored: cst.CSTNode | None = None) -> None:
        function = self._enclosing_function(node)
        if function is None:
            return
        if stored is not None and self._is_registration(function, stored):
            return
        key = (id(function), name.value)
        if key in self._reported:
            return
        self._reported.add(key)
        where = f"`{function.name.value}`" if isinstance(function, cst.FunctionDef) else "a lambda"
        self.report(node, f"Function {where} mutates module-level `{name.value}` ({how})")

    # -- the mutations ---------------------------------------------------------------------------------

    def _check_item_target(self, node: cst.CSTNode, target: cst.BaseExpression, how: str, stored) -> None:
        if isinstance(target, cst.Subscript):
            base = self._base_name(target)
            if base is not None and self._resolves_to_container(base):
                self._flag(node, base, how, stored)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._check_item_target(node, element.value, how, stored)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._check_item_target(node, target.target, "item assignment", node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._check_item_target(node, node.target, "item assignment", node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check_item_target(node, node.target, "augmented item assignment", node.value)

    def visit_Del(self, node: cst.Del) -> None:
        self._check_item_target(node, node.target, "`del`", None)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MUTATING_METHODS:
            base = self._base_name(func.value)
            if base is not None and self._resolves_to_container(base):
                self._flag(node, base, f"`.{func.attr.value}()`", node)
        elif node.args and self._qualnames(func) & _MUTATING_FUNCTIONS:
            base = self._base_name(node.args[0].value)
            if base is not None and self._resolves_to_container(base):
                called = cst.Module([]).code_for_node(func)
                self._flag(node, base, f"`{called}()`", node)


def _returns(body: cst.CSTNode):
    """The `return` statements with a value of a function body, not of nested functions or classes."""
    nested = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
    return [r for r in nodes_under(body, cst.Return, skip=nested) if r.value is not None]


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    return nodes_under(node, cst.Name)


def _decorator_names(module: cst.Module) -> tuple[set[str], set[str]]:
    """Names the module applies as decorators (`@name`) and as decorator factories (`@name(...)`)."""
    plain: set[str] = set()
    factories: set[str] = set()
    for node in nodes_under(module, cst.Decorator):
        target = node.decorator
        if isinstance(target, cst.Name):
            plain.add(target.value)
        elif isinstance(target, cst.Call) and isinstance(target.func, cst.Name):
            factories.add(target.func.value)
    return plain, factories
