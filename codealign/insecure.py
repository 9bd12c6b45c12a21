"""Bandit, run in-process on a string: no subprocess, no temp file.

Bandit has no public in-memory API, so this does what `BanditManager._parse_file` does for one file, on a
string: read the `# nosec` comments, run bandit's own `BanditNodeVisitor` with bandit's own test set, and
collect its tester's results. The test set is built once; the visitor, its tester and the metrics are fresh
per scan, so no finding leaks from one scan into the next (a shared manager would accumulate them).

One change to bandit's traversal, for speed (it was 75% of a reward call): a node whose type has no
`visit_*` method and no test in the test set (a `Name`, a `Load`, an `arg`, a number) is walked through
without bandit's per-node bookkeeping (context dict, line range, an empty test run). Such a node can never
produce or change a result, so the findings are the ones bandit's manager reports (a test compares both
paths on real files). A snippet bandit cannot parse is reported as an error string (the caller turns it
into a parse-error finding), never as clean code.

Bandit's own severity, confidence and CWE win over the pack's defaults (`rules/insecure.toml` supplies
the principle, critique, suggestion and translations). `honor_nosec=False` (reward mode) makes bandit
ignore `# nosec` comments, so a model cannot hide its findings behind them.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import tokenize
import warnings
from functools import cache

from .findings import Finding
from .rulebook import rule_spec

__all__ = ["bandit_test_names", "scan_with_bandit"]

_LEVEL = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "UNDEFINED": "low"}

# PEP 263: a coding declaration on line 1 or 2. The source is already text; bandit is fed UTF-8 bytes, so
# a declaration of another (or an unknown) encoding would make it decode them wrongly or give up.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CODING_RE = re.compile(rb"^([ \t\f]*#.*?)coding[:=][ \t]*([-\w.]+)", re.MULTILINE)


@cache
def _bandit_config():
    from bandit.core import config as bandit_config  # noqa: PLC0415

    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    return bandit_config.BanditConfig()


@cache
def bandit_test_names() -> dict[str, str]:
    """Bandit's test id -> test name for every installed plugin and blacklist entry (B602 ->
    subprocess_popen_with_shell_equals_true, B307 -> eval)."""
    from bandit.core import extension_loader  # noqa: PLC0415

    names = {test_id: plugin.name for test_id, plugin in extension_loader.MANAGER.plugins_by_id.items()}
    names.update({test_id: entry["name"] for test_id, entry in extension_loader.MANAGER.blacklist_by_id.items()})
    return dict(sorted(names.items()))


def _as_utf8(source: str) -> bytes:
    """`source` as UTF-8 bytes, with a PEP 263 declaration of another encoding rewritten to utf-8."""
    data = source.encode("utf-8", errors="surrogateescape")
    head = data.split(b"\n", 2)
    for index in range(min(2, len(head))):
        line = head[index]
        match = _CODING_RE.match(line)
        if match:
            if match.group(2).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
                head[index] = line[: match.start(2)] + b"utf-8".ljust(len(match.group(2))) + line[match.end(2):]
            break
        if not line.lstrip(b" \t\f").startswith(b"#"):
            break  # a declaration on line 2 counts only after a comment line
    return b"\n".join(head)


def _char_column(lines: list[str], line: int, byte_offset: int | None) -> int:
    """1-based character column for bandit's 0-based UTF-8 byte offset on `line`."""
    if byte_offset is None or byte_offset < 0:
        return 1
    if 1 <= line <= len(lines):
        text = lines[line - 1].encode("utf-8", errors="surrogateescape")[:byte_offset]
        return len(text.decode("utf-8", errors="replace")) + 1
    return byte_offset + 1


_NO_CONFIG = object()
_NO_SCORES = object()  # what the lean `run_tests` returns: no scores were counted


@cache
def _bandit_scanner():
    """Bandit's test set (built once: it is the costly part of a manager) and the visitor class that runs it."""
    from bandit.core import context as bandit_context  # noqa: PLC0415
    from bandit.core import node_visitor  # noqa: PLC0415
    from bandit.core import test_set  # noqa: PLC0415
    from bandit.core import tester as bandit_tester  # noqa: PLC0415

    tests = test_set.BanditTestSet(_bandit_config(), {})
    context_class = bandit_context.Context
    try:  # B613, the only whole-file test: the most costly one, though it reports only a rare character
        from bandit.plugins.trojansource import BIDI_CHARACTERS as bidi_characters  # noqa: PLC0415
        from bandit.plugins.trojansource import trojansource as bidi_test  # noqa: PLC0415
    except ImportError:
        bidi_test = bidi_characters = None
    inert: dict[type, bool] = {ast.Constant: False}  # a Constant depends on its value: see `_enter`

    def is_inert(kind: type) -> bool:
        name = kind.__name__
        known = inert[kind] = not hasattr(node_visitor.BanditNodeVisitor, "visit_" + name) and not tests.get_tests(name)
        return known

    class Tester(bandit_tester.BanditTester):
        """Bandit's tester; with no `# nosec` comment in the file (always so in reward mode) the per-test nosec
        lookup, which can then only answer None, is not made, and `run_tests` runs each test as bandit's does
        (a fresh copy of the context, the same fields filled in on a result, an error reported the same way)
        without the per-test bookkeeping that then has no effect: the nosec lookups and the scores, which
        `_bandit_results` never reads. The trojansource test (B613) runs only on a file holding one of the
        characters it reports (see `_bidi_free`)."""

        def _get_nosecs_from_contexts(self, context, test_result=None):
            return super()._get_nosecs_from_contexts(context, test_result) if self.nosec_lines else None

        def run_tests(self, raw_context, checktype):
            if self.nosec_lines or self.debug:
                return super().run_tests(raw_context, checktype)
            for test in self.testset.get_tests(checktype):
                if test is bidi_test and _bidi_free(raw_context["file_data"], bidi_characters):
                    continue
                temp_context = raw_context.copy()  # what bandit's copy.copy does for a dict
                context = context_class(temp_context)
                try:
                    config = getattr(test, "_config", _NO_CONFIG)  # read per call, as bandit does: it is the
                    result = test(context) if config is _NO_CONFIG else test(context, config)  # plugin's attribute
                    if result is not None:
                        filename = temp_context["filename"]
                        result.fname = filename.decode("utf-8") if isinstance(filename, bytes) else filename
                        result.fdata = temp_context["file_data"]
                        if result.lineno is None:
                            result.lineno = temp_context["lineno"]
                        if result.linerange == []:
                            result.linerange = temp_context["linerange"]
                        if result.col_offset == -1:
                            result.col_offset = temp_context["col_offset"]
                        result.end_col_offset = temp_context.get("end_col_offset", 0)
                        result.test = test.__name__
                        if result.test_id == "":
                            result.test_id = test._test_id
                        self.results.append(result)
                except Exception as error:  # noqa: BLE001  (bandit's tester reports and goes on the same way)
                    self.report_error(test.__name__, context, error)
            return _NO_SCORES

    class Visitor(node_visitor.BanditNodeVisitor):
        """`BanditNodeVisitor` that walks through inert nodes without its per-node bookkeeping (see the module
        docstring); every other node gets exactly bandit's pre_visit / visit / post_visit."""

        def __init__(self, *args):
            super().__init__(*args)
            self.tester = Tester(self.testset, self.debug, self.nosec_lines, self.metrics)

        def update_scores(self, scores):
            if scores is not _NO_SCORES:
                super().update_scores(scores)

        def generic_visit(self, node):
            for name in node._fields:  # what `ast.iter_fields` yields, without the generator
                value = getattr(node, name, None)
                if isinstance(value, list):
                    last = len(value) - 1
                    for index, item in enumerate(value):
                        if isinstance(item, ast.AST):
                            item._bandit_sibling = value[index + 1] if index < last else None
                            item._bandit_parent = node
                            self._enter(item)
                elif isinstance(value, ast.AST):
                    value._bandit_sibling = None
                    value._bandit_parent = node
                    self._enter(value)

        def _enter(self, item):
            kind = type(item)
            known = inert.get(kind)
            if known is None:
                known = is_inert(kind)
            elif kind is ast.Constant:  # bandit looks at str and bytes constants only
                known = not isinstance(item.value, (str, bytes))
            if known:
                self.generic_visit(item)
            elif self.pre_visit(item):
                self.visit(item)
                self.generic_visit(item)
                self.post_visit(item)

    return tests, Visitor


def _bidi_free(file_data, characters) -> bool:
    """True when the file, decoded as bandit's trojansource test (B613) decodes it, holds none of the
    bidirectional control `characters` that the test looks for, line by line: it would report nothing. (When
    the file cannot be decoded, False: the test runs, and fails as it would have.)"""
    try:
        file_data.seek(0)
        encoding, _ = tokenize.detect_encoding(file_data.readline)
        file_data.seek(0)
        text = file_data.read().decode(encoding)
    except Exception:  # noqa: BLE001
        return False
    return not any(char in text for char in characters)


def _nosec_lines(data: bytes) -> dict:
    """Line -> the test ids a `# nosec` comment there silences (empty set: all), as bandit's manager reads them."""
    from bandit.core.manager import _parse_nosec_comment  # noqa: PLC0415

    lines = {}
    try:
        for kind, text, (line, _), _, _ in tokenize.tokenize(io.BytesIO(data).readline):
            if kind == tokenize.COMMENT:
                lines[line] = _parse_nosec_comment(text)
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def _bandit_results(source: str, path: str, honor_nosec: bool) -> tuple[list, str | None]:
    """Bandit's issues for `source` and, when it could not scan it, why (bandit's own skip reasons)."""
    from bandit.core import meta_ast, metrics  # noqa: PLC0415

    tests, visitor_class = _bandit_scanner()
    data = _as_utf8(source)
    run_metrics = metrics.Metrics()
    run_metrics.begin(path)
    visitor = visitor_class(path, io.BytesIO(data), meta_ast.BanditMetaAst(), tests, False,
                            _nosec_lines(data) if honor_nosec else {}, run_metrics)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bandit's ast.parse warns about invalid escapes and the like
        try:
            visitor.process(data)
        except SyntaxError:
            return [], "syntax error while parsing AST from file"
        except Exception:  # noqa: BLE001  (bandit's manager skips such a file the same way)
            return [], "exception while scanning file"
    return visitor.tester.results, None


def scan_with_bandit(source: str, path: str = "<string>", *, honor_nosec: bool = True) -> tuple[list[Finding], str | None]:
    """Return bandit's findings for `source` and, when bandit could not scan it, the reason.

    `honor_nosec=False` ignores `# nosec` comments (reward mode). Every call uses a fresh visitor and
    tester, so nothing carries over between scans.
    """
    results, reason = _bandit_results(source, path, honor_nosec)
    error = f"Bandit could not scan the code: {reason}" if reason else None
    names = bandit_test_names()
    lines = _LINE_BREAK.split(source) if results else []
    findings = []
    for issue in results:
        spec = rule_spec(issue.test_id)
        cwe = getattr(getattr(issue, "cwe", None), "id", None) or None
        line = issue.lineno if isinstance(issue.lineno, int) else (issue.linerange or [1])[0]
        end_line = max(issue.linerange) if issue.linerange else line
        start_line = min(issue.linerange) if issue.linerange else line
        if line == start_line:
            column = _char_column(lines, line, issue.col_offset or 0)
        else:  # bandit points at an argument's line (`shell=True`) but gives the call's column
            text = lines[line - 1] if 1 <= line <= len(lines) else ""
            column = len(text) - len(text.lstrip()) + 1
        end_column = None
        if issue.end_col_offset is not None and end_line == start_line:
            end_column = _char_column(lines, end_line, issue.end_col_offset)
        name = names.get(issue.test_id) or issue.test
        findings.append(
            spec.finding(
                message=f"{issue.text} ({issue.test_id}: {name})",
                severity=_LEVEL.get(str(issue.severity).upper(), "low"),
                confidence=_LEVEL.get(str(issue.confidence).upper(), "low"),
                cwe=cwe,
                path=path,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
            )
        )
    return findings, error
