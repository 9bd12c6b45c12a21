"""Reports for `codealign review` (text, JSON, SARIF 2.1.0) and `codealign rules` (table, docs, JSON).

JSON report (`--format json`), stable keys:

    {
      "version": "0.1.0",                       # codealign's version
      "findings": [{"rule", "category", "severity", "confidence", "cwe", "message", "principle",
                    "suggestion", "path", "line", "column", "end_line", "end_column"}, ...],
      "errors": [{"path", "message"}, ...],      # files that could not be reviewed, and why
      "stats": {"files_reviewed", "files_skipped", "findings",   # findings: the total
                "by_severity": {"high", "medium", "low"}, "by_category": {category: count},
                "severity_threshold", "seconds"}
    }

Lines and columns are 1-based; columns count characters; `end_column` is exclusive (one past the last
character) and may be null, as may `end_line`, `cwe`, `principle` and `suggestion`.

SARIF: one run whose `tool.driver.rules` holds every rule the review could report (with its docs as
`help`), results with `ruleId`/`ruleIndex`, `level` (high: error, medium: warning, low: note), and
locations relative to the working directory (`uriBaseId` `%SRCROOT%`), as GitHub code scanning expects.
Files that could not be reviewed are `toolExecutionNotifications` of the run's invocation.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from . import __version__
from .findings import CATEGORIES, SEVERITIES, Finding

if TYPE_CHECKING:
    from .review import ReviewOptions, ReviewResult
    from .rulebook import RuleSpec

TOOL_NAME = "codealign"
FALLBACK_INFORMATION_URI = "https://pypi.org/project/codealign/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"high": "error", "medium": "warning", "low": "note"}
# GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.5", "low": "2.0"}
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
SECURITY_CATEGORIES = {"destructive-operation", "insecure-code"}
FINDING_KEYS = (
    "rule", "category", "severity", "confidence", "cwe", "message", "principle", "suggestion",
    "path", "line", "column", "end_line", "end_column",
)


def write_json(document, stream) -> None:
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


# --- text -----------------------------------------------------------------------------------------------

_COLORS = {"high": "\033[1;31m", "medium": "\033[33m", "low": "\033[36m", "path": "\033[1m", "dim": "\033[2m"}
_RESET = "\033[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_COLORS[style]}{text}{_RESET}" if color else text


def finding_line(finding: Finding, *, color: bool = False) -> str:
    where = _paint(f"{finding.path}:{finding.line}:{finding.column}:", "path", color)
    tag = _paint(f"{finding.rule} [{finding.severity}]", finding.severity, color)
    lines = [f"{where} {tag} {finding.message}"]
    if finding.suggestion:
        lines.append(_paint(f"    suggestion: {finding.suggestion}", "dim", color))
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_line(result: ReviewResult) -> str:
    reviewed = _count(result.files_reviewed, "file") + " reviewed"
    skipped = f", {result.files_skipped} could not be reviewed (see the errors)" if result.files_skipped else ""
    threshold = f" at or above {result.threshold} severity" if result.threshold != "low" else ""
    if not result.findings:
        return f"No findings{threshold}: {reviewed}{skipped}."
    by_severity = Counter(f.severity for f in result.findings)
    parts = ", ".join(f"{by_severity[s]} {s}" for s in reversed(SEVERITIES) if by_severity[s])
    files = len({f.path for f in result.findings})
    return (f"Found {_count(len(result.findings), 'finding')}{threshold} ({parts}) in "
            f"{_count(files, 'file')}; {reviewed}{skipped}.")


def review_text(result: ReviewResult, *, color: bool = False) -> str:
    """The findings, one per line (`path:line:col: CODE [severity] message` + the suggestion), and a summary."""
    lines = [finding_line(f, color=color) for f in result.findings]
    if lines:
        lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def error_lines(result: ReviewResult) -> str:
    return "".join(f"{error.path}: error: {error.message}\n" for error in result.errors)


# --- JSON -----------------------------------------------------------------------------------------------


def finding_json(finding: Finding) -> dict:
    return {key: getattr(finding, key) for key in FINDING_KEYS}


def review_json(result: ReviewResult) -> dict:
    by_severity = Counter(f.severity for f in result.findings)
    by_category = Counter(f.category for f in result.findings)
    return {
        "version": __version__,
        "findings": [finding_json(f) for f in result.findings],
        "errors": [{"path": e.path, "message": e.message} for e in result.errors],
        "stats": {
            "files_reviewed": result.files_reviewed,
            "files_skipped": result.files_skipped,
            "findings": len(result.findings),
            "by_severity": {s: by_severity[s] for s in reversed(SEVERITIES)},
            "by_category": {c: by_category[c] for c in CATEGORIES if by_category[c]},
            "severity_threshold": result.threshold,
            "seconds": round(result.seconds, 3),
        },
    }


# --- rules ------------------------------------------------------------------------------------------------


def listed_rules() -> list[RuleSpec]:
    """Every rule of the packs, by code, except B000 (the template for bandit ids without an entry)."""
    from .rulebook import load_rule_specs  # noqa: PLC0415

    return [spec for code, spec in sorted(load_rule_specs().items()) if code != "B000"]


def lookup_rule(code: str) -> RuleSpec | None:
    """The spec of `code`: a pack entry, or a bandit id without one (bandit's name, the pack's defaults)."""
    from dataclasses import replace  # noqa: PLC0415

    from .rulebook import load_rule_specs, rule_spec  # noqa: PLC0415

    specs = load_rule_specs()
    if code in specs:
        return specs[code]
    if code.startswith("B"):
        from .insecure import bandit_test_names  # noqa: PLC0415

        names = bandit_test_names()
        if code in names:
            return replace(rule_spec(code), name=names[code])
    return None


def bandit_url(code: str) -> str | None:
    if not code.startswith("B") or code == "B000":
        return None
    try:
        from bandit.core.docs_utils import get_url  # noqa: PLC0415

        return get_url(code) or None
    except Exception:  # noqa: BLE001  (documentation links are a nicety)
        return None


def cwe_url(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"


def rule_json(spec: RuleSpec, *, full: bool = False) -> dict:
    entry = {
        "code": spec.code,
        "name": spec.name,
        "category": spec.category,
        "severity": spec.severity,
        "confidence": spec.confidence,
        "cwe": spec.cwe,
        "principle": spec.principle,
        "message": spec.message,
    }
    if full:
        entry |= {
            "critique": spec.critique or None,
            "suggestion": spec.suggestion or None,
            "docs": rule_markdown(spec),
            "url": bandit_url(spec.code),
        }
    return entry


def rules_table(specs: list[RuleSpec]) -> str:
    rows = [("CODE", "NAME", "CATEGORY", "SEVERITY", "PRINCIPLE", "MESSAGE")]
    rows += [(s.code, s.name, s.category, s.severity, s.principle or "-", s.message) for s in specs]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths)) + "  " + row[5] for row in rows]
    lines.append("")
    lines.append(f"{_count(len(specs), 'rule')}. `codealign rules CODE` shows a rule's documentation.")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _principle_line(spec: RuleSpec) -> str | None:
    if not spec.principle:
        return None
    from .rulebook import load_constitution  # noqa: PLC0415

    principle = load_constitution().get(spec.principle)
    if principle is None:
        return f"**Principle:** `{spec.principle}`"
    return f"**Principle:** `{spec.principle}` ({principle.title}): {principle.en}"


def rule_markdown(spec: RuleSpec) -> str:
    """A rule's documentation as Markdown: a header with its metadata, then its ruff-style sections (the
    docstring for Python rules; message, critique, suggestion and links for pack-only rules)."""
    meta = [f"**Category:** {spec.category}", f"**Severity:** {spec.severity}", f"**Confidence:** {spec.confidence}"]
    if spec.cwe:
        meta.append(f"**CWE:** [CWE-{spec.cwe}]({cwe_url(spec.cwe)})")
    lines = [f"# {spec.code}: {spec.name}", "", " · ".join(meta)]
    principle = _principle_line(spec)
    if principle:
        lines += ["", principle]
    lines.append("")
    if spec.doc:
        lines.append(spec.doc.strip())
    else:
        lines += ["## What it does", spec.message, ""]
        if spec.critique:
            lines += ["## Why is this bad?", spec.critique, ""]
        if spec.suggestion:
            lines += ["## Use instead", spec.suggestion, ""]
        references = []
        url = bandit_url(spec.code)
        if url:
            references.append(f"- [Bandit {spec.code}: {spec.name}]({url})")
        if spec.cwe:
            references.append(f"- [CWE-{spec.cwe}]({cwe_url(spec.cwe)})")
        if references:
            lines += ["## References", *references]
    return "\n".join(lines).rstrip() + "\n"


def rule_text(spec: RuleSpec) -> str:
    """Plain-text help for SARIF (`help.text`): what it flags, why, and what to do instead."""
    parts = [spec.message + "."] if not spec.message.endswith(".") else [spec.message]
    if spec.critique:
        parts.append(spec.critique)
    if spec.suggestion:
        parts.append("Instead: " + spec.suggestion)
    return " ".join(parts)


# --- SARIF ----------------------------------------------------------------------------------------------


def information_uri() -> str:
    """The project's home page from the installed metadata ([project.urls]), else its PyPI page."""
    try:
        from importlib.metadata import metadata  # noqa: PLC0415

        meta = metadata("codealign")
        for entry in meta.get_all("Project-URL") or []:
            _label, _, url = entry.partition(",")
            if url.strip().startswith(("https://", "http://")):
                return url.strip()
        home = meta.get("Home-page")
        if home and home.startswith(("https://", "http://")):
            return home
    except Exception:  # noqa: BLE001
        pass
    return FALLBACK_INFORMATION_URI


def _limit(text: str, size: int = 1024) -> str:
    """GitHub truncates rule descriptions over 1024 characters; do it at a word boundary instead."""
    if len(text) <= size:
        return text
    return text[: size - 1].rsplit(" ", 1)[0] + "…"


def sarif_rule(spec: RuleSpec) -> dict:
    tags = [spec.category]
    if spec.category in SECURITY_CATEGORIES:
        tags.insert(0, "security")
    if spec.cwe:
        tags.append(f"external/cwe/cwe-{spec.cwe:03d}")
    rule = {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": _limit(spec.message)},
        "fullDescription": {"text": _limit(spec.critique or spec.message)},
        "help": {"text": rule_text(spec), "markdown": rule_markdown(spec)},
        "defaultConfiguration": {"level": SARIF_LEVEL[spec.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[spec.severity],
            "precision": PRECISION[spec.confidence],
            "tags": tags,
            "category": spec.category,
        },
    }
    url = bandit_url(spec.code)
    if url:
        rule["helpUri"] = url
    if spec.principle:
        rule["properties"]["principle"] = spec.principle
    return rule


def artifact_location(path: str, cwd: str) -> dict:
    """Relative to the working directory (`%SRCROOT%`) when inside it, else an absolute file URI."""
    if path.startswith("<"):  # <stdin>
        return {"uri": quote(path.strip("<>"))}
    absolute = path if os.path.isabs(path) else os.path.join(cwd, path)
    absolute = os.path.normpath(absolute)
    try:
        rel = os.path.relpath(absolute, cwd)
    except ValueError:
        rel = None
    if rel is not None and rel != os.pardir and not rel.startswith(os.pardir + os.sep):
        return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}
    return {"uri": Path(absolute).as_uri()}


def _region(finding: Finding) -> dict:
    region = {"startLine": max(1, finding.line), "startColumn": max(1, finding.column)}
    end_line = finding.end_line if finding.end_line is not None else None
    if end_line is not None and end_line >= region["startLine"]:
        region["endLine"] = end_line
        if finding.end_column is not None and (end_line > region["startLine"] or finding.end_column > region["startColumn"]):
            region["endColumn"] = finding.end_column
    return region


def review_sarif(result: ReviewResult, *, cwd: str, options: ReviewOptions | None = None) -> dict:
    from .analysis import Selection  # noqa: PLC0415
    from .review import effective_selection  # noqa: PLC0415

    selection = effective_selection(options) if options else Selection()
    specs = [s for s in listed_rules() if s.category != "response" and selection.wants(s.code)]
    index = {spec.code: position for position, spec in enumerate(specs)}
    for finding in result.findings:  # a bandit id without a pack entry still needs a descriptor
        if finding.rule not in index:
            spec = lookup_rule(finding.rule)
            if spec is not None:
                index[finding.rule] = len(specs)
                specs.append(spec)
    results = []
    for finding in result.findings:
        entry = {
            "ruleId": finding.rule,
            "level": SARIF_LEVEL.get(finding.severity, "warning"),
            "message": {"text": finding.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.path, cwd),
                    "region": _region(finding),
                }
            }],
            "properties": {
                "severity": finding.severity,
                "confidence": finding.confidence,
                "category": finding.category,
            },
        }
        if finding.rule in index:
            entry["ruleIndex"] = index[finding.rule]
        if finding.suggestion:
            entry["properties"]["suggestion"] = finding.suggestion
        if finding.cwe:
            entry["properties"]["cwe"] = f"CWE-{finding.cwe}"
        results.append(entry)
    notifications = [
        {
            "level": "error",
            "message": {"text": error.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_location(error.path, cwd)}}],
        }
        for error in result.errors
    ]
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": information_uri(),
                "rules": [sarif_rule(spec) for spec in specs],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(cwd).resolve().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{
            "executionSuccessful": result.files_reviewed > 0 or not result.errors,
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
