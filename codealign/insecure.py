"""Bandit, run in-process on a string: no subprocess, no temp file.

Bandit has no public in-memory API, so this drives `BanditManager._parse_file` on a BytesIO with a fresh
manager per scan (a manager accumulates results across files). A snippet bandit cannot parse is reported
as an error string (the caller turns it into a parse-error finding), never as clean code.
"""

from __future__ import annotations

import io
import logging
from functools import cache

from .findings import Finding
from .rulebook import rule_spec

_SEVERITY = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "UNDEFINED": "low"}


@cache
def _bandit_config():
    from bandit.core import config as bandit_config  # noqa: PLC0415

    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    return bandit_config.BanditConfig()


def scan_with_bandit(source: str, path: str = "<string>", *, honor_nosec: bool = True) -> tuple[list[Finding], str | None]:
    """Return bandit's findings for `source` and, when bandit could not scan it, the reason."""
    from bandit.core import manager as bandit_manager  # noqa: PLC0415

    manager = bandit_manager.BanditManager(_bandit_config(), "file", quiet=True, ignore_nosec=not honor_nosec)
    data = source.encode("utf-8", errors="surrogateescape")
    manager._parse_file(path, io.BytesIO(data), [path])
    error = manager.skipped[0][1] if manager.skipped else None
    findings = []
    for issue in manager.results:
        spec = rule_spec(issue.test_id)
        cwe = getattr(getattr(issue, "cwe", None), "id", None) or None
        line = issue.lineno if isinstance(issue.lineno, int) else (issue.linerange or [1])[0]
        end_line = max(issue.linerange) if issue.linerange else line
        findings.append(
            spec.finding(
                message=f"{issue.text} ({issue.test})",
                severity=_SEVERITY.get(issue.severity, "low"),
                confidence=_SEVERITY.get(issue.confidence, "low"),
                cwe=cwe,
                path=path,
                line=line,
                column=(issue.col_offset or 0) + 1,
                end_line=end_line,
                end_column=(issue.end_col_offset or 0) + 1 if issue.end_col_offset is not None else None,
            )
        )
    return findings, error
