"""Bandit in-process: values pass through, `# nosec` only counts in review mode, syntax errors are never
clean code, scans never share results, and the insecure-code pack matches bandit's own plugin list."""

import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from codealign.analysis import PARSE_ERROR, Selection, analyze_markdown, analyze_python
from codealign.findings import CATEGORY_INSECURE
from codealign.insecure import bandit_test_names, scan_with_bandit
from codealign.rulebook import load_rule_specs, rule_spec


def rules_of(findings):
    return sorted(f.rule for f in findings)


def scan(source, **options):
    findings, error = scan_with_bandit(source, **options)
    assert error is None, error
    return findings


def one(source, code, **options):
    found = [f for f in scan(source, **options) if f.rule == code]
    assert len(found) == 1, (code, found)
    return found[0]


# --- bandit's values pass through --------------------------------------------------------------------------


def test_bandit_severity_and_confidence_win_over_the_pack_defaults():
    # B602's pack default is high; bandit rates a literal command with shell=True low, a variable one high.
    assert rule_spec("B602").severity == "high"
    literal = one("import subprocess\nsubprocess.call('ls -l', shell=True)\n", "B602")
    variable = one("import subprocess\nsubprocess.call(cmd, shell=True)\n", "B602")
    assert (literal.severity, literal.confidence) == ("low", "high")
    assert (variable.severity, variable.confidence) == ("high", "high")
    # B605: os.popen of a literal is low for bandit, the pack's default is high.
    assert one("import os\nos.popen('ls')\n", "B605").severity == "low"


@pytest.mark.parametrize(
    "source, code, severity, confidence, cwe",
    [
        ("import hashlib\nhashlib.md5(b'x')\n", "B324", "high", "high", 327),
        ("import requests\nrequests.get(url, verify=False, timeout=5)\n", "B501", "high", "high", 295),
        ("import requests\nrequests.get(url)\n", "B113", "medium", "low", 400),
        ("password = 'hunter2'\n", "B105", "low", "medium", 259),
        ("import yaml\nyaml.load(s)\n", "B506", "medium", "high", 20),
        ("x = eval(input())\n", "B307", "medium", "high", 78),
        ("q = 'SELECT * FROM t WHERE id = %s' % uid\n", "B608", "medium", "low", 89),
        ("import random\ntoken = random.random()\n", "B311", "low", "high", 330),
        ("import telnetlib\n", "B401", "high", "high", 319),  # no pack entry of its own
    ],
)
def test_severity_confidence_and_cwe_come_from_bandit(source, code, severity, confidence, cwe):
    finding = one(source, code)
    assert (finding.severity, finding.confidence, finding.cwe) == (severity, confidence, cwe)
    assert finding.category == CATEGORY_INSECURE


def test_pack_adds_principle_critique_suggestion_and_the_bandit_name():
    finding = one("x = eval(input())\n", "B307")
    assert finding.principle == "secure-code"
    assert "ast.literal_eval" in finding.suggestion
    assert "(B307: eval)" in finding.message
    assert one("import subprocess\nsubprocess.call(cmd, shell=True)\n", "B602").message.endswith(
        "(B602: subprocess_popen_with_shell_equals_true)"
    )


def test_ids_without_an_entry_use_the_template():
    finding = one("import telnetlib\n", "B401")
    assert finding.category == CATEGORY_INSECURE and finding.principle == "secure-code"
    assert "(B401: import_telnetlib)" in finding.message
    assert rule_spec("B401").critique == rule_spec("B000").critique


def test_positions_are_one_based_character_columns():
    finding = one("s = 'éé'; value = eval(s)\n", "B307")
    assert (finding.line, finding.column) == (1, 19)
    assert finding.end_column == 26  # `eval(s)` is 7 characters
    # Bandit points at the `shell=True` line; the column is that line's, not the call's.
    finding = one("import subprocess\nsubprocess.call(\n    cmd,\n        shell=True,\n)\n", "B602")
    assert (finding.line, finding.column, finding.end_line) == (4, 9, 5)


# --- `# nosec`: review mode only ---------------------------------------------------------------------------

NOSEC = "import pickle  # nosec\ndata = pickle.loads(blob)  # nosec\nvalue = eval(text)  # nosec B307\nother = eval(t)  # nosec B602\n"


def test_nosec_is_honored_in_review_mode_only():
    review = rules_of(scan(NOSEC, honor_nosec=True))
    reward = rules_of(scan(NOSEC, honor_nosec=False))
    assert review == ["B307"]  # the `# nosec B602` on line 4 does not cover B307
    assert reward == ["B301", "B307", "B307", "B403"]


def test_reward_mode_analysis_still_reports_nosec_lines():
    review = analyze_python(NOSEC, honor_suppressions=True).findings
    reward = analyze_python(NOSEC, honor_suppressions=False).findings
    assert [f.line for f in review if f.rule.startswith("B")] == [4]
    assert [f.line for f in reward if f.rule.startswith("B")] == [1, 2, 3, 4]


def test_reward_mode_markdown_still_reports_nosec_lines():
    response = "```python\nimport os\nos.system(cmd)  # nosec\n```\n"
    review = analyze_markdown(response, selection=Selection(select=("B605",)), honor_suppressions=True)
    reward = analyze_markdown(response, selection=Selection(select=("B605",)), honor_suppressions=False)
    assert review.findings == []
    assert [(f.rule, f.line) for f in reward.findings] == [("B605", 3)]


# --- syntax errors are never clean code ---------------------------------------------------------------------


@pytest.mark.parametrize("source", ["def f(:\n    pass\n", "x = (\n", "print 'hello'\n", "\tif x:\n  y\n"])
def test_syntax_error_is_reported(source):
    findings, error = scan_with_bandit(source)
    assert findings == [] and error and "syntax error" in error
    result = analyze_python(source)
    assert not result.parsed
    assert [f.rule for f in result.findings] == [PARSE_ERROR]


def test_bandit_error_becomes_a_parse_error_finding(monkeypatch):
    """When bandit itself cannot scan what CPython parsed, the analysis must say so, not pass it as clean."""
    import codealign.insecure as insecure

    monkeypatch.setattr(insecure, "scan_with_bandit", lambda *a, **k: ([], "Bandit could not scan the code: boom"))
    findings = analyze_python("x = 1\n").findings
    assert [(f.rule, f.message) for f in findings] == [(PARSE_ERROR, "Bandit could not scan the code: boom")]


@pytest.mark.parametrize(
    "header",
    ["# coding: foobar\n", "# -*- coding: latin-1 -*-\n", "#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"],
)
def test_a_foreign_coding_declaration_does_not_stop_the_scan(header):
    source = header + "s = 'café'; v = eval(s)\n"
    finding = one(source, "B307")
    assert finding.line == header.count("\n") + 1
    assert finding.column == 17


def test_invalid_escape_warnings_do_not_leak(recwarn):
    scan("import re\npattern = re.compile('\\d+')\n")
    assert not [w for w in recwarn if "escape" in str(w.message)]


# --- no accumulation, no side channels ----------------------------------------------------------------------

DIRTY = "import pickle\nimport subprocess\npickle.loads(b)\nsubprocess.call(cmd, shell=True)\n"
CLEAN = "def add(a, b):\n    return a + b\n"


def test_results_never_accumulate_between_scans():
    first = scan(DIRTY)
    assert first
    assert scan(CLEAN) == []
    assert scan(DIRTY) == first
    for _ in range(5):
        assert scan(CLEAN) == []
    assert scan(DIRTY, honor_nosec=False) == first


def test_a_failed_scan_does_not_poison_the_next():
    assert scan_with_bandit("def f(:\n")[1]
    assert scan_with_bandit(CLEAN) == ([], None)
    assert scan_with_bandit(DIRTY)[0] == scan(DIRTY)


def test_concurrent_scans_match_sequential_ones():
    sources = [DIRTY, CLEAN, "x = eval(input())\n", "import os\nos.system(c)\n"] * 6
    sequential = [scan_with_bandit(s) for s in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(scan_with_bandit, sources))
    assert concurrent == sequential


def test_scans_run_in_process_without_temp_files(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("bandit must run in-process, on the string")

    monkeypatch.setattr(subprocess, "Popen", forbidden)
    for name in ("NamedTemporaryFile", "TemporaryFile", "mkstemp", "mkdtemp", "mktemp", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, forbidden)
    assert rules_of(scan(DIRTY)) == ["B301", "B403", "B404", "B602"]


def test_path_is_carried_on_findings():
    (finding,) = [f for f in scan("x = eval(y)\n", path="app/calc.py") if f.rule == "B307"]
    assert finding.path == "app/calc.py"


# --- the pack ----------------------------------------------------------------------------------------------

REQUIRED = (
    "B102", "B105", "B106", "B107", "B108", "B110", "B113", "B201", "B301", "B303", "B304", "B306", "B307",
    "B311", "B324", "B501", "B506", "B602", "B603", "B604", "B605", "B607", "B608", "B701",
)


def _insecure_pack():
    return {code: spec for code, spec in load_rule_specs().items() if spec.pack == "insecure" and code != "B000"}


def test_pack_covers_the_ids_code_assistants_trigger_most():
    assert set(REQUIRED) <= set(_insecure_pack())


@pytest.mark.parametrize("code", sorted(_insecure_pack()))
def test_pack_entry_matches_bandit_and_is_complete(code):
    spec = _insecure_pack()[code]
    assert bandit_test_names().get(code) == spec.name, f"{code}: bandit calls it {bandit_test_names().get(code)}"
    assert spec.category == CATEGORY_INSECURE
    assert spec.principle in {"secure-code", "good-practice"}
    assert len(spec.critique) > 40 and len(spec.suggestion) > 20
    for key in ("message", "critique", "suggestion"):
        zh = spec.localized(key, "zh")
        assert zh != spec.localized(key, "en") and any("\u4e00" <= ch <= "\u9fff" for ch in zh), (code, key)


@pytest.mark.parametrize(
    "code, needle",
    [
        ("B307", "ast.literal_eval"),
        ("B602", "subprocess.run(["),
        ("B608", "cursor.execute("),
        ("B301", "json"),
        ("B506", "yaml.safe_load"),
        ("B105", "os.environ"),
        ("B501", "verify=True"),
        ("B324", "hashlib.sha256"),
        ("B311", "secrets"),
        ("B113", "timeout="),
    ],
)
def test_suggestions_name_the_safer_alternative(code, needle):
    assert needle in rule_spec(code).suggestion


# --- the lean traversal reports exactly what bandit's manager reports ---------------------------------------

NOSEC_SNIPPETS = [
    "import subprocess\nsubprocess.call(cmd, shell=True)  # nosec\n",
    "import subprocess\nsubprocess.call(cmd, shell=True)  # nosec B602\n",
    "import subprocess\nsubprocess.call(cmd, shell=True)  # nosec B101\n",
    "import subprocess\nsubprocess.call(\n    cmd,\n    shell=True,  # nosec\n)\n",
    "import pickle  # nosec: B403\nx = pickle.loads(b)\npassword = 'hunter2'  # nosec\n",
    "assert x  # nosec\nexec(code)\n",
]


def _manager_scan(source: str, honor_nosec: bool):
    """Bandit's own entry point for one file, as its CLI drives it."""
    import io
    import warnings

    from bandit.core import manager

    from codealign.insecure import _as_utf8, _bandit_config

    scanner = manager.BanditManager(_bandit_config(), "file", quiet=True, ignore_nosec=not honor_nosec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scanner._parse_file("<string>", io.BytesIO(_as_utf8(source)), ["<string>"])
    return scanner.results, (scanner.skipped[0][1] if scanner.skipped else None)


def _stdlib_sources():
    import sysconfig
    from pathlib import Path

    root = Path(sysconfig.get_paths()["stdlib"])
    names = ["subprocess.py", "tempfile.py", "pickle.py", "shutil.py", "ssl.py", "http/server.py", "ftplib.py",
             "xml/dom/minidom.py", "random.py", "tarfile.py", "smtplib.py", "logging/config.py"]
    return [(root / name).read_text(encoding="utf-8") for name in names if (root / name).exists()]


@pytest.mark.parametrize("honor_nosec", [True, False])
def test_lean_traversal_matches_the_bandit_manager(honor_nosec):
    from codealign.insecure import _bandit_results

    def key(issue):
        return (issue.test_id, issue.lineno, tuple(issue.linerange), issue.col_offset, issue.end_col_offset,
                str(issue.severity), str(issue.confidence), issue.text)

    sources = _stdlib_sources() + NOSEC_SNIPPETS + [DIRTY, CLEAN, "def f(:\n", "x = eval(input())\n"]
    compared = 0
    for source in sources:
        expected, expected_skip = _manager_scan(source, honor_nosec)
        got, skip = _bandit_results(source, "<string>", honor_nosec)
        assert sorted(map(key, got)) == sorted(map(key, expected))
        assert skip == expected_skip
        compared += len(expected)
    assert compared > 40  # the stdlib modules and snippets give bandit plenty to report
