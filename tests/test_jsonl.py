import json

import pytest

from codealign.errors import CodealignError
from codealign.jsonl import AppendLog, read_jsonl, write_jsonl_atomic


def test_append_log_resumes_and_drops_torn_line(tmp_path):
    path = tmp_path / "log.jsonl"
    log = AppendLog(path)
    log.append([{"key": "a", "v": 1}, {"key": "b", "v": 2}])
    with path.open("a") as handle:  # a crash in the middle of a write
        handle.write('{"key": "c", "v"')
    resumed = AppendLog(path)
    assert resumed.keys() == {"a", "b"}
    resumed.append([{"key": "c", "v": 3}])
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == ["a", "b", "c"]


def test_read_jsonl_reports_the_bad_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": 1}\n\nnot json\n')
    with pytest.raises(CodealignError, match=r"x.jsonl:3: not valid JSON"):
        read_jsonl(path)
    path.write_text('{"id": 1}\n{"other": 2}\n')
    with pytest.raises(CodealignError, match=r"x.jsonl:2: missing field\(s\) id"):
        read_jsonl(path, required=["id"])
    with pytest.raises(CodealignError, match="cannot read"):
        read_jsonl(tmp_path / "missing.jsonl")


def test_atomic_write_leaves_no_partial_file(tmp_path):
    path = tmp_path / "out.jsonl"
    write_jsonl_atomic(path, [{"a": 1}])

    def exploding():
        yield {"a": 2}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_jsonl_atomic(path, exploding())
    assert read_jsonl(path) == [{"a": 1}]
    assert list(tmp_path.iterdir()) == [path]
