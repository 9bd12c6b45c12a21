"""Bad input to `codealign review`, through the real CLI: every case gets a finding or a clear per-file
error, never a traceback, never 'clean' for code that could not be checked, and the code never runs."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codealign.cli import main

DANGEROUS = 'import shutil\nshutil.rmtree("/")\n'


def review(capsys, *args: str) -> tuple[int, dict, str]:
    code = main(["review", "--format", "json", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, json.loads(out), err


def cli(*args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 120, **kwargs):
    proc = subprocess.run([sys.executable, "-m", "codealign", *args], cwd=cwd, input=stdin,
                          capture_output=True, timeout=timeout, **kwargs)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


def errors_by_path(data: dict) -> dict[str, str]:
    return {error["path"]: error["message"] for error in data["errors"]}


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- code that does not parse ------------------------------------------------------------------------


def test_syntax_error_is_a_parse_error_finding_never_clean(here, capsys):
    (here / "broken.py").write_text("def f(:\n    return 1\n")
    (here / "answer.md").write_text("Here:\n\n```python\nprint('unclosed\n```\n")
    code, data, _ = review(capsys, "broken.py", "answer.md")
    assert code == 1
    assert [(f["path"], f["rule"], f["line"]) for f in data["findings"]] == [("broken.py", "CA001", 1),
                                                                              ("answer.md", "CA001", 4)]
    assert data["findings"][0]["category"] == "parse-error"
    assert data["errors"] == []


@pytest.mark.parametrize(
    "source",
    [
        "(" * 100000 + ")" * 100000,
        "1+" * 100000 + "1",
        "x = " + "[" * 50000 + "]" * 50000,
        "x = " + "-" * 100000 + "1",
        "x = a" + ".b" * 100000,
        "".join("    " * i + "if x:\n" for i in range(300)) + "    " * 300 + "pass\n",
    ],
    ids=["parens", "binop-chain", "lists", "unary", "attributes", "indentation"],
)
def test_pathological_nesting_is_a_parse_error_not_a_crash(here, source):
    (here / "deep.py").write_bytes(source.encode())
    started = time.perf_counter()
    proc = cli("review", "--format", "json", "deep.py", cwd=here)  # a subprocess: a C stack overflow would show
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [f["rule"] for f in data["findings"]] == ["CA001"]
    assert time.perf_counter() - started < 60


def test_deep_nesting_inside_markdown_and_shell(here):
    (here / "deep.md").write_text("```python\n" + "(" * 100000 + ")" * 100000 + "\n```\n" + ">" * 100000 + "\n")
    (here / "deep.sh").write_text("echo " + "$(" * 20000 + "echo" + ")" * 20000 + "\n" + "{ " * 20000 + "\n")
    proc = cli("review", "--format", "json", "deep.md", "deep.sh", cwd=here)
    data = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert ("deep.md", "CA001") in {(f["path"], f["rule"]) for f in data["findings"]}
    assert data["stats"]["files_reviewed"] == 2


# --- bytes that are not text -----------------------------------------------------------------------------


def test_non_utf8_files_are_errors(here, capsys):
    (here / "latin.py").write_bytes(b"name = 'caf\xe9'\n")
    (here / "latin.md").write_bytes(b"# R\xe9sum\xe9\n")
    (here / "latin.sh").write_bytes(b"echo \xff\n")
    code, data, _ = review(capsys, "latin.py", "latin.md", "latin.sh")
    assert code == 2 and data["findings"] == []
    errors = errors_by_path(data)
    assert errors["latin.py"] == "not valid UTF-8 text (byte 0xe9 at offset 11): not reviewed"
    assert set(errors) == {"latin.py", "latin.md", "latin.sh"}
    assert data["stats"] == data["stats"] | {"files_reviewed": 0, "files_skipped": 3}


def test_declared_source_encodings_and_boms_are_honoured(here, capsys):
    (here / "declared.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport shutil\nshutil.rmtree('/')  # caf\xe9\n")
    (here / "bom.py").write_bytes(b"\xef\xbb\xbfimport shutil\r\nshutil.rmtree('/')\r\n")
    (here / "unknown.py").write_bytes(b"# coding: klingon\nx = 1\n")
    code, data, _ = review(capsys, "declared.py", "bom.py", "unknown.py")
    assert code == 1
    assert [(f["path"], f["rule"], f["line"]) for f in data["findings"]] == [("declared.py", "CA101", 3),
                                                                              ("bom.py", "CA101", 2)]
    assert "unknown.py" in errors_by_path(data) and "klingon" in errors_by_path(data)["unknown.py"]


def test_binary_files_are_errors(here, capsys):
    (here / "blob.py").write_bytes(b"import os\x00\x01\x02\xff" * 10)
    (here / "blob.md").write_bytes(bytes(range(256)))
    code, data, _ = review(capsys, "blob.py", "blob.md")
    assert code == 2 and data["findings"] == []
    assert errors_by_path(data) == {"blob.py": "binary file (contains NUL bytes): not reviewed",
                                    "blob.md": "binary file (contains NUL bytes): not reviewed"}


def test_empty_files_are_fine(here, capsys):
    for name in ("empty.py", "empty.md", "empty.sh"):
        (here / name).write_bytes(b"")
    code, data, _ = review(capsys, ".")
    assert code == 0 and data["findings"] == [] and data["errors"] == []
    assert data["stats"]["files_reviewed"] == 3


def test_files_over_the_size_limit_are_skipped_with_a_message(here, capsys):
    (here / "big.py").write_text(DANGEROUS + 'DATA = """\n' + "0123456789abcde\n" * 75_000 + '"""\n')  # 1.2 MB
    size = (here / "big.py").stat().st_size
    (here / "small.py").write_text(DANGEROUS)
    code, data, _ = review(capsys, "big.py", "small.py")
    assert code == 1  # small.py's finding; big.py is reported as not reviewed
    assert [f["path"] for f in data["findings"]] == ["small.py"]
    assert errors_by_path(data)["big.py"].startswith(f"file is larger than the size limit ({size} > 1048576 bytes)")
    code, data, _ = review(capsys, "--max-file-size", "0", "big.py")
    assert code == 1 and data["findings"][0]["path"] == "big.py" and data["errors"] == []
    code, data, _ = review(capsys, "--max-file-size", "10", "small.py")
    assert code == 2 and data["stats"]["files_reviewed"] == 0


def test_bad_max_file_size_is_a_usage_error(here, capsys):
    assert main(["review", "--max-file-size", "lots", "."]) == 2
    err = capsys.readouterr().err
    assert "--max-file-size must be a size" in err and err.count("\n") == 1


# --- the code is never executed ---------------------------------------------------------------------------


def test_reviewed_code_never_runs(here):
    marker = here / "ran"
    (here / "payload.py").write_text(f"open({str(marker)!r} + '-py', 'w').write('x')\n"
                                     f"import os\nos.system('touch {marker}-system')\n")
    (here / "payload.sh").write_text(f"#!/bin/sh\ntouch {marker}-sh\n")
    (here / "payload.md").write_text(f"```python\nopen({str(marker)!r} + '-md', 'w')\n```\n"
                                     f"```bash\ntouch {marker}-mdsh\n```\n")
    (here / "setup.py").write_text(f"open({str(marker)!r} + '-setup', 'w')\n")
    (here / "conftest.py").write_text(f"open({str(marker)!r} + '-conftest', 'w')\n")
    proc = cli("review", "--jobs", "2", ".", cwd=here)
    assert proc.returncode in (0, 1)
    assert b"5 files reviewed" in proc.stdout
    assert sorted(p.name for p in here.iterdir() if p.name.startswith("ran")) == []


# --- paths that cannot be read -------------------------------------------------------------------------


def test_missing_paths(here, capsys):
    (here / "ok.py").write_text("x = 1\n")
    code, data, _ = review(capsys, "nope.py", "gone/")
    assert code == 2
    assert errors_by_path(data) == {"nope.py": "no such file or folder", "gone": "no such file or folder"}
    code, data, _ = review(capsys, "ok.py", "nope.py")
    assert code == 2 and data["stats"]["files_reviewed"] == 1  # a review that missed a file does not pass
    (here / "bad.py").write_text(DANGEROUS)
    code, data, _ = review(capsys, "bad.py", "nope.py")
    assert code == 1 and len(data["findings"]) == 1 and len(data["errors"]) == 1


def test_symlink_loops_and_broken_links(here, capsys):
    os.symlink("loop.py", here / "loop.py")
    os.symlink("b.py", here / "a.py")
    os.symlink("a.py", here / "b.py")
    os.symlink("missing-target.py", here / "dangling.py")
    tree = here / "tree"
    tree.mkdir()
    (tree / "real.py").write_text(DANGEROUS)
    os.symlink("..", tree / "parent")  # a folder loop: not followed
    os.symlink(".", tree / "self")
    os.symlink("cyc.py", tree / "cyc.py")
    code, data, _ = review(capsys, "loop.py", "a.py", "dangling.py", "tree")
    assert code == 1
    errors = errors_by_path(data)
    assert errors["loop.py"] == "symbolic link loop (too many levels of symbolic links)"
    assert errors["a.py"] == "symbolic link loop (too many levels of symbolic links)"
    assert errors["dangling.py"] == "broken symbolic link"
    assert errors["tree/cyc.py"] == "cannot read: symbolic link loop (too many levels of symbolic links)"
    assert [f["path"] for f in data["findings"]] == ["tree/real.py"]


def test_a_fifo_is_not_read_and_does_not_hang(here):
    os.mkfifo(here / "pipe.py")
    (here / "tree").mkdir()
    os.mkfifo(here / "tree" / "pipe.md")
    (here / "tree" / "ok.py").write_text("x = 1\n")
    proc = cli("review", "--format", "json", "pipe.py", "tree", cwd=here, timeout=60)
    data = json.loads(proc.stdout)
    assert proc.returncode == 2
    errors = errors_by_path(data)
    assert errors["pipe.py"] == "not a regular file (a FIFO, socket or device): not read"
    assert errors["tree/pipe.md"] == "not a regular file (a FIFO, socket or device): not read"
    assert data["stats"]["files_reviewed"] == 1


def test_a_directory_named_like_a_source_file_is_walked(here, capsys):
    (here / "pkg.py").mkdir()
    (here / "pkg.py" / "inner.py").write_text(DANGEROUS)
    code, data, _ = review(capsys, "pkg.py/")
    assert code == 1 and data["findings"][0]["path"] == "pkg.py/inner.py"


def test_a_folder_with_nothing_to_review(here, capsys):
    (here / "assets").mkdir()
    (here / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n")
    (here / "assets" / "notes.txt").write_text("hello\n")
    (here / "empty").mkdir()
    (here / "only_excluded").mkdir()
    (here / "only_excluded" / "gen.py").write_text("x = 1\n")
    code, data, _ = review(capsys, "--exclude", "gen.py", "assets", "empty", "only_excluded")
    assert code == 2 and data["stats"]["files_reviewed"] == 0
    errors = errors_by_path(data)
    assert errors["assets"] == "no Python, Markdown or shell files to review in this folder"
    assert errors["empty"] == "no Python, Markdown or shell files to review in this folder"
    assert "only_excluded" not in errors  # what the config excludes is skipped, not an error


def test_excluded_folder_and_excluded_file_are_skipped_alike(here, capsys):
    (here / "build").mkdir()
    (here / "build" / "gen.py").write_text(DANGEROUS)
    (here / "gen.py").write_text(DANGEROUS)
    for target in ("build", "gen.py", "build/gen.py"):
        code, data, _ = review(capsys, "--exclude", "gen.py", target)
        assert (code, data["stats"]["files_reviewed"], data["findings"]) == (0, 0, []), target


def _drop_file_access_override() -> None:
    """Run as root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so that file modes apply to it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: takes effect at exec
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.fixture
def unprivileged(tmp_path):
    """subprocess keyword arguments under which chmod 000 really makes a file unreadable (tests run as root
    here: root keeps reading 000 files unless it gives up the capability that lets it)."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    kwargs = {} if os.geteuid() != 0 else {"preexec_fn": _drop_file_access_override}
    check = [sys.executable, "-c", f"open({str(probe)!r}).read()"]
    try:
        readable = subprocess.run(check, capture_output=True, timeout=60, **kwargs).returncode == 0
    except (OSError, subprocess.SubprocessError):
        readable = True
    probe.chmod(0o600)
    probe.unlink()
    if readable:
        pytest.skip("cannot make a file unreadable for this user (root without a way to drop CAP_DAC_OVERRIDE)")
    return kwargs


def test_unreadable_files_and_folders(tmp_path, unprivileged):
    (tmp_path / "secret.py").write_text(DANGEROUS)
    (tmp_path / "secret.py").chmod(0)
    locked = tmp_path / "tree" / "locked"
    locked.mkdir(parents=True)
    (locked / "hidden.py").write_text(DANGEROUS)
    (tmp_path / "tree" / "ok.py").write_text("x = 1\n")
    locked.chmod(0)
    try:
        proc = cli("review", "--format", "json", "secret.py", "tree", cwd=tmp_path, **unprivileged)
    finally:
        locked.chmod(0o755)
        (tmp_path / "secret.py").chmod(0o644)
    data = json.loads(proc.stdout)
    assert proc.returncode == 2, proc.stderr
    errors = errors_by_path(data)
    assert errors["secret.py"] == "cannot read: permission denied"
    assert errors["tree/locked"] == "cannot list folder: permission denied"
    assert data["stats"]["files_reviewed"] == 1 and data["findings"] == []


# --- stdin --------------------------------------------------------------------------------------------------


def test_bad_stdin(tmp_path):
    proc = cli("review", "--format", "json", "-", cwd=tmp_path, stdin=b"\x00\x01\x02")
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["errors"] == [{"path": "<stdin>",
                                                  "message": "binary file (contains NUL bytes): not reviewed"}]
    proc = cli("review", "-", cwd=tmp_path, stdin=b"caf\xe9")
    assert proc.returncode == 2 and b"<stdin>: error: not valid UTF-8 text" in proc.stderr
    proc = cli("review", "-", cwd=tmp_path, stdin=b"")
    assert proc.returncode == 0
    proc = cli("review", "--format", "json", "-", cwd=tmp_path, stdin=("(" * 100000 + ")" * 100000).encode())
    assert proc.returncode in (0, 1)  # not Python (does not parse) and not fenced: prose


def test_text_report_puts_errors_on_stderr(here, capsys):
    (here / "blob.py").write_bytes(b"\x00")
    assert main(["review", "blob.py", "nope.py"]) == 2
    out, err = capsys.readouterr()
    assert err == ("nope.py: error: no such file or folder\n"
                   "blob.py: error: binary file (contains NUL bytes): not reviewed\n")
    assert out == "No findings: 0 files reviewed, 2 could not be reviewed (see the errors).\n"


# --- arbitrary bytes ---------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.sampled_from(["(", ")", "[", "]", "def", " ", ":", "\n", "    ", "'", '"""', "\\", "\r",
                                  "```", "python", "rm -rf /", "$(", "`", "#", "\x0c", "\u2028", "lambda"]),
                 max_size=200).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    ),
    suffix=st.sampled_from([".py", ".md", ".sh"]),
)
def test_arbitrary_bytes_never_crash(here, capsys, data, suffix):
    path = here / f"fuzz{suffix}"
    path.write_bytes(data)
    code, report, _ = review(capsys, path.name)
    assert code in (0, 1, 2)
    assert len(report["errors"]) + report["stats"]["files_reviewed"] == 1
    if code == 2:
        assert report["errors"] and not report["findings"]
