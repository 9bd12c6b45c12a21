"""The pre-commit hook, for real: `pre-commit try-repo` builds the hook's own virtual environment, pip-installs
codealign into it (not editable: the rule packs must ship as package data) and runs it on a temporary git
repository's files. The hook fails on a dangerous file and passes on a clean one.

The hook repository is a git snapshot of this checkout's package files as they are on disk (tracked and
untracked), so the test checks the working tree, not only what was committed. try-repo installs into a
fresh temporary store on every run (it does not reuse PRE_COMMIT_HOME, which is still pointed at a temporary
folder so nothing lands in ~/.cache): about 10 s a run with pip's cache warm, longer on the first download.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
PACKAGE_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "codealign/", "rules/")

DANGEROUS = 'import shutil\n\nshutil.rmtree("/")\nvalue = eval(input())\n'
CLEAN = 'def greet(name):\n    return f"hello {name}"\n'

OFFLINE_SIGNS = ("Failed to establish a new connection", "Temporary failure in name resolution",
                 "Network is unreachable", "No matching distribution found", "ProxyError")

pytestmark = pytest.mark.skipif(not PRE_COMMIT.exists() or shutil.which("git") is None,
                                reason="pre-commit (test extra) and git are needed")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def test_hook_definition():
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "codealign"
    assert hook["entry"] == "codealign review"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "markdown", "shell"]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """A git snapshot of the package as it is on disk, for try-repo."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=REPO).split("\0")
    for name in listed:
        if name and name.startswith(PACKAGE_FILES) and (REPO / name).is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
    git("init", "-q", cwd=snapshot)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "-m", "snapshot", cwd=snapshot)
    return snapshot


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path) -> Path:
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "danger.py").write_text(DANGEROUS)
    (tmp_path / "clean.py").write_text(CLEAN)
    (tmp_path / "notes.md").write_text("# Notes\n\n```python\nprint('ok')\n```\n")
    git("add", ".", cwd=tmp_path)
    return tmp_path


def try_repo(hook_repo: Path, home: Path, project: Path, *files: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    started = time.perf_counter()
    proc = subprocess.run([str(PRE_COMMIT), "try-repo", str(hook_repo), "codealign", "--files", *files],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)
    print(f"pre-commit try-repo {' '.join(files)}: {time.perf_counter() - started:.1f} s")
    output = proc.stdout + proc.stderr
    if "An unexpected error has occurred" in output and any(sign in output for sign in OFFLINE_SIGNS):
        pytest.skip("pre-commit could not pip-install the hook: PyPI is not reachable")
    return proc


def test_hook_fails_on_dangerous_code_and_passes_on_clean_code(hook_repo, pre_commit_home, project):
    from codealign.checks import registered_rules

    proc = try_repo(hook_repo, pre_commit_home, project, "danger.py", "notes.md")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "codealign review" in output and "Failed" in output
    assert "danger.py:4:9: B307 [medium]" in output  # bandit, in the hook's own environment
    if "CA101" in registered_rules():
        assert "danger.py:3:1: CA101 [high]" in output
    assert "Traceback" not in output

    proc = try_repo(hook_repo, pre_commit_home, project, "clean.py", "notes.md")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Passed" in output and "Failed" not in output
