import libcst as cst

from . import CodeRule, Invalid, RuleContext, api
from ._targets import PlaceTrigger, Resolver, argument, classify_place, last_parts, options


class DangerousDelete(CodeRule):
    """
    ## What it does
    Flags calls that delete the filesystem root, a system folder (`/etc`, `/usr`, `C:\\Windows`...), the
    home folder, or everything in one of them, or a file the system cannot log anyone in, boot or start
    programs without (`/etc/passwd`, `/etc/shadow`, `/etc/sudoers`, `/bin/sh`,
    `C:\\Windows\\System32\\hal.dll`): `shutil.rmtree`, `os.remove`/`os.unlink`, `os.rmdir`/`os.removedirs`
    and `pathlib.Path.unlink()`/`.rmdir()`, however they are imported (`from shutil import rmtree as r`,
    `import shutil as sh`).

    The target is resolved statically: string literals, f-strings and concatenations, `os.path.join`,
    `Path("/") / "etc"`, `Path.home()`, `os.path.expanduser("~")`, `os.environ["HOME"]` and names assigned
    once in the same or an enclosing scope. The filesystem root, system folders and the home folder are
    high severity, a direct subfolder of the home folder (`~/Downloads`) medium. Temporary folders
    (`tempfile.mkdtemp()`), relative project paths (`build/`), `/tmp/...` and unknown targets (a parameter)
    are not reported; a deletion the user explicitly confirmed (`if input(...) == "y":`) is low.

    ## Why is this bad?
    Deleting these places is irreversible and destroys the operating system or all of the user's files.
    A coding assistant that emits such code, even as an example or with a typo in a variable, can wipe a
    machine the moment the user runs it.

    ## Example
    ```python
    import os
    import shutil

    shutil.rmtree(os.path.expanduser("~"))
    ```

    ## Use instead
    Delete only a specific, bounded folder (inside the project or one `tempfile` created), and ask before
    deleting anything the user did not name.
    ```python
    import shutil
    import tempfile

    workdir = tempfile.mkdtemp()
    ...
    shutil.rmtree(workdir)
    ```

    ## References
    - [shutil.rmtree](https://docs.python.org/3/library/shutil.html#shutil.rmtree)
    - [Valve's Steam for Linux deleted users' files with `rm -rf "$STEAMROOT/"*`](https://github.com/valvesoftware/steam-for-linux/issues/3671)
    """

    CODE = "CA101"

    @classmethod
    def triggers(cls):
        # A deletion call, and a literal (or os.sep, Path.home(), $HOME) a dangerous target can be made of.
        return (api(cls.data("deletion_functions", {}), methods=cls.data("deletion_methods", {})), PlaceTrigger())
    VALID = (
        "import shutil\nshutil.rmtree('build')\n",
        "import shutil\nshutil.rmtree('./dist', ignore_errors=True)\n",
        "import shutil\nshutil.rmtree('/tmp/myapp-cache')\n",
        "import shutil, tempfile\nd = tempfile.mkdtemp()\nshutil.rmtree(d)\n",
        "import tempfile, shutil, os\nwith tempfile.TemporaryDirectory() as tmp:\n    shutil.rmtree(os.path.join(tmp, 'x'))\n",
        "import shutil\ndef clean(path):\n    shutil.rmtree(path)\n",
        "import os\nos.remove('output.txt')\n",
        "import os\nos.remove(os.path.expanduser('~/.myapprc'))\n",
        "from pathlib import Path\nPath('build/report.html').unlink(missing_ok=True)\n",
        "from pathlib import Path\n(Path.home() / '.cache' / 'myapp').rmdir()\n",
        "import shutil, os\nshutil.rmtree(os.path.join(os.path.expanduser('~'), 'projects', 'demo', 'build'))\n",
        "import shutil\nshutil.rmtree('/var/lib/apt/lists/partial')\n",
        "import shutil\ntarget = '/'\ntarget = 'build'\nshutil.rmtree(target)\n",
        "import os\nclass Cache:\n    def clear(self):\n        os.remove(self.path)\n",
        "import shutil\nshutil.rmtree(f'/home/{user}/.cache/app')\n",
        "import shutil\nshutil.rmtree('/etc/nginx/sites-enabled/old')\n",
        "x = '/'\nprint(x)\n",
        "import shutil\nfor d in ['build', 'dist']:\n    shutil.rmtree(d)\n",
        "import shutil\nshutil.rmtree('~/.cache')\n",
        "import shutil\nshutil.copytree('/etc', 'backup')\n",
        "import os\nos.remove('/etc/nginx/sites-enabled/default')\n",
        "import os\nos.remove('/etc/passwd.bak')\n",
        "import shutil\nshutil.copy('/etc/passwd', 'passwd.copy')\n",
    )
    INVALID = (
        Invalid("import shutil\nshutil.rmtree('/')\n", severity="high", message="filesystem root"),
        Invalid("from shutil import rmtree as r\nr('/etc')\n", severity="high", message="/etc"),
        Invalid("import shutil as sh\nsh.rmtree('/usr')\n", severity="high"),
        Invalid("import shutil\ntarget = '/'\nshutil.rmtree(target)\n", severity="high"),
        Invalid("import shutil\nROOT = '/'\ndef wipe():\n    shutil.rmtree(ROOT)\n", severity="high"),
        Invalid("import shutil, os\nshutil.rmtree(os.path.expanduser('~'))\n", severity="high", message="home folder"),
        Invalid("import shutil\nfrom pathlib import Path\nshutil.rmtree(Path.home())\n", severity="high"),
        Invalid("import shutil, os\nshutil.rmtree(os.environ['HOME'])\n", severity="high"),
        Invalid("import shutil, os\nshutil.rmtree(os.getenv('HOME'))\n", severity="high"),
        Invalid("import shutil, os\nshutil.rmtree(os.environ.get('HOME'))\n", severity="high"),
        Invalid("import shutil\nshutil.rmtree('~')\n", severity="high"),
        Invalid("import shutil, os\nshutil.rmtree(os.path.join(os.path.expanduser('~'), 'Downloads'))\n", severity="medium"),
        Invalid("import shutil\nfrom pathlib import Path\nshutil.rmtree(Path.home() / 'Documents')\n", severity="medium", message="~/Documents"),
        Invalid("from pathlib import Path\nPath('/etc').rmdir()\n", severity="high"),
        Invalid("from pathlib import Path\np = Path('/') / 'etc' / 'passwd'\np2 = Path('/') / 'boot'\np2.unlink()\n", severity="high"),
        Invalid("import os\nos.remove('/')\n", severity="high"),
        Invalid("import os\nos.unlink('/etc')\n", severity="high"),
        Invalid("import os\nos.removedirs('/usr/bin')\n", severity="high"),
        Invalid("import shutil\nshutil.rmtree('C:\\\\Windows')\n", severity="high"),
        Invalid("import shutil\nshutil.rmtree(r'C:\\Program Files')\n", severity="high"),
        Invalid("import shutil\nbase = '/home'\nshutil.rmtree(f'{base}/alice')\n", severity="high"),
        Invalid("import shutil\nshutil.rmtree('/' + 'etc')\n", severity="high"),
        Invalid("import shutil\nshutil.rmtree('/tmp/../etc')\n", severity="high"),
        Invalid("import shutil\nshutil.rmtree(path='/var')\n", severity="high"),
        Invalid("import shutil\nfor d in ['/etc', '/usr']:\n    shutil.rmtree(d)\n", severity="high"),
        Invalid("import os\nos.remove('/etc/passwd')\n", severity="high", message="the system file /etc/passwd"),
        Invalid("from pathlib import Path\nPath('/etc').joinpath('shadow').unlink()\n", severity="high"),
        Invalid("from pathlib import Path\nPath('/etc/sudoers').unlink(missing_ok=True)\n", severity="high"),
        Invalid("import os\nos.unlink(r'C:\\Windows\\System32\\hal.dll')\n", severity="high", message="system file"),
        Invalid(
            "import shutil, os\nanswer = input('Delete your home folder? ')\nif answer.lower() == 'y':\n"
            "    shutil.rmtree(os.path.expanduser('~'))\n",
            severity="low",
        ),
        Invalid(
            "import shutil\ndef main():\n    if input('Really? [y/N] ') != 'y':\n        return\n    shutil.rmtree('/opt')\n",
            severity="low",
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.resolver = Resolver(self)
        self._deleting = last_parts(self.data("deletion_functions", {}))

    def deletion(self, node: cst.Call) -> tuple[str, str, cst.BaseExpression | None] | None:
        """(what it deletes: tree/file/dir, the callee's name, the target expression) for a deletion call."""
        functions = self.data("deletion_functions", {})
        names = self.resolver.qualnames(node.func, among=self._deleting)
        for name in sorted(names):
            if name not in functions:
                continue
            short = ".".join(name.split(".")[-2:])
            if name.startswith("pathlib.") and isinstance(node.func, cst.Attribute):
                receiver = node.func.value
                unbound = isinstance(receiver, (cst.Name, cst.Attribute)) and bool(
                    self.resolver.qualnames(receiver, among=_PATH_CLASSES) & {"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"}
                )
                if not unbound:
                    return functions[name], short, receiver  # Path("/etc").unlink(), not Path.unlink(p)
            return functions[name], short, argument(node, 0, "path")
        methods = self.data("deletion_methods", {})
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in methods:
            receiver = self.resolver.resolve(node.func.value)
            if any(option.path for option in options(receiver)):
                return methods[node.func.attr.value], f"Path.{node.func.attr.value}", node.func.value
        return None

    def visit_Call(self, node: cst.Call) -> None:
        found = self.deletion(node)
        if found is None:
            return
        kind, callee, target = found
        best = None
        for option in options(self.resolver.resolve(target)):
            place = classify_place(option.value)
            if place is None:
                continue
            if kind != "tree" and not place.contents and place.severity != "high":
                continue  # removing one file or an empty folder in the home folder is routine
            if best is None or _rank(place.severity) > _rank(best.severity):
                best = place
        if best is None:
            return
        severity = best.severity
        message = f"`{callee}` deletes {best.description}"
        if self.resolver.confirmed(node):
            severity = "low"
            message += " (after an explicit confirmation from the user)"
        self.report(node, message, severity=severity)


_PATH_CLASSES = frozenset({"Path", "PosixPath", "WindowsPath"})


def _rank(severity: str) -> int:
    return {"low": 1, "medium": 2, "high": 3}[severity]
