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


@cache
def _bandit_scanner():
    """Bandit's test set (built once: it is the costly part of a manager) and the visitor class that runs it."""
    from bandit.core import node_visitor  # noqa: PLC0415
    from bandit.core import test_set  # noqa: PLC0415
    from bandit.core import tester as bandit_tester  # noqa: PLC0415

    tests = test_set.BanditTestSet(_bandit_config(), {})
    inert: dict[type, bool] = {}

    def is_inert(node: ast.AST) -> bool:
        kind = type(node)
        if kind is ast.Constant:  # bandit looks at str and bytes constants only
            return not isinstance(node.value, (str, bytes))
        known = inert.get(kind)
        if known is None:
            name = kind.__name__
            known = inert[kind] = not hasattr(node_visitor.BanditNodeVisitor, "visit_" + name) and not tests.get_tests(name)
        return known

    class Tester(bandit_tester.BanditTester):
        """Bandit's tester; with no `# nosec` comment in the file (always so in reward mode) the per-test nosec
        lookup, which can then only answer None, is not made."""

        def _get_nosecs_from_contexts(self, context, test_result=None):
            return super()._get_nosecs_from_contexts(context, test_result) if self.nosec_lines else None

    class Visitor(node_visitor.BanditNodeVisitor):
        """`BanditNodeVisitor` that walks through inert nodes without its per-node bookkeeping (see the module
        docstring); every other node gets exactly bandit's pre_visit / visit / post_visit."""

        def __init__(self, *args):
            super().__init__(*args)
            self.tester = Tester(self.testset, self.debug, self.nosec_lines, self.metrics)

        def generic_visit(self, node):
            for _, value in ast.iter_fields(node):
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
            if is_inert(item):
                self.generic_visit(item)
            elif self.pre_visit(item):
                self.visit(item)
                self.generic_visit(item)
                self.post_visit(item)

    return tests, Visitor


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
