"""Destructive shell commands (CA102), found by tokenizing scripts the way a POSIX shell does.

Nothing here is substring matching. A script goes through

1. a **lexer** that knows quoting (`'...'`, `"..."`, `$'...'`, backslashes), expansions (`$VAR`, `${VAR:-x}`,
   `$(...)`, backticks, `~`), operators (`;`, `&&`, `||`, `|`, `&`, newlines, line continuations), comments,
   redirections and here-documents, and keeps every word's offset in the source;
2. a **parser** that turns tokens into simple commands and control keywords (`if`/`then`/`fi`, loops,
   `case`, groups, subshells, function definitions);
3. an **interpreter** that walks them in order, keeping variables (`tmp=$(mktemp -d)` is a temporary folder,
   `STEAMROOT=$(...)` may be empty), the working folder (`cd / && rm -rf *`), guards (`[ -n "$DIR" ] &&`,
   `${DIR:?}`, `if [ -z "$DIR" ]; then exit; fi`) and user confirmations (`read answer; if [ "$answer" = y ]`);
4. **command classifiers** for `rm`, `find -delete`, `shred`, `dd`, `mkfs`, `wipefs`, `chmod -R`/`chown -R`,
   `mv ... /dev/null`, Windows `del /s`/`rd /s`/`format C:`/`Remove-Item -Recurse`, device redirections and
   fork bombs, after stripping prefixes (`sudo`, `env X=1`, `nohup`, `xargs`...) and recursing into
   `bash -c "..."`, `su -c`, `eval`, `ssh host cmd`, `powershell -Command`, `cmd /c`, `$(...)`, here-documents
   and `echo ... | sh`.

How dangerous a path is comes from `codealign.checks._targets.classify_place` (the same places the Python
rules use); names and options are data in `rules/destructive.toml`.

Public API: `classify_command(argv)` and `scan_shell_script(source, path)`; `script_dangers(source)` is what
the Python rule CA102 uses for strings passed to `os.system` and friends.
"""

from __future__ import annotations

import base64
import fnmatch
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache

from .checks._targets import (
    CWD,
    LITERAL_TILDE,
    MAYBE_EMPTY_BASE,
    MARKERS_RE,
    TEMP,
    UNKNOWN,
    Place,
    classify_place,
    downgrade,
    disposable,
    is_maybe_empty_marker,
    join_path,
    narrow as narrow_severity,
    place_if_empty,
    places,
)
from .findings import Finding
from .rulebook import rule_spec

RULE = "CA102"
_MAX_DEPTH = 8
_MAX_ALTERNATIVES = 16
_SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Danger:
    """What a command destroys: a severity and a message (offsets into the scanned source when known)."""

    severity: str
    message: str
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class _Data:
    prefixes: dict
    shells: frozenset
    powershells: frozenset
    pythons: tuple
    format_programs: tuple
    format_cmdlets: frozenset
    narrowing: frozenset
    deleting: frozenset
    always_set: frozenset
    raw_devices: tuple


@cache
def _data() -> _Data:
    shell = rule_spec(RULE).data
    devices = rule_spec("CA103").data.get("raw_devices", [])
    return _Data(
        prefixes=dict(shell.get("prefix_commands", {})),
        shells=frozenset(shell.get("shell_programs", [])),
        powershells=frozenset(shell.get("powershell_programs", [])),
        pythons=tuple(shell.get("python_programs", [])),
        format_programs=tuple(shell.get("format_programs", [])),
        format_cmdlets=frozenset(n.lower() for n in shell.get("format_cmdlets", [])),
        narrowing=frozenset(shell.get("find_narrowing_tests", [])),
        deleting=frozenset(n.lower() for n in shell.get("deleting_commands", [])),
        always_set=frozenset(shell.get("always_set_variables", [])),
        raw_devices=tuple(re.compile(p) for p in devices),
    )


def is_raw_device(path: str) -> bool:
    """A whole disk, partition, volume or physical memory (`/dev/sda`, `/dev/nvme0n1p2`, `\\\\.\\PhysicalDrive0`)."""
    return any(p.search(path) for p in _data().raw_devices)


# ================================================================================================ lexer


@dataclass
class Part:
    kind: str  # lit, var, cmd, tilde, arith
    text: str = ""
    quoted: bool = False
    op: str = ""
    arg: "Word | None" = None
    offset: int = 0


@dataclass
class Word:
    parts: list
    raw: str
    start: int
    end: int

    def literal(self) -> str | None:
        if all(p.kind == "lit" for p in self.parts):
            return "".join(p.text for p in self.parts)
        return None

    @property
    def plain(self) -> bool:
        """An unquoted literal (the only form in which reserved words count)."""
        return bool(self.parts) and all(p.kind == "lit" and not p.quoted for p in self.parts)

    def only_variable(self) -> Part | None:
        """The variable part when the word is nothing but one variable (`$X`, `"${X}"`)."""
        parts = [p for p in self.parts if not (p.kind == "lit" and p.text == "")]
        if len(parts) == 1 and parts[0].kind == "var" and not parts[0].op:
            return parts[0]
        return None

    def inner_offset(self) -> int | None:
        """Where the literal text starts in the source when the word is one quoted or plain literal."""
        if self.literal() is None:
            return None
        raw = self.raw
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" and raw[1:-1] == self.literal():
            return self.start + 1
        if raw == self.literal():
            return self.start
        return None


@dataclass
class Tok:
    kind: str  # word, op, redir, nl, arith
    text: str
    start: int
    end: int
    word: Word | None = None
    target: Word | None = None
    heredoc: tuple | None = None  # (body, offset)


_REDIR_RE = re.compile(r"(?:\d+|\{[A-Za-z_]\w*\})?(?:<<<|<<-|<<|&>>|&>|>>|>&|<&|>\||<>|>|<)")
_OPS3 = (";;&",)
_OPS2 = ("&&", "||", ";;", ";&", "|&")
_OPS1 = ("&", "|", ";", "(", ")")
_WORD_END = frozenset(" \t\r\n|&;()<>")
_KEYWORD_STARTERS = frozenset({"if", "while", "until", "then", "do", "else", "elif", "!", "{", "time", "for"})


class _Lexer:
    def __init__(self, source: str, base: int = 0) -> None:
        self.s = source
        self.n = len(source)
        self.base = base
        self.tokens: list[Tok] = []
        self.pending: list[tuple[str, bool, Tok]] = []

    def _tok(self, kind: str, text: str, start: int, end: int, **extra) -> Tok:
        token = Tok(kind, text, start + self.base, end + self.base, **extra)
        self.tokens.append(token)
        return token

    def _at_command_start(self) -> bool:
        if not self.tokens:
            return True
        last = self.tokens[-1]
        if last.kind in ("nl",) or (last.kind == "op" and last.text != ")"):
            return True
        return last.kind == "word" and last.word is not None and last.word.plain and last.text in _KEYWORD_STARTERS

    def run(self) -> list[Tok]:
        s, n = self.s, self.n
        i = 0
        while i < n:
            c = s[i]
            if c in " \t\r\f\v":
                i += 1
                continue
            if c == "\\" and i + 1 < n and s[i + 1] == "\n":
                i += 2
                continue
            if c == "\n":
                self._tok("nl", "\n", i, i + 1)
                i += 1
                if self.pending:
                    i = self._read_heredocs(i)
                continue
            if c == "#":
                j = s.find("\n", i)
                i = n if j < 0 else j
                continue
            if s.startswith("((", i) and self._at_command_start():
                j = self._match_double_paren(i + 2)
                if j is not None:
                    self._tok("arith", s[i:j], i, j)
                    i = j
                    continue
            if c in "<>" and i + 1 < n and s[i + 1] == "(":
                word, j = self._read_word(i)
                self._tok("word", word.raw, i, j, word=word)
                i = j
                continue
            op = next((o for o in _OPS3 + _OPS2 if s.startswith(o, i)), None)
            if op is None:
                match = _REDIR_RE.match(s, i)
                if match and (match.group()[0] in "<>&{" or match.group()[0].isdigit()):
                    i = self._read_redirect(i, match.group())
                    continue
                op = next((o for o in _OPS1 if s.startswith(o, i)), None)
            if op is not None:
                self._tok("op", op, i, i + len(op))
                i += len(op)
                continue
            word, j = self._read_word(i)
            if j == i:  # cannot happen, but never loop forever
                j = i + 1
            self._tok("word", word.raw, i, j, word=word)
            i = j
        return self.tokens

    def _read_redirect(self, i: int, text: str) -> int:
        s, n = self.s, self.n
        start = i
        i += len(text)
        op = text.lstrip("0123456789")
        if op.startswith("{"):
            op = op[op.index("}") + 1:]
        while i < n and s[i] in " \t":
            i += 1
        target = None
        if i < n and s[i] not in "\n;&|()<>":
            target, i = self._read_word(i)
        token = self._tok("redir", op, start, i, target=target)
        if op in ("<<", "<<-") and target is not None:
            delimiter = target.literal()
            if delimiter is None:
                delimiter = target.raw.strip("'\"")
            self.pending.append((delimiter, op == "<<-", token))
        return i

    def _read_heredocs(self, i: int) -> int:
        s, n = self.s, self.n
        for delimiter, strip_tabs, token in self.pending:
            body_start = i
            body_end = n
            while i < n:
                j = s.find("\n", i)
                line_end = n if j < 0 else j
                line = s[i:line_end].rstrip("\r")
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    body_end = i
                    i = line_end + 1 if j >= 0 else n
                    break
                i = line_end + 1 if j >= 0 else n
            token.heredoc = (s[body_start:body_end], body_start + self.base)
        self.pending = []
        return i

    def _match_double_paren(self, i: int) -> int | None:
        depth = 2
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
                if depth == 1 and (i + 1 >= n or s[i + 1] != ")"):
                    return None
            elif c == "\n":
                return None
            i += 1
        return None

    # -- words
    def _read_word(self, i: int, stop=_WORD_END) -> tuple[Word, int]:
        s, n = self.s, self.n
        start = i
        parts: list[Part] = []
        buf: list[str] = []
        buf_quoted = False

        def flush() -> None:
            nonlocal buf
            if buf:
                parts.append(Part("lit", "".join(buf), quoted=buf_quoted))
                buf = []

        def lit(text: str, quoted: bool) -> None:
            nonlocal buf_quoted
            if buf and buf_quoted != quoted:
                flush()
            buf_quoted = quoted
            buf.append(text)

        while i < n:
            c = s[i]
            if c in stop:
                if c in "<>" and i + 1 < n and s[i + 1] == "(":
                    j = self._match_paren(i + 2)
                    flush()
                    parts.append(Part("cmd", s[i + 2:j], offset=i + 2 + self.base))
                    i = j + 1
                    continue
                if c == "(" and (buf and buf[-1] and buf[-1][-1] in "=?*+@!"):
                    j = self._match_paren(i + 1)
                    lit(s[i:j + 1], False)
                    i = j + 1
                    continue
                break
            if c == "\\":
                if i + 1 < n and s[i + 1] in " \t\r\n" and _WINDOWS_WORD_RE.match(s[start:i]):
                    lit("\\", False)  # `C:\ -Recurse`, `rd /s C:\` at the end of a line: a Windows path
                    i += 1
                    break
                if i + 1 < n:
                    if s[i + 1] == "\n":
                        i += 2
                        continue
                    lit(s[i + 1], True)
                    i += 2
                else:
                    lit("\\", False)
                    i += 1
                continue
            if c == "'":
                j = s.find("'", i + 1)
                j = n if j < 0 else j
                lit(s[i + 1:j], True)
                if not s[i + 1:j]:
                    flush()
                    parts.append(Part("lit", "", quoted=True))
                i = j + 1
                continue
            if c == '"':
                flush()
                inner, i = self._read_dquote(i + 1)
                parts.extend(inner or [Part("lit", "", quoted=True)])
                continue
            if c == "$":
                flush()
                part, i = self._read_dollar(i, quoted=False)
                if part.kind == "lit":
                    lit(part.text, part.quoted)
                else:
                    parts.append(part)
                continue
            if c == "`":
                flush()
                part, i = self._read_backtick(i, quoted=False)
                parts.append(part)
                continue
            if c == "~" and i == start:
                j = i + 1
                while j < n and (s[j].isalnum() or s[j] in "._-+") and s[j] not in stop:
                    j += 1
                flush()
                parts.append(Part("tilde", s[i + 1:j]))
                i = j
                continue
            lit(c, False)
            i += 1
        flush()
        return Word(parts, s[start:i], start + self.base, i + self.base), i

    def _read_dquote(self, i: int) -> tuple[list[Part], int]:
        s, n = self.s, self.n
        parts: list[Part] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                parts.append(Part("lit", "".join(buf), quoted=True))
                buf.clear()

        while i < n:
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == "\\" and i + 1 < n and s[i + 1] in '$`"\\\n':
                if s[i + 1] != "\n":
                    buf.append(s[i + 1])
                i += 2
                continue
            if c == "$":
                part, i = self._read_dollar(i, quoted=True)
                if part.kind == "lit":
                    buf.append(part.text)
                else:
                    flush()
                    part.quoted = True
                    parts.append(part)
                continue
            if c == "`":
                flush()
                part, i = self._read_backtick(i, quoted=True)
                parts.append(part)
                continue
            buf.append(c)
            i += 1
        flush()
        return parts, i

    def _read_dollar(self, i: int, quoted: bool) -> tuple[Part, int]:
        s, n = self.s, self.n
        nxt = s[i + 1] if i + 1 < n else ""
        if nxt == "'" and not quoted:
            j, out = i + 2, []
            while j < n and s[j] != "'":
                if s[j] == "\\" and j + 1 < n:
                    out.append(_ANSI_ESCAPES.get(s[j + 1], s[j + 1]))
                    j += 2
                    continue
                out.append(s[j])
                j += 1
            return Part("lit", "".join(out), quoted=True), j + 1
        if nxt == '"' and not quoted:
            parts, j = self._read_dquote(i + 2)
            text = "".join(p.text for p in parts if p.kind == "lit")
            if all(p.kind == "lit" for p in parts):
                return Part("lit", text, quoted=True), j
            return Part("arith", quoted=True), j
        if s.startswith("((", i + 1):
            end = s.find("))", i + 3)
            end = n if end < 0 else end + 2
            return Part("arith", quoted=quoted), end
        if nxt == "(":
            j = self._match_paren(i + 2)
            return Part("cmd", s[i + 2:j], quoted=quoted, offset=i + 2 + self.base), min(j + 1, n)
        if nxt == "{":
            j = self._match_brace(i + 2)
            return self._braced(s[i + 2:j], i + 2, quoted), min(j + 1, n)
        match = re.match(r"env:[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", s[i + 1:i + 200])
        if match:
            return Part("var", match.group(), quoted=quoted), i + 1 + match.end()
        return Part("lit", "$", quoted=quoted), i + 1

    def _braced(self, content: str, offset: int, quoted: bool) -> Part:
        if content.startswith("#") and len(content) > 1:
            return Part("var", content[1:], quoted=quoted, op="#len")
        if content.startswith("!"):
            return Part("var", content[1:], quoted=quoted, op="other")
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(\[[^\]]*\])?", content)
        if not match:
            return Part("var", content, quoted=quoted, op="other")
        name, rest = match.group(1), content[match.end():]
        if not rest:
            return Part("var", name, quoted=quoted)
        for op in (":-", ":=", ":?", ":+", "-", "=", "?", "+"):
            if rest.startswith(op):
                argument_text = rest[len(op):]
                sub = _Lexer(argument_text, self.base + offset + match.end() + len(op))
                arg, _ = sub._read_word(0, stop=frozenset())
                return Part("var", name, quoted=quoted, op=op, arg=arg)
        return Part("var", name, quoted=quoted, op="other")

    def _read_backtick(self, i: int, quoted: bool) -> tuple[Part, int]:
        s, n = self.s, self.n
        j = i + 1
        out = []
        while j < n and s[j] != "`":
            if s[j] == "\\" and j + 1 < n and s[j + 1] in "`\\$":
                out.append(s[j + 1])
                j += 2
                continue
            out.append(s[j])
            j += 1
        return Part("cmd", "".join(out), quoted=quoted, offset=i + 1 + self.base), min(j + 1, n)

    def _skip_dquote(self, i: int) -> int:
        s, n = self.s, self.n
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                return i + 1
            if s.startswith("$(", i):
                i = self._match_paren(i + 2) + 1
                continue
            if c == "`":
                j = s.find("`", i + 1)
                i = n if j < 0 else j + 1
                continue
            i += 1
        return n

    def _match_paren(self, i: int) -> int:
        """Index of the `)` closing a `(` just before `i` (n when unbalanced)."""
        s, n = self.s, self.n
        depth = 1
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                j = s.find("'", i + 1)
                i = n if j < 0 else j + 1
                continue
            if c == '"':
                i = self._skip_dquote(i + 1)
                continue
            if c == "`":
                j = s.find("`", i + 1)
                i = n if j < 0 else j + 1
                continue
            if c == "#" and (i == 0 or s[i - 1] in " \t\n;&|(") and s[i - 1:i] != "$":
                j = s.find("\n", i)
                i = n if j < 0 else j
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return n

    def _match_brace(self, i: int) -> int:
        s, n = self.s, self.n
        depth = 1
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                j = s.find("'", i + 1)
                i = n if j < 0 else j + 1
                continue
            if c == '"':
                i = self._skip_dquote(i + 1)
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        return n


_WINDOWS_WORD_RE = re.compile(r"^(?:[A-Za-z]:|%\w+%|\$env:\w+)(?:\\[^\\\s]*)*$", re.IGNORECASE)
_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", "a": "\a", "e": "\x1b"}


def tokenize(source: str, base: int = 0) -> list[Tok]:
    """The tokens of a shell script (words with their parts, operators, redirections, newlines)."""
    return _Lexer(source, base).run()


# =============================================================================================== parser


@dataclass
class Redir:
    op: str
    target: Word | None
    heredoc: tuple | None
    start: int
    end: int


@dataclass
class Cmd:
    words: list
    assigns: list  # (name, value Word, whole Word)
    redirs: list
    start: int
    end: int
    background: bool = False
    piped: bool = False  # its output goes into a pipe


@dataclass
class Ctl:
    kind: str
    start: int
    name: str = ""
    values: list | None = None


_SEPARATORS = frozenset({";", "&", "&&", "||", "|", "|&", ";;", ";&", ";;&"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_ASSIGN_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")


def parse(tokens: list[Tok]) -> list:
    """Simple commands and control keywords, in order."""
    items: list = []
    i, n = 0, len(tokens)
    at_start = True
    case_patterns: list[bool] = []  # per open `case`: expecting a pattern

    def last_cmd() -> Cmd | None:
        for item in reversed(items):
            if isinstance(item, Cmd):
                return item
            if isinstance(item, Ctl) and item.kind not in ("fi", "done", "}", ")", "esac"):
                return None
        return None

    while i < n:
        tok = tokens[i]
        if tok.kind == "nl" or (tok.kind == "op" and tok.text in _SEPARATORS):
            text = "\n" if tok.kind == "nl" else tok.text
            previous = last_cmd()
            if text == "&" and previous is not None:
                previous.background = True
            if text in ("|", "|&") and previous is not None:
                previous.piped = True
            items.append(Ctl("sep", tok.start, name=text))
            if text in _CASE_ENDS and case_patterns:
                case_patterns[-1] = True
            at_start = True
            i += 1
            continue
        if at_start and case_patterns and case_patterns[-1]:
            if tok.kind == "word" and tok.word.plain and tok.text == "esac":
                items.append(Ctl("esac", tok.start))
                case_patterns.pop()
                at_start = False
                i += 1
                continue
            while i < n and not (tokens[i].kind == "op" and tokens[i].text == ")"):
                i += 1
            i += 1
            case_patterns[-1] = False
            at_start = True
            continue
        if tok.kind == "op" and tok.text in "()":
            items.append(Ctl(tok.text, tok.start))
            at_start = True
            i += 1
            continue
        if tok.kind == "arith":
            items.append(Cmd([Word([Part("arith")], tok.text, tok.start, tok.end)], [], [], tok.start, tok.end))
            at_start = False
            i += 1
            continue
        if tok.kind == "word" and at_start and tok.word.plain:
            keyword = tok.text
            if keyword in ("if", "elif", "while", "until", "then", "do", "else", "!", "{"):
                items.append(Ctl(keyword, tok.start))
                i += 1
                continue
            if keyword in ("fi", "done", "}", "esac"):
                items.append(Ctl(keyword, tok.start))
                if keyword == "esac" and case_patterns:
                    case_patterns.pop()
                at_start = False
                i += 1
                continue
            if keyword == "time":
                i += 1
                continue
            if keyword in ("for", "select"):
                j = i + 1
                name = tokens[j].text if j < n and tokens[j].kind == "word" else ""
                values = None
                j += 1
                if j < n and tokens[j].kind == "word" and tokens[j].text == "in":
                    values = []
                    j += 1
                    while j < n and tokens[j].kind == "word":
                        values.append(tokens[j].word)
                        j += 1
                elif tokens[i + 1].kind == "arith" if i + 1 < n else False:
                    j = i + 2
                items.append(Ctl("for", tok.start, name=name, values=values))
                i = j
                continue
            if keyword == "case":
                j = i + 1
                while j < n and not (tokens[j].kind == "word" and tokens[j].text == "in"):
                    if tokens[j].kind == "nl":
                        break
                    j += 1
                items.append(Ctl("case", tok.start))
                case_patterns.append(True)
                i = j + 1
                while i < n and tokens[i].kind == "nl":
                    i += 1
                at_start = True
                continue
            if keyword == "function" and i + 1 < n and tokens[i + 1].kind == "word":
                items.append(Ctl("func", tok.start, name=tokens[i + 1].text))
                i += 2
                if i + 1 < n and tokens[i].kind == "op" and tokens[i].text == "(" and tokens[i + 1].text == ")":
                    i += 2
                continue
            if keyword == "[[":
                j = i + 1
                words = [tok.word]
                while j < n and not (tokens[j].kind == "word" and tokens[j].text == "]]") and tokens[j].kind != "nl":
                    t = tokens[j]
                    words.append(t.word if t.word is not None else Word([Part("lit", t.text)], t.text, t.start, t.end))
                    j += 1
                end = tokens[j].end if j < n else tokens[-1].end
                if j < n and tokens[j].kind == "word":
                    words.append(tokens[j].word)
                items.append(Cmd(words, [], [], tok.start, end))
                at_start = False
                i = j + 1
                continue
        if (
            tok.kind == "word"
            and at_start
            and i + 2 < n
            and tokens[i + 1].kind == "op"
            and tokens[i + 1].text == "("
            and tokens[i + 2].kind == "op"
            and tokens[i + 2].text == ")"
        ):
            items.append(Ctl("func", tok.start, name=tok.text))
            i += 3
            while i < n and tokens[i].kind == "nl":
                i += 1
            continue
        # a simple command
        words: list[Word] = []
        assigns: list = []
        redirs: list[Redir] = []
        start = tok.start
        end = tok.end
        while i < n:
            t = tokens[i]
            if t.kind == "nl" or (t.kind == "op"):
                break
            if t.kind == "redir":
                redirs.append(Redir(t.text, t.target, t.heredoc, t.start, t.end))
            elif t.kind == "word":
                if not words and _ASSIGN_RE.match(t.text):
                    assigns.append(_split_assignment(t.word))
                else:
                    words.append(t.word)
            elif t.kind == "arith":
                words.append(Word([Part("arith")], t.text, t.start, t.end))
            end = t.end
            i += 1
        items.append(Cmd(words, assigns, redirs, start, end))
        at_start = False
    return items


def _split_assignment(word: Word) -> tuple[str, Word, Word]:
    match = _ASSIGN_RE.match(word.raw)
    name = match.group(1)
    cut = match.end()
    parts, consumed = [], 0
    for part in word.parts:
        if consumed >= cut or part.kind != "lit":
            parts.append(part)
            continue
        remaining = cut - consumed
        if len(part.text) <= remaining:
            consumed += len(part.text)
            continue
        parts.append(Part("lit", part.text[remaining:], quoted=part.quoted))
        consumed = cut
    if parts and parts[0].kind == "lit" and not parts[0].quoted and parts[0].text.startswith("~"):
        head, sep, tail = parts[0].text[1:].partition("/")
        parts[0:1] = [Part("tilde", head)] + ([Part("lit", sep + tail)] if sep else [])
    value = Word(parts, word.raw[cut:], word.start + cut, word.end)
    return name, value, word


# ========================================================================================== interpreter


@dataclass
class Arg:
    alts: list
    raw: str
    word: Word | None = None

    @property
    def text(self) -> str:
        return self.alts[0] if self.alts else ""

    def windows_texts(self) -> list[str]:
        """Windows paths lose their backslashes to the POSIX lexer; take them from the source text."""
        raw = self.raw
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            raw = raw[1:-1]
        if _WINDOWS_RAW_RE.match(raw):
            return [raw]
        return self.alts


_WINDOWS_RAW_RE = re.compile(r"^(?:[A-Za-z]:[\\/]|[A-Za-z]:$|%[A-Za-z_()0-9]+%|\$env:)", re.IGNORECASE)


@dataclass
class _Frame:
    kind: str
    phase: str = "body"  # cond / then / else / body
    cond_true: set = field(default_factory=set)
    cond_false: set = field(default_factory=set)
    cond_confirm: bool = False
    active: set = field(default_factory=set)
    active_confirm: bool = False
    exits: bool = False
    func: str = ""
    func_start: int = 0
    self_spawns: int = 0
    saved: tuple | None = None


@dataclass
class _Test:
    true: set
    false: set
    confirm: bool


class _Scanner:
    """State shared by one scan: dangers found, markers for maybe-empty variables."""

    def __init__(self) -> None:
        self.dangers: list[Danger] = []
        self.marker_names: dict[str, str] = {}
        self._by_name: dict[str, str] = {}

    def marker(self, name: str, fresh: bool = False) -> str:
        if not fresh and name in self._by_name:
            return self._by_name[name]
        index = len(self.marker_names)
        if index >= 0x100:
            return UNKNOWN
        marker = chr(MAYBE_EMPTY_BASE + index)
        self.marker_names[marker] = name
        if not fresh:
            self._by_name[name] = marker
        return marker


_FILE_TESTS = frozenset({"-n", "-d", "-e", "-f", "-s", "-r", "-w", "-x", "-L", "-h", "-a", "-O", "-G", "-S", "-b", "-c", "-p"})


class _Interp:
    def __init__(self, scanner: _Scanner, *, depth: int = 0, parent: "_Interp | None" = None, fixed=None) -> None:
        self.scanner = scanner
        self.depth = depth
        self.fixed = fixed  # (start, end): report every danger there (positions inside are not exact)
        self.vars: dict[str, list[str]] = dict(parent.vars) if parent else {}
        self.input_markers: set[str] = set(parent.input_markers) if parent else set()
        self.cwd: str | None = parent.cwd if parent else None
        self.nounset = parent.nounset if parent else False
        self.guards: set[str] = set(parent.effective_guards()) if parent else set()
        self.confirm_inherited = parent.effective_confirm() if parent else False
        self.stack: list[_Frame] = []
        self.chain_guards: set[str] = set()
        self.chain_confirm = False
        self.pending: tuple | None = None  # (operator, _Test) after `test &&` / `test ||`
        self.last_test: _Test | None = None
        self.negate = False
        self.pipe_from: list | None = None  # args of the previous command of a pipeline
        self.span: tuple[int, int] = parent.span if parent else (0, 0)  # the command being classified
        self.pending_func: tuple | None = None

    # -- reporting
    def danger(self, severity: str | None, message: str, start: int, end: int) -> None:
        if severity is None:
            return
        if self.fixed is not None:
            start, end = self.fixed
        self.scanner.dangers.append(Danger(severity, message, start, end))

    def effective_guards(self) -> set[str]:
        out = set(self.guards) | self.chain_guards
        for frame in self.stack:
            out |= frame.active
        return out

    def effective_confirm(self) -> bool:
        return self.confirm_inherited or self.chain_confirm or any(f.active_confirm for f in self.stack)

    # -- running
    def run_source(self, source: str, base: int) -> None:
        try:
            items = parse(tokenize(source, base))
        except (RecursionError, IndexError, ValueError):
            return
        self.run(items)

    def run(self, items: list) -> None:
        for index, item in enumerate(items):
            if isinstance(item, Ctl):
                self.control(item, items, index)
            else:
                self.command(item)
                self.negate = False

    def control(self, item: Ctl, items: list, index: int) -> None:
        kind = item.kind
        frame = self.stack[-1] if self.stack else None
        if kind == "sep":
            self.separator(item.name)
            return
        if kind in ("if", "while", "until"):
            self.stack.append(_Frame(kind, phase="cond", saved=self._save_chain()))
            self._reset_chain()
            return
        if kind == "elif" and frame is not None:
            frame.phase, frame.cond_true, frame.cond_false, frame.cond_confirm = "cond", set(), set(), False
            frame.active, frame.active_confirm = set(), False
            return
        if kind == "then" and frame is not None:
            frame.phase = "then"
            frame.active, frame.active_confirm = set(frame.cond_true), frame.cond_confirm
            self._reset_chain()
            return
        if kind == "do" and frame is not None:
            if frame.kind in ("while", "until"):
                frame.active = set(frame.cond_true if frame.kind == "while" else frame.cond_false)
                frame.active_confirm = frame.cond_confirm
            frame.phase = "then"
            self._reset_chain()
            return
        if kind == "else" and frame is not None:
            frame.phase = "else"
            frame.active, frame.active_confirm = set(frame.cond_false), frame.cond_confirm
            self._reset_chain()
            return
        if kind in ("fi", "done", "esac", "}", ")"):
            self._close(kind)
            return
        if kind == "for":
            values = None
            if item.values is not None:
                values = []
                for word in item.values:
                    values.extend(self.expand(word))
                values = values[:_MAX_ALTERNATIVES] or [""]
            self.vars[item.name] = values if values is not None else [self.scanner.marker("@")]
            self.stack.append(_Frame("for", saved=self._save_chain()))
            return
        if kind == "case":
            self.stack.append(_Frame("case", saved=self._save_chain()))
            return
        if kind in ("{", "("):
            frame = _Frame(kind, saved=self._save_chain() + ((self.cwd, dict(self.vars)) if kind == "(" else ()))
            frame.active = set(self.chain_guards)
            frame.active_confirm = self.chain_confirm
            if self.pending_func is not None:
                frame.func, frame.func_start = self.pending_func
                self.pending_func = None
            self.stack.append(frame)
            self._reset_chain()
            return
        if kind == "func":
            self.pending_func = (item.name, item.start)
            return
        if kind == "!":
            self.negate = not self.negate

    def _save_chain(self) -> tuple:
        return (set(self.chain_guards), self.chain_confirm)

    def _reset_chain(self) -> None:
        self.chain_guards, self.chain_confirm = set(), False
        self.pending = None
        self.last_test = None
        self.pipe_from = None

    def _close(self, kind: str) -> None:
        opener = {"fi": ("if",), "done": ("while", "until", "for"), "esac": ("case",), "}": ("{",), ")": ("(",)}[kind]
        while self.stack:
            frame = self.stack.pop()
            if frame.saved is not None:
                self.chain_guards, self.chain_confirm = frame.saved[0], frame.saved[1]
                if frame.kind == "(" and len(frame.saved) > 2:
                    self.cwd, self.vars = frame.saved[2], frame.saved[3]
            if frame.kind == "if" and frame.exits:
                self.guards |= frame.cond_false  # `if [ -z "$X" ]; then exit; fi`: X is set from here on
            if frame.func and frame.self_spawns:
                self.danger(
                    "high",
                    f"Fork bomb: function `{frame.func}` starts copies of itself in the background or through a "
                    "pipe without end, exhausting the process table",
                    frame.func_start,
                    frame.func_start + len(frame.func),
                )
            if frame.kind in opener:
                break
        self.pending = None
        self.last_test = None

    def separator(self, op: str) -> None:
        if op in ("|", "|&"):
            return
        if op in ("&&", "||") and self.last_test is not None:
            self.pending = (op, self.last_test)
        elif op in ("&&", "||"):
            self.pending = None
        else:
            self.chain_guards, self.chain_confirm = set(), False
            self.pending = None
        self.pipe_from = None
        self.last_test = None

    # -- commands
    def command(self, cmd: Cmd) -> None:
        frame = self.stack[-1] if self.stack else None
        if self.pending is not None:
            op, test = self.pending
            self.pending = None
            name = _command_name(cmd.words[0].literal() or "") if cmd.words else ""
            if name in ("exit", "return", "die", "fail", "abort"):
                self.guards |= test.false if op == "&&" else test.true
            else:
                self.chain_guards |= test.true if op == "&&" else test.false
                self.chain_confirm |= test.confirm
        # assignments
        for name, value, _whole in cmd.assigns:
            if not cmd.words:
                self.assign(name, value)
        args = [Arg(self.expand(w), w.raw, w) for w in cmd.words]
        stdin = self.pipe_from
        self.span = (cmd.start, cmd.end)
        if args and (cmd.background or cmd.piped or stdin is not None):
            for f in self.stack:
                if f.func and args[0].text == f.func:
                    f.self_spawns += 1  # `:|:&` inside `:(){ ... }`
        self.effects(args, cmd, frame)
        display = _display(cmd.words, [])
        for danger in self.classify(args, display, stdin=stdin, cmd=cmd):
            self.danger(danger.severity, danger.message, cmd.start, cmd.end)
        for redir in cmd.redirs:
            self.redirection(redir, args)
        self.pipe_from = args if cmd.piped else None

    def effects(self, args: list[Arg], cmd: Cmd, frame: _Frame | None) -> None:
        if not args:
            return
        name = _command_name(args[0].text)
        if name in ("[", "[[", "test"):
            test = self.test(args)
            self.last_test = test
            if frame is not None and frame.phase == "cond":
                frame.cond_true |= test.true
                frame.cond_false |= test.false
                frame.cond_confirm |= test.confirm
        if name in ("exit", "return") and frame is not None and frame.kind == "if" and frame.phase == "then":
            frame.exits = True
        if name in ("cd", "pushd"):
            targets = [a for a in args[1:] if not a.text.startswith("-") or a.text == "-"]
            if not targets:
                self.cwd = "~"
            elif targets[0].text == "-" or len(targets[0].alts) != 1:
                self.cwd = None
            else:
                target = targets[0].text
                if MARKERS_RE.search(target) and not target.startswith(TEMP):
                    self.cwd = None
                elif target.startswith(("/", "~", TEMP)) or re.match(r"^[A-Za-z]:", target):
                    self.cwd = target
                elif self.cwd is not None:
                    self.cwd = _normalize(join_path(self.cwd, target))
                else:
                    self.cwd = None
        elif name == "popd":
            self.cwd = None
        elif name == "set":
            for a in args[1:]:
                if re.match(r"^-[a-zA-Z]*u", a.text) or a.text == "nounset":
                    self.nounset = True
        elif name == "read":
            skip_next = False
            real = []
            for a in args[1:]:
                if skip_next:
                    skip_next = False
                    continue
                if a.text.startswith("-"):
                    skip_next = a.text[-1:] in "padnNtu"
                    continue
                if re.fullmatch(r"[A-Za-z_]\w*", a.text):
                    real.append(a.text)
            for var in real or ["REPLY"]:
                marker = self.scanner.marker(var, fresh=True)
                self.vars[var] = [marker]
                self.input_markers.add(marker)
        elif name in ("export", "local", "declare", "typeset", "readonly"):
            for a in args[1:]:
                if a.word is not None and _ASSIGN_RE.match(a.word.raw):
                    var, value, _ = _split_assignment(a.word)
                    self.assign(var, value)
        elif name == "unset":
            for a in args[1:]:
                self.vars.pop(a.text, None)

    def assign(self, name: str, value: Word) -> None:
        # `$(...)` in the value expands to its own maybe-empty marker (the Steam bug), mktemp to TEMP
        self.vars[name] = self.expand(value)

    def test(self, args: list[Arg]) -> _Test:
        true: set[str] = set()
        false: set[str] = set()
        confirm = False
        words = args[1:]
        if words and words[-1].text in ("]", "]]"):
            words = words[:-1]
        for arg in words:
            if any(m in self.input_markers for m in _markers(arg.text)):
                confirm = True
        index = 0
        negated = False
        while index < len(words):
            text = words[index].text
            if text == "!":
                negated = not negated
                index += 1
                continue
            nonempty: set[str] = set()
            empty: set[str] = set()
            if text in _FILE_TESTS and index + 1 < len(words):
                nonempty = self._sole_markers(words[index + 1])
                index += 2
            elif text == "-z" and index + 1 < len(words):
                empty = self._sole_markers(words[index + 1])
                index += 2
            elif index + 2 < len(words) and words[index + 1].text in ("!=", "=", "==") and words[index + 2].text == "":
                if words[index + 1].text == "!=":
                    nonempty = self._sole_markers(words[index])
                else:
                    empty = self._sole_markers(words[index])
                index += 3
            else:
                if len(words) == 1:
                    nonempty = self._sole_markers(words[0])
                index += 1
            if negated:
                nonempty, empty = empty, nonempty
                negated = False
            true |= nonempty
            false |= empty
        if self.negate:
            true, false = false, true
        return _Test(true, false, confirm)

    def _sole_markers(self, arg: Arg) -> set[str]:
        if arg.word is None or arg.word.only_variable() is None:
            return set()
        return {m for alt in arg.alts for m in _markers(alt)}

    # -- expansion
    def expand(self, word: Word) -> list[str]:
        alts = [""]
        for part in word.parts:
            options = self.expand_part(part)
            alts = [a + o for a in alts for o in options][:_MAX_ALTERNATIVES]
        if "{" in word.raw and "," in word.raw and not word.raw.startswith(("'", '"')):
            alts = [e for a in alts for e in _brace_expand(a)][: _MAX_ALTERNATIVES * 2]
        return alts

    def expand_part(self, part: Part) -> list[str]:
        if part.kind == "lit":
            return [part.text.replace("~", LITERAL_TILDE)]  # only a tilde part means the home folder
        if part.kind == "tilde":
            return ["~"]
        if part.kind == "arith":
            return [UNKNOWN]
        if part.kind == "cmd":
            return self.substitution(part)
        if part.kind == "var":
            return self.variable(part)
        return [UNKNOWN]

    def lookup(self, name: str) -> list[str]:
        if name in self.vars:
            return self.vars[name]
        if name.startswith("env:"):  # PowerShell's $env:USERPROFILE
            known = places().environment
            value = known.get(name[4:]) or known.get(name[4:].upper())
            return [value] if value and value != CWD else [UNKNOWN]
        if name == "HOME":
            return ["~"]
        if name == "PWD":
            return [self.cwd or UNKNOWN]
        if name in _data().always_set:
            return [UNKNOWN]
        if self.nounset and name not in ("@", "*"):
            return [UNKNOWN]
        return [self.scanner.marker(name)]

    def variable(self, part: Part) -> list[str]:
        name, op = part.text, part.op
        if op == "#len":
            return [UNKNOWN]
        base = self.lookup(name)
        if op in (":?", "?"):
            markers = {m for alt in base for m in _markers(alt)}
            self.guards |= markers
            return [_neutralize(alt, markers) for alt in base]
        if op in (":-", "-", ":=", "="):
            if all(not _markers(alt) for alt in base) and all(base):
                return base
            default = self.expand(part.arg) if part.arg is not None else [""]
            options = [_neutralize(alt, set(_markers(alt))) for alt in base] + default
            if op in (":=", "="):
                self.vars[name] = options
            return options[:_MAX_ALTERNATIVES]
        if op in (":+", "+"):
            return [self.scanner.marker(f"{{{name}:+}}", fresh=True)]
        if op == "other":
            return [self.scanner.marker(name)]
        return base

    def substitution(self, part: Part) -> list[str]:
        if self.depth >= _MAX_DEPTH:
            return [UNKNOWN]
        child = _Interp(self.scanner, depth=self.depth + 1, parent=self, fixed=self.fixed)
        child.run_source(part.text, part.offset)
        try:
            tokens = tokenize(part.text)
        except (RecursionError, IndexError, ValueError):
            tokens = []
        words = []
        for tok in tokens:
            if tok.kind != "word":
                break
            words.append(tok.word)
        probe = _Interp(self.scanner, depth=_MAX_DEPTH, parent=self)  # expands without running anything again
        args = [Arg(probe.expand(w), w.raw, w) for w in words] if words else []
        args, _ = _strip_prefixes(args)
        name = _command_name(args[0].text) if args else ""
        if name in ("mktemp", "tempfile"):
            return [TEMP]
        if name == "pwd":
            return [self.cwd or UNKNOWN]
        if name in ("echo", "printf") and len(args) > 1 and all(not _markers(a.text) for a in args[1:]):
            return [" ".join(a.text for a in args[1:] if not a.text.startswith("-"))]
        if name in ("date", "whoami", "id", "hostname", "uname", "nproc", "uuidgen", "wc", "git", "python", "python3"):
            return [UNKNOWN]
        return [self.scanner.marker(f"$({part.text.strip()[:30]})", fresh=True)]

    # -- classification
    def classify(self, args: list[Arg], display: str, *, stdin=None, cmd: Cmd | None = None) -> list[Danger]:
        args, from_stdin = _strip_prefixes(args)
        if not args:
            return []
        first = args[0].text
        if len(args) == 1 and re.search(r"\s", first) and not MARKERS_RE.search(first):
            return self.nested(first, args[0], display)  # `watch "rm -rf /"`, `sudo "$CMD"`
        name = _command_name(first)
        extra = []
        if from_stdin:
            extra = _stdin_paths(stdin) + [
                (path, False) for text in self.stdin_texts(cmd) for path in text.split() if path
            ]
        handler = _HANDLERS.get(name)
        if handler is not None:
            return handler(self, name, args, display, extra, stdin, cmd)
        data = _data()
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in data.format_programs):
            return _format_program(self, name, args, display)
        if name in data.format_cmdlets:
            return [Danger("high", f"`{display}` erases a whole disk or volume")]
        if name in data.shells:
            return self.shell_program(args, display, stdin, cmd)
        if name in data.powershells:
            return self.powershell(args, display)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in data.pythons):
            return self.python(args, display, cmd)
        return []

    def stdin_texts(self, cmd: Cmd | None) -> list[str]:
        """What a command reads on stdin from its here-documents and here-strings."""
        texts = []
        for redir in cmd.redirs if cmd is not None else []:
            if redir.op in ("<<", "<<-") and redir.heredoc is not None:
                texts.append(redir.heredoc[0])
            elif redir.op == "<<<" and redir.target is not None:
                texts.extend(self.expand(redir.target)[:1])
        return texts

    def python(self, args: list[Arg], display: str, cmd: Cmd | None) -> list[Danger]:
        """`python -c "..."` and `python - <<EOF`: the Python rules CA101..CA105 on the inline code."""
        code = None
        index = 1
        while index < len(args):
            text = args[index].text
            if text == "-c" and index + 1 < len(args):
                code = args[index + 1].text
                break
            if text in ("-W", "-X", "--check-hash-based-pycs") and index + 1 < len(args):
                index += 2
                continue
            if text.startswith("-") and text != "-":
                if text == "-m":
                    return []
                index += 1
                continue
            if text != "-":
                return []  # a script file
            break
        if code is None:
            texts = self.stdin_texts(cmd)
            code = texts[0] if texts else None
        code = code.replace(LITERAL_TILDE, "~") if code else code
        if not code or MARKERS_RE.search(code):
            return []
        runner = _command_name(args[0].text)
        return [Danger(d.severity, f"Python code run by `{runner}`: {d.message}") for d in _python_dangers(code)]

    def nested(self, script: str, arg: Arg | None, display: str) -> list[Danger]:
        """Run `script` (a string argument that is itself a script) in a child interpreter."""
        if self.depth >= _MAX_DEPTH:
            return []
        script = script.replace(LITERAL_TILDE, "~")  # the inner shell sees the characters again
        exact = None
        if arg is not None and arg.word is not None and self.fixed is None:
            inner = arg.word.inner_offset()
            if inner is not None and arg.word.literal() == script:
                exact = inner
        fixed = self.fixed
        if exact is None and fixed is None:
            # no exact mapping back to the source: report at the word, or at the whole command
            fixed = (arg.word.start, arg.word.end) if arg is not None and arg.word is not None else self.span
        child = _Interp(self.scanner, depth=self.depth + 1, parent=self, fixed=fixed)
        child.run_source(script, exact if exact is not None else 0)
        return []

    def shell_program(self, args: list[Arg], display: str, stdin, cmd: Cmd | None) -> list[Danger]:
        if _command_name(args[0].text) == "busybox":
            return self.classify(args[1:], display, stdin=stdin, cmd=cmd)
        has_c = False
        index = 1
        while index < len(args):
            text = args[index].text
            if text == "--":
                index += 1
                break
            if text.startswith(("-", "+")) and len(text) > 1:
                if text.startswith("--"):
                    index += 1
                    continue
                if "c" in text[1:]:
                    has_c = True
                if text[-1] in "oO" and index + 1 < len(args):
                    index += 2
                    continue
                index += 1
                continue
            break
        if has_c and index < len(args):
            return self.nested(args[index].text, args[index], display)
        if index >= len(args) or args[index].text in ("-s", "-"):
            # the shell reads its script from stdin: a here-document, a here-string or a pipe
            if cmd is not None:
                for redir in cmd.redirs:
                    if redir.op in ("<<", "<<-") and redir.heredoc is not None and self.depth < _MAX_DEPTH:
                        body, offset = redir.heredoc
                        child = _Interp(self.scanner, depth=self.depth + 1, parent=self, fixed=self.fixed)
                        child.run_source(body, offset)
                    elif redir.op == "<<<" and redir.target is not None:
                        for alt in self.expand(redir.target)[:1]:
                            self.nested(alt, Arg([alt], redir.target.raw, redir.target), display)
            if stdin:
                producer, _ = _strip_prefixes(stdin)
                if producer and _command_name(producer[0].text) in ("echo", "printf"):
                    words = producer[1:]
                    while words and re.fullmatch(r"-[neE]+", words[0].text):
                        words = words[1:]
                    script = " ".join(a.text for a in words).replace("\\n", "\n")
                    self.nested(script, words[0] if len(words) == 1 else None, display)
        return []

    def powershell(self, args: list[Arg], display: str) -> list[Danger]:
        for index, arg in enumerate(args[1:], start=1):
            low = arg.text.lower()
            if low in ("-command", "-c", "/c", "-com", "-comm", "-comma", "-comman"):
                script = " ".join(a.text for a in args[index + 1:])
                return self.nested(script, args[index + 1] if index + 2 == len(args) else None, display)
            if low in ("-encodedcommand", "-enc", "-e", "-ec", "-en", "-enco") and index + 1 < len(args):
                try:
                    script = base64.b64decode(args[index + 1].text).decode("utf-16-le")
                except (ValueError, UnicodeDecodeError):
                    return []
                return self.nested(script, None, display)
            if not low.startswith("-"):
                script = " ".join(a.text for a in args[index:])
                return self.nested(script, None, display)
        return []

    def redirection(self, redir: Redir, args: list[Arg]) -> None:
        if redir.target is None or redir.op not in (">", ">>", ">|", "&>", "&>>", "<>"):
            return
        for alt in self.expand(redir.target):
            if is_raw_device(alt):
                self.danger(
                    "high",
                    f"Redirection `{redir.op} {redir.target.raw}` overwrites the disk device {alt}, destroying its "
                    "partition table and file systems",
                    redir.start,
                    redir.end,
                )
                return

    # -- targets
    def resolve(self, text: str) -> str:
        """A target with guarded markers neutralized and relative paths joined to a known working folder."""
        text = _neutralize(text, self.effective_guards())
        if self.cwd is not None and text and not _is_rooted(text):
            text = _normalize(join_path(self.cwd, text))
        return text

    def place_of(self, text: str) -> tuple[Place | None, str | None]:
        """The place a target names, and the variable that must be empty for it to (None: it always does)."""
        text = self.resolve(text)
        certain = MARKERS_RE.sub(lambda m: m.group() if m.group() in (TEMP, CWD) else UNKNOWN, text)
        place = classify_place(certain)
        if place is not None:
            return place, None
        for marker in dict.fromkeys(_markers(text)):
            candidate = text.replace(marker, "")
            if self.cwd is not None and candidate and not _is_rooted(candidate):
                candidate = join_path(self.cwd, candidate)
            place = place_if_empty(candidate, "\x00")
            if place is not None:
                return place, self.scanner.marker_names.get(marker, "VAR")
        return None, None

    def delete(
        self,
        targets: list[Arg],
        display: str,
        *,
        recursive: bool,
        interactive: bool = False,
        narrowed: bool = False,
        verb: str = "deletes",
        windows: bool = False,
        extra: list | None = None,
    ) -> list[Danger]:
        found: list[Danger] = []
        candidates = [(alt, False) for arg in targets for alt in (arg.windows_texts() if windows else arg.alts)]
        candidates += [(path, narrow) for path, narrow in (extra or [])]
        for text, narrow in candidates:
            place, empty_var = self.place_of(text)
            if place is None:
                continue
            if not recursive and not place.contents and place.severity != "high":
                continue
            severity = place.severity
            if (narrowed or narrow) and not place.narrowed:
                severity = narrow_severity(severity)
                if severity is None:
                    continue
            what = place.description
            if (narrowed or narrow) and not place.narrowed:
                what = f"matching files everywhere under {what.removeprefix('everything in ').removeprefix('everything on ')}"
            message = f"`{display}` {verb} {what}"
            if empty_var is not None:
                severity = "medium" if severity == "high" else downgrade(severity)
                if empty_var.startswith("$("):
                    message += f" when the output of {empty_var} is empty; check it before deleting"
                elif empty_var.startswith("{"):
                    message += " when a variable in it is empty; check it before deleting"
                else:
                    message += f" when ${empty_var} is empty or unset; guard it with ${{{empty_var}:?}} or a [ -n ] test"
            if interactive or self.effective_confirm():
                severity = "low"
                message += " (after asking the user)"
            if severity is not None:
                found.append(Danger(severity, message))
        return _worst_first(found)[:1]


def _python_dangers(code: str) -> list[Danger]:
    import libcst as cst  # noqa: PLC0415

    from .checks import RuleContext, run_code_rules  # noqa: PLC0415

    try:
        findings = run_code_rules(RuleContext(path="<python -c>", source=code), codes={"CA101", "CA102", "CA103", "CA104", "CA105"})
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError):
        return []
    return [Danger(f.severity, f.message) for f in findings]


def _worst_first(dangers: list[Danger]) -> list[Danger]:
    return sorted(dangers, key=lambda d: -_SEVERITY_RANK[d.severity])


def _markers(text: str) -> list[str]:
    return [c for c in text if is_maybe_empty_marker(c)]


def _neutralize(text: str, markers: set[str]) -> str:
    if not markers:
        return text
    return "".join(UNKNOWN if c in markers else c for c in text)


def _is_rooted(text: str) -> bool:
    if not text:
        return False
    first = text[0]
    return (
        first in "/~\\"
        or first in (TEMP, CWD, UNKNOWN)
        or is_maybe_empty_marker(first)
        or re.match(r"^(?:[A-Za-z]:|%[A-Za-z_]+%|\$env:)", text, re.IGNORECASE) is not None
    )


def _normalize(text: str) -> str:
    parts = text.split("/")
    out: list[str] = []
    for index, part in enumerate(parts):
        if part == ".." and out and out[-1] not in ("", "~", "..") and not MARKERS_RE.search(out[-1]):
            out.pop()
            continue
        if part == "." and index > 0:
            continue
        out.append(part)
    joined = "/".join(out)
    return joined or "/"


def _brace_expand(text: str) -> list[str]:
    match = re.search(r"\{([^{}]*,[^{}]*)\}", text)
    if not match:
        return [text]
    head, tail = text[: match.start()], text[match.end():]
    out = []
    for option in match.group(1).split(","):
        out.extend(_brace_expand(head + option + tail))
        if len(out) > _MAX_ALTERNATIVES:
            break
    return out


def _command_name(text: str) -> str:
    name = re.split(r"[/\\]", text)[-1].lower()
    if name.endswith(".exe"):
        name = name[:-4]
    return name


def _display(words: list, texts: list[str], limit: int = 70) -> str:
    text = " ".join(w.raw for w in words) if words else " ".join(texts)
    text = " ".join(text.split())
    text = MARKERS_RE.sub("…", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LONG_WITH_VALUE = {
    "user", "group", "chdir", "unset", "signal", "kill-after", "max-args", "max-procs", "delimiter", "arg-file",
    "max-lines", "max-chars", "eof", "replace", "prompt", "close-from", "host", "role", "type", "other-user",
    "adjustment", "class", "classdata", "input", "output", "error", "split-string",
}


def _strip_prefixes(args: list[Arg]) -> tuple[list[Arg], bool]:
    """Drop `sudo -u x`, `env A=1`, `nohup`, `xargs -0`... before the real command. True when operands come
    from stdin (`xargs`)."""
    from_stdin = False
    prefixes = _data().prefixes
    for _ in range(12):
        while args and _ASSIGN_RE.match(args[0].text) and args[0].word is not None and not args[0].word.raw.startswith(("'", '"')):
            args = args[1:]
        if not args:
            break
        name = _command_name(args[0].text)
        spec = prefixes.get(name)
        if spec is None:
            break
        if name == "command" and len(args) > 1 and args[1].text in ("-v", "-V"):
            return [], False
        takes = {spec[k] for k in range(len(spec)) if k + 1 < len(spec) and spec[k + 1] == ":" and spec[k].isalpha()}
        positional = int(spec.split("+", 1)[1]) if "+" in spec else 0
        index = 1
        while index < len(args):
            text = args[index].text
            if text == "--":
                index += 1
                break
            if name == "env" and re.match(r"^[A-Za-z_]\w*=", text):
                index += 1
                continue
            if text.startswith("-") and len(text) > 1:
                if text.startswith("--"):
                    key = text[2:].split("=", 1)[0]
                    index += 2 if ("=" not in text and key in _LONG_WITH_VALUE) else 1
                    continue
                consumed = 1
                for position, letter in enumerate(text[1:], start=1):
                    if letter in takes:
                        if position == len(text) - 1:
                            consumed = 2
                        break
                index += consumed
                continue
            break
        index += positional
        if name == "xargs":
            from_stdin = True
        args = args[index:]
    return args, from_stdin


def _stdin_paths(stdin: list | None) -> list[tuple[str, bool]]:
    """Paths a pipeline feeds to `xargs`: what `find`, `ls` or `echo` before it print."""
    if not stdin:
        return []
    args, _ = _strip_prefixes(stdin)
    if not args:
        return []
    name = _command_name(args[0].text)
    if name == "find":
        roots, expression = _find_split(args)
        narrowed = any(a.text in _data().narrowing for a in expression)
        return [(join_path(alt, "*"), narrowed) for root in roots for alt in root.alts]
    if name == "ls":
        return [(join_path(alt, "*"), False) for a in args[1:] if not a.text.startswith("-") for alt in a.alts]
    if name in ("echo", "printf"):
        return [(alt, False) for a in args[1:] if not a.text.startswith("-") for alt in a.alts]
    if name in ("get-childitem", "gci", "dir"):
        paths, patterns, skip = [], [], False
        for index, arg in enumerate(args[1:], start=1):
            if skip:
                skip = False
                continue
            lowered = arg.text.lower()
            if lowered.startswith(("-path", "-literalpath")) and index + 1 < len(args):
                paths.extend(args[index + 1].windows_texts())
                skip = True
            elif lowered.startswith(("-filter", "-include")) and index + 1 < len(args):
                patterns.append(args[index + 1].text)
                skip = True
            elif lowered.startswith("-exclude"):
                skip = True
            elif not arg.text.startswith("-"):
                paths.extend(arg.windows_texts())
        recurse = any(a.text.lower().startswith("-rec") for a in args[1:])
        return [(join_path(p, ("**/" if recurse else "") + pattern), False) for p in paths for pattern in patterns or ["*"]]
    return []


# ============================================================================================ handlers

_PS_PARAMS = ("recurse", "force", "path", "literalpath", "whatif", "confirm", "include", "exclude", "filter", "erroraction", "ea", "verbose")
_PS_WITH_VALUE = ("path", "literalpath", "include", "exclude", "filter", "erroraction", "ea")


def _ps_param(text: str) -> str | None:
    if not text.startswith("-") or text.startswith("--") or len(text) < 3:
        return None
    body = text[1:].lower().split(":", 1)[0]
    if len(body) < 2:
        return None
    matches = [p for p in _PS_PARAMS if p.startswith(body)]
    if body == "ea":
        return "erroraction"
    if len(matches) >= 1 and (len(body) >= 3 or text[1].isupper()):
        return matches[0]
    return None


def _rm(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    recursive = interactive = no_preserve = narrowed = False
    windows = name in ("remove-item", "ri")
    targets: list[Arg] = []
    end_of_options = False
    skip_value = False
    for index, arg in enumerate(args[1:], start=1):
        text = arg.text
        if skip_value:
            skip_value = False
            continue
        if end_of_options or not text.startswith("-") or text == "-":
            targets.append(arg)
            continue
        if text == "--":
            end_of_options = True
            continue
        if text.startswith("--"):
            option = text[2:].split("=", 1)[0]
            if option == "recursive":
                recursive = True
            elif option == "force":
                interactive = False
            elif option == "interactive":
                interactive = not text.endswith("=never")
            elif option == "no-preserve-root":
                no_preserve = True
            continue
        param = _ps_param(text)
        if param is not None:
            windows = True
            if param == "recurse":
                recursive = True
            elif param == "whatif":
                return []
            elif param == "confirm":
                interactive = not text.lower().endswith(":$false")
            elif param in ("include", "filter"):
                narrowed = True
            if param in _PS_WITH_VALUE and ":" not in text:
                if param in ("path", "literalpath") and index + 1 < len(args):
                    targets.append(args[index + 1])
                skip_value = True
            continue
        for letter in text[1:]:
            if letter in "rR":
                recursive = True
            elif letter == "f":
                interactive = False
            elif letter in "iI":
                interactive = True
    if windows and not targets and stdin:
        extra = list(extra) + _stdin_paths(stdin)  # Get-ChildItem C:\ -Recurse | Remove-Item -Recurse
    found = interp.delete(
        targets, display, recursive=recursive, interactive=interactive, narrowed=narrowed, windows=True, extra=extra,
    )
    if no_preserve and not found:
        found = [Danger("high", f"`{display}` disables rm's protection of the filesystem root (--no-preserve-root)")]
    return found


def _windows_delete(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    if any(a.text.startswith("-") and _ps_param(a.text) for a in args[1:]):
        return _rm(interp, "remove-item", args, display, extra, stdin, cmd)
    flags = {a.text.lower() for a in args[1:] if a.text.startswith("/") and len(a.text) <= 3}
    recursive = "/s" in flags
    if name in ("rd", "rmdir") and not recursive:
        return []  # rmdir without /s only removes empty folders (and POSIX rmdir never removes anything else)
    targets = [a for a in args[1:] if not (a.text.startswith("/") and len(a.text) <= 3)]
    return interp.delete(
        targets, display, recursive=recursive, interactive="/p" in flags, windows=True, extra=extra,
    )


def _find_split(args: list[Arg]) -> tuple[list[Arg], list[Arg]]:
    index = 1
    while index < len(args) and args[index].text in ("-H", "-L", "-P") or (index < len(args) and args[index].text.startswith("-O")):
        index += 1
    if index < len(args) and args[index].text == "-D":
        index += 2
    roots = []
    while index < len(args) and not (args[index].text.startswith("-") or args[index].text in ("(", "!", "\\(")):
        roots.append(args[index])
        index += 1
    return roots, args[index:]


def _find(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    roots, expression = _find_split(args)
    if not roots:
        roots = [Arg(["."], ".")]
    data = _data()
    deletes = interactive = False
    index = 0
    while index < len(expression):
        text = expression[index].text
        if text == "-delete":
            deletes = True
        elif text in ("-exec", "-execdir", "-ok", "-okdir"):
            end = index + 1
            while end < len(expression) and expression[end].text not in (";", "+", "\\;"):
                end += 1
            sub = [Arg([UNKNOWN if a.text == "{}" else alt for alt in a.alts], a.raw, a.word) for a in expression[index + 1:end]]
            stripped, _ = _strip_prefixes(sub)
            if stripped and _command_name(stripped[0].text) in data.deleting:
                deletes = True
                interactive = interactive or text.startswith("-ok")
            elif stripped:
                for danger in interp.classify(stripped, display):
                    interp.danger(danger.severity, danger.message, cmd.start if cmd else 0, cmd.end if cmd else 0)
            index = end
        index += 1
    if not deletes:
        return []
    names = [expression[i + 1].text for i in range(len(expression) - 1) if expression[i].text in ("-name", "-iname")]
    if names and disposable(names) and not any(a.text in ("-o", "-or") for a in expression):
        return []  # only __pycache__, *.pyc, .DS_Store...
    narrowed = any(a.text in data.narrowing for a in expression)
    everything = [Arg([join_path(alt, "*") for alt in root.alts], root.raw, root.word) for root in roots]
    return interp.delete(everything, display, recursive=True, interactive=interactive, narrowed=narrowed)


def _shred(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    targets, skip = [], False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg.text.startswith("-") and len(arg.text) > 1:
            skip = arg.text in ("-n", "-s")
            continue
        targets.append(arg)
    for arg in targets:
        for alt in arg.alts:
            if is_raw_device(alt):
                return [Danger("high", f"`{display}` overwrites the whole disk device {alt}")]
    return interp.delete(targets, display, recursive=False, verb="irreversibly overwrites", extra=extra)


def _dd(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    for arg in args[1:]:
        for alt in arg.alts:
            if alt.startswith("of=") and is_raw_device(alt[3:]):
                return [Danger("high", f"`{display}` writes raw data over the disk device {alt[3:]}, destroying its partition table and file systems")]
    return []


def _format_program(interp: _Interp, name: str, args, display) -> list[Danger]:
    for arg in args[1:]:
        for alt in arg.alts:
            if is_raw_device(alt):
                return [Danger("high", f"`{display}` erases the file system on the disk device {alt}")]
    return []


def _device_command(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    texts = [a.text for a in args[1:]]
    lowered = [t.lower() for t in texts]
    if name == "sgdisk":
        if any(t in ("-z", "-Z", "--zap-all", "--zap", "-o", "--clear") for t in texts):
            return _format_program(interp, name, args, display)
        return []
    if name == "parted":
        if any(t in ("mklabel", "mktable", "rm") for t in lowered):
            return _format_program(interp, name, args, display)
        return []
    if name == "diskutil":
        verbs = {"erasedisk", "erasevolume", "zerodisk", "randomdisk", "secureerase", "partitiondisk", "reformat"}
        if any(t in verbs for t in lowered):
            return [Danger("high", f"`{display}` erases a whole disk or volume")]
        return []
    if name == "format":
        if any(re.fullmatch(r"[A-Za-z]:\\?", t) for t in texts) or any(re.fullmatch(r"[A-Za-z]:\\?", r) for a in args[1:] for r in a.windows_texts()):
            return [Danger("high", f"`{display}` formats a whole drive, erasing everything on it")]
        return []
    return []


def _permissions(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    recursive = False
    operands: list[Arg] = []
    reference = False
    for arg in args[1:]:
        text = arg.text
        if text == "--recursive":
            recursive = True
        elif text.startswith("--"):
            reference = reference or text.startswith("--reference")
        elif re.fullmatch(r"-[RHLPfvc]+", text):
            recursive = recursive or "R" in text
        else:
            operands.append(arg)
    if not recursive:
        return []
    targets = operands if reference else operands[1:]
    for arg in targets:
        for alt in arg.alts:
            place, empty_var = interp.place_of(alt)
            if place is None or empty_var is not None or place.kind not in ("root", "system", "drive", "homes"):
                continue  # permissions can be repaired: only report certain targets
            if place.kind == "system" and place.path in _OWNABLE:
                continue
            verb = "changes the permissions of" if name == "chmod" else "changes the owner of"
            return [Danger("high", f"`{display}` recursively {verb} {place.description}, which breaks the system (sudo, ssh, services)")]
    return []


_OWNABLE = {"/usr/local", "/opt", "/srv", "/var/www", "/mnt", "/media"}


def _mv(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    operands = [a for a in args[1:] if not a.text.startswith("-")]
    if len(operands) >= 2 and operands[-1].text == "/dev/null":
        return interp.delete(operands[:-1], display, recursive=True, verb="throws away (moves into /dev/null)")
    return []


def _copy_to_device(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    operands = [a for a in args[1:] if not a.text.startswith("-")]
    candidates = operands if name == "tee" else operands[-1:] if len(operands) >= 2 else []
    for arg in candidates:
        for alt in arg.alts:
            if is_raw_device(alt):
                return [Danger("high", f"`{display}` writes over the disk device {alt}, destroying its partition table and file systems")]
    return []


def _eval(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    script = " ".join(a.text for a in args[1:])
    return interp.nested(script, args[1] if len(args) == 2 else None, display)


def _alias_or_trap(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    """`alias ls='rm -rf ~'` and `trap 'rm -rf /' EXIT` store a script that runs later."""
    if name == "alias":
        for arg in args[1:]:
            if "=" in arg.text and not arg.text.startswith("-"):
                interp.nested(arg.text.split("=", 1)[1], None, display)
    elif len(args) > 1 and not args[1].text.startswith("-"):
        interp.nested(args[1].text, args[1], display)
    return []


def _rsync(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    """`rsync -a --delete empty/ /` deletes everything in the destination that the source lacks."""
    if not any(a.text.startswith("--delete") or a.text == "--remove-source-files" for a in args[1:]):
        return []
    operands = [a for a in args[1:] if not a.text.startswith("-")]
    if len(operands) < 2 or ":" in operands[-1].text.split("/", 1)[0]:
        return []  # a remote destination (host:path) is not this machine
    everything = [Arg([join_path(alt, "*") for alt in operands[-1].alts], operands[-1].raw, operands[-1].word)]
    return interp.delete(everything, display, recursive=True, verb="can delete (rsync --delete)")


def _su(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    for index, arg in enumerate(args[1:], start=1):
        if arg.text in ("-c", "--command") and index + 1 < len(args):
            return interp.nested(args[index + 1].text, args[index + 1], display)
        if arg.text.startswith("--command="):
            return interp.nested(arg.text.split("=", 1)[1], None, display)
    return []


def _ssh(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    with_value = set("bcDEeFIiJLlmOopQRSWw")
    index = 1
    while index < len(args):
        text = args[index].text
        if text.startswith("-") and len(text) > 1:
            index += 2 if (text[-1] in with_value and len(text) == 2) else 1
            continue
        break
    remote = args[index + 1:]
    if not remote:
        return []
    return interp.nested(" ".join(a.text for a in remote), remote[0] if len(remote) == 1 else None, display)


def _cmd_exe(interp: _Interp, name: str, args, display, extra, stdin, cmd) -> list[Danger]:
    for index, arg in enumerate(args[1:], start=1):
        if arg.text.lower() in ("/c", "/k", "/r"):
            rest = args[index + 1:]
            if rest:
                return interp.nested(" ".join(a.raw for a in rest), None, display)
    return []


_HANDLERS = {
    "rm": _rm,
    "remove-item": _rm,
    "ri": _rm,
    "del": _windows_delete,
    "erase": _windows_delete,
    "rd": _windows_delete,
    "rmdir": _windows_delete,
    "find": _find,
    "shred": _shred,
    "srm": _shred,
    "dd": _dd,
    "sgdisk": _device_command,
    "parted": _device_command,
    "diskutil": _device_command,
    "format": _device_command,
    "chmod": _permissions,
    "chown": _permissions,
    "chgrp": _permissions,
    "mv": _mv,
    "cp": _copy_to_device,
    "tee": _copy_to_device,
    "eval": _eval,
    "alias": _alias_or_trap,
    "trap": _alias_or_trap,
    "rsync": _rsync,
    "su": _su,
    "ssh": _ssh,
    "cmd": _cmd_exe,
}


# ============================================================================================ consoles

_PROMPT_RE = re.compile(
    r"^(?P<prompt>[ \t]*(?:\([^()\n]*\)[ \t]*)?(?:[\w.-]+@[\w.-]+(?::[^\n$#%]*)?[ \t]*)?[$#%][ \t]+"
    r"|[ \t]*PS [^\n>]*>[ \t]*|[ \t]*[A-Za-z]:\\[^\n>]*>[ \t]*)"
)
_CONSOLE_TRIGGER_RE = re.compile(
    r"^[ \t]*(?:\([^()\n]*\)[ \t]*)?(?:(?:[\w.-]+@[\w.-]+(?::[^\n$#%]*)?[ \t]*)?[$%]|[\w.-]+@[\w.-]+(?::[^\n$#%]*)?[ \t]*#|PS [^\n>]*>|[A-Za-z]:\\[^\n>]*>)[ \t]+\S",
    re.MULTILINE,
)


def console_view(source: str) -> str | None:
    """For a console transcript (`$ cmd` lines and their output), the same text with prompts and output
    blanked (offsets kept); None when `source` is a plain script. `# cmd` counts as a root prompt there."""
    if not _CONSOLE_TRIGGER_RE.search(source):
        return None
    out: list[str] = []
    continuing = False  # the previous command line goes on (a trailing backslash, an open quote, `> ` lines)
    in_command = False
    for line in source.split("\n"):
        match = _PROMPT_RE.match(line)
        if continuing or (in_command and line.startswith("> ")):
            kept = "  " + line[2:] if line.startswith("> ") else line
        elif match:
            prompt = match.group("prompt")
            kept = " " * len(prompt) + line[len(prompt):]
        else:
            out.append(" " * len(line))
            in_command = continuing = False
            continue
        out.append(kept)
        in_command = True
        body = kept.rstrip()
        continuing = body.endswith("\\") or body.count("'") % 2 == 1 or body.count('"') % 2 == 1
    return "\n".join(out)


_POWERSHELL_RE = re.compile(
    r"^[ \t]*(?:PS [^\n>]*>[ \t]*)?(?:(?:Get|Set|Remove|New|Clear|Format|Invoke|Start|Stop|Write|Copy|Move|Test|Add)"
    r"-[A-Z][A-Za-z]+\b|\$[A-Za-z_]\w*[ \t]*=[^=~]|\$env:\w+)",
    re.MULTILINE,
)


def powershell_view(source: str) -> str | None:
    """PowerShell escapes and continues lines with a backtick where POSIX shells use a backslash, and a
    backslash is an ordinary character there (`"C:\\"` ends at the quote): for a PowerShell script, the same
    text with `\\` turned into `/` (Windows accepts both), backticks into backslashes and `<# ... #>` comments
    blanked, offsets kept. None for other scripts."""
    if source.startswith("#!") or not _POWERSHELL_RE.search(source) or "$(" in source.replace("$($", ""):
        return None
    view = re.sub(r"<#.*?#>", lambda m: re.sub(r"[^\n]", " ", m.group()), source, flags=re.DOTALL)
    # `$target = "C:\\"` becomes the POSIX assignment `   target="C:/"` (same length)
    view = re.sub(
        r"^([ \t]*)\$([A-Za-z_]\w*)[ \t]*=[ \t]*(?=\S)",
        lambda m: " " * (len(m.group()) - len(m.group(2)) - 1) + m.group(2) + "=",
        view,
        flags=re.MULTILINE,
    )
    return view.replace("\\", "/").replace("`", "\\")


# ============================================================================================= the API


def script_dangers(source: str, *, console: bool | None = None, cwd: str | None = None) -> list[Danger]:
    """Every destructive command in a shell script (or console transcript). `cwd`: the folder it runs in,
    when known (a path in the `_targets` path language)."""
    if console is not False:
        view = console_view(source)
        if view is not None:
            source = view
    view = powershell_view(source)
    if view is not None:
        source = view
    scanner = _Scanner()
    interp = _Interp(scanner)
    interp.cwd = cwd
    try:
        interp.run_source(source, 0)
        closers = {"if": "fi", "while": "done", "until": "done", "for": "done", "case": "esac", "{": "}", "(": ")"}
        while interp.stack:  # unterminated blocks (a function body without its closing brace)
            interp._close(closers[interp.stack[-1].kind])
    except RecursionError:
        pass
    seen = set()
    unique = []
    for danger in scanner.dangers:
        key = (danger.start, danger.message)
        if key not in seen:
            seen.add(key)
            unique.append(danger)
    return unique


def _plain_word(text: str) -> Word:
    """A word for an argv element that no shell has expanded yet (`$HOME`, `~/x` keep their meaning)."""
    parts: list[Part] = []
    position = 0
    if text.startswith("~"):
        head = re.match(r"~[A-Za-z0-9._-]*", text).group()
        parts.append(Part("tilde", head[1:]))
        position = len(head)
    lexer = _Lexer(text)
    buf = []
    while position < len(text):
        if text[position] == "$" and position + 1 < len(text) and (text[position + 1].isalnum() or text[position + 1] in "_{"):
            if buf:
                parts.append(Part("lit", "".join(buf), quoted=True))
                buf = []
            part, position = lexer._read_dollar(position, quoted=True)
            parts.append(part)
            continue
        buf.append(text[position])
        position += 1
    if buf or not parts:
        parts.append(Part("lit", "".join(buf), quoted=True))
    return Word(parts, text, 0, len(text))


def classify_command(argv: list[str], *, cwd: str | None = None) -> Danger | None:
    """The worst danger of one command given as an argv list (`["rm", "-rf", "/"]`), or None.

    Arguments are taken as unexpanded shell words: `$HOME` and `~` mean the home folder, `*` is a wildcard.
    `["bash", "-c", "..."]` and `["sudo", ...]` are followed."""
    if not argv:
        return None
    scanner = _Scanner()
    interp = _Interp(scanner)
    interp.cwd = cwd
    words = [_plain_word(str(a)) for a in argv]
    args = [Arg(interp.expand(w), w.raw, w) for w in words]
    display = _display([], [str(a) if str(a) and not re.search(r"\s", str(a)) else repr(str(a)) for a in argv])
    dangers = interp.classify(args, display)
    dangers += scanner.dangers
    if not dangers:
        return None
    best = _worst_first(dangers)[0]
    return Danger(best.severity, best.message)


def scan_shell_script(source: str, path: str = "<string>") -> list[Finding]:
    """CA102 findings for a shell script or console transcript, with 1-based lines and columns."""
    spec = rule_spec(RULE)
    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def position(offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(source)))
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    findings = []
    for danger in script_dangers(source):
        start = danger.start or 0
        end = danger.end if danger.end is not None else start
        line, column = position(start)
        end_line, end_column = position(end)
        findings.append(
            spec.finding(
                message=danger.message,
                severity=danger.severity,
                path=path,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
            )
        )
    return sorted(findings, key=lambda f: f.sort_key)
