"""Where a path points, shared by the destructive-operation rules (CA101..CA105) and the shell checker.

Two halves:

* **Places.** `classify_place(text)` says how dangerous it is to destroy a path: the filesystem root, a
  system folder, the home folder (or everything in them, a wildcard) and a file the system needs
  (`/etc/passwd`) are high; a direct subfolder of the home folder or a mounted volume is medium; a
  temporary folder, a relative (project) path, a deeper path or an unknown one is no finding. The lists
  of places are data in `rules/destructive.toml` (CA101).

* **Python values.** `Resolver` evaluates a libcst expression to a path string by simple constant
  propagation: string literals, f-strings and concatenation with known parts, `os.path.join`, `Path("/") /
  "etc"`, `Path.home()`, `os.path.expanduser`, `os.environ["HOME"]`, names assigned exactly once in the
  same or an enclosing scope (libcst's `ScopeProvider`), `tempfile.mkdtemp()` (safe). Unknown parts become
  the `UNKNOWN` marker, so `f"/home/{user}/.cache"` still resolves to a (harmless) path.

Paths use a small language: a leading `~` is the home folder, `TEMP` a fresh temporary folder, `UNKNOWN`
an unknown non-empty text; shell variables that may be empty get markers from `MAYBE_EMPTY_BASE` on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import libcst as cst
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from . import Trigger

UNKNOWN = "\ue000"
TEMP = "\ue010"
CWD = "\ue011"
LITERAL_TILDE = "\ue012"  # a `~` the shell does not expand (quoted, or not at the start of a word)
MAYBE_EMPTY_BASE = 0xE100
MARKERS_RE = re.compile("[\ue000-\ue1ff]")
GLOB_CHARS = frozenset("*?[")
SEVERITY_DOWN = {"high": "medium", "medium": "low", "low": None}


def is_maybe_empty_marker(char: str) -> bool:
    return len(char) == 1 and MAYBE_EMPTY_BASE <= ord(char) < MAYBE_EMPTY_BASE + 0x100


def downgrade(severity: str | None, steps: int = 1) -> str | None:
    for _ in range(steps):
        if severity is None:
            return None
        severity = SEVERITY_DOWN[severity]
    return severity


def narrow(severity: str | None) -> str | None:
    """The severity of deleting only some names (`*.pyc`, a filter) somewhere: one step lower, and nothing
    below medium (a filtered clean-up of one home subfolder is routine)."""
    return "medium" if severity == "high" else None


def worst(severities) -> str | None:
    order = {"low": 1, "medium": 2, "high": 3}
    best = None
    for severity in severities:
        if severity and (best is None or order[severity] > order[best]):
            best = severity
    return best


# --------------------------------------------------------------------------------------------- places


@dataclass(frozen=True)
class Places:
    system: frozenset[str]
    windows_system: frozenset[str]
    system_files: frozenset[str]
    windows_system_files: frozenset[str]
    home_roots: tuple[str, ...]
    mount_roots: tuple[str, ...]
    user_data: frozenset[str]
    disposable: frozenset[str]
    aliases: tuple[tuple[str, str], ...]
    environment: dict
    confirmations: frozenset[str]


def _decode(value: str) -> str:
    return value.replace("{temp}", TEMP).replace("{cwd}", CWD)


@cache
def places() -> Places:
    from ..rulebook import rule_spec  # noqa: PLC0415  (rulebook imports checks)

    data = rule_spec("CA101").data
    aliases = sorted(((k.lower(), _decode(v)) for k, v in data.get("path_aliases", {}).items()), key=lambda kv: -len(kv[0]))
    return Places(
        system=frozenset(p.rstrip("/") for p in data.get("system_folders", [])),
        windows_system=frozenset(p.lower().strip("/\\") for p in data.get("windows_system_folders", [])),
        system_files=frozenset(data.get("system_files", [])),
        windows_system_files=frozenset(p.lower().strip("/\\") for p in data.get("windows_system_files", [])),
        home_roots=tuple(p.rstrip("/") for p in data.get("home_roots", [])),
        mount_roots=tuple(p.rstrip("/") for p in data.get("mount_roots", [])),
        user_data=frozenset(n.lower() for n in data.get("user_data_home_folders", [])),
        disposable=frozenset(data.get("disposable_names", [])),
        aliases=tuple(aliases),
        environment={k: _decode(v) for k, v in data.get("environment", {}).items()},
        confirmations=frozenset(data.get("confirmation_functions", [])),
    )


@dataclass(frozen=True)
class Place:
    """A dangerous place. `contents`: the path is a wildcard over it (`/etc/*`); `narrowed`: the wildcard
    selects some names only (`/etc/*.conf`), which lowers the severity by one step."""

    severity: str
    kind: str  # root, drive, system, homes, home, home-child, volume
    path: str  # the folder
    contents: bool = False
    narrowed: bool = False
    pattern: str = ""  # the wildcard below the folder (`*`, `*.conf`)

    @property
    def description(self) -> str:
        what = {
            "root": "the filesystem root",
            "drive": f"the drive {self.path}",
            "system": f"the system folder {self.path}",
            "system-file": f"the system file {self.path}",
            "homes": f"every user's home folder ({self.path})",
            "home": "the home folder" if self.path == "~" else f"the home folder {self.path}",
            "home-child": f"the home subfolder {self.path}",
            "volume": f"the mounted volume {self.path}",
        }[self.kind]
        if self.narrowed:
            return f"files matching {self.pattern} everywhere under {what}"
        if self.contents:
            return f"everything {'on' if self.kind == 'drive' else 'in'} {what}"
        return what


def _apply_alias(text: str) -> str:
    lowered = text.lower()
    for alias, value in places().aliases:
        if lowered.startswith(alias):
            rest = text[len(alias):]
            if not rest or rest[0] in "/\\":
                return value + rest
    return text


def _is_glob(component: str) -> bool:
    return any(c in GLOB_CHARS for c in component)


_WIDE_GLOB_RE = re.compile(r"^(\*+|\?\*|\.\*|\*\.\*|\.\?\*|\.\[!.\]\*|\.\[\^.\]\*|\[!.\]\*|\*\*)$")


def _is_wide(component: str) -> bool:
    """A glob that matches (almost) every name: `*`, `**`, `.*`, `*.*`."""
    return bool(_WIDE_GLOB_RE.match(component))


def _components(rest: str) -> list[str] | None:
    out: list[str] = []
    for part in re.split(r"[/\\]+", rest):
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                continue  # the parent of the root is the root
            if _is_glob(out[-1]) or UNKNOWN in out[-1] or MARKERS_RE.search(out[-1]):
                return None
            out.pop()
            continue
        out.append(part)
    return out


def classify_place(text: str) -> Place | None:
    """How dangerous destroying `text` is (a path in the path language), or None when it is not."""
    if not text or TEMP in text or CWD in text:
        return None
    text = _apply_alias(text.strip())
    if not text or TEMP in text:
        return None
    if re.match(r"^[A-Za-z]:", text):
        drive, base = text[:2].upper() + "\\", "windows"
        rest = text[2:]
        if rest and rest[0] not in "/\\":
            return None  # C:foo is relative to the drive's working directory
    elif text.startswith("\\\\"):
        return None  # UNC paths and device namespaces are CA103's business
    elif text.startswith("~"):
        head, rest = re.match(r"([^/\\]*)(.*)", text, re.DOTALL).groups()
        if MARKERS_RE.search(head):
            return None
        drive, base = head, "home"
    elif text.startswith("/"):
        drive, base, rest = "/", "posix", text
    else:
        return None  # relative: inside the project
    comps = _components(rest)
    if comps is None:
        return None
    contents = narrowed = False
    glob_at = next((i for i, c in enumerate(comps) if _is_glob(c)), None)
    if glob_at is not None:
        tail = comps[glob_at:]
        if not all(_is_glob(c) for c in tail):
            return None  # /home/*/.cache: a fixed name below a wildcard
        contents = True
        narrowed = not all(_is_wide(c) for c in tail)
        comps = comps[:glob_at]
    if any(MARKERS_RE.search(c) for c in comps):
        return None
    found = _classify_folder(base, drive, comps)
    if found is None:
        return None
    severity, kind, shown = found
    if narrowed:
        severity = None if disposable(tail) else narrow(severity)
        if severity is None:
            return None
    pattern = "/".join(tail) if contents else ""
    return Place(severity=severity, kind=kind, path=shown, contents=contents, narrowed=narrowed, pattern=pattern)


def _classify_folder(base: str, drive: str, comps: list[str]) -> tuple[str, str, str] | None:
    known = places()
    if base == "home":
        if not comps:
            return "high", "home", drive
        if len(comps) == 1 and _precious_home_child(comps[0]):
            return "medium", "home-child", f"{drive}/{comps[0]}"
        return None
    if base == "windows":
        shown = drive + "\\".join(comps)
        if not comps:
            return "high", "drive", drive
        lowered = "/".join(c.lower() for c in comps)
        for root in known.home_roots:
            if "/" in root or not root:
                continue
            if comps[0].lower() == root.lower():
                return _home_like(comps[1:], shown, "\\")
        if lowered in known.windows_system:
            return "high", "system", shown
        if lowered in known.windows_system_files:
            return "high", "system-file", shown
        return None
    shown = "/" + "/".join(comps)
    if not comps:
        return "high", "root", "/"
    for root in known.home_roots:
        if root.startswith("/"):
            depth = root.count("/")
            if shown.startswith(root + "/") and len(comps) > depth:
                return _home_like(comps[depth:], shown, "/")
    for root in known.mount_roots:
        depth = root.count("/")
        if shown.startswith(root + "/") and len(comps) == depth + 1:
            if root == "/mnt" and re.fullmatch(r"[A-Za-z]", comps[-1]):
                return "high", "drive", shown  # WSL: /mnt/c is the Windows C: drive
            return "medium", "volume", shown
    if shown in known.system:
        return "high", "homes" if shown in known.home_roots else "system", shown
    if shown in known.system_files:
        return "high", "system-file", shown
    return None


def _home_like(below: list[str], shown: str, sep: str) -> tuple[str, str, str] | None:
    if not below:
        return "high", "homes", shown
    if len(below) == 1:
        return "high", "home", shown
    if len(below) == 2 and _precious_home_child(below[1]):
        return "medium", "home-child", shown
    return None


def _precious_home_child(name: str) -> bool:
    """Does a direct child of the home folder hold the user's data (Documents, ~/.ssh), not a cache or a tool?"""
    return name.lower() in places().user_data


class PlaceTrigger(Trigger):
    """A trigger for sources that may name a dangerous place (CA101, CA104).

    `classify_place` only reports a path that starts, after blanks, with `/`, `~`, a drive (`C:`) or an alias
    (`%SystemRoot%`, `$HOME`). The resolver builds paths from string literals, `os.sep`, `Path.home()` and
    the environment (`os.environ["HOME"]`), and whatever part comes first is one of those: a literal that
    starts like a place, `.home`, `sep`, or a literal naming such an environment variable. Names assigned
    once, f-strings, joins and call sites only move literals around, so the literal is still in the source.
    A literal that is the (first or second) argument of a string method whose arguments never become part
    of a value (`key.split("/")`, `path.rstrip("/")`, `s.replace("\\\\", "/")`) is no evidence.
    """

    def search(self, source: str) -> bool:
        for match in _place_re().finditer(source):
            if match.group()[0] in "'\"" and _INERT_ARGUMENT_RE.search(source, max(0, match.start() - 120), match.start()):
                continue
            return True
        return False


_STRING_PREFIX = "[rRbBuUfF]{0,2}"
_INERT_ARGUMENT_RE = re.compile(
    r"\.\s*(?:split|rsplit|strip|lstrip|rstrip|startswith|endswith|replace|count|find|rfind|index|rindex|partition"
    rf"|rpartition|removeprefix|removesuffix)\s*\(\s*(?:{_STRING_PREFIX}(?:'[^'\\\n]*'|\"[^\"\\\n]*\")\s*,\s*)?{_STRING_PREFIX}$"
)


@cache
def _place_re() -> re.Pattern:
    known = places()
    aliases = [alias for alias, value in known.aliases if TEMP not in value and CWD not in value]
    variables = [name for name, value in known.environment.items() if TEMP not in value and CWD not in value]
    literal = r"""['"]"""
    return re.compile(
        rf"{literal}[ \t]*(?:[/~]|[A-Za-z]:(?:[/\\{{%'\"]|$)|(?i:{_alternation(aliases)}))"
        r"|\.\s*home\b|sep\b"
        rf"|{literal}(?i:{_alternation(variables)}){literal}"
    )


def _alternation(words) -> str:
    return "|".join(sorted({re.escape(w) for w in words if w}, key=lambda w: (-len(w), w)))


def disposable(patterns) -> bool:
    """Do these name patterns only select regenerated or junk files (`*.pyc`, `__pycache__`)?"""
    patterns = [p for p in patterns if p not in ("**", "*")]
    return bool(patterns) and all(p in places().disposable for p in patterns)


def place_if_empty(text: str, marker: str) -> Place | None:
    """The place `text` names when the maybe-empty variable `marker` is empty and every other unknown is not."""
    replaced = text.replace(marker, "")
    replaced = MARKERS_RE.sub(lambda m: UNKNOWN if m.group() not in (TEMP, CWD) else m.group(), replaced)
    return classify_place(replaced)


# ---------------------------------------------------------------------------------------- path helpers


def is_absolute(text: str) -> bool:
    return bool(text) and (text[0] in "/~\\" or text[0] in (TEMP, CWD, UNKNOWN) or re.match(r"^[A-Za-z]:[/\\]", text) is not None)


def join_path(left: str, right: str) -> str:
    """`os.path.join` / `Path.__truediv__` in the path language."""
    if not left or is_absolute(right):
        return right
    if left.endswith(("/", "\\")):
        return left + right
    sep = "\\" if ("\\" in left and "/" not in left) else "/"
    return left + sep + right


def parent_path(text: str) -> str | None:
    stripped = text.rstrip("/\\")
    if not stripped:
        return text  # the root's parent is the root
    if stripped in ("~",) or MARKERS_RE.fullmatch(stripped):
        return None
    index = max(stripped.rfind("/"), stripped.rfind("\\"))
    if index < 0:
        return "."
    if index == 0:
        return stripped[0]
    if re.fullmatch(r"[A-Za-z]:", stripped[:index]):
        return stripped[: index + 1]
    return stripped[:index]


# --------------------------------------------------------------------------------------- python values


@dataclass(frozen=True)
class Text:
    """A string (or pathlib path, `path=True`) in the path language."""

    value: str
    path: bool = False

    @property
    def known(self) -> bool:
        return not MARKERS_RE.search(self.value)


@dataclass(frozen=True)
class Seq:
    """A list or tuple; `items` None where an element is unknown, `open` when more may follow (`*args`)."""

    items: tuple
    open: bool = False


@dataclass(frozen=True)
class Choice:
    """One of several values (a loop variable over a literal list)."""

    options: tuple


_PATH_CLASSES = {
    "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
    "pathlib.PurePosixPath", "pathlib.PureWindowsPath", "path.Path", "plumbum.local.path",
}
_JOIN = {"os.path.join", "posixpath.join", "ntpath.join"}
_IDENTITY = {
    "os.path.expanduser", "os.path.expandvars", "os.path.abspath", "os.path.realpath", "os.path.normpath",
    "os.path.normcase", "os.fspath", "builtins.str", "os.fsdecode", "os.fsencode", "shlex.quote", "pipes.quote",
    "posixpath.expanduser", "posixpath.abspath", "posixpath.normpath", "posixpath.realpath", "ntpath.abspath",
}
_DIRNAME = {"os.path.dirname", "posixpath.dirname", "ntpath.dirname"}
_TEMP_CALLS = {
    "tempfile.mkdtemp", "tempfile.mkstemp", "tempfile.TemporaryDirectory", "tempfile.NamedTemporaryFile",
    "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile", "tempfile.gettempdir", "tempfile.mktemp",
}
_PATH_METHODS_SAME = {"expanduser", "resolve", "absolute", "as_posix", "__fspath__", "strip", "rstrip", "lstrip", "expandvars"}
_ENV_GETTERS = {"os.getenv", "os.environ.get", "os.environ.setdefault", "posix.environ.get"}
_MAX_DEPTH = 24


def qualnames(rule, node: cst.CSTNode) -> set[str]:
    try:
        names = rule.get_metadata(QualifiedNameProvider, node, set())
    except Exception:  # noqa: BLE001  (metadata is missing for synthesized nodes)
        return set()
    return {q.name for q in names}


def call_args(call: cst.Call) -> tuple[list[cst.Arg], dict[str, cst.Arg]]:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    return positional, keywords


def argument(call: cst.Call, index: int, name: str | None = None) -> cst.BaseExpression | None:
    positional, keywords = call_args(call)
    if name and name in keywords:
        return keywords[name].value
    if 0 <= index < len(positional):
        # a *args before the index makes positions unknown
        for arg in call.args[: call.args.index(positional[index])]:
            if arg.star:
                return None
        return positional[index].value
    return None


# Names a module binds to another (dotted) name: import aliases (`from os import fork as f`) and the
# assignments the resolver follows (`f = os.fork`, `f: T = sh.rmtree`, `(f := os.fork)`; keyword arguments
# match too). `Resolver.qualnames(among=...)` looks a plain name up only when it or what it stands for may
# be one of the names asked for.
_AS_NAME_RE = re.compile(r"([\w.]*)[\s\\]+as[\s\\]+([A-Za-z_]\w*)")
_ASSIGNED_NAME_RE = re.compile(r"([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?:?=(?!=)(?=[\s\\(]*([A-Za-z_][\w.]*)([\s\\]*[.(\[])?)")


def _rebound_names(source: str) -> dict[str, set[str]]:
    """Name -> the last parts of the names it is bound to (`*`: unclear), from the text of a module."""
    found: dict[str, set[str]] = {}
    for match in _AS_NAME_RE.finditer(source):
        found.setdefault(match.group(2), set()).add(match.group(1).rsplit(".", 1)[-1] or "*")
    for match in _ASSIGNED_NAME_RE.finditer(source):
        after = (match.group(3) or "").strip(" \t\n\r\\")
        if after in ("(", "["):
            continue  # a call or a subscript, not an alias
        found.setdefault(match.group(1), set()).add("*" if after == "." else match.group(2).rsplit(".", 1)[-1])
    return found


def last_parts(*groups) -> frozenset[str]:
    """The last parts of these qualnames (mappings give keys): what `Resolver.qualnames(among=...)` takes."""
    return frozenset(name.rsplit(".", 1)[-1] for group in groups for name in group)


class Resolver:
    """Evaluates expressions of one module; `rule` is the running `CodeRule` (for its metadata)."""

    def __init__(self, rule) -> None:
        self.rule = rule
        self._active: set[int] = set()
        self._rebound: dict[str, set[str]] | None = None  # name -> the last parts of what it stands for

    # -- metadata helpers
    def qualnames(self, node: cst.CSTNode, among: frozenset[str] | None = None) -> set[str]:
        """Qualified names of `node`, following a local alias once (`rm = shutil.rmtree; rm(p)`).

        `among`: the last parts of the names the caller looks for. A node that cannot resolve to one of them
        gets no names, without computing the module's scopes: libcst's names of an attribute end with it
        (`x.append` is never `os.fork`), and a plain name keeps its own unless the module binds it with `as`
        or the resolver follows an assignment (see `_rebound_names`).
        """
        if among is not None and not self.may_be(node, among):
            return set()
        names = qualnames(self.rule, node)
        if isinstance(node, cst.Name) and not any("." in n for n in names):
            binding = self.binding(node)
            if binding and binding[0] == "assign" and isinstance(binding[1], (cst.Name, cst.Attribute)):
                names |= qualnames(self.rule, binding[1])
        return names

    def may_be(self, node: cst.CSTNode, among: frozenset[str]) -> bool:
        """Could libcst's qualified names of `node` end with one of `among` (see `qualnames`)?"""
        if isinstance(node, cst.Attribute):
            return node.attr.value in among
        if isinstance(node, cst.Name):
            if node.value in among:
                return True
            if self._rebound is None:
                self._rebound = _rebound_names(self.rule.context.source)
            stands_for = self._rebound.get(node.value, ())
            return "*" in stands_for or not among.isdisjoint(stands_for)
        # libcst names a call or a subscript after its callee or value (`f()(x)`, `handlers[k](x)`), and
        # nothing else
        if isinstance(node, cst.Call):
            return self.may_be(node.func, among)
        if isinstance(node, cst.Subscript):
            return self.may_be(node.value, among)
        return False

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        try:
            return self.rule.get_metadata(ParentNodeProvider, node, None)
        except Exception:  # noqa: BLE001
            return None

    def single_assignment(self, name: cst.Name):
        """The one assignment (libcst `Assignment`) that binds `name` where it is read, or None."""
        try:
            scope = self.rule.get_metadata(ScopeProvider, name, None)
        except Exception:  # noqa: BLE001
            return None
        if scope is None:
            return None
        try:
            assignments = scope[name.value]
        except Exception:  # noqa: BLE001
            return None
        if len(assignments) != 1:
            return None
        return next(iter(assignments))

    def defining_expression(self, name: cst.Name) -> cst.BaseExpression | None:
        """The expression a name assigned once was bound to (`x = <expr>`, `x: T = <expr>`, `(x := <expr>)`)."""
        assignment = self.single_assignment(name)
        if assignment is None or type(assignment).__name__ != "Assignment":
            return None
        target = assignment.node
        if not isinstance(target, cst.Name):
            return None
        parent = self.parent(target)
        if isinstance(parent, cst.AssignTarget) and parent.target is target:
            statement = self.parent(parent)
            if isinstance(statement, cst.Assign):
                return statement.value
        if isinstance(parent, cst.AnnAssign) and parent.target is target:
            return parent.value
        if isinstance(parent, cst.NamedExpr) and parent.target is target:
            return parent.value
        return None

    def binding(self, name: cst.Name) -> tuple[str, cst.CSTNode] | None:
        """How a name assigned once is bound: ("assign", expr), ("with", expr), ("for", iter), ("param", node)."""
        expression = self.defining_expression(name)
        if expression is not None:
            return "assign", expression
        assignment = self.single_assignment(name)
        if assignment is None or type(assignment).__name__ != "Assignment":
            return None
        target = assignment.node
        if isinstance(target, cst.Param):
            return "param", target
        if isinstance(target, (cst.FunctionDef, cst.ClassDef)):
            return "def", target
        if not isinstance(target, cst.Name):
            return None
        parent = self.parent(target)
        if isinstance(parent, cst.AsName):
            item = self.parent(parent)
            if isinstance(item, cst.WithItem):
                return "with", item.item
        node, child = parent, target
        while node is not None and isinstance(node, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
            child, node = node, self.parent(node)
        if isinstance(node, cst.For) and node.target is child:
            return "for", node.iter
        if isinstance(node, cst.CompFor) and node.target is child:
            return "for", node.iter
        return None

    # -- evaluation
    def resolve(self, node: cst.CSTNode | None):
        """Text, Seq, Choice or None (unknown)."""
        if node is None:
            return None
        key = id(node)
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return None
        self._active.add(key)
        try:
            return self._resolve(node)
        except (RecursionError, ValueError, TypeError, IndexError, KeyError):
            return None
        finally:
            self._active.discard(key)

    def text(self, node: cst.CSTNode | None) -> str:
        """The string an expression makes, UNKNOWN where unknown (never None)."""
        value = self.resolve(node)
        if isinstance(value, Text):
            return value.value
        return UNKNOWN

    def _resolve(self, node: cst.CSTNode):
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            if isinstance(value, bytes):
                value = value.decode("utf-8", "surrogateescape")
            return Text(value)
        if isinstance(node, cst.ConcatenatedString):
            return _combine([_alternatives(self.resolve(node.left)), _alternatives(self.resolve(node.right))])
        if isinstance(node, cst.FormattedString):
            pieces = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    pieces.append([part.value.replace("{{", "{").replace("}}", "}")])
                else:
                    pieces.append(_alternatives(self.resolve(part.expression)))
            return _combine(pieces)
        if isinstance(node, (cst.List, cst.Tuple)):
            items, is_open = [], False
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    inner = self.resolve(element.value)
                    if isinstance(inner, Seq):
                        items.extend(inner.items)
                        is_open |= inner.open
                    else:
                        is_open = True
                    continue
                value = self.resolve(element.value)
                items.append(value if isinstance(value, (Text, Choice)) else None)
            return Seq(tuple(items), is_open)
        if isinstance(node, cst.Name):
            return self._resolve_name(node)
        if isinstance(node, cst.BinaryOperation):
            return self._resolve_binary(node)
        if isinstance(node, cst.Call):
            return self._resolve_call(node)
        if isinstance(node, cst.Attribute):
            return self._resolve_attribute(node)
        if isinstance(node, cst.Subscript):
            return self._resolve_subscript(node)
        if isinstance(node, cst.NamedExpr):
            return self.resolve(node.value)
        if isinstance(node, cst.Await):
            return self.resolve(node.expression)
        return None

    def _resolve_name(self, node: cst.Name):
        names = self.qualnames(node)
        if names & _PATH_CLASSES or names & _TEMP_CALLS:
            return None  # a class or function, not a value
        binding = self.binding(node)
        if binding is None:
            return None
        kind, expression = binding
        if kind == "assign":
            return self.resolve(expression)
        if kind == "with":
            value = self.resolve(expression)
            if isinstance(value, Text) and value.value.startswith(TEMP):
                return value
            return None
        if kind == "for":
            iterable = self.resolve(expression)
            if isinstance(iterable, Seq) and iterable.items and not iterable.open:
                if all(isinstance(item, Text) for item in iterable.items):
                    return Choice(tuple(iterable.items))
            return None
        if kind == "param":
            return self._resolve_parameter(expression)
        return None

    def _resolve_parameter(self, param: cst.Param):
        """What the call sites of a plain function pass for `param` (`def rm(p): ...` then `rm("/")`)."""
        parameters = self.parent(param)
        function = self.parent(parameters) if isinstance(parameters, cst.Parameters) else None
        if not isinstance(function, cst.FunctionDef) or param not in parameters.params:
            return None
        if isinstance(self.parent(self.parent(function)), cst.ClassDef) or self.parent(function) is None:
            return None  # methods: `self` shifts the positions and calls go through instances
        index = list(parameters.params).index(param)
        try:
            scope = self.rule.get_metadata(ScopeProvider, function, None)
            assignments = scope.assignments[function.name.value] if scope is not None else ()
        except Exception:  # noqa: BLE001
            return None
        values: list[Text] = []
        for assignment in assignments:
            if getattr(assignment, "node", None) is not function:
                continue
            for access in list(assignment.references)[:20]:
                call = self.parent(access.node)
                if not isinstance(call, cst.Call) or call.func is not access.node:
                    continue
                expression = argument(call, index, param.name.value)
                if expression is None:
                    expression = param.default
                for option in options(self.resolve(expression)):
                    values.append(option)
        return Choice(tuple(values)) if values else None

    def _resolve_binary(self, node: cst.BinaryOperation):
        operator = node.operator
        left = self.resolve(node.left)
        if isinstance(operator, cst.Add):
            right = self.resolve(node.right)
            if isinstance(left, Seq) and isinstance(right, Seq):
                return Seq(left.items + right.items, left.open or right.open)
            if isinstance(left, Seq) or isinstance(right, Seq):
                return None
            if left is None and right is None:
                return None
            return _combine([_alternatives(left), _alternatives(right)])
        if isinstance(operator, cst.Divide):
            if any(o.path for o in options(left)):
                return _combine([_alternatives(left), _alternatives(self.resolve(node.right))], join=True, path=True)
            return None
        if isinstance(operator, cst.Modulo) and isinstance(left, Text):
            right = self.resolve(node.right)
            values = list(right.items) if isinstance(right, Seq) else [right]
            fill = iter(values)

            def sub(match: re.Match) -> str:
                if match.group() == "%%":
                    return "%"
                return _text(next(fill, None))

            return Text(re.sub(r"%%|%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifxXeEgGcoa]", sub, left.value))
        return None

    def _resolve_attribute(self, node: cst.Attribute):
        names = self.qualnames(node)
        if "os.sep" in names or "os.path.sep" in names:
            return Text("/")
        if "os.curdir" in names:
            return Text(".")
        attribute = node.attr.value
        if attribute in ("parent", "name", "stem", "anchor", "root"):
            value = self.resolve(node.value)
            if not isinstance(value, Text):
                return None
            if value.value.startswith(TEMP) and attribute == "name":
                return value  # TemporaryDirectory().name
            if attribute == "parent":
                parent = parent_path(value.value)
                return Text(parent, path=True) if parent is not None else None
            return None
        return None

    def _resolve_subscript(self, node: cst.Subscript):
        names = self.qualnames(node.value)
        if names & {"os.environ", "posix.environ"} and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                return self._environment(self.resolve(index.value))
        return None

    def _environment(self, key) -> Text | None:
        if not isinstance(key, Text) or not key.known:
            return None
        value = places().environment.get(key.value) or places().environment.get(key.value.upper())
        return Text(value) if value else None

    def _resolve_call(self, node: cst.Call):
        names = self.qualnames(node.func)
        positional, keywords = call_args(node)
        if names & _TEMP_CALLS:
            return Text(TEMP)
        if names & _PATH_CLASSES:
            if not positional:
                return Text(CWD, path=True)
            return _combine([_alternatives(self.resolve(a.value)) for a in positional], join=True, path=True)
        if names & {"pathlib.Path.home"} or any(n.endswith("Path.home") for n in names):
            return Text("~", path=True)
        if names & {"pathlib.Path.cwd", "os.getcwd", "os.getcwdb"} or any(n.endswith("Path.cwd") for n in names):
            return Text(CWD, path=isinstance(node.func, cst.Attribute) and node.func.attr.value == "cwd")
        if names & _JOIN:
            if any(a.star for a in node.args) or not positional:
                return None
            return _combine([_alternatives(self.resolve(a.value)) for a in positional], join=True)
        if names & _DIRNAME and positional:
            value = self.resolve(positional[0].value)
            if isinstance(value, Text):
                parent = parent_path(value.value)
                return Text(parent) if parent is not None else None
            return None
        if names & _IDENTITY and positional:
            value = self.resolve(positional[0].value)
            return Text(value.value) if isinstance(value, Text) else None
        if names & _ENV_GETTERS and positional:
            return self._environment(self.resolve(positional[0].value))
        if names & {"shlex.split"} and positional:
            return _split(self.resolve(positional[0].value))
        if names & {"shlex.join"} and positional:
            return _join(" ", self.resolve(positional[0].value))
        if isinstance(node.func, cst.Attribute):
            return self._resolve_method(node, node.func.attr.value, positional, keywords)
        return None

    def _resolve_method(self, node: cst.Call, method: str, positional, keywords):
        receiver = self.resolve(node.func.value)  # type: ignore[union-attr]
        if method == "join" and isinstance(receiver, Text) and positional:
            return _join(receiver.value, self.resolve(positional[0].value))
        if not isinstance(receiver, Text):
            return None
        if method in _PATH_METHODS_SAME and not (method.endswith("strip") and positional):
            return receiver
        if method in ("rstrip",) and positional:
            return receiver
        if method == "joinpath":
            value = receiver.value
            for arg in positional:
                value = join_path(value, self.text(arg.value))
            return Text(value, path=True)
        if method in ("home",):
            return Text("~", path=True)
        if method == "split" and not positional and not keywords:
            return _split(receiver, plain=True)
        if method == "format":
            return Text(self._format(receiver.value, positional, keywords))
        return None

    def _format(self, template: str, positional, keywords) -> str:
        counter = iter(range(len(positional) + 100))

        def sub(match: re.Match) -> str:
            if match.group() in ("{{", "}}"):
                return match.group()[0]
            field = match.group(1).split("!")[0].split(":")[0].split(".")[0].split("[")[0]
            if field == "":
                index = next(counter)
                return self.text(positional[index].value) if index < len(positional) else UNKNOWN
            if field.isdigit():
                index = int(field)
                return self.text(positional[index].value) if index < len(positional) else UNKNOWN
            arg = keywords.get(field)
            return self.text(arg.value) if arg is not None else UNKNOWN

        return re.sub(r"\{\{|\}\}|\{([^{}]*)\}", sub, template)

    # -- confirmation guard
    def asks_user(self, expression: cst.CSTNode, depth: int = 0) -> bool:
        """Does `expression` depend on an answer from the user (input(), click.confirm(), a name set from one)?"""
        if depth > 4:
            return False
        confirmations = places().confirmations
        for call in _walk(expression, cst.Call):
            names = self.qualnames(call.func)
            if names & confirmations:
                return True
            if isinstance(call.func, cst.Name):
                binding = self.binding(call.func)
                if binding and binding[0] == "def" and self.asks_user(binding[1].body, depth + 1):
                    return True
        for name in _walk(expression, cst.Name):
            binding = self.binding(name)
            if binding and binding[0] == "assign" and self.asks_user(binding[1], depth + 1):
                return True
        return False

    def confirmed(self, node: cst.CSTNode) -> bool:
        """Is `node` only reached after the user explicitly agreed (an `if` on their answer, or an early exit)?"""
        child, parent = node, self.parent(node)
        while parent is not None:
            if isinstance(parent, cst.If) and child is not parent.test and self.asks_user(parent.test):
                return True
            if isinstance(parent, cst.IfExp) and child is not parent.test and self.asks_user(parent.test):
                return True
            if isinstance(parent, cst.BooleanOperation) and child is parent.right and self.asks_user(parent.left):
                return True
            if isinstance(parent, cst.While) and child is parent.body and self.asks_user(parent.test):
                return True
            body = getattr(parent, "body", None)
            if isinstance(body, (list, tuple)):
                for statement in body:
                    if statement is child:
                        break
                    if _exits_when_user_declines(self, statement):
                        return True
            if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Module)):
                return False
            child, parent = parent, self.parent(parent)
        return False


def _exits_when_user_declines(resolver: Resolver, statement: cst.CSTNode) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(s, cst.Assert) and resolver.asks_user(s.test) for s in statement.body)
    if not isinstance(statement, cst.If) or not resolver.asks_user(statement.test):
        return False
    body = statement.body.body
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    if isinstance(last, (cst.Return, cst.Raise, cst.Continue, cst.Break)):
        return True
    if isinstance(last, cst.Expr) and isinstance(last.value, cst.Call):
        names = resolver.qualnames(last.value.func)
        return bool(names & {"sys.exit", "builtins.exit", "builtins.quit", "os._exit"})
    return False


def _walk(node: cst.CSTNode, kind) -> list:
    """Nodes of `kind` in `node`, in no particular order (see `walk` for source order)."""
    from . import nodes_under  # noqa: PLC0415  (the package imports this module's users)

    return nodes_under(node, kind)


def walk(node: cst.CSTNode, kind, *, skip=(cst.FunctionDef, cst.ClassDef, cst.Lambda)) -> list:
    """Nodes of `kind` under `node`, not descending into nested functions and classes."""
    from . import _is_trivia, source_children  # noqa: PLC0415  (the package imports this module's users)

    trivia = _is_trivia(kind)
    found = []
    stack = source_children(node, trivia=trivia)
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            found.append(current)
        if not isinstance(current, skip):
            stack.extend(source_children(current, trivia=trivia))
    return found


_MAX_CHOICES = 8


def _alternatives(value) -> list[str]:
    """The texts a value may be (UNKNOWN when unknown)."""
    if isinstance(value, Text):
        return [value.value]
    if isinstance(value, Choice):
        return [o.value for o in value.options if isinstance(o, Text)][:_MAX_CHOICES] or [UNKNOWN]
    return [UNKNOWN]


def _combine(pieces: list[list[str]], *, join: bool = False, path: bool = False):
    """Concatenate (or path-join) pieces that each have alternatives: a Text, or a Choice of them."""
    results: list[str] | None = None
    for piece in pieces:
        if results is None:
            results = list(piece)
            continue
        results = [join_path(r, p) if join else r + p for r in results for p in piece][:_MAX_CHOICES]
    texts = tuple(dict.fromkeys(results or [""]))
    if len(texts) == 1:
        return Text(texts[0], path=path)
    return Choice(tuple(Text(t, path=path) for t in texts))


def _text(value) -> str:
    if isinstance(value, Text):
        return value.value
    return UNKNOWN


def _split(value, plain: bool = False):
    if not isinstance(value, Text):
        return None
    import shlex  # noqa: PLC0415

    try:
        parts = value.value.split() if plain else shlex.split(value.value)
    except ValueError:
        return None
    return Seq(tuple(Text(p) for p in parts))


def _join(separator: str, value):
    if not isinstance(value, Seq) or value.open:
        return None
    pieces = []
    for index, item in enumerate(value.items):
        if index:
            pieces.append([separator])
        pieces.append(_alternatives(item))
    return _combine(pieces) if pieces else Text("")


def options(value) -> list[Text]:
    """The possible texts of a resolved value (several for a Choice), none when unknown."""
    if isinstance(value, Text):
        return [value]
    if isinstance(value, Choice):
        return [v for v in value.options if isinstance(v, Text)]
    return []
