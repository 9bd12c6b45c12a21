"""Fenced code blocks in Markdown (LLM responses), with the line each block starts on.

`extract_code_blocks` follows CommonMark's fenced-code rules where they matter for responses: fences of 3
or more backticks or tildes, a closing fence of the same character at least as long as the opening one
(so shorter fences nest inside longer ones), info strings (`python title="x"`, `{.python}`,
`python:app.py`), an unterminated fence running to the end of the text. It is more lenient than CommonMark
about indentation, because models indent fences inside list items by any amount: the opening fence's
indentation is stripped from the block's lines.

`guess_block_language` classifies untagged blocks as Python, shell or neither (prose, output, data,
other languages), so that `analysis.analyze_markdown` checks them with the right analyzer.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "CodeBlock", "extract_code_blocks", "guess_block_language", "lines_and_blocks", "split_lines", "unfenced_code",
]


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block. `start_line` is the 1-based line of `text` holding the block's first code line
    (the line after the opening fence), so line N of `code` is line `start_line + N - 1` of the text."""

    language: str
    code: str
    start_line: int
    info: str = ""
    closed: bool = True


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_LANGUAGE = re.compile(r"[^\s,{}:`=]+")


def split_lines(text: str) -> list[str]:
    """Lines as Python and Markdown count them: `\\n`, `\\r\\n` and `\\r` end a line; form feeds and Unicode
    line separators (which `str.splitlines` also splits on) do not."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def info_language(info: str) -> str:
    """The language of an info string: `python title="x"` -> python, `{.python .numberLines}` -> python,
    `python:src/app.py` -> python, `{r, echo=FALSE}` -> r. Lowercase; '' when there is none."""
    info = info.strip().lstrip("{").strip().lstrip(".")
    match = _LANGUAGE.match(info)
    return match.group(0).lower() if match else ""


def _strip_indent(line: str, width: int) -> str:
    """Remove up to `width` leading whitespace characters (fewer if the line is less indented)."""
    count = 0
    while count < width and count < len(line) and line[count] in " \t":
        count += 1
    return line[count:]


def _is_closing(line: str, char: str, length: int) -> bool:
    stripped = line.strip(" \t")
    return len(stripped) >= length and stripped == char * len(stripped)


def extract_code_blocks(text: str) -> list[CodeBlock]:
    """Every fenced code block of `text`, in order. Fences inside an open block are its content."""
    return list(lines_and_blocks(text)[1])


@lru_cache(maxsize=512)
def lines_and_blocks(text: str) -> tuple[tuple[str, ...], tuple[CodeBlock, ...]]:
    """`split_lines(text)` and `extract_code_blocks(text)`, as tuples, computed once per text (cached: judging
    a response reads them in several places: the analyzers, the unfenced-code search, the response checks)."""
    lines = split_lines(text)
    return tuple(lines), tuple(_code_blocks(lines))


def _code_blocks(lines: list[str]) -> list[CodeBlock]:
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        match = _OPENING.match(lines[index])
        if match is None or (match.group("fence")[0] == "`" and "`" in match.group("info")):
            index += 1  # not a fence (a backtick fence's info string cannot contain backticks)
            continue
        fence, info = match.group("fence"), match.group("info").strip()
        indent = len(match.group("indent"))
        body: list[str] = []
        index += 1
        start_line = index + 1
        closed = False
        while index < len(lines):
            if _is_closing(lines[index], fence[0], len(fence)):
                closed = True
                index += 1
                break
            body.append(_strip_indent(lines[index], indent))
            index += 1
        code = "\n".join(body) + "\n" if body else ""
        blocks.append(CodeBlock(info_language(info), code, start_line, info=info, closed=closed))
    return blocks


# --- guessing the language of untagged blocks ------------------------------------------------------------

_SHELL_COMMANDS = frozenset("""
    apt apt-get apt-cache aptitude apk yum dnf zypper pacman brew port snap flatpak choco winget
    pip pip3 pipx poetry conda mamba uv virtualenv npm npx yarn pnpm node deno bun cargo rustup go gem
    bundle mvn gradle make cmake ninja gcc g++ clang javac java dotnet
    cd ls ll pwd mkdir rmdir rm mv cp ln touch cat less more head tail tee wc sort uniq cut tr sed awk grep
    egrep fgrep rg find xargs chmod chown chgrp stat du df free top htop ps kill killall pkill pgrep nohup
    echo printf export unset source alias env set sleep which whereis type history clear
    tar zip unzip gzip gunzip bzip2 xz 7z curl wget ssh scp rsync sftp ping dig nslookup nc netstat ss ip
    ifconfig iptables ufw git svn hg docker docker-compose podman kubectl helm minikube terraform ansible
    vagrant aws gcloud az heroku systemctl service journalctl crontab mount umount dd mkfs fdisk parted lsblk
    blkid shutdown reboot sudo su useradd usermod userdel passwd groupadd chpasswd visudo
    python python3 python2 pytest flask django-admin uvicorn gunicorn jupyter ipython pyenv
    psql mysql mysqldump sqlite3 redis-cli mongo mongosh openssl gpg ssh-keygen code vim vi nano emacs
    open xdg-open start tmux screen watch time timeout exec eval trap shred wipefs truncate base64 md5sum
    sha256sum jq yq bash sh zsh fish ksh dash
""".split())

_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
_SENTENCE_END = re.compile(r"[A-Za-z)\]'\"][.!?:]$")
_PYTHON_SHEBANG = re.compile(r"^#!.*\bpython[0-9.]*\b")
_SHELL_SHEBANG = re.compile(r"^#!.*\b(?:ba|z|k|da|fi)?sh\b")

# Statements and expressions that only Python code (not a bare word or a `cmd -flag` that happens to
# parse as an expression) contains.
_PYTHON_STATEMENTS = (
    ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
    ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith,
    ast.Try, ast.Return, ast.Raise, ast.Assert, ast.Delete, ast.Global, ast.Nonlocal, ast.Match,
    ast.Call, ast.Lambda, ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp, ast.Await,
)
if hasattr(ast, "TryStar"):
    _PYTHON_STATEMENTS += (ast.TryStar,)


def _code_lines(code: str) -> list[str]:
    return [line.strip() for line in split_lines(code) if line.strip()]


def _looks_like_sentence(line: str) -> bool:
    words = line.split()
    if len(words) < 4 or not _SENTENCE_END.search(line):
        return False
    wordy = sum(1 for w in words if re.fullmatch(r"[A-Za-z][A-Za-z'’,;()-]*[.!?:]?", w))
    return wordy >= 0.75 * len(words)


def _command_word(line: str) -> str | None:
    """The command a shell line runs (after a `$` prompt, `sudo` and `VAR=value` prefixes), else None."""
    if line.startswith("$ "):
        line = line[2:]
    words = line.split()
    while words and (words[0] in {"sudo", "time", "nohup", "exec", "env", "command"} or _ENV_ASSIGNMENT.match(words[0])):
        if len(words) == 1:
            break
        words = words[1:]
    if not words:
        return None
    word = words[0]
    if word in _SHELL_COMMANDS or word.startswith(("./", "~/", "/usr/", "/bin/", "/opt/", "/sbin/")):
        return word
    return None


def _looks_like_shell(lines: list[str]) -> bool:
    commands = [line for line in lines if not line.startswith("#")]
    if not commands:
        return False
    if sum(1 for line in commands if line.startswith("$ ")) >= max(1, len(commands) // 2):
        return True
    if any(_looks_like_sentence(line) for line in commands):
        return False
    known = sum(1 for line in commands if _command_word(line) is not None)
    return _command_word(commands[0]) is not None and known * 2 >= len(commands)


_PYTHON_LINE = re.compile(
    r"^(?:(?:async\s+)?def\s+\w+\s*\(.*\)\s*(?:->.*)?:"
    r"|class\s+\w+\s*(?:\(.*\))?\s*:"
    r"|from\s+[\w.]+\s+import\s+[\w*(].*"
    r"|import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*"
    r"|if\s+__name__\s*==\s*['\"]__main__['\"]\s*:"
    r"|print\s+['\"].*[^;\s])\s*(?:#.*)?$"  # Python 2's print statement (Perl's ends with `;`)
)


def _parse_python(code: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _looks_like_python(tree: ast.Module, lines: list[str]) -> bool:
    if not any(isinstance(node, _PYTHON_STATEMENTS) for node in ast.walk(tree)):
        return False  # bare words, `ls -la`, numbers, a JSON literal
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and isinstance(
        tree.body[0].value, (ast.Dict, ast.List, ast.Constant)
    ):
        return False  # data
    code_lines = [line for line in lines if not line.startswith("#")]
    semicolons = sum(1 for line in code_lines if line.endswith(";"))
    return semicolons * 2 < len(code_lines)  # `console.log(x);` parses as Python but is JavaScript


def guess_block_language(code: str) -> str | None:
    """'python', 'shell' or None (prose, program output, data, another language) for an untagged block.

    Python when the block parses as Python *and* contains something only code has (an import, a
    definition, an assignment, a call, control flow; a bare `ls -la` also parses, and is shell), or when
    it does not parse but has unmistakable Python lines (`def f(x):`, `from a import b`): leaving the tag
    off broken code must not hide it from the parse-error check.
    """
    lines = _code_lines(code)
    if not lines:
        return None
    if _PYTHON_SHEBANG.match(lines[0]):
        return "python"
    if _SHELL_SHEBANG.match(lines[0]):
        return "shell"
    tree = _parse_python(code)
    if tree is not None and _looks_like_python(tree, lines):
        return "python"
    if _looks_like_shell(lines):
        return "shell"
    if tree is None and any(_PYTHON_LINE.match(line) for line in lines):
        return "python"  # broken Python is still Python: the analysis reports it as a parse error
    return None


# A line that is code by its shape: a statement keyword, an assignment, a call, a decorator or a shebang.
_CODE_LINE = re.compile(
    r"^(?:#!|@[\w.]+|(?:async\s+)?def\s+\w|class\s+\w|import\s+\w|from\s+[\w.]+\s+import\s"
    r"|(?:if|elif|for|while|with|except)\b.*:\s*(?:#.*)?$|(?:else|try|finally)\s*:"
    r"|(?:return|raise|yield|global|nonlocal|del|assert|pass|break|continue)\b"
    r"|[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_]\w*)*\s*(?:[-+*/%|&^]|//|\*\*)?=(?!=)\s*\S"
    r"|[A-Za-z_][\w.]*\(.*\)\s*;?\s*(?:#.*)?$)"
)


def _code_like(line: str) -> bool:
    stripped = line.strip()
    if not stripped or not (_CODE_LINE.match(stripped) or _command_word(stripped) is not None):
        return False
    return not _looks_like_sentence(stripped)


def unfenced_code(text: str) -> list[CodeBlock]:
    """Runs of code written outside any fence (small models often skip the fences), as untagged blocks.

    A run starts at a line that is code by its shape (a statement, an assignment, a call, a shell command)
    and goes on through indented lines, other code lines and blank lines between them; sentences end it.
    The reward analyzes these runs too, so leaving the fences off cannot hide code from the analyzers.
    """
    lines, blocks = lines_and_blocks(text)
    fenced: set[int] = set()
    for block in blocks:
        first = block.start_line - 1  # the opening fence (1-based: block.start_line - 1)
        last = block.start_line + len(split_lines(block.code)) if block.closed else len(lines)
        fenced.update(range(first, last + 1))
    runs: list[CodeBlock] = []
    current: list[str] = []
    start = 0

    def close() -> None:
        while current and not current[-1].strip():
            current.pop()
        if current:
            runs.append(CodeBlock(language="", code="\n".join(current) + "\n", start_line=start))

    for number, line in enumerate(lines, start=1):
        inside = number in fenced
        continues = bool(current) and not inside and (
            not line.strip() or (line[:1] in " \t" and not _looks_like_sentence(line.strip())) or _code_like(line))
        if continues:
            current.append(line)
        elif not inside and _code_like(line):
            close()
            current, start = [line], number
        else:
            close()
            current = []
    close()
    return runs
