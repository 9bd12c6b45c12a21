"""CA201-CA203, the global-state rules, beyond their embedded VALID/INVALID examples: where they report,
what they say, what they deliberately leave alone, and the pack entries (translations, principle)."""

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codealign.analysis import Selection, analyze_markdown, analyze_python
from codealign.findings import CATEGORY_GLOBAL_STATE
from codealign.rulebook import load_rule_specs

CODES = ("CA201", "CA202", "CA203")


def findings(source: str, code: str, **options):
    source = textwrap.dedent(source)
    return [f for f in analyze_python(source, selection=Selection(select=(code,)), **options).findings if f.rule == code]


# --- pack entries ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_pack_entry_is_complete_and_translated(code):
    spec = load_rule_specs()[code]
    assert spec.category == CATEGORY_GLOBAL_STATE
    assert spec.principle == "good-practice"
    assert spec.pack == "global_state"
    for key in ("message", "critique", "suggestion"):
        assert spec.localized(key, "en")
        zh = spec.localized(key, "zh")
        assert zh and zh != spec.localized(key, "en")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), (code, key, zh)


# --- CA201 ------------------------------------------------------------------------------------------------


def test_ca201_reports_the_rebinding_line_not_the_declaration():
    source = """\
        counter = 0

        def increment():
            global counter
            print(counter)
            counter += 1
        """
    (finding,) = findings(source, "CA201")
    assert (finding.line, finding.column) == (6, 5)
    assert "`increment`" in finding.message and "`counter`" in finding.message


def test_ca201_read_only_global_is_not_flagged_but_rebound_names_are_listed():
    source = """\
        config = {}
        cache = None

        def f():
            global config, cache
            cache = config.get("x")
            return config
        """
    (finding,) = findings(source, "CA201")
    assert "`cache`" in finding.message
    assert "`config`" not in finding.message


@pytest.mark.parametrize(
    "body",
    [
        "    global x\n    return x + 1\n",
        "    global x\n    x.append(1)\n",  # a mutation, CA203's business, not a rebinding
        "    global x\n    x[0] = 1\n",
        "    global x\n    x.attr = 1\n",
        "    global x\n    class C:\n        x = 1\n",  # the class body has its own scope
        "    global x\n    f = lambda x: x\n",
        "    global x\n    return {x: 1 for x in range(3)}\n",
    ],
)
def test_ca201_declarations_that_rebind_nothing(body):
    assert findings("x = [0]\ndef f():\n" + body, "CA201") == []


def test_ca201_nonlocal_rebinding_is_reported_with_its_keyword():
    source = """\
        def make():
            count = 0
            def bump():
                nonlocal count
                count += 1
                return count
            return bump
        """
    (finding,) = findings(source, "CA201")
    assert "nonlocal" in finding.message and "`bump`" in finding.message
    assert finding.line == 5


def test_ca201_one_finding_per_declaration():
    source = """\
        a = b = 0

        def f():
            global a
            a = 1
            a = 2
            a += 3

        def g():
            global b
            b = 1
        """
    assert [f.line for f in findings(source, "CA201")] == [5, 11]


# --- CA202 ------------------------------------------------------------------------------------------------


def test_ca202_severity_depends_on_where_the_write_happens():
    source = """\
        globals()["A"] = 1

        def f(name):
            globals()[name] = 2
        """
    by_line = {f.line: f.severity for f in findings(source, "CA202")}
    assert by_line == {1: "low", 4: "medium"}


def test_ca202_reports_a_function_once():
    source = """\
        def load(d):
            globals().update(d)
            globals()["x"] = 1
            del globals()["y"]
        """
    (finding,) = findings(source, "CA202")
    assert finding.line == 2 and "`load`" in finding.message and ".update()" in finding.message


@pytest.mark.parametrize(
    "source",
    [
        "def f(globals):\n    globals().update({})\n",
        "def globals():\n    return {}\ndef f():\n    globals()['x'] = 1\n",
        "import sys\ndef f():\n    sys.modules['other'].x = 1\n",
        "import sys\ndef f(__name__):\n    pass\n",
        "def f(d):\n    g = dict(globals())\n    g.update(d)\n",
        "class C:\n    vars()['x'] = 1\n",
        "def f():\n    return globals()['x']\n",
        "def f():\n    return sorted(globals())\n",
    ],
)
def test_ca202_not_flagged(source):
    assert findings(source, "CA202") == []


def test_ca202_follows_module_level_alias_into_functions():
    source = """\
        import sys
        _this = sys.modules[__name__]

        def configure(**kw):
            for key, value in kw.items():
                setattr(_this, key, value)
        """
    (finding,) = findings(source, "CA202")
    assert finding.line == 6 and finding.severity == "medium"


def test_ca202_alias_rebound_to_something_else_is_not_followed():
    source = """\
        g = globals()
        g = {}

        def f():
            g["x"] = 1
        """
    assert findings(source, "CA202") == []


# --- CA203 ------------------------------------------------------------------------------------------------


def test_ca203_reports_each_function_once_per_object():
    source = """\
        items = []
        index = {}

        def add(x):
            items.append(x)
            items.append(x * 2)
            index[x] = len(items)

        def remove(x):
            items.remove(x)
        """
    found = sorted((f.line, f.message) for f in findings(source, "CA203"))
    assert [line for line, _ in found] == [5, 7, 10]
    assert "`items`" in found[0][1] and "`index`" in found[1][1]


def test_ca203_position_points_at_the_mutation():
    source = "cache = {}\n\ndef get(k, compute):\n    if k not in cache:\n        cache[k] = compute(k)\n    return cache[k]\n"
    (finding,) = findings(source, "CA203")
    assert (finding.line, finding.column) == (5, 9)
    assert "item assignment" in finding.message


@pytest.mark.parametrize(
    "source",
    [
        # A comprehension variable with the same name.
        "items = []\ndef f(data):\n    return [items.append(1) for items in data]\n",
        # A module-level name bound by import, not a container literal.
        "from queue import Queue\nq = Queue()\ndef f(x):\n    q.put(x)\n",
        # A loop target at module level.
        "for acc in ([],):\n    pass\ndef f():\n    acc.append(1)\n",
        # A class attribute, not module state.
        "class Registry:\n    items = []\n    @classmethod\n    def add(cls, x):\n        cls.items.append(x)\n",
        # Mutating a copy.
        "BASE = {'a': 1}\ndef f():\n    d = dict(BASE)\n    d['b'] = 2\n    return d\n",
        # Non-mutating methods.
        "BASE = [3, 1, 2]\ndef f():\n    return BASE.copy(), BASE.index(1), BASE.count(2), sorted(BASE)\n",
        # A dunder name.
        "__path__ = []\ndef f(p):\n    __path__.append(p)\n",
        # A nested function's own parameter.
        "seen = set()\ndef outer():\n    def inner(seen):\n        seen.add(1)\n    return inner\n",
        # A tuple of lists unpacked at module level is not a known container binding.
        "a, b = [], []\ndef f():\n    a.append(1)\n",
    ],
)
def test_ca203_not_flagged(source):
    assert findings(source, "CA203") == []


def test_ca203_decorator_that_wraps_is_still_flagged():
    """A decorator used at import time registers; its wrapper runs at call time and is real shared state."""
    source = """\
        calls = []

        def traced(fn):
            def wrapper(*args):
                calls.append(fn.__name__)
                return fn(*args)
            return wrapper

        @traced
        def work():
            pass
        """
    (finding,) = findings(source, "CA203")
    assert "`wrapper`" in finding.message


def test_ca203_registration_in_a_decorator_used_later_in_the_module():
    source = """\
        HANDLERS = {}

        def on(fn):
            HANDLERS[fn.__name__] = fn

        @on
        def start():
            pass
        """
    assert findings(source, "CA203") == []


def test_ca203_reset_through_global_is_still_a_container():
    source = """\
        CACHE = {}

        def reset():
            global CACHE
            CACHE = {}

        def put(k, v):
            CACHE[k] = v
        """
    assert [f.line for f in findings(source, "CA203")] == [8]
    assert [f.line for f in findings(source, "CA201")] == [5]


def test_ca203_mutating_functions_from_the_standard_library():
    source = """\
        import bisect
        import random
        from heapq import heappush as push

        ranks = []
        deck = list(range(52))
        tasks = []

        def rank(x):
            bisect.insort(ranks, x)

        def shuffle():
            random.shuffle(deck)

        def schedule(t):
            push(tasks, t)
        """
    assert sorted(f.line for f in findings(source, "CA203")) == [10, 13, 16]


# --- through the analyzers -----------------------------------------------------------------------------------


def test_suppression_comment_hides_in_review_mode_but_not_in_reward_mode():
    source = "items = []\ndef f(x):\n    items.append(x)  # codealign: ignore[CA203]\n"
    assert findings(source, "CA203", honor_suppressions=True) == []
    assert len(findings(source, "CA203", honor_suppressions=False)) == 1


def test_findings_map_back_to_response_lines():
    response = (
        "Here is a counter:\n"
        "\n"
        "```python\n"
        "count = 0\n"
        "def bump():\n"
        "    global count\n"
        "    count += 1\n"
        "```\n"
    )
    result = analyze_markdown(response, selection=Selection(select=("CA2",)))
    assert [(f.rule, f.line) for f in result.findings] == [("CA201", 7)]


# --- properties ------------------------------------------------------------------------------------------------

_IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in {"def", "if", "in", "is", "or", "and", "not", "for", "del", "as", "try", "with", "pass",
                        "from", "else", "elif", "while", "class", "global", "import", "lambda", "return",
                        "raise", "yield", "break", "assert", "except", "async", "await", "finally", "continue",
                        "nonlocal", "match", "case", "type"}
)
_METHODS = st.sampled_from(["append(1)", "add(1)", "update({})", "clear()", "pop()", "extend([1])"])
_CONTAINERS = st.sampled_from(["[]", "{}", "set()", "dict()", "list()", "[0] * 3", "{1: 2}"])


@settings(max_examples=60, deadline=None)
@given(name=_IDENT, method=_METHODS, container=_CONTAINERS)
def test_property_parameter_shadowing_never_flags_but_global_use_always_does(name, method, container):
    shadowed = f"{name} = {container}\ndef Fn({name}):\n    {name}.{method}\n"
    shared = f"{name} = {container}\ndef Fn(Arg):\n    {name}.{method}\n"
    assert findings(shadowed, "CA203") == []
    assert len(findings(shared, "CA203")) == 1


@settings(max_examples=60, deadline=None)
@given(name=_IDENT, reads=st.integers(min_value=0, max_value=3), writes=st.integers(min_value=0, max_value=3))
def test_property_global_is_flagged_iff_it_rebinds(name, reads, writes):
    body = [f"    global {name}"] + [f"    print({name})"] * reads + [f"    {name} = {i}" for i in range(writes)]
    source = f"{name} = 0\ndef Fn():\n" + "\n".join(body) + "\n    return None\n"
    result = findings(source, "CA201")
    assert len(result) == (1 if writes else 0)
    if writes:
        assert result[0].line == 3 + reads + 1


# -------------------------------------------------------------------------------------------- triggers


@pytest.mark.parametrize(
    "code, source",
    [
        ("CA201", "x = 0\ndef f(): global x; x = 1\n"),
        ("CA201", "x = 0\ndef f():\n    y = 1; global x\n    x = 1\n"),
        ("CA202", "from builtins import globals as g\ndef f(k):\n    g()[k] = 1\n"),
        ("CA202", "import sys\nthis = sys.modules[ __name__ ]\ndef f(v):\n    this.x = v\n"),
        ("CA203", "x = dict.fromkeys('abc')\ndef f(k):\n    x[k] = 1\n"),
        ("CA203", "buf = 16 * [0]\ndef f(i):\n    buf[i] = 1\n"),
        ("CA203", "from collections import defaultdict as dd\nc = dd(int)\ndef f(w):\n    c[w] += 1\n"),
        ("CA203", "from heapq import heappush as push\nq = []\ndef f(a):\n    push(q, a)\n"),
        ("CA203", "t = {}\ndef f(a):\n    t[\n        a\n    ] = 1\n"),
        ("CA203", "t = {}\ndef f(a):\n    t[']'], y = 1, 2\n"),
        ("CA203", "t = []\ndef f(a):\n    t\\\n.append(a)\n"),
    ],
)
def test_triggers_see_every_spelling(code, source):
    assert findings(source, code), source


@pytest.mark.parametrize(
    "code, source",
    [
        ("CA201", '"""Scales by the global batch size; see nonlocal_steps."""\nglobal_step = 1\n'),
        ("CA202", "def f(self):\n    return vars(self)\n"),
        ("CA202", "import sys\nsys.modules[__name__] = _LazyModule(__name__)\n"),
        ("CA203", "TABLE = {'a': 1}\ndef get(k):\n    return TABLE[k] + len(TABLE)\n"),
        ("CA203", "logger = get_logger(__name__)\ndef f():\n    logger.info('x')\n    self.cache[1] = 2\n"),
    ],
)
def test_triggers_leave_reads_unparsed(code, source):
    from codealign.checks import registered_rules  # noqa: PLC0415

    assert not registered_rules()[code].triggered_by(textwrap.dedent(source)), source
