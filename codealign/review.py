"""`codealign review` (a pre-commit style code review) and `codealign rules` (the rule catalogue).

`codealign review [PATH ...]` reviews Python (.py/.pyw/.pyi), Markdown (.md/.markdown: the fenced code
blocks, as in an LLM response) and shell (.sh/.bash/.zsh/.ksh) files; folders are walked (skipping .git,
virtual environments, node_modules, caches and build output); `-` reads one document from stdin. It never
executes the code it reviews. Suppression comments count here (`# codealign: ignore[CA101]`, `# nosec`).

Exit codes: 0 nothing at or above the severity threshold, 1 findings, 2 a usage or configuration error, or
files that could not be reviewed (missing, unreadable, binary, not UTF-8, over the size limit) and no
finding: a review that could not look at a file never passes.

Configuration: `[tool.codealign]` in the nearest `pyproject.toml` that has one (searched upwards from the
working directory): `select`, `ignore`, `per-file-ignores`, `severity`, `exclude`, `max-file-size`.
Globs are matched against paths relative to that file's folder (the working directory without one), and
against the file name. Command-line flags override it.

The review path imports neither torch nor transformers (it is the pre-commit hook; start-up matters), and
this module imports the analyzers only when a command runs, because the CLI imports it to build its parser.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import stat
import sys
import time
import tokenize
import tomllib
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

from .errors import CodealignError
from .findings import SEVERITIES, Finding, severity_at_least

__all__ = [
    "Config",
    "FileError",
    "ReviewOptions",
    "ReviewResult",
    "Target",
    "discover",
    "find_config",
    "load_config",
    "review_paths",
]

DEFAULT_MAX_FILE_SIZE = 1024 * 1024
FORMATS = ("text", "json", "sarif")
STDIN = "-"
STDIN_DISPLAY = "<stdin>"

# Folders never walked into (explicitly named folders are still reviewed).
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".virtualenv", "node_modules", "__pycache__", "build",
    "dist", "_build", ".eggs", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
    "site-packages", ".ipynb_checkpoints",
})

CONFIG_KEYS = ("select", "ignore", "per-file-ignores", "severity", "exclude", "max-file-size")

_PYTHON_SHEBANG = re.compile(rb"^#!.*\bpython[\d.]*\b")
_SHELL_SHEBANG = re.compile(rb"^#!.*\b(?:ba|z|k|da|a)?sh\b")
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


# --- configuration ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """`[tool.codealign]`, with defaults for what it leaves out. `root` anchors the globs."""

    root: str
    source: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: str = "low"
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest `pyproject.toml` with a `[tool.codealign]` table, from `start` (the cwd) upwards."""
    folder = Path(start or os.getcwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise CodealignError(f"cannot read {path}: {exc}") from None
        if "codealign" not in text:  # cheap: most pyproject.toml files are not ours to parse
            continue
        if "codealign" in _parse_toml(text, path).get("tool", {}):
            return path
    return None


def _parse_toml(text: str, path: Path) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CodealignError(f"{path}: invalid TOML: {exc}") from None


def _codes(value, where: str) -> tuple[str, ...]:
    """A list of code prefixes, or one comma-separated string, upper-cased."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [part for item in value for part in item.split(",")]
    else:
        raise CodealignError(f"{where} must be a list of rule codes or a comma-separated string, got {value!r}")
    return tuple(item.strip().upper() for item in items if item.strip())


def _globs(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CodealignError(f"{where} must be a list of glob patterns, got {value!r}")
    return tuple(item for item in value if item.strip())


def _severity(value, where: str) -> str:
    if not isinstance(value, str) or value.lower() not in SEVERITIES:
        raise CodealignError(f"{where} must be one of {', '.join(SEVERITIES)}, got {value!r}")
    return value.lower()


def parse_size(value, where: str = "--max-file-size") -> int:
    """Bytes from 1048576, '1MiB', '512k', '2M' (0: no limit)."""
    if isinstance(value, bool):
        raise CodealignError(f"{where} must be a size such as 1048576, 512KiB or 2MiB, got {value!r}")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE_RE.match(str(value))
        if not match:
            raise CodealignError(f"{where} must be a size such as 1048576, 512KiB or 2MiB, got {value!r}")
        unit = (match.group(2) or "").lower()[:1]
        size = int(match.group(1)) * _SIZE_UNITS[unit]
    if size < 0:
        raise CodealignError(f"{where} must not be negative, got {value!r}")
    return size


def load_config(path: Path | None, cwd: str | None = None) -> Config:
    """Read `[tool.codealign]` from `path` (None: defaults, globs anchored at `cwd`)."""
    if path is None:
        return Config(root=os.path.abspath(cwd or os.getcwd()))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodealignError(f"cannot read {path}: {exc}") from None
    table = _parse_toml(text, Path(path)).get("tool", {}).get("codealign", {})
    if not isinstance(table, dict):
        raise CodealignError(f"{path}: [tool.codealign] must be a table")
    where = f"{path}: [tool.codealign]"
    unknown = sorted(set(table) - set(CONFIG_KEYS))
    if unknown:
        raise CodealignError(
            f"{where} has unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(CONFIG_KEYS)})"
        )
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise CodealignError(f"{where} per-file-ignores must be a table of glob = [codes], got {per_file!r}")
    return Config(
        root=str(Path(path).resolve().parent),
        source=str(path),
        select=_codes(table.get("select", []), f"{where} select"),
        ignore=_codes(table.get("ignore", []), f"{where} ignore"),
        per_file_ignores=tuple(
            (glob, _codes(codes, f"{where} per-file-ignores[{glob!r}]")) for glob, codes in per_file.items()
        ),
        severity=_severity(table.get("severity", "low"), f"{where} severity"),
        exclude=_globs(table.get("exclude", []), f"{where} exclude"),
        max_file_size=parse_size(table.get("max-file-size", DEFAULT_MAX_FILE_SIZE), f"{where} max-file-size"),
    )


def known_codes() -> set[str]:
    """Every code a selector may name: the rule packs' and every installed bandit test id."""
    from .insecure import bandit_test_names  # noqa: PLC0415
    from .rulebook import load_rule_specs  # noqa: PLC0415

    return set(load_rule_specs()) | set(bandit_test_names())


def check_selectors(prefixes: tuple[str, ...], where: str, codes: set[str] | None = None) -> None:
    """A selector that matches no rule is a typo: say so instead of silently selecting nothing."""
    for prefix in prefixes:
        if codes is None:
            from .rulebook import load_rule_specs  # noqa: PLC0415

            if any(code.startswith(prefix) for code in load_rule_specs()):
                continue
            codes = known_codes()
        if not any(code.startswith(prefix) for code in codes):
            raise CodealignError(f"{where}: no rule code starts with {prefix!r} (`codealign rules` lists them)")


def check_reviewable(prefixes: tuple[str, ...]) -> None:
    """A selector that names only response rules (CA3xx: refusal, explanation, ...) selects nothing a review
    can report: those rules judge a model's answer, not code. Say so instead of passing every file."""
    from .findings import CATEGORY_RESPONSE  # noqa: PLC0415
    from .rulebook import load_rule_specs  # noqa: PLC0415

    specs = load_rule_specs()
    for prefix in prefixes:
        matched = [spec for code, spec in specs.items() if code.startswith(prefix)]
        if matched and all(spec.category == CATEGORY_RESPONSE for spec in matched):
            raise CodealignError(f"select: {prefix!r} names only response rules, which judge a model's answers, "
                                 "not code; `codealign review` never reports them (`codealign bench` does)")


# --- paths --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A file to review. `display` is what reports show (relative to the working directory when inside
    it), `rel` what globs are matched against (relative to the config's folder when inside it)."""

    path: str
    display: str
    rel: str
    kind: str | None


@dataclass(frozen=True)
class FileError:
    path: str
    message: str


def _inside(path: str, folder: str) -> str | None:
    """`path` relative to `folder` in POSIX form when it lies inside it, else None."""
    try:
        rel = os.path.relpath(path, folder)
    except ValueError:  # another drive on Windows
        return None
    if rel == os.curdir:
        return "."
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return None
    return rel.replace(os.sep, "/")


def display_path(path: str, cwd: str) -> str:
    absolute = os.path.abspath(path)
    rel = _inside(absolute, cwd)
    return rel if rel is not None else absolute.replace(os.sep, "/")


def glob_path(path: str, root: str) -> str:
    absolute = os.path.abspath(path)
    rel = _inside(absolute, root)
    return rel if rel is not None else absolute.replace(os.sep, "/")


def _glob_match(rel: str, pattern: str) -> bool:
    """ruff-like: a pattern matches the path, one of its parent folders, or the file/folder name."""
    pattern = pattern.strip().rstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    patterns = (pattern, pattern[3:]) if pattern.startswith("**/") else (pattern,)
    parts = rel.split("/")
    for index in range(len(parts), 0, -1):
        prefix = "/".join(parts[:index])
        name = parts[index - 1]
        for candidate in patterns:
            if fnmatch.fnmatchcase(prefix, candidate) or fnmatch.fnmatchcase(name, candidate):
                return True
    return False


def matches_any(rel: str, patterns) -> bool:
    return any(_glob_match(rel, pattern) for pattern in patterns)


def _skip_dir(name: str, full: str) -> bool:
    if name in SKIP_DIRS or name.endswith(".egg-info"):
        return True
    return os.path.isfile(os.path.join(full, "pyvenv.cfg"))  # a virtual environment under another name


def discover(
    paths: list[str], *, cwd: str, root: str, exclude: tuple[str, ...] = ()
) -> tuple[list[Target], list[FileError]]:
    """The files to review, in a stable order (arguments in order, folders walked sorted), and errors."""
    from .analysis import kind_for_path  # noqa: PLC0415

    targets: list[Target] = []
    errors: list[FileError] = []
    seen: set[str] = set()

    def add(path: str, kind: str | None) -> None:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            targets.append(Target(path, display_path(path, cwd), glob_path(path, root), kind))

    for arg in paths:
        shown = display_path(arg, cwd)
        try:
            info = os.stat(arg)
        except FileNotFoundError:
            message = "broken symbolic link" if os.path.islink(arg) else "no such file or folder"
            errors.append(FileError(shown, message))
            continue
        except OSError as exc:
            errors.append(FileError(shown, _os_reason(exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            before, excluded = len(targets), 0
            walk_errors: list[FileError] = []

            def on_error(exc: OSError) -> None:
                walk_errors.append(FileError(display_path(exc.filename or arg, cwd), f"cannot list folder: {_os_reason(exc)}"))

            for folder, dirnames, filenames in os.walk(arg, onerror=on_error, followlinks=False):
                kept = []
                for name in sorted(dirnames):
                    full = os.path.join(folder, name)
                    if _skip_dir(name, full):
                        continue
                    if exclude and matches_any(glob_path(full, root), exclude):
                        excluded += 1
                        continue
                    kept.append(name)
                dirnames[:] = kept
                for name in sorted(filenames):
                    kind = kind_for_path(name)
                    if kind is None:
                        continue
                    full = os.path.join(folder, name)
                    if exclude and matches_any(glob_path(full, root), exclude):
                        excluded += 1
                        continue
                    add(full, kind)
            errors.extend(walk_errors)
            if len(targets) == before and not walk_errors and not excluded:
                # A folder whose files the config excludes is skipped like an excluded file named on the command
                # line (pre-commit passes those): not an error. One with nothing to review at all is a wrong path.
                errors.append(FileError(shown, "no Python, Markdown or shell files to review in this folder"))
        elif stat.S_ISREG(info.st_mode):
            if exclude and matches_any(glob_path(arg, root), exclude):
                continue
            add(arg, kind_for_path(arg))
        else:
            errors.append(FileError(shown, "not a regular file (a FIFO, socket or device): not read"))
    return targets, errors


def _os_reason(exc: OSError) -> str:
    import errno  # noqa: PLC0415

    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


# --- reviewing one file -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewOptions:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE


@dataclass
class FileOutcome:
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


def _read_bytes(path: str, limit: int) -> bytes:
    """The file's bytes; raises OSError or ValueError (with the reason) when it cannot or must not be read.
    O_NONBLOCK: a FIFO named like a source file must not hang the review."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb", closefd=True) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file (a FIFO, socket or device): not read")
        if limit and info.st_size > limit:
            raise ValueError(_too_big(info.st_size, limit))
        data = handle.read(limit + 1) if limit else handle.read()
    if limit and len(data) > limit:
        raise ValueError(_too_big(len(data), limit))
    return data


def _too_big(size: int, limit: int) -> str:
    return f"file is larger than the size limit ({size} > {limit} bytes): skipped; raise --max-file-size to review it"


def sniff_kind(data: bytes) -> str | None:
    """The kind of a file with no known suffix, from its shebang (pre-commit passes such scripts)."""
    first = data.split(b"\n", 1)[0]
    if _PYTHON_SHEBANG.match(first):
        return "python"
    if _SHELL_SHEBANG.match(first):
        return "shell"
    return None


def decode(data: bytes, kind: str) -> str:
    """Text of a file: Python honours its PEP 263 coding declaration, the rest is UTF-8. Raises ValueError."""
    if b"\0" in data:
        raise ValueError("binary file (contains NUL bytes): not reviewed")
    encoding = "utf-8-sig"
    if kind == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:  # an unknown declared encoding, or first lines that are not UTF-8
            reason = str(exc.msg if getattr(exc, "msg", None) else exc)
            if "unknown encoding" in reason:
                raise ValueError(f"cannot decode: {reason}: not reviewed") from None
            encoding = "utf-8"  # the decode below says which byte is wrong
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.replace("_", "-").lower() in ("utf-8", "utf-8-sig") else encoding
        raise ValueError(
            f"not valid {name} text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): not reviewed"
        ) from None


PARSE_ERROR = "CA001"


def effective_selection(options: ReviewOptions):
    """The rules a review runs. CA001 (code that does not parse) is kept by any --select, because code that
    could not be checked must never look clean; only --ignore CA001 turns it off."""
    from .analysis import Selection  # noqa: PLC0415

    select = options.select
    if select and not any(PARSE_ERROR.startswith(prefix) for prefix in select):
        select = (*select, PARSE_ERROR)
    return Selection(select=select, ignore=options.ignore)


def _analyze(text: str, display: str, kind: str, rel: str, options: ReviewOptions) -> list[Finding]:
    from .analysis import analyze_source  # noqa: PLC0415

    selection = effective_selection(options)
    findings = analyze_source(text, display, kind, selection=selection, honor_suppressions=True).findings
    ignored = tuple(code for glob, codes in options.per_file_ignores if _glob_match(rel, glob) for code in codes)
    if ignored:
        findings = [f for f in findings if not f.rule.startswith(ignored)]
    return findings


def review_target(target: Target, options: ReviewOptions) -> FileOutcome:
    """Read, decode and analyze one file; every failure becomes the outcome's error, never an exception."""
    try:
        data = _read_bytes(target.path, options.max_file_size)
        kind = target.kind or sniff_kind(data)
        if kind is None:
            return FileOutcome(error="not a Python, Markdown or shell file (by name or shebang): not reviewed")
        text = decode(data, kind)
    except OSError as exc:
        return FileOutcome(error=f"cannot read: {_os_reason(exc)}")
    except ValueError as exc:
        return FileOutcome(error=str(exc))
    try:
        return FileOutcome(findings=_analyze(text, target.display, kind, target.rel, options))
    except Exception as exc:  # noqa: BLE001  (an analyzer bug must not hide the other files' results)
        return FileOutcome(error=f"internal error while analyzing ({type(exc).__name__}: {exc}): not reviewed")


def stdin_kind(text: str, filename: str | None) -> str:
    """A document on stdin is an LLM response: Markdown when it has fenced blocks; else Python or a shell
    script when it looks like one (the guess used for untagged blocks: `rm -rf ~` piped in is a shell script,
    broken Python with `def` lines is Python); else Markdown prose. A `--stdin-filename` with a known suffix
    decides instead."""
    from .analysis import kind_for_path  # noqa: PLC0415
    from .markdown import extract_code_blocks, guess_block_language  # noqa: PLC0415

    if filename and kind_for_path(filename):
        return kind_for_path(filename)
    if extract_code_blocks(text):
        return "markdown"
    return guess_block_language(text) or "markdown"


# --- the whole review -----------------------------------------------------------------------------------


@dataclass
class ReviewResult:
    findings: list[Finding]
    errors: list[FileError]
    files_reviewed: int
    files_skipped: int
    seconds: float
    threshold: str = "low"

    @property
    def exit_code(self) -> int:
        if self.findings:
            return 1
        return 2 if self.errors else 0


def _warm_up() -> None:
    """Import the analyzers and load the rule packs and bandit's config once, before worker processes fork."""
    from .analysis import analyze_python  # noqa: PLC0415

    analyze_python("import os\n", "<warm-up>")


def review_paths(
    paths: list[str],
    *,
    options: ReviewOptions,
    cwd: str,
    root: str,
    exclude: tuple[str, ...] = (),
    threshold: str = "low",
    jobs: int = 1,
    stdin_filename: str | None = None,
    stdin: io.BufferedIOBase | None = None,
) -> ReviewResult:
    started = time.perf_counter()
    file_args = [p for p in paths if p != STDIN]
    targets, errors = discover(file_args, cwd=cwd, root=root, exclude=exclude)
    outcomes: list[tuple[str, FileOutcome]] = []

    if STDIN in paths:
        shown = stdin_filename or STDIN_DISPLAY
        outcomes.append((shown, _review_stdin(stdin or sys.stdin.buffer, shown, stdin_filename, root, options)))

    if jobs > 1 and len(targets) > 1:
        outcomes += zip((t.display for t in targets), _parallel(targets, options, jobs))
    else:
        outcomes += ((t.display, review_target(t, options)) for t in targets)

    findings: list[Finding] = []
    reviewed = 0
    for shown, outcome in outcomes:
        if outcome.error is not None:
            errors.append(FileError(shown, outcome.error))
            continue
        reviewed += 1
        findings += [f for f in outcome.findings if severity_at_least(f.severity, threshold)]
    return ReviewResult(
        findings=findings,
        errors=errors,
        files_reviewed=reviewed,
        files_skipped=len(errors),
        seconds=time.perf_counter() - started,
        threshold=threshold,
    )


def _review_stdin(stream, shown: str, filename: str | None, root: str, options: ReviewOptions) -> FileOutcome:
    try:
        data = stream.read(options.max_file_size + 1) if options.max_file_size else stream.read()
    except OSError as exc:
        return FileOutcome(error=f"cannot read stdin: {_os_reason(exc)}")
    if options.max_file_size and len(data) > options.max_file_size:
        return FileOutcome(error=_too_big(len(data), options.max_file_size))
    try:
        text = decode(data, "markdown")  # a response is UTF-8 text
        kind = stdin_kind(text, filename)
    except ValueError as exc:
        return FileOutcome(error=str(exc))
    rel = glob_path(filename, root) if filename else shown
    try:
        return FileOutcome(findings=_analyze(text, shown, kind, rel, options))
    except Exception as exc:  # noqa: BLE001
        return FileOutcome(error=f"internal error while analyzing ({type(exc).__name__}: {exc}): not reviewed")


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _parallel(targets: list[Target], options: ReviewOptions, jobs: int) -> list[FileOutcome]:
    """Review files in worker processes, biggest first (so that one big file does not finish last), and put
    the outcomes back in input order: the report is identical to --jobs 1's."""
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    workers = min(jobs, len(targets))
    context = None
    if "fork" in multiprocessing.get_all_start_methods():
        _warm_up()  # forked workers inherit the imported analyzers and the loaded rule packs
        context = multiprocessing.get_context("fork")
    order = sorted(range(len(targets)), key=lambda index: -_size(targets[index].path))
    outcomes: list[FileOutcome | None] = [None] * len(targets)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = pool.map(review_target, [targets[index] for index in order], repeat(options))
            for index, outcome in zip(order, done):
                outcomes[index] = outcome
    except BrokenProcessPool:
        raise CodealignError("a review worker process died; run again with --jobs 1 to find the file") from None
    return outcomes


# --- command line -------------------------------------------------------------------------------------


def add_parsers(subparsers) -> None:
    review = subparsers.add_parser(
        "review",
        help="review Python, Markdown and shell files (the pre-commit hook)",
        description="Review Python, Markdown (fenced code blocks) and shell files for destructive operations, "
        "global state and insecure code. The code is never executed. Exit codes: 0 clean, 1 findings, "
        "2 usage error or files that could not be reviewed.",
    )
    review.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders (default: the working directory); '-' reads stdin")
    review.add_argument("--format", choices=FORMATS, default="text", help="output format (default text)")
    review.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    review.add_argument("--select", action="append", metavar="CODES",
                        help="only these rule codes or prefixes, comma-separated (CA1,B602)")
    review.add_argument("--ignore", action="append", metavar="CODES",
                        help="skip these rule codes or prefixes, comma-separated")
    review.add_argument("--severity", choices=SEVERITIES, default=None,
                        help="report findings at or above this severity (default low: all)")
    review.add_argument("--exclude", action="append", metavar="GLOB",
                        help="skip files and folders matching GLOB (repeatable; replaces the config's exclude)")
    review.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="review files in N processes (0: one per CPU; default 1)")
    review.add_argument("--max-file-size", default=None, metavar="SIZE",
                        help="skip files bigger than SIZE bytes (512KiB, 2MiB; 0: no limit; default 1MiB)")
    review.add_argument("--stdin-filename", metavar="NAME",
                        help="name the document read from '-' (its suffix picks the language)")
    review.add_argument("--config", metavar="PYPROJECT", help="read [tool.codealign] from this file")
    review.add_argument("--no-config", action="store_true", help="ignore pyproject.toml files")
    review.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text report (auto: on a terminal, unless NO_COLOR is set)")
    review.set_defaults(handler=run_review)

    rules = subparsers.add_parser(
        "rules",
        help="list the rules, or show one rule's documentation",
        description="List every rule (code, name, category, severity, principle, message), or show the "
        "documentation of one rule. A prefix (CA1) lists the matching rules.",
    )
    rules.add_argument("code", nargs="?", metavar="CODE", help="a rule code (CA101, B602) or a prefix")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(handler=run_rules)


def _cli_codes(values: list[str] | None, flag: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    return _codes(values, flag)


def resolve_settings(args, cwd: str) -> tuple[Config, ReviewOptions, tuple[str, ...], str]:
    """Config file + flags -> (config, options, exclude, threshold). Flags override the file."""
    if args.no_config:
        config = load_config(None, cwd)
    elif args.config:
        if not os.path.isfile(args.config):
            raise CodealignError(f"--config {args.config}: no such file")
        config = load_config(Path(args.config), cwd)
    else:
        config = load_config(find_config(cwd), cwd)
    select = _cli_codes(args.select, "--select")
    ignore = _cli_codes(args.ignore, "--ignore")
    select = config.select if select is None else select
    ignore = config.ignore if ignore is None else ignore
    codes = None
    for prefixes, where in ((select, "select"), (ignore, "ignore")):
        check_selectors(prefixes, where, codes)
    for glob, prefixes in config.per_file_ignores:
        check_selectors(prefixes, f"per-file-ignores[{glob!r}]", codes)
    check_reviewable(select)
    max_size = config.max_file_size if args.max_file_size is None else parse_size(args.max_file_size)
    options = ReviewOptions(select=select, ignore=ignore, per_file_ignores=config.per_file_ignores,
                            max_file_size=max_size)
    exclude = config.exclude if args.exclude is None else tuple(args.exclude)
    threshold = args.severity or config.severity
    return config, options, exclude, threshold


def _use_color(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def run_review(args) -> int:
    from . import reporting  # noqa: PLC0415

    if args.jobs < 0:
        raise CodealignError("--jobs must be 0 (one per CPU) or more")
    jobs = args.jobs or os.cpu_count() or 1
    paths = args.paths or ["."]
    if paths.count(STDIN) > 1:
        raise CodealignError("'-' (stdin) can be given only once")
    if args.stdin_filename and STDIN not in paths:
        raise CodealignError("--stdin-filename needs '-' among the paths")
    cwd = os.getcwd()
    config, options, exclude, threshold = resolve_settings(args, cwd)
    result = review_paths(
        paths, options=options, cwd=cwd, root=config.root, exclude=exclude, threshold=threshold, jobs=jobs,
        stdin_filename=args.stdin_filename,
    )
    out = sys.stdout
    if args.output:
        try:
            out = open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CodealignError(f"--output {args.output}: {_os_reason(exc)}") from None
    try:
        if args.format == "json":
            reporting.write_json(reporting.review_json(result), out)
        elif args.format == "sarif":
            reporting.write_json(reporting.review_sarif(result, cwd=cwd, options=options), out)
        else:
            sys.stderr.write(reporting.error_lines(result))  # the files that could not be reviewed
            sys.stderr.flush()
            out.write(reporting.review_text(result, color=_use_color(args.color, out)))
    finally:
        if out is not sys.stdout:
            out.close()
    return result.exit_code


def run_rules(args) -> int:
    from . import reporting  # noqa: PLC0415

    specs = reporting.listed_rules()
    if args.code is None:
        chosen = specs
    else:
        code = args.code.strip().upper()
        spec = reporting.lookup_rule(code)
        if spec is not None:
            if args.format == "json":
                reporting.write_json(reporting.rule_json(spec, full=True), sys.stdout)
            else:
                sys.stdout.write(reporting.rule_markdown(spec) + "\n")
            return 0
        chosen = [s for s in specs if s.code.startswith(code)]
        if not chosen:
            raise CodealignError(f"unknown rule {args.code!r} (`codealign rules` lists the {len(specs)} rules)")
    if args.format == "json":
        reporting.write_json([reporting.rule_json(s) for s in chosen], sys.stdout)
    else:
        sys.stdout.write(reporting.rules_table(chosen))
    return 0
