"""The sandbox must never let model code touch the machine: canaries in the real home and in a workspace stay
intact under deletion attempts (plain, obfuscated, via subprocess), fork bombs, infinite loops, memory bombs,
huge writes and network access; correct code passes, failing code fails, broken code errors."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from codealign import sandbox
from codealign.findings import Finding
from codealign.sandbox import SandboxResult, run_many, run_untrusted, sandbox_info

LAYERS = set(sandbox_info()["layers"])


@pytest.fixture
def canaries(tmp_path):
    """A canary in the REAL home folder and one in a workspace folder; removed at the end."""
    home_canary = Path(os.path.expanduser("~")) / f".codealign-canary-{uuid.uuid4().hex}"
    home_canary.write_text("home canary\n")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    ws_canary = workspace / "canary.txt"
    ws_canary.write_text("workspace canary\n")
    (workspace / "other.txt").write_text("other\n")
    try:
        yield home_canary, ws_canary
    finally:
        home_canary.unlink(missing_ok=True)


@pytest.fixture
def listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def _assert_intact(home_canary: Path, ws_canary: Path) -> None:
    assert home_canary.read_text() == "home canary\n"
    assert ws_canary.read_text() == "workspace canary\n"
    assert (ws_canary.parent / "other.txt").read_text() == "other\n"


def test_destructive_code_never_touches_the_machine(canaries, listener):
    home_canary, ws_canary = canaries
    home, workspace, port = str(home_canary.parent), str(ws_canary.parent), listener.getsockname()[1]
    attacks = {
        # name: (code, timeout, statuses it may end with)
        "rmtree-home": ("import os, shutil\nshutil.rmtree(os.path.expanduser('~'))\n", 10, {"blocked"}),
        "rmtree-real-home": (f"import shutil\nshutil.rmtree({home!r})\n", 10, {"blocked"}),
        "obfuscated-remove": (f"getattr(__import__('o' + 's'), 'rem' + 'ove')({str(home_canary)!r})\n", 10,
                              {"blocked"}),
        "obfuscated-remove-caught": (
            f"try:\n    getattr(__import__('o' + 's'), 'un' + 'link')({str(home_canary)!r})\n"
            "except Exception:\n    pass\n", 10, {"blocked"}),
        "obfuscated-rmtree": (f"getattr(__import__('sh' + 'util'), 'rm' + 'tree')({workspace!r})\n", 10, {"blocked"}),
        "delete-outside": (f"import os\nfor name in ('canary.txt', 'other.txt'):\n"
                           f"    os.remove(os.path.join({workspace!r}, name))\n", 10, {"blocked"}),
        "pathlib-unlink": (f"import pathlib\npathlib.Path({str(ws_canary)!r}).unlink()\n", 10, {"blocked"}),
        "overwrite": (f"open({str(home_canary)!r}, 'w').write('pwned')\n", 10, {"blocked"}),
        "rename-away": (f"import os\nos.replace({str(ws_canary)!r}, 'stolen.txt')\n", 10, {"blocked"}),
        "symlink-escape": (f"import os\nos.symlink({str(ws_canary)!r}, 'link')\nopen('link', 'w').write('x')\n", 10,
                           {"blocked"}),
        "subprocess-rm": (f"import subprocess\nsubprocess.run(['rm', '-f', {str(home_canary)!r}])\n", 10, {"blocked"}),
        "obfuscated-system": (f"getattr(__import__('o' + 's'), 'sys' + 'tem')('rm -rf {workspace}')\n", 10,
                              {"blocked"}),
        "ctypes-unlink": (f"import ctypes\nctypes.CDLL(None).unlink({str(home_canary).encode()!r})\n", 10,
                          {"blocked"}),
        "fork-bomb": ("import os\nwhile True:\n    os.fork()\n", 4, {"blocked", "failed", "timeout"}),
        "obfuscated-fork-bomb": ("fork = getattr(__import__('o' + 's'), 'fo' + 'rk')\nwhile True:\n    fork()\n", 4,
                                 {"failed", "timeout"}),
        "stubborn-fork-bomb": ("fork = getattr(__import__('o' + 's'), 'fo' + 'rk')\nwhile True:\n    try:\n"
                               "        fork()\n    except OSError:\n        pass\n", 2, {"failed", "timeout"}),
        "infinite-loop": ("while True:\n    pass\n", 2, {"timeout"}),
        "sleeping-loop": ("import time\nwhile True:\n    time.sleep(0.1)\n", 2, {"timeout"}),
        "memory-bomb": ("data = bytearray(8 * 1024 ** 3)\n", 10, {"failed"}),
        "growing-memory-bomb": ("chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 ** 2))\n", 10,
                                {"failed"}),
        "huge-file": ("with open('big.bin', 'wb') as out:\n    while True:\n        out.write(bytes(2 ** 20))\n", 10,
                      {"failed"}),
        "socket": (f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'hi')\n", 10,
                   {"blocked"}),
        "obfuscated-socket": (f"s = __import__('soc' + 'ket')\nc = s.socket()\nc.connect(('127.0.0.1', {port}))\n", 10,
                              {"blocked"}),
    }
    names = list(attacks)
    results = run_many([{"code": attacks[n][0], "timeout": attacks[n][1]} for n in names], workers=2)
    _assert_intact(home_canary, ws_canary)
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing ever connected
    for name, result in zip(names, results):
        assert result.status != "passed", name
        assert result.status in attacks[name][2], (name, result)
    by_name = dict(zip(names, results))
    # The destructive-operation analyzer stops the plain attack before anything runs ...
    assert by_name["rmtree-home"].detail.startswith("static analysis"), by_name["rmtree-home"]
    assert by_name["rmtree-home"].findings
    # ... and the runtime guard the obfuscated ones the analyzer cannot see.
    for name in ("obfuscated-remove", "obfuscated-remove-caught", "obfuscated-rmtree"):
        assert by_name[name].detail.startswith("runtime guard"), (name, by_name[name])
    assert by_name["infinite-loop"].duration < 6
    assert "File too large" in by_name["huge-file"].detail
    assert "MemoryError" in by_name["memory-bomb"].detail


def test_correct_code_passes_and_wrong_code_fails():
    code = "def add(a, b):\n    return a + b\n"
    jobs = [
        {"code": code, "test_code": "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n"},
        {"code": "def add(a, b):\n    return a - b\n", "test_code": "assert add(2, 3) == 5\n"},
        {"code": "def add(a, b)\n    return a + b\n", "test_code": "assert add(2, 3) == 5\n"},
        {"code": code, "test_code": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry": "add"},
        {"code": code, "test_code": "def check(candidate):\n    assert candidate(1, 2) == 4\n", "entry": "add"},
        {"code": "def plus(a, b):\n    return a + b\n", "test_code": "def check(c):\n    assert c(1, 2) == 3\n",
         "entry": "add"},
        {"code": "raise SystemExit(0)\n", "test_code": "assert False\n"},
        {"code": "import os\nos._exit(0)\n", "test_code": "assert False\n"},
        {"code": "def f():\n    return f()\n", "test_code": "f()\n"},
        {"code": code, "test_code": "assert add(1, 1) == 2 +\n"},
        {"code": "import math, json, re, collections, itertools, decimal, hashlib, fractions, statistics\n"
                 "import json.tool, email.mime.text, xml.etree.ElementTree, unittest.mock\n"
                 "assert 'é'.encode('utf-16').decode('utf-16') == 'é' and 'x'.encode('cp1252') == b'x'\n"
                 "print('hello from the sandbox')\n",
         "test_code": "assert math.isqrt(16) == 4 and hashlib.md5(b'').hexdigest().startswith('d41d8')\n"},
    ]
    results = run_many(jobs, workers=2)
    statuses = [r.status for r in results]
    assert statuses == ["passed", "failed", "error", "passed", "failed", "failed", "failed", "failed", "failed",
                        "error", "passed"], [(r.status, r.detail) for r in results]
    assert "AssertionError" in results[1].detail and "tests.py:1" in results[1].detail
    assert "does not parse" in results[2].detail
    assert "no 'add'" in results[5].detail
    assert "RecursionError" in results[8].detail
    assert "hello from the sandbox" in results[10].output
    assert isinstance(results[0], SandboxResult) and results[0].passed and results[0].duration > 0


def test_environment_is_scrubbed_and_confined(monkeypatch):
    monkeypatch.setenv("CODEALIGN_TEST_SECRET", "hunter2")
    check = (
        "import os, tempfile\n"
        "assert set(os.environ) <= {'PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'LC_CTYPE'}, dict(os.environ)\n"
        "assert 'hunter2' not in repr(os.environ)\n"
        "home = os.path.realpath(os.path.expanduser('~'))\n"
        "assert home == os.path.realpath(os.getcwd()) == os.path.realpath(tempfile.gettempdir())\n"
        "assert os.listdir('.') == []\n"
        "assert not any(p.endswith('site-packages') for p in __import__('sys').path)\n"
        "open('scratch.txt', 'w').write('ok')\n"
        "os.makedirs('a/b')\n"
        "os.rename('scratch.txt', 'a/b/moved.txt')\n"
        "__import__('shutil').rmtree('a')\n"
    )
    result = run_untrusted(check)
    assert result.status == "passed", result
    blocked = run_untrusted("import ctypes\n")
    assert blocked.status == "blocked"


def test_static_gate_runs_nothing(monkeypatch):
    """A destructive finding at medium severity or more means the code is never started."""
    import codealign.analysis as analysis

    real = analysis.analyze_python

    def fake(source, path="<string>", **kwargs):
        result = real(source, path, **kwargs)
        if "wipe_everything" in source:
            result.findings.append(Finding(rule="CA199", category="destructive-operation", severity="medium",
                                           confidence="high", message="wipes everything", path=path, line=1))
        return result

    def no_execution(*args, **kwargs):
        raise AssertionError("the sandbox started code the analyzer flagged")

    monkeypatch.setattr(analysis, "analyze_python", fake)
    sandbox._select_mode()
    monkeypatch.setattr(sandbox, "_execute", no_execution)
    result = run_untrusted("def wipe_everything():\n    pass\n")
    assert result.status == "blocked"
    assert "CA199" in result.detail and result.findings[0].rule == "CA199"
    with pytest.raises(AssertionError, match="started code"):
        run_untrusted("x = 1\n")


@pytest.mark.skipif("own-uid" not in LAYERS, reason="needs root to give the sandbox a user id of its own")
def test_os_layer_alone_protects_the_real_home(canaries):
    """Without the audit hook, file permissions (the sandbox's own uid) still protect the home folder."""
    home_canary, ws_canary = canaries
    code = (f"import os\nfor target in ({str(home_canary)!r}, {str(ws_canary)!r}):\n"
            "    try:\n        os.remove(target)\n    except PermissionError:\n        pass\n"
            "    else:\n        raise SystemExit('deleted ' + target)\n")
    result = sandbox._execute(code, "", mode=sandbox._select_mode(), audit=False)
    assert result.status == "passed", result
    _assert_intact(home_canary, ws_canary)


@pytest.mark.skipif("net-namespace" not in LAYERS, reason="unshare --net is not available here")
def test_os_layer_alone_cuts_the_network(listener):
    port = listener.getsockname()[1]
    code = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "except OSError as exc:\n    print('refused:', exc)\nelse:\n    raise SystemExit('connected')\n")
    result = sandbox._execute(code, "", mode=sandbox._select_mode(), audit=False)
    assert result.status == "passed", result
    with pytest.raises(BlockingIOError):
        listener.accept()


@pytest.mark.skipif("rlimit-nproc" not in LAYERS, reason="the process-count limit is not enforceable here")
def test_process_count_limit_is_enforced():
    code = ("import os, time\nchildren = []\nfor _ in range(64):\n    try:\n        pid = os.fork()\n"
            "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(2)\n        os._exit(0)\n"
            "    children.append(pid)\n")
    result = run_untrusted(code, "assert len(children) < 8, len(children)\n", max_processes=8)
    assert result.status == "passed", result


@pytest.fixture
def marked_tempdir(monkeypatch):
    """Sandbox folders under a uniquely named folder: its name is in the command line of every sandbox process."""
    import shutil
    import tempfile

    marker = f"codealign-marker-{uuid.uuid4().hex}"
    folder = Path(tempfile.gettempdir()) / marker
    folder.mkdir(mode=0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    try:
        yield marker
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _processes_with(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.mark.skipif(not {"pid-namespace", "uid-sweep"} & LAYERS, reason="no way to reap escaped processes here")
def test_no_process_outlives_the_run(marked_tempdir):
    """A child that leaves the process group and sleeps is killed when the run ends."""
    code = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n    os._exit(0)\n"
            "time.sleep(0.3)\n")
    test = "import os\nassert os.waitpid(-1, os.WNOHANG) == (0, 0)  # the child is alive when the tests run\n"
    result = sandbox._execute(code, test, mode=sandbox._select_mode(), audit=False)
    assert result.status == "passed", result
    assert _processes_with(marked_tempdir) == []


def test_sandbox_dies_with_its_parent(marked_tempdir):
    """If the process running the sandbox is killed, the sandboxed code does not live on (sleeping forever)."""
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    code = "import time\nopen('started', 'w').close()\ntime.sleep(120)\n"
    harness = ("import tempfile\n"
               f"tempfile.tempdir = {tempfile.tempdir!r}\n"
               "from codealign import sandbox\n"
               f"sandbox._execute({code!r}, '', mode=sandbox._select_mode(), timeout=120)\n")
    parent = subprocess.Popen([sys.executable, "-c", harness])
    try:
        deadline = time.monotonic() + 30
        while len(_processes_with(marked_tempdir)) < 2:  # the harness probes first: wait for the real run
            assert time.monotonic() < deadline, "the sandboxed code never started"
            assert parent.poll() is None, "the harness ended early"
            time.sleep(0.05)
        time.sleep(0.5)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _processes_with(marked_tempdir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_with(marked_tempdir) == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_every_working_isolation_mode_blocks_and_passes(canaries):
    """The weaker fallbacks (no namespaces, no uid change) still run code and still guard the files."""
    home_canary, ws_canary = canaries
    attack = f"getattr(__import__('o' + 's'), 'rem' + 'ove')({str(ws_canary)!r})\n"
    tried = 0
    for mode in sandbox._candidate_modes():
        probe = sandbox._execute(sandbox._PROBE_CODE, sandbox._PROBE_TEST, mode=mode)
        if probe.status != "passed":
            continue
        tried += 1
        assert sandbox._execute(attack, "", mode=mode).status == "blocked", mode
        assert sandbox._execute("def f():\n    return 1\n", "assert f() == 1\n", mode=mode).status == "passed"
    assert tried >= 1
    _assert_intact(home_canary, ws_canary)

