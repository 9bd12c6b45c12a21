"""JSONL files that survive crashes: append-only logs for resumable jobs and atomic rewrites for outputs."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from .errors import CodealignError


def read_jsonl(path: str | Path, *, required: Iterable[str] = ()) -> list[dict]:
    """Read a JSONL file; a malformed line or a missing field is a one-line error naming the line."""
    path = Path(path)
    required = tuple(required)
    records = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise CodealignError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CodealignError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise CodealignError(f"{path}:{number}: expected a JSON object")
            missing = [key for key in required if key not in record]
            if missing:
                raise CodealignError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
            records.append(record)
    return records


def write_jsonl_atomic(path: str | Path, records: Iterable[dict]) -> int:
    """Write all records to a temp file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


class AppendLog:
    """An append-only JSONL log of finished work units, for jobs that must resume after a crash.

    Each `append` is flushed and fsynced, so a unit is either fully recorded or not at all; a torn last
    line (killed mid-write) is dropped on open. Units are identified by `key_field`; resuming skips them.
    """

    def __init__(self, path: str | Path, key_field: str = "key") -> None:
        self.path = Path(path)
        self.key_field = key_field
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.records: list[dict] = []
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        good_end = 0
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn write
            try:
                self.records.append(json.loads(line))
            except json.JSONDecodeError:
                break
            good_end += len(line)
        if good_end != len(raw):
            with self.path.open("r+b") as handle:
                handle.truncate(good_end)

    def keys(self) -> set:
        return {record[self.key_field] for record in self.records}

    def append(self, records: Iterable[dict]) -> None:
        records = list(records)
        with self.path.open("a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.records.extend(records)

    def __iter__(self) -> Iterator[dict]:
        return iter(self.records)
