"""Bandit, run in-process on a string: no subprocess, no temp file.

Bandit has no public in-memory API, so this drives `BanditManager._parse_file` on a BytesIO with a fresh
manager per scan (a manager accumulates results across files, so sharing one would leak findings from
one scan into the next). A snippet bandit cannot parse is reported as an error string (the caller turns
it into a parse-error finding), never as clean code.

Bandit's own severity, confidence and CWE win over the pack's defaults (`rules/insecure.toml` supplies
the principle, critique, suggestion and translations). `honor_nosec=False` (reward mode) makes bandit
ignore `# nosec` comments, so a model cannot hide its findings behind them.
"""

from __future__ import annotations

import io
import logging
import re
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


def scan_with_bandit(source: str, path: str = "<string>", *, honor_nosec: bool = True) -> tuple[list[Finding], str | None]:
    """Return bandit's findings for `source` and, when bandit could not scan it, the reason.

    `honor_nosec=False` ignores `# nosec` comments (reward mode). Every call uses a fresh manager, so
    nothing carries over between scans.
    """
    from bandit.core import manager as bandit_manager  # noqa: PLC0415

    manager = bandit_manager.BanditManager(_bandit_config(), "file", quiet=True, ignore_nosec=not honor_nosec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bandit's ast.parse warns about invalid escapes and the like
        manager._parse_file(path, io.BytesIO(_as_utf8(source)), [path])
    error = None
    if manager.skipped:
        reason = manager.skipped[0][1]
        error = f"Bandit could not scan the code: {reason}"
    names = bandit_test_names()
    lines = _LINE_BREAK.split(source) if manager.results else []
    findings = []
    for issue in manager.results:
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
