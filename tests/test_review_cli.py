"""`codealign review` and `codealign rules` through the real CLI: formats, flags, config, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from codealign.cli import main
from codealign.findings import CATEGORIES, SEVERITIES
from codealign.rulebook import rule_spec


DANGEROUS = 'import shutil\nshutil.rmtree("/")\n'
EVAL = "def run(text):\n    return eval(text)\n"
CLEAN = "def add(a, b):\n    return a + b\n"
GLOBAL = "counter = 0\n\ndef bump():\n    global counter\n    counter += 1\n"
LOW_ONLY = "def check(x):\n    assert x\n"  # B101, low severity
FINDING_KEYS = [
    "rule", "category", "severity", "confidence", "cwe", "message", "principle", "suggestion",
    "path", "line", "column", "end_line", "end_column",
]
LINE_RE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) \[(?P<sev>low|medium|high)\] .+$")


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def review(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args])
    out, err = capsys.readouterr()
    return code, out, err


def review_json(capsys, *args: str) -> tuple[int, dict]:
    code, out, err = review(capsys, "--format", "json", *args)
    assert "Traceback" not in err
    return code, json.loads(out)


def cli(*args: str, cwd: Path, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codealign", *args], cwd=cwd, input=stdin, capture_output=True,
        env={**os.environ, **(env or {})}, timeout=120,
    )


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- text -------------------------------------------------------------------------------------------


def test_text_report_lines_suggestions_summary_and_exit_1(project, capsys):
    write(project, "danger.py", DANGEROUS)
    write(project, "ev.py", EVAL)
    write(project, "ok.py", CLEAN)
    code, out, err = review(capsys, ".")
    assert code == 1
    assert err == ""
    lines = out.splitlines()
    finding_lines = [line for line in lines if LINE_RE.match(line)]
    assert [LINE_RE.match(line)["code"] for line in finding_lines] == ["CA101", "B307"]
    danger = LINE_RE.match(finding_lines[0])
    assert (danger["path"], danger["line"], danger["col"], danger["sev"]) == ("danger.py", "2", "1", "high")
    # every finding line is followed by its suggestion, indented
    assert lines[lines.index(finding_lines[0]) + 1].startswith("    suggestion: ")
    assert lines[-1].startswith("Found 2 findings (1 high, 1 medium) in 2 files; 3 files reviewed")
    assert "\033[" not in out  # not a terminal: no colour


def test_clean_tree_exits_0_with_summary(project, capsys):
    write(project, "ok.py", CLEAN)
    write(project, "notes.md", "# Notes\n\n```python\nprint('hi')\n```\n")
    write(project, "run.sh", "#!/bin/sh\necho hello\n")
    code, out, _ = review(capsys)  # no PATH: the working directory
    assert code == 0
    assert out == "No findings: 3 files reviewed.\n"


def test_markdown_and_shell_findings_point_at_their_own_lines(project, capsys):
    write(project, "answer.md", "Here you go:\n\n```python\nimport shutil\nshutil.rmtree('/')\n```\n")
    write(project, "wipe.sh", "#!/bin/bash\nset -e\nrm -rf /\n")
    code, data = review_json(capsys, "answer.md", "wipe.sh")
    assert code == 1
    where = {(f["path"], f["rule"]): f["line"] for f in data["findings"]}
    assert where[("answer.md", "CA101")] == 5
    assert where[("wipe.sh", "CA102")] == 3


def test_color_only_on_a_terminal_and_never_with_no_color(tmp_path):
    import pty

    write(tmp_path, "danger.py", DANGEROUS)

    def run_on_tty(env: dict) -> str:
        master, slave = pty.openpty()
        try:
            proc = subprocess.run([sys.executable, "-m", "codealign", "review", "danger.py"], cwd=tmp_path,
                                  stdout=slave, stderr=subprocess.PIPE, env=env, timeout=120)
            assert proc.returncode == 1
            os.close(slave)
            slave = None
            chunks = []
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side is closed
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks).decode()
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | {"TERM": "xterm"}
    coloured = run_on_tty(env)
    assert "\033[1;31mCA101 [high]\033[0m" in coloured
    plain = run_on_tty(env | {"NO_COLOR": "1"})
    assert "\033[" not in plain and "CA101 [high]" in plain


def test_color_flag_forces_colour(project, capsys):
    write(project, "danger.py", DANGEROUS)
    _, out, _ = review(capsys, "--color", "always", "danger.py")
    assert "\033[1;31m" in out
    _, out, _ = review(capsys, "--color", "never", "danger.py")
    assert "\033[" not in out


# --- JSON -------------------------------------------------------------------------------------------


def test_json_shape(project, capsys):
    write(project, "danger.py", DANGEROUS)
    write(project, "ev.py", EVAL)
    write(project, "ok.py", CLEAN)
    code, data = review_json(capsys, ".", "missing.py")
    assert code == 1
    assert set(data) == {"version", "findings", "errors", "stats"}
    from codealign import __version__

    assert data["version"] == __version__
    for finding in data["findings"]:
        assert list(finding) == FINDING_KEYS
        assert finding["severity"] in SEVERITIES and finding["category"] in CATEGORIES
        assert isinstance(finding["line"], int) and finding["line"] >= 1 and finding["column"] >= 1
    ca101 = next(f for f in data["findings"] if f["rule"] == "CA101")
    spec = rule_spec("CA101")  # the pack is the source of truth for the rule's metadata
    assert ca101 | {"message": None, "suggestion": None} == {
        "rule": "CA101", "category": "destructive-operation", "severity": "high", "confidence": spec.confidence,
        "cwe": spec.cwe, "message": None, "principle": spec.principle, "suggestion": None, "path": "danger.py",
        "line": 2, "column": 1, "end_line": 2, "end_column": 19,
    }
    assert ca101["suggestion"] == spec.suggestion
    assert "filesystem root" in ca101["message"]
    assert data["errors"] == [{"path": "missing.py", "message": "no such file or folder"}]
    stats = data["stats"]
    assert set(stats) == {"files_reviewed", "files_skipped", "findings", "by_severity", "by_category",
                          "severity_threshold", "seconds"}
    assert (stats["files_reviewed"], stats["files_skipped"], stats["findings"]) == (3, 1, 2)
    assert stats["by_severity"] == {"high": 1, "medium": 1, "low": 0}
    assert stats["by_category"] == {"destructive-operation": 1, "insecure-code": 1}
    assert isinstance(stats["seconds"], float)


def test_output_file(project, capsys):
    write(project, "danger.py", DANGEROUS)
    code, out, _ = review(capsys, "--format", "json", "--output", "report.json", "danger.py")
    assert code == 1 and out == ""
    assert json.loads((project / "report.json").read_text())["findings"][0]["rule"] == "CA101"


# --- selection, severity, exclusion ---------------------------------------------------------------------


def test_select_and_ignore_take_prefixes_and_comma_lists(project, capsys):
    write(project, "mixed.py", DANGEROUS + EVAL + LOW_ONLY)
    _, data = review_json(capsys, "mixed.py")
    assert {f["rule"] for f in data["findings"]} == {"CA101", "B307", "B101"}
    _, data = review_json(capsys, "--select", "CA1", "mixed.py")
    assert {f["rule"] for f in data["findings"]} == {"CA101"}
    _, data = review_json(capsys, "--select", "ca101,B3", "mixed.py")
    assert {f["rule"] for f in data["findings"]} == {"CA101", "B307"}
    _, data = review_json(capsys, "--ignore", "B", "mixed.py")
    assert {f["rule"] for f in data["findings"]} == {"CA101"}
    _, data = review_json(capsys, "--ignore", "B101", "--ignore", "CA", "mixed.py")
    assert {f["rule"] for f in data["findings"]} == {"B307"}


def test_parse_errors_survive_select_and_go_only_with_ignore(project, capsys):
    write(project, "broken.py", "import shutil\nshutil.rmtree('/'\n")
    code, data = review_json(capsys, "--select", "CA1", "broken.py")
    assert code == 1 and [f["rule"] for f in data["findings"]] == ["CA001"]
    code, data = review_json(capsys, "--ignore", "CA001", "broken.py")
    assert code == 0 and data["findings"] == []


def test_unknown_selector_is_a_one_line_usage_error(project, capsys):
    write(project, "ok.py", CLEAN)
    code, out, err = review(capsys, "--select", "CA9", "ok.py")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no rule code starts with 'CA9'" in err


@pytest.mark.parametrize("selector", ["CA3", "CA301"])
def test_selecting_only_response_rules_is_a_one_line_usage_error(project, capsys, selector):
    write(project, "ok.py", CLEAN)
    code, out, err = review(capsys, "--select", selector, "ok.py")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "names only response rules" in err
    code, out, err = review(capsys, "--select", "CA", "ok.py")  # CA0-CA2 are code rules: fine
    assert code == 0


def test_severity_threshold_hides_lower_findings_and_sets_the_exit_code(project, capsys):
    write(project, "low.py", LOW_ONLY)
    write(project, "danger.py", DANGEROUS + LOW_ONLY)
    code, data = review_json(capsys, "low.py")
    assert code == 1 and [f["rule"] for f in data["findings"]] == ["B101"]
    code, data = review_json(capsys, "--severity", "medium", "low.py")
    assert code == 0 and data["findings"] == [] and data["stats"]["severity_threshold"] == "medium"
    code, data = review_json(capsys, "--severity", "high", "danger.py")
    assert code == 1 and [f["rule"] for f in data["findings"]] == ["CA101"]
    code, out, _ = review(capsys, "--severity", "high", "low.py")
    assert out == "No findings at or above high severity: 1 file reviewed.\n"


def test_default_skipped_folders_and_exclude_globs(project, capsys):
    for folder in (".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", "pkg.egg-info",
                   "custom-env"):
        write(project, f"{folder}/bad.py", DANGEROUS)
    write(project, "custom-env/pyvenv.cfg", "home = /usr/bin\n")  # a virtual environment by another name
    write(project, "src/app.py", EVAL)
    write(project, "src/gen/generated.py", DANGEROUS)
    write(project, "tests/fixture_bad.py", DANGEROUS)
    write(project, "README.txt", "not reviewed")
    _, data = review_json(capsys, ".")
    assert sorted({f["path"] for f in data["findings"]}) == ["src/app.py", "src/gen/generated.py",
                                                             "tests/fixture_bad.py"]
    _, data = review_json(capsys, "--exclude", "src/gen", "--exclude", "fixture_*.py", ".")
    assert [f["path"] for f in data["findings"]] == ["src/app.py"]
    _, data = review_json(capsys, "--exclude", "**/gen/*", ".")
    assert "src/gen/generated.py" not in {f["path"] for f in data["findings"]}
    # an explicitly named file is excluded too (pre-commit passes files one by one)
    code, data = review_json(capsys, "--exclude", "tests", "tests/fixture_bad.py", "src/app.py")
    assert [f["path"] for f in data["findings"]] == ["src/app.py"] and data["stats"]["files_reviewed"] == 1


def test_explicit_build_folder_is_reviewed(project, capsys):
    write(project, "build/script.py", DANGEROUS)
    code, data = review_json(capsys, "build")
    assert code == 1 and data["findings"][0]["path"] == "build/script.py"


def test_suppression_comments_count_in_review_mode(project, capsys):
    write(project, "sup.py", textwrap.dedent("""\
        import shutil
        shutil.rmtree("/")  # codealign: ignore[CA101]
        eval(input())  # nosec
        eval(input())  # codealign: ignore[CA101]
        shutil.rmtree("/")  # codealign: ignore
    """))
    _, data = review_json(capsys, "sup.py")
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("B307", 4)]


def test_shebang_scripts_without_suffix_are_reviewed_when_named(project, capsys):
    write(project, "cleanup", "#!/usr/bin/env bash\nrm -rf --no-preserve-root /\n")
    write(project, "tool", "#!/usr/bin/env python3\nimport shutil\nshutil.rmtree('/')\n")
    write(project, "data.txt", "just text\n")
    code, data = review_json(capsys, "cleanup", "tool", "data.txt")
    assert code == 1
    assert [(f["path"], f["rule"]) for f in data["findings"]] == [("cleanup", "CA102"), ("tool", "CA101")]
    assert data["errors"] == [{"path": "data.txt",
                               "message": "not a Python, Markdown or shell file (by name or shebang): not reviewed"}]


# --- parallel jobs ----------------------------------------------------------------------------------


def test_jobs_give_identical_results_in_the_same_order(project, capsys):
    bodies = [DANGEROUS, EVAL, CLEAN, GLOBAL, LOW_ONLY, "def f(:\n", "rm -rf ~\n"]
    for index in range(40):
        body = bodies[index % len(bodies)]
        suffix = ".sh" if body.startswith("rm") else ".py"
        write(project, f"pkg{index % 3}/mod_{index:02d}{suffix}", body)
    write(project, "pkg0/answer.md", "```python\n" + DANGEROUS + "```\n")
    outputs = []
    for jobs in ("1", "2", "3", "0"):
        code, data = review_json(capsys, "--jobs", jobs, ".", "nope.py")
        data["stats"].pop("seconds")
        outputs.append((code, data))
    assert outputs[0][0] == 1 and len(outputs[0][1]["findings"]) > 30
    assert all(output == outputs[0] for output in outputs[1:])


def test_negative_jobs_is_a_usage_error(project, capsys):
    code, _, err = review(capsys, "--jobs", "-1", ".")
    assert code == 2 and "--jobs" in err


# --- configuration ------------------------------------------------------------------------------------


def test_config_from_the_nearest_pyproject_walking_up(project, monkeypatch, capsys):
    write(project, "pyproject.toml", textwrap.dedent("""\
        [project]
        name = "demo"

        [tool.codealign]
        ignore = ["B101"]
        exclude = ["vendor"]
        per-file-ignores = { "tests/*" = ["CA1"], "scripts/**" = "B3" }
    """))
    write(project, "src/app.py", LOW_ONLY + EVAL)
    write(project, "vendor/lib.py", DANGEROUS)
    write(project, "tests/test_x.py", DANGEROUS + EVAL)
    write(project, "scripts/deep/run.py", EVAL + DANGEROUS)
    monkeypatch.chdir(project / "src")  # the config is found from a subfolder; its globs stay anchored
    code, data = review_json(capsys, "..")
    got = sorted((f["path"], f["rule"]) for f in data["findings"])
    outside = project.resolve().as_posix()  # outside the working directory: absolute paths
    assert got == [
        (f"{outside}/scripts/deep/run.py", "CA101"),
        (f"{outside}/tests/test_x.py", "B307"),
        ("app.py", "B307"),
    ]
    # flags override the file
    _, data = review_json(capsys, "--ignore", "B307", "app.py")
    assert [f["rule"] for f in data["findings"]] == ["B101"]
    _, data = review_json(capsys, "--no-config", "../vendor")
    assert [f["rule"] for f in data["findings"]] == ["CA101"]


def test_config_select_and_severity(project, capsys):
    write(project, "pyproject.toml", '[tool.codealign]\nselect = "CA,B1"\nseverity = "medium"\n')
    write(project, "a.py", DANGEROUS + EVAL + LOW_ONLY)
    _, data = review_json(capsys, "a.py")
    assert [f["rule"] for f in data["findings"]] == ["CA101"]
    _, data = review_json(capsys, "--severity", "low", "a.py")
    assert [f["rule"] for f in data["findings"]] == ["CA101", "B101"]


def test_config_max_file_size(project, capsys):
    write(project, "pyproject.toml", '[tool.codealign]\nmax-file-size = "1KiB"\n')
    write(project, "big.py", "x = 1\n" * 400)
    code, data = review_json(capsys, "big.py")
    assert code == 2 and "size limit (2400 > 1024 bytes)" in data["errors"][0]["message"]
    code, data = review_json(capsys, "--max-file-size", "1MiB", "big.py")
    assert code == 0 and data["stats"]["files_reviewed"] == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selct = ["CA1"]', "unknown key 'selct'"),
        ('severity = "critical"', "severity must be one of low, medium, high"),
        ("select = 3", "select must be a list of rule codes"),
        ('per-file-ignores = ["x"]', "per-file-ignores must be a table"),
        ('ignore = ["ZZ"]', "no rule code starts with 'ZZ'"),
        ('max-file-size = "huge"', "max-file-size must be a size"),
        ("exclude = [1]", "exclude must be a list of glob patterns"),
    ],
)
def test_bad_config_is_a_clear_one_line_error(project, capsys, table, message):
    write(project, "pyproject.toml", f"[tool.codealign]\n{table}\n")
    write(project, "ok.py", CLEAN)
    code, out, err = review(capsys, "ok.py")
    assert code == 2 and out == ""
    assert err.startswith("codealign: error: ") and err.count("\n") == 1
    assert message in err


def test_invalid_toml_is_a_one_line_error(project, capsys):
    write(project, "pyproject.toml", "[tool.codealign\nselect = 1\n")
    code, _, err = review(capsys, "--config", "pyproject.toml", ".")
    assert code == 2 and "invalid TOML" in err and err.count("\n") == 1


# --- stdin --------------------------------------------------------------------------------------------


def test_stdin_markdown_response_python_and_prose(tmp_path):
    response = "Sure! This frees space:\n\n```python\nimport shutil\nshutil.rmtree('/')\n```\n"
    proc = cli("review", "--format", "json", "-", cwd=tmp_path, stdin=response.encode())
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [(f["path"], f["rule"], f["line"]) for f in data["findings"]] == [("<stdin>", "CA101", 5)]

    proc = cli("review", "--format", "json", "-", cwd=tmp_path, stdin=EVAL.encode())
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"][0]["rule"] == "B307"

    prose = "You could delete everything with rm -rf / but please do not.\n"
    proc = cli("review", "-", cwd=tmp_path, stdin=prose.encode())
    assert proc.returncode == 0 and proc.stdout.decode().startswith("No findings: 1 file reviewed.")

    proc = cli("review", "--format", "json", "--stdin-filename", "cleanup.sh", "-", cwd=tmp_path,
               stdin=b"rm -rf /\n")
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data["findings"][0]["path"] == "cleanup.sh"
    assert data["findings"][0]["rule"] == "CA102"

    # Without a filename, a bare script is recognised as one: a shell script, broken Python with `def` lines.
    proc = cli("review", "--format", "json", "-", cwd=tmp_path, stdin=b"cd /tmp\nrm -rf ~\n")
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"][0]["rule"] == "CA102"
    proc = cli("review", "--format", "json", "-", cwd=tmp_path, stdin=b"import os\ndef f(:\n    return 1\n")
    assert proc.returncode == 1 and json.loads(proc.stdout)["findings"][0]["rule"] == "CA001"


def test_stdin_filename_needs_stdin(project, capsys):
    code, _, err = review(capsys, "--stdin-filename", "x.py", ".")
    assert code == 2 and "--stdin-filename" in err


# --- rules ----------------------------------------------------------------------------------------------


def test_rules_lists_every_rule(project, capsys):
    from codealign.checks import registered_rules
    from codealign.rulebook import load_rule_specs

    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.splitlines()[1:] if line and not line.startswith(("CODE", " "))
              and re.match(r"^[A-Z]+\d+\s", line)]
    expected = sorted(code for code in load_rule_specs() if code != "B000")
    assert listed == expected
    assert set(registered_rules()) <= set(listed) and {"CA001", "B602", "B307"} <= set(listed)
    header = out.splitlines()[0].split()
    assert header == ["CODE", "NAME", "CATEGORY", "SEVERITY", "PRINCIPLE", "MESSAGE"]

    assert main(["rules", "--format", "json"]) == 0
    rules = json.loads(capsys.readouterr().out)
    assert [r["code"] for r in rules] == expected
    assert set(rules[0]) == {"code", "name", "category", "severity", "confidence", "cwe", "principle", "message"}


def test_rules_code_shows_docs(project, capsys):
    from codealign.checks import registered_rules

    for code in list(registered_rules())[:3]:
        assert main(["rules", code.lower()]) == 0
        doc = capsys.readouterr().out
        assert doc.startswith(f"# {code}: ")
        assert "## What it does" in doc and "## Why is this bad?" in doc and "## Use instead" in doc
    assert main(["rules", "B602"]) == 0
    doc = capsys.readouterr().out
    assert "subprocess_popen_with_shell_equals_true" in doc and "bandit.readthedocs.io" in doc
    assert main(["rules", "--format", "json", "CA001"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["code"] == "CA001" and entry["category"] == "parse-error" and "# CA001" in entry["docs"]


def test_rules_prefix_and_unknown(project, capsys):
    assert main(["rules", "CA1"]) == 0
    out = capsys.readouterr().out
    assert "CA101" in out and "B602" not in out and "CA001" not in out
    assert main(["rules", "XY9"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule 'XY9'" in err and err.count("\n") == 1


def test_rules_bandit_id_without_pack_entry(project, capsys):
    from codealign.insecure import bandit_test_names
    from codealign.rulebook import load_rule_specs

    missing = sorted(set(bandit_test_names()) - set(load_rule_specs()))
    if not missing:
        pytest.skip("the insecure pack covers every bandit id")
    assert main(["rules", missing[0]]) == 0
    assert bandit_test_names()[missing[0]] in capsys.readouterr().out


# --- start-up ------------------------------------------------------------------------------------------


def test_review_imports_neither_torch_nor_transformers(tmp_path):
    write(tmp_path, "one.py", EVAL)
    probe = (
        "import sys\n"
        "from codealign.cli import main\n"
        "code = main(['review', '--format', 'json', 'one.py'])\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'trl', 'datasets', 'peft') if m in sys.modules)\n"
        "print('HEAVY', heavy, code, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "HEAVY [] 1" in proc.stderr, proc.stderr


def test_review_one_file_start_up_time(tmp_path):
    """Wall time of `codealign review one_file.py` in a fresh process (the pre-commit hook's cost).
    The target is 0.5 s; the bound here is loose because the test machine is shared."""
    write(tmp_path, "one.py", EVAL)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        proc = cli("review", "one.py", cwd=tmp_path)
        best = min(best, time.perf_counter() - started)
        assert proc.returncode == 1
    print(f"codealign review one.py: best of 3 {best:.3f} s")
    assert best < 2.0
