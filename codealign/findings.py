"""The one `Finding` type every analyzer produces, and the vocabulary around it.

A finding is immutable. Analyzers create findings with a rule code; everything else (severity, category,
principle, CWE, suggestion) comes from the rule's spec in the rule packs (`rules/*.toml`), so there is a
single source of truth for what a rule means.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

SEVERITIES = ("low", "medium", "high")
CONFIDENCES = ("low", "medium", "high")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES, start=1)}

# Stable category strings used in JSON and SARIF output.
CATEGORY_DESTRUCTIVE = "destructive-operation"
CATEGORY_GLOBAL_STATE = "global-state"
CATEGORY_INSECURE = "insecure-code"
CATEGORY_PARSE_ERROR = "parse-error"
CATEGORY_RESPONSE = "response"
CATEGORIES = (
    CATEGORY_DESTRUCTIVE,
    CATEGORY_GLOBAL_STATE,
    CATEGORY_INSECURE,
    CATEGORY_PARSE_ERROR,
    CATEGORY_RESPONSE,
)


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(threshold, 0)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in code or in a response. Lines and columns are 1-based."""

    rule: str
    category: str
    severity: str
    confidence: str
    message: str
    principle: str | None = None
    suggestion: str | None = None
    cwe: int | None = None
    path: str = "<string>"
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def moved(self, *, path: str | None = None, line_offset: int = 0) -> "Finding":
        """The same finding in another file, or shifted by `line_offset` lines (code blocks in Markdown)."""
        return replace(
            self,
            path=self.path if path is None else path,
            line=self.line + line_offset,
            end_line=None if self.end_line is None else self.end_line + line_offset,
        )

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.rule)
