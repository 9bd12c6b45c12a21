"""Static analysis entry points: Python source, shell scripts, and Markdown (LLM responses).

Everything that judges code goes through `analyze_python`, `analyze_shell` or `analyze_markdown`:
the review command, the rewards, the data pipeline and the benchmark. They never execute the code.

`honor_suppressions=True` is review mode (`# codealign: ignore[...]` and bandit's `# nosec` count);
reward mode passes False so that a model cannot hide its findings behind comments.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from pathlib import PurePath

import libcst as cst

from .checks import RuleContext, run_code_rules, triggered_rules
from .findings import Finding
from .rulebook import rule_spec

PARSE_ERROR = "CA001"
PYTHON_LANGUAGES = {"python", "py", "python3", "py3", "ipython", "ipython3", "sage"}
SHELL_LANGUAGES = {
    "bash", "sh", "shell", "console", "zsh", "ksh", "shell-session", "terminal", "shellsession",
    "powershell", "pwsh", "ps1", "ps", "posh", "bat", "batch", "cmd", "dos",  # shell.py knows their deletes
}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
SHELL_SUFFIXES = {".sh", ".bash", ".zsh", ".ksh", ".ps1", ".bat", ".cmd"}
PYTHON_SUFFIXES = {".py", ".pyw", ".pyi"}

_SUPPRESS_RE = re.compile(r"#\s*codealign:\s*ignore(?:\[(?P<codes>[A-Za-z0-9_,\s]*)\])?", re.IGNORECASE)


@dataclass(frozen=True)
class Selection:
    """Which rules run: ruff-style code prefixes (`CA1` selects CA101..CA199, `B6` selects B601..)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        if self.select and not any(code.startswith(prefix) for prefix in self.select):
            return False
        return not any(code.startswith(prefix) for prefix in self.ignore)


ALL = Selection()


@dataclass
class Analysis:
    findings: list[Finding] = field(default_factory=list)
    parsed: bool = True


def suppressed_codes(source: str) -> dict[int, set[str] | None]:
    """Line -> codes suppressed on it by `# codealign: ignore[...]` (None: every code)."""
    result: dict[int, set[str] | None] = {}
    if "codealign" not in source:
        return result
    for number, line in enumerate(source.splitlines(), start=1):
        match = _SUPPRESS_RE.search(line)
        if match:
            codes = match.group("codes")
            result[number] = None if codes is None else {c.strip().upper() for c in codes.split(",") if c.strip()}
    return result


def _apply_suppressions(findings: list[Finding], source: str) -> list[Finding]:
    table = suppressed_codes(source)
    if not table:
        return findings
    kept = []
    for finding in findings:
        codes = table.get(finding.line, ...)
        if codes is ... or (codes is not None and finding.rule not in codes):
            kept.append(finding)
    return kept


def parse_error_finding(message: str, path: str, line: int = 1, column: int = 1) -> Finding:
    return rule_spec(PARSE_ERROR).finding(message=message, path=path, line=line, column=column)


def _check_parses(source: str, path: str) -> Finding | None:
    """Parse with CPython first: it is fast and bounded on pathological nesting (libcst may not be)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source, filename=path)
    except SyntaxError as exc:
        reason = exc.msg or "invalid syntax"
        return parse_error_finding(f"Syntax error: {reason}", path, exc.lineno or 1, (exc.offset or 1))
    except (RecursionError, MemoryError):
        return parse_error_finding("Code is too deeply nested to parse", path)
    except ValueError as exc:  # e.g. source code string cannot contain null bytes
        return parse_error_finding(f"Cannot parse: {exc}", path)
    return None


def analyze_python(
    source: str,
    path: str = "<string>",
    *,
    selection: Selection = ALL,
    honor_suppressions: bool = True,
) -> Analysis:
    """Run bandit and the libcst rules on Python source. Never executes it."""
    rules = triggered_rules(source, {code for code in _registered_codes() if selection.wants(code)})
    findings: list[Finding] = []
    error = None
    if rules:
        # CPython must parse it before libcst sees it (libcst is slow or stuck on some pathological input).
        error = _check_parses(source, path)
        if error is None:
            try:
                findings = run_code_rules(RuleContext(path=path, source=source), rules=rules)
            except cst.ParserSyntaxError as exc:
                error = parse_error_finding(f"Syntax error: {exc.message}", path, exc.raw_line, exc.raw_column + 1)
            except (RecursionError, MemoryError):
                error = parse_error_finding("Code is too deeply nested to parse", path)
    if error is None:
        from .insecure import scan_with_bandit  # noqa: PLC0415  (bandit's import is the slow part of start-up)

        bandit_findings, bandit_error = scan_with_bandit(source, path, honor_nosec=honor_suppressions)
        if not rules and (bandit_error is not None or source.startswith("\ufeff")):
            # No rule ran, so CPython has not parsed it yet: bandit parses it anyway, and only when bandit
            # could not is it parsed again, for the exact CA001 (its bytes parser also accepts a leading BOM).
            error = _check_parses(source, path)
    if error is not None:
        findings = [error] if selection.wants(PARSE_ERROR) else []
        return Analysis(findings=findings, parsed=False)
    findings += [f for f in bandit_findings if selection.wants(f.rule)]
    if bandit_error is not None and selection.wants(PARSE_ERROR):
        findings.append(parse_error_finding(bandit_error, path))
    if honor_suppressions:
        findings = _apply_suppressions(findings, source)
    return Analysis(findings=sorted(findings, key=lambda f: f.sort_key), parsed=True)


def analyze_shell(
    source: str,
    path: str = "<string>",
    *,
    selection: Selection = ALL,
    honor_suppressions: bool = True,
) -> Analysis:
    """Destructive-command checks on a shell script (tokenized, not substring-matched)."""
    from .shell import scan_shell_script  # noqa: PLC0415

    findings = [f for f in scan_shell_script(source, path) if selection.wants(f.rule)]
    if honor_suppressions:
        findings = _apply_suppressions(findings, source)
    return Analysis(findings=sorted(findings, key=lambda f: f.sort_key), parsed=True)


def block_kind(language: str, code: str) -> str | None:
    """'python', 'shell' or None (not checked) for a fenced block's language tag; guesses untagged blocks."""
    language = language.strip().lower()
    if language in PYTHON_LANGUAGES:
        return "python"
    if language in SHELL_LANGUAGES:
        return "shell"
    if language:
        return None
    from .markdown import guess_block_language  # noqa: PLC0415

    return guess_block_language(code)


def analyze_markdown(
    text: str,
    path: str = "<string>",
    *,
    selection: Selection = ALL,
    honor_suppressions: bool = True,
) -> Analysis:
    """Analyze every fenced code block of a Markdown document (an LLM response); lines map back to `text`."""
    from .markdown import extract_code_blocks  # noqa: PLC0415

    result = Analysis()
    for block in extract_code_blocks(text):
        kind = block_kind(block.language, block.code)
        if kind == "python":
            sub = analyze_python(block.code, path, selection=selection, honor_suppressions=honor_suppressions)
            result.parsed &= sub.parsed
        elif kind == "shell":
            sub = analyze_shell(block.code, path, selection=selection, honor_suppressions=honor_suppressions)
        else:
            continue
        result.findings += [f.moved(line_offset=block.start_line - 1) for f in sub.findings]
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def kind_for_path(path: str) -> str | None:
    suffix = PurePath(path).suffix.lower()
    if suffix in PYTHON_SUFFIXES:
        return "python"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in SHELL_SUFFIXES:
        return "shell"
    return None


def analyze_source(text: str, path: str, kind: str, **options) -> Analysis:
    analyzer = {"python": analyze_python, "shell": analyze_shell, "markdown": analyze_markdown}[kind]
    return analyzer(text, path, **options)


def _registered_codes() -> list[str]:
    from .checks import registered_rules  # noqa: PLC0415

    return list(registered_rules())
