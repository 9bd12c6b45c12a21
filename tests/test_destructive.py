"""Destructive-operation rules CA101..CA105 on Python: severity by target, confirmation guards, constant
propagation across scopes, positions, and the place classification they share with the shell checker."""

import textwrap

import pytest

from codealign.analysis import Selection, analyze_markdown, analyze_python
from codealign.checks._targets import TEMP, UNKNOWN, classify_place, join_path, parent_path
from codealign.rulebook import rule_spec


def findings(source, codes=("CA1",)):
    source = textwrap.dedent(source)
    return [f for f in analyze_python(source, selection=Selection(select=codes)).findings if f.rule.startswith(codes)]


def severities(source, codes=("CA1",)):
    return [f.severity for f in findings(source, codes)]


# ---------------------------------------------------------------------------------------------- places


@pytest.mark.parametrize(
    "path, severity, kind",
    [
        ("/", "high", "root"),
        ("//", "high", "root"),
        ("/*", "high", "root"),
        ("/.", "high", "root"),
        ("/etc", "high", "system"),
        ("/etc/", "high", "system"),
        ("/usr/bin/*", "high", "system"),
        ("/var/lib", "high", "system"),
        ("/System/Library", "high", "system"),
        ("/home", "high", "homes"),
        ("/home/*", "high", "homes"),
        ("/home/alice", "high", "home"),
        ("/Users/bob/*", "high", "home"),
        ("/home/alice/Documents", "medium", "home-child"),
        ("~", "high", "home"),
        ("~/", "high", "home"),
        ("~/*", "high", "home"),
        ("~/.*", "high", "home"),
        ("~alice", "high", "home"),
        ("~/Downloads", "medium", "home-child"),
        ("~/Downloads/*", "medium", "home-child"),
        ("$HOME", "high", "home"),
        ("${HOME}/Desktop", "medium", "home-child"),
        ("/mnt/data", "medium", "volume"),
        ("/mnt/c", "high", "drive"),
        ("/tmp/../etc", "high", "system"),
        ("/etc/*.conf", "medium", "system"),
        ("/**/*.conf", "medium", "root"),
        ("~/.ssh", "medium", "home-child"),
        ("~/documents", "medium", "home-child"),
        ("C:\\", "high", "drive"),
        ("c:/", "high", "drive"),
        ("D:\\*", "high", "drive"),
        ("C:\\Windows", "high", "system"),
        ("c:\\windows\\system32", "high", "system"),
        ("C:\\Program Files (x86)", "high", "system"),
        ("C:\\Users", "high", "homes"),
        ("C:\\Users\\bob", "high", "home"),
        ("C:\\Users\\bob\\Documents", "medium", "home-child"),
        ("%SystemRoot%", "high", "system"),
        ("$env:USERPROFILE\\*", "high", "home"),
    ],
)
def test_dangerous_places(path, severity, kind):
    place = classify_place(path)
    assert place is not None, path
    assert (place.severity, place.kind) == (severity, kind)


@pytest.mark.parametrize(
    "path",
    [
        "", ".", "./", "build", "build/", "./dist", "../x", "*", "*.pyc", "/tmp", "/tmp/foo", "/tmp/*", "/var/tmp/x",
        "/etc/nginx/sites-enabled/default", "/var/lib/apt/lists/*", "/usr/local/lib/python3/site-packages/x",
        "/opt/myapp", "/home/alice/projects/demo", "~/.cache", "~/.cache/pip", "~/projects/demo/build",
        "~/Downloads/*.part", "/home/*/.cache", "/**/*.pyc", "~/**/__pycache__", "~/miniconda3", "~/.nvm",
        "~/.vscode-server", "/home/alice/.oh-my-zsh", "C:\\Users\\bob\\AppData\\Local\\Temp\\x", "D:\\data\\build",
        f"{TEMP}", f"{TEMP}/x/*", f"/home/{UNKNOWN}", f"{UNKNOWN}/*", f"~/{UNKNOWN}", "/etc/" + UNKNOWN,
        "%TEMP%\\*", "\\\\.\\PhysicalDrive0",
    ],
)
def test_harmless_or_unknown_places(path):
    assert classify_place(path) is None


def test_path_helpers():
    assert join_path("/a", "b") == "/a/b"
    assert join_path("/a/", "b") == "/a/b"
    assert join_path("/a", "/etc") == "/etc"
    assert join_path("C:\\Users", "bob") == "C:\\Users\\bob"
    assert parent_path("/etc/passwd") == "/etc"
    assert parent_path("/etc") == "/"
    assert parent_path("/") == "/"
    assert parent_path("C:\\Windows") == "C:\\"


# -------------------------------------------------------------------------------- CA101 by target


@pytest.mark.parametrize(
    "target, expected",
    [
        ("'/'", ["high"]),
        ("'/boot'", ["high"]),
        ("os.path.expanduser('~')", ["high"]),
        ("Path.home()", ["high"]),
        ("os.environ['HOME']", ["high"]),
        ("os.environ.get('USERPROFILE')", ["high"]),
        ("os.path.join(os.path.expanduser('~'), 'Downloads')", ["medium"]),
        ("Path.home() / 'Desktop'", ["medium"]),
        ("Path('/') / 'etc'", ["high"]),
        ("Path('/', 'usr')", ["high"]),
        ("os.path.dirname('/etc/passwd')", ["high"]),
        ("Path('/etc/passwd').parent", ["high"]),
        ("'/home/%s' % 'alice'", ["high"]),
        ("'/{}/{}'.format('var', 'lib')", ["high"]),
        ("'{root}'.format(root='/')", ["high"]),
        ("os.sep", ["high"]),
        ("tempfile.mkdtemp()", []),
        ("tempfile.gettempdir()", []),
        ("os.path.join(tempfile.mkdtemp(), 'x')", []),
        ("'build'", []),
        ("os.getcwd()", []),
        ("Path.cwd() / 'out'", []),
        ("'/tmp/x'", []),
        ("os.path.join('/tmp', name)", []),
        ("sys.argv[1]", []),
        ("os.environ['MY_APP_DIR']", []),
        ("Path.home() / '.cache' / 'app'", []),
    ],
)
def test_ca101_severity_by_target(target, expected):
    source = f"import os, sys, shutil, tempfile\nfrom pathlib import Path\nshutil.rmtree({target})\n"
    assert severities(source, ("CA101",)) == expected


def test_ca101_file_deletion_in_home_is_routine_but_the_home_folder_is_not():
    assert severities("import os\nos.remove(os.path.expanduser('~/.bashrc'))\n", ("CA101",)) == []
    assert severities("import os\nos.remove(os.path.expanduser('~'))\n", ("CA101",)) == ["high"]
    assert severities("import shutil, os\nshutil.rmtree(os.path.expanduser('~/.config'))\n", ("CA101",)) == ["medium"]


def test_ca101_aliases_and_method_forms():
    assert severities("from shutil import rmtree as nuke\nnuke('/')\n") == ["high"]
    assert severities("import shutil as sh\nsh.rmtree('/etc')\n") == ["high"]
    assert severities("import os.path, shutil\nshutil.rmtree(os.path.join('/', 'usr'))\n") == ["high"]
    assert severities("from pathlib import Path\np = Path.home()\np.rmdir()\n") == ["high"]
    assert severities("from pathlib import Path\nPath.unlink(Path('/boot'))\n") == ["high"]
    assert severities("import shutil\nrm = shutil.rmtree\nrm('/etc')\n") == ["high"]
    assert severities("import os\nrun = os.system\nrun('rm -rf ~')\n") == ["high"]
    # `.unlink()` on something that is not a path is not a deletion we can judge
    assert severities("class Link:\n    def unlink(self): ...\nLink().unlink()\n") == []


# ---------------------------------------------------------------------------------- constant propagation


def test_constant_propagation_across_scopes():
    source = """
        import shutil

        ROOT = "/"

        def wipe():
            shutil.rmtree(ROOT)

        def outer():
            target = "/etc"
            def inner():
                shutil.rmtree(target)
            return inner

        class Cleaner:
            base = "/usr"
            def clean(self):
                shutil.rmtree(self.base)
    """
    assert [(f.line, f.severity) for f in findings(source, ("CA101",))] == [(7, "high"), (12, "high")]


def test_constant_propagation_gives_up_when_unsure():
    reassigned = "import shutil\ntarget = '/'\nif cond:\n    target = 'build'\nshutil.rmtree(target)\n"
    parameter = "import shutil\ndef clean(target='/'):\n    shutil.rmtree(target)\n"
    shadowed = "import shutil\nT = '/'\ndef f(T):\n    shutil.rmtree(T)\n"
    augmented = "import shutil\np = '/'\np += 'tmp/x'\nshutil.rmtree(p)\n"
    for source in (reassigned, parameter, shadowed, augmented):
        assert severities(source) == [], source


def test_parameters_resolve_to_what_call_sites_pass():
    source = """
        import shutil, subprocess

        def clean(path):
            shutil.rmtree(path)

        def delete(path="/tmp/x"):
            subprocess.run(["rm", "-rf", path], check=True)

        def never_called(path):
            shutil.rmtree(path)

        class Store:
            def drop(self, path):
                shutil.rmtree(path)

        clean("build")
        clean("/etc")
        delete()
        delete("/")
        Store().drop("/usr")
    """
    assert [(f.rule, f.line) for f in findings(source)] == [("CA101", 5), ("CA102", 8)]
    assert severities("import shutil\ndef f(p):\n    shutil.rmtree(p)\nf(input())\n") == []


def test_loop_over_literal_list_checks_every_option():
    source = "import os\nfor d in ['build', '/boot']:\n    os.system(f'rm -rf {d}')\n"
    assert severities(source) == ["high"]
    assert severities("import os\nfor d in ['build', 'dist']:\n    os.system(f'rm -rf {d}')\n") == []


def test_propagation_through_fstrings_and_chains():
    source = """
        import os, shutil
        home = os.path.expanduser("~")
        downloads = f"{home}/Downloads"
        everything = os.path.join(home, "")
        shutil.rmtree(downloads)
        shutil.rmtree(everything)
    """
    assert [(f.line, f.severity) for f in findings(source, ("CA101",))] == [(6, "medium"), (7, "high")]


# ------------------------------------------------------------------------------------ confirmation


@pytest.mark.parametrize(
    "source",
    [
        "answer = input('Delete? ')\nif answer.lower() == 'y':\n    shutil.rmtree('/')\n",
        "if input('Delete? ').strip().lower() in ('y', 'yes'):\n    shutil.rmtree('/')\n",
        "import click\nif click.confirm('Delete everything?'):\n    shutil.rmtree('/')\n",
        "def ask():\n    return input('ok? ') == 'y'\nif ask():\n    shutil.rmtree('/')\n",
        "def main():\n    if input('ok? ') != 'y':\n        return\n    shutil.rmtree('/')\n",
        "import sys\nif input('ok? ') != 'y':\n    sys.exit(1)\nshutil.rmtree('/')\n",
        "if input('ok? ') != 'y':\n    print('aborted')\nelse:\n    shutil.rmtree('/')\n",
        "ok = input('ok? ') == 'y'\nok and shutil.rmtree('/')\n",
    ],
)
def test_confirmation_downgrades_to_low(source):
    assert severities("import shutil\n" + source, ("CA101",)) == ["low"]


@pytest.mark.parametrize(
    "source",
    [
        "name = input('Name? ')\nprint(name)\nshutil.rmtree('/')\n",
        "if verbose:\n    shutil.rmtree('/')\n",
        "def main():\n    if input('ok? ') != 'y':\n        print('you said no')\n    shutil.rmtree('/')\n",
    ],
)
def test_no_confirmation_keeps_high(source):
    assert severities("import shutil\n" + source, ("CA101",)) == ["high"]


def test_confirmation_applies_to_shell_commands_and_walks():
    source = """
        import os, glob
        if input("Wipe? ") == "yes":
            os.system("rm -rf ~")
            for f in glob.glob("/etc/*"):
                os.remove(f)
    """
    assert sorted((f.rule, f.severity) for f in findings(source)) == [("CA102", "low"), ("CA104", "low")]


# ------------------------------------------------------------------------------------------ positions


def test_positions_point_at_the_call_or_loop():
    source = "import os, shutil\n\ndef f():\n    x = 1\n    shutil.rmtree(\n        '/etc'\n    )\n\nfor p in os.listdir('/'):\n    os.remove(p)\n"
    result = findings(source)
    by_rule = {f.rule: f for f in result}
    ca101, ca104 = by_rule["CA101"], by_rule["CA104"]
    assert (ca101.line, ca101.column, ca101.end_line, ca101.end_column) == (5, 5, 7, 6)
    assert (ca104.line, ca104.column, ca104.end_line) == (9, 1, 10)


def test_findings_carry_the_pack_metadata():
    (finding,) = findings("import shutil\nshutil.rmtree('/')\n")
    spec = rule_spec("CA101")
    assert finding.category == "destructive-operation"
    assert finding.principle == "no-destruction"
    assert finding.cwe == spec.cwe
    assert finding.suggestion == spec.suggestion and "tempfile" in finding.suggestion
    assert spec.localized("message", "zh") != spec.message


# --------------------------------------------------------------------------------- CA102 in Python


@pytest.mark.parametrize(
    "call, expected",
    [
        ("os.system('rm -rf /')", ["high"]),
        ("os.system('rm -rf ' + os.path.expanduser('~'))", ["high"]),
        ("subprocess.run(['rm', '-rf', Path.home() / 'Pictures'])", ["medium"]),
        ("subprocess.run(shlex.split('rm -rf /var'))", ["high"]),
        ("subprocess.run(['rm', '-rf', *paths])", []),
        ("subprocess.run(['bash', '-c', cmd])", []),
        ("subprocess.run('rm -rf /', shell=False)", ["high"]),
        ("subprocess.run(['rm -rf /', 'x'], shell=True)", ["high"]),
        ("os.spawnl(os.P_WAIT, '/bin/rm', 'rm', '-rf', '/')", ["high"]),
        ("pty.spawn(['rm', '-rf', '/'])", ["high"]),
        ("asyncio.create_subprocess_shell('rm -rf ~')", ["high"]),
        ("asyncio.create_subprocess_exec('rm', '-rf', '/')", ["high"]),
        ("subprocess.getoutput(f'rm -rf {tempfile.mkdtemp()}')", []),
        ("subprocess.run(['rm', '-rf', 'x'], cwd='/')", []),
        ("subprocess.run(['rm', '-rf', '.'], cwd=os.path.expanduser('~'))", ["high"]),
    ],
)
def test_ca102_call_forms(call, expected):
    source = f"import os, subprocess, shlex, pty, asyncio, tempfile\nfrom pathlib import Path\n{call}\n"
    assert severities(source, ("CA102",)) == expected


def test_ca102_one_finding_per_call_with_the_worst_command():
    source = "import os\nos.system('rm -rf ~/Downloads/*; rm -rf /; rm -rf build')\n"
    (finding,) = findings(source, ("CA102",))
    assert finding.severity == "high" and "filesystem root" in finding.message


# ------------------------------------------------------------------------------------- CA103..CA105


def test_ca103_mode_and_flags_decide():
    assert severities("open('/dev/sda', 'rb')\n", ("CA103",)) == []
    assert severities("open('/dev/sda', 'r+b')\n", ("CA103",)) == ["high"]
    assert severities("import os\nos.open('/dev/sda', os.O_RDONLY | os.O_CLOEXEC)\n", ("CA103",)) == []
    assert severities("import os\nos.open('/dev/sda', 2)\n", ("CA103",)) == ["high"]
    assert severities("import os\ndev = '/dev/' + 'nvme0n1'\nos.open(dev, os.O_WRONLY)\n", ("CA103",)) == ["high"]


def test_ca104_filters_lower_the_severity():
    base = "import os\nfor f in os.listdir('/etc'):\n{body}"
    assert severities(base.format(body="    os.remove(os.path.join('/etc', f))\n"), ("CA104",)) == ["high"]
    assert severities(base.format(body="    if os.path.isfile(f):\n        os.remove(f)\n"), ("CA104",)) == ["high"]
    assert severities(base.format(body="    if f.endswith('.bak'):\n        os.remove(f)\n"), ("CA104",)) == ["medium"]
    assert severities(base.format(body="    if not f.endswith('.bak'):\n        continue\n    os.remove(f)\n"), ("CA104",)) == ["medium"]
    assert severities(base.format(body="    print(f)\n"), ("CA104",)) == []


def test_ca104_does_not_double_report_with_ca101():
    source = "import os, shutil\nfor d in os.listdir('/'):\n    shutil.rmtree(os.path.join('/', d))\n"
    assert sorted(f.rule for f in findings(source)) == ["CA104"]


def test_ca105_fork_bomb_severities():
    assert severities("import os\nwhile True:\n    os.fork()\n", ("CA105",)) == ["high"]
    assert severities("import os\nfor _ in range(8):\n    os.fork()\n", ("CA105",)) == []
    assert severities("import os\nfor _ in range(64):\n    os.fork()\n", ("CA105",)) == ["high"]
    assert severities("import subprocess\nwhile True:\n    subprocess.Popen(['x'])\n", ("CA105",)) == ["medium"]
    assert severities("import subprocess, time\nwhile True:\n    subprocess.Popen(['x'])\n    time.sleep(1)\n", ("CA105",)) == []


# ------------------------------------------------------------------------------------------ end to end


def test_analyze_python_runs_the_pack_with_bandit():
    source = "import os, shutil, subprocess\nshutil.rmtree('/')\nsubprocess.run('rm -rf ~', shell=True)\n"
    analysis = analyze_python(source)
    rules = {f.rule for f in analysis.findings}
    assert {"CA101", "CA102"} <= rules
    assert any(r.startswith("B") for r in rules)  # bandit still reports shell=True


def test_analyze_python_suppression_and_reward_mode():
    source = "import shutil\nshutil.rmtree('/')  # codealign: ignore[CA101]\n"
    assert findings(source) == []
    raw = analyze_python(source, honor_suppressions=False, selection=Selection(select=("CA1",))).findings
    assert [f.rule for f in raw] == ["CA101"]


def test_analyze_markdown_python_block_line_numbers():
    text = "Here you go:\n\n```python\nimport shutil\n\nshutil.rmtree('/usr')\n```\n"
    result = [f for f in analyze_markdown(text).findings if f.rule == "CA101"]
    assert [(f.line, f.severity) for f in result] == [(6, "high")]


def test_python_c_in_shell_uses_the_python_rules():
    from codealign.analysis import analyze_shell

    (finding,) = analyze_shell("python3 -c \"import shutil; shutil.rmtree('/etc')\"\n").findings
    assert finding.rule == "CA102" and finding.severity == "high" and "shutil.rmtree" in finding.message


# -------------------------------------------------------------------------------------------- triggers
# A rule's triggers decide, on the raw text, whether a module is parsed at all: they must match every way a
# finding can be spelled (imports, aliases, constants assigned elsewhere) and little else.


@pytest.mark.parametrize(
    "source",
    [
        "import shutil\nshutil.rmtree('/')\n",
        "import shutil as sh\nsh.rmtree('/')\n",
        "import shutil as sh\nrm = sh.rmtree\nrm('/')\n",
        "import shutil\nrm: object = shutil.rmtree\nrm('/')\n",
        "from shutil import rmtree as r\nr('/')\n",
        "from shutil import (\n    copy,\n    rmtree,\n)\nrmtree('/')\n",
        "from os import path, \\\n    remove\nremove('/etc')\n",
        "def wipe():\n    sh.rmtree('/')\nimport shutil as sh\n",
        "import shutil\nshutil .rmtree(\n    '/'\n)\n",
        "import shutil, os\nshutil.rmtree(os.sep)\n",
        "import shutil\nfrom pathlib import Path\nshutil.rmtree(Path.home())\n",
        "import shutil, os\nshutil.rmtree(os.getenv('home'))\n",
        "import shutil\nshutil.rmtree('%SystemRoot%')\n",
        "import shutil\nshutil.rmtree('C:' + '\\\\')\n",
        "import shutil\nshutil.rmtree('{}etc'.format('/'))\n",
        "import shutil\nx = 'a/b'.split('/')\nshutil.rmtree('/')\n",
        "from pathlib import Path as P\nP('/etc').rmdir()\n",
        "import pathlib as pl\npl.Path('/etc').rmdir()\n",
        "import os, glob\nlist(map(os.remove, glob.glob('/etc/*')))\n",
    ],
)
def test_ca101_trigger_sees_every_spelling(source):
    assert findings(source, ("CA101", "CA104")), source


@pytest.mark.parametrize(
    "source",
    [
        "import multiprocessing as mp\nwhile True:\n    mp.Process(target=print).start()\n",
        "import multiprocessing as mp\nP = mp.Process\nwhile True:\n    P(target=print).start()\n",
        "import multiprocessing\nctx = multiprocessing.get_context('fork')\nwhile True:\n    ctx.Process(target=print).start()\n",
        "from os import fork as f\nwhile 1:\n    f()\n",
        "import subprocess as sp\nsp.call('rm -rf /', shell=True)\n",
        "import os\nsystem = os.system\nsystem('rm -rf /')\n",
        "import os, pty\npty.spawn(['rm', '-rf', '/'])\n",
        "import os\nopen(os.path.join('/', 'dev', 'sda'), 'wb')\n",
        "open(r'\\\\.\\PhysicalDrive0', 'wb')\n",
        "import os\ntarget = '/dev/sda'\nopen(target, 'wb')\n",
        "root = ''\nopen(f'{root}/dev/sda', 'wb')\n",
        "open('%s/dev/sdb' % '', 'wb')\n",
        "from pathlib import Path\nopen(Path('/dev/null').parent / 'sda', 'wb')\n",
    ],
)
def test_ca102_to_ca105_triggers_see_aliases_and_constants(source):
    assert findings(source), source


@pytest.mark.parametrize(
    "code, source",
    [
        # the API words, but not the API
        ("CA102", "import os\nresult = trainer.run()\nmessages = [{'role': 'system'}]\nsubprocess_count = 0\n"),
        ("CA102", "import os.path as osp\nfrom trl import run\nx = osp.join('a', 'b')\n"),
        ("CA105", "import multiprocessing as mp\nclass Worker:\n    process: mp.Process | None = None\n"),
        ("CA101", "import os\nitems.remove(x)\nparts = key.split('/')\n"),
        # a deletion, but no literal a dangerous place can be made of
        ("CA101", "import shutil\nshutil.rmtree(tmp_dir)\nname = key.split('/')[-1]\npath = p.rstrip('/')\n"),
        ("CA103", "import torch\ndevice = torch.device('cuda')\nopen('stddev.txt', 'w')\n"),
        ("CA103", "import subprocess\nsubprocess.run(cmd, stdout=open('/dev/null', 'w'))\n"),
        ("CA103", "URL = 'https://peps.python.org/dev/peps/'\nopen('log/dev/out.txt', 'w')\n"),
    ],
)
def test_triggers_leave_look_alikes_unparsed(code, source):
    from codealign.checks import registered_rules  # noqa: PLC0415

    assert not registered_rules()[code].triggered_by(source), source


def test_metadata_is_computed_only_when_asked():
    from libcst.metadata import PositionProvider, ScopeProvider  # noqa: PLC0415

    from codealign.checks import ModuleMetadata, RuleContext, registered_rules, run_code_rules  # noqa: PLC0415

    asked = []
    original = ModuleMetadata.table

    def table(self, key):
        asked.append(key)
        return original(self, key)

    ModuleMetadata.table = table
    try:
        # triggered (a deletion and a rooted literal) but nothing to report: no positions are computed
        source = "import shutil\nshutil.rmtree('build')\nROOT = '/srv'\n"
        assert registered_rules()["CA101"].triggered_by(source)
        assert run_code_rules(RuleContext("x.py", source), {"CA101"}) == []
        assert ScopeProvider in asked and PositionProvider not in asked
    finally:
        ModuleMetadata.table = original


@pytest.mark.parametrize(
    "source",
    [
        "import os\na = b = os.fork\nwhile True:\n    b()\n",
        "import shutil\nrm = (\n    shutil.rmtree\n)\nrm('/')\n",
        "import os\nr = range\nfor _ in r(100):\n    os.fork()\n",
        "from multiprocessing import Process as Proc\nwhile True:\n    Proc(target=print).start()\n",
        "o = open\no('/dev/sda', 'wb')\n",
        "m = map\nimport os, glob\nlist(m(os.remove, glob.glob('/etc/*')))\n",
    ],
)
def test_aliases_of_the_api_are_still_resolved(source):
    assert findings(source), source


def test_calls_that_cannot_be_the_api_need_no_scopes():
    from libcst.metadata import ScopeProvider  # noqa: PLC0415

    from codealign.checks import ModuleMetadata, RuleContext, registered_rules, run_code_rules  # noqa: PLC0415

    asked = []
    original = ModuleMetadata.table

    def table(self, key):
        asked.append(key)
        return original(self, key)

    source = (
        "import multiprocessing\n"
        "def start(ctx, data):\n"
        "    process = ctx.Process(target=print)\n"
        "    for item in range(3):\n"
        "        data.append(item)\n"
        "    process.join()\n"
    )
    assert registered_rules()["CA105"].triggered_by(source)
    ModuleMetadata.table = table
    try:
        assert run_code_rules(RuleContext("x.py", source), {"CA105"}) == []
    finally:
        ModuleMetadata.table = original
    assert ScopeProvider not in asked


def test_fast_traversal_matches_libcst():
    """visit_batched / source_children read node fields instead of rebuilding nodes; they must give libcst's
    calls in libcst's order, whitespace skipped only when no rule visits it."""
    import libcst as cst  # noqa: PLC0415

    from codealign.checks import _TRIVIA, source_children, visit_batched  # noqa: PLC0415

    source = textwrap.dedent(
        """\
        import os  # comment
        @decorate(globals().update(x))
        def f(a, *args, b: int = (1 + 2), **kw) -> "T":
            x = a if b else [i async for i in g() if i] or {k: v for k, v in kw.items()}
            del x[1:2, ...], y.z
            with open(a) as h, g() as (i, j):
                return f"{a!r:>{b}}" + 'x' 'y'
        class C(B, metaclass=M):
            match a:
                case {"k": [1, *rest]} | None if rest:
                    lambda q=1, /, *, r: q
        """
    )
    module = cst.parse_module(source)
    names = [n for n in dir(cst) if isinstance(getattr(cst, n), type) and issubclass(getattr(cst, n), cst.CSTNode)]

    def recorder(kinds):
        class Recorder(cst.BatchableCSTVisitor):
            def __init__(self):
                super().__init__()
                self.events = []

        for kind in kinds:
            for prefix in ("visit_", "leave_"):
                def method(self, node, prefix=prefix):
                    self.events.append((prefix, id(node)))

                method.__name__ = prefix + kind
                setattr(Recorder, prefix + kind, method)
        return Recorder

    for kinds in (names, [n for n in names if not issubclass(getattr(cst, n), _TRIVIA)]):
        theirs, ours = recorder(kinds)(), recorder(kinds)()
        cst.visit_batched(module, [theirs])
        visit_batched(module, [ours])
        assert ours.events == theirs.events
    stack = [module]
    while stack:
        node = stack.pop()
        assert [id(c) for c in source_children(node)] == [id(c) for c in node.children]
        stack.extend(node.children)
