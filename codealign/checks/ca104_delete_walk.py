import libcst as cst

from . import CodeRule, Invalid, RuleContext, api
from ._targets import (
    PlaceTrigger,
    Resolver,
    argument,
    call_args,
    classify_place,
    join_path,
    last_parts,
    narrow,
    options,
    walk,
)

_TYPE_TESTS = {"isfile", "isdir", "exists", "lexists", "islink", "is_file", "is_dir", "is_symlink", "is_mount", "ismount"}


class DeleteWalk(CodeRule):
    """
    ## What it does
    Flags loops (and comprehensions, and `map`) that walk a dangerous place with `os.walk`, `os.listdir`,
    `os.scandir`, `glob.glob`/`glob.iglob` or `Path.iterdir`/`glob`/`rglob`/`walk` and delete each entry they
    visit (`os.remove`, `shutil.rmtree`, `Path.unlink`... on the loop variable or a path built from it, or a
    deleting program run on it through a shell function: `os.system(f"rm -rf {path}")`,
    `subprocess.run(["sudo", "rm", path])`; the programs are CA102's `deleting_commands`, the ones `find -exec`
    and `xargs` delete with, found after its `prefix_commands` and inside its shells' `-c`).

    The walked folder is resolved like CA101's targets. Walking the filesystem root, a system folder or the
    home folder is high severity, a subfolder of the home folder medium. A glob that selects some names
    (`*.pyc`) or a filter on the visited name in the loop (`if name.endswith(".tmp")`) lowers the severity
    by one step (a filtered clean-up of a home subfolder is not reported); an explicit user confirmation
    makes it low. Walking a project folder or a temporary folder is not reported.

    ## Why is this bad?
    A loop that deletes whatever it finds under `/` or `~` is `rm -rf` written by hand: it destroys the
    system or every file the user has, and is easy to overlook because no single call names the place.

    ## Example
    ```python
    import os

    for root, dirs, files in os.walk(os.path.expanduser("~")):
        for name in files:
            os.remove(os.path.join(root, name))
    ```

    ## Use instead
    Walk a specific, bounded folder and select what to delete by name, and show the list before deleting.
    ```python
    from pathlib import Path

    for path in Path("build").rglob("*.o"):
        path.unlink()
    ```

    ## References
    - [pathlib.Path.rglob](https://docs.python.org/3/library/pathlib.html#pathlib.Path.rglob)
    - [os.walk](https://docs.python.org/3/library/os.html#os.walk)
    """

    CODE = "CA104"

    @classmethod
    def triggers(cls):
        # A walk, a deletion (CA101's functions and pathlib methods) and a literal a dangerous place is made of.
        functions = cls.data("walk_functions", {})
        methods = [name.rsplit(".", 1)[1] for name, style in functions.items() if style.endswith(":self")]
        deleting = api(_data_of("CA101", "deletion_functions"), _data_of("CA102", "shell_functions"),
                       methods=_data_of("CA101", "deletion_methods"))
        return (api(functions, methods=methods), deleting, PlaceTrigger())
    VALID = (
        "import os\nfor f in os.listdir('build'):\n    os.remove(os.path.join('build', f))\n",
        "import glob, os\nfor f in glob.glob('*.pyc'):\n    os.remove(f)\n",
        "from pathlib import Path\nfor p in Path('dist').iterdir():\n    p.unlink()\n",
        "import os\nfor root, dirs, files in os.walk('/'):\n    for name in files:\n        print(os.path.join(root, name))\n",
        "import os, tempfile\nd = tempfile.mkdtemp()\nfor f in os.listdir(d):\n    os.remove(os.path.join(d, f))\n",
        "import glob, os\nfor f in glob.glob('/tmp/myapp-*'):\n    os.remove(f)\n",
        "import os\nfor f in os.listdir(os.path.expanduser('~/Downloads')):\n    if f.endswith('.part'):\n        os.remove(os.path.join(os.path.expanduser('~/Downloads'), f))\n",
        "import os\ndef purge(folder):\n    for f in os.listdir(folder):\n        os.remove(os.path.join(folder, f))\n",
        "import os, shutil\nfor f in os.listdir('/etc'):\n    shutil.copy(os.path.join('/etc', f), 'backup')\n",
        "import os\nfor f in os.listdir('/'):\n    os.remove('lockfile')\n",
        "import glob, os\n[os.remove(f) for f in glob.glob('logs/*.log')]\n",
        "from pathlib import Path\nfor p in (Path.home() / '.cache' / 'myapp').glob('*'):\n    p.unlink()\n",
        "import os\nfor name in os.listdir('/'):\n    os.system(f'ls -l /{name}')\n",
        "import os\nfor name in os.listdir('build'):\n    os.system(f'rm -rf build/{name}')\n",
        "import glob, subprocess\nfor f in glob.glob('/etc/*'):\n    subprocess.run(['cat', f])\n",
        "import glob, subprocess\nfor f in glob.glob('/etc/*'):\n    subprocess.run(['rm', '/tmp/lock'])\n",
    )
    INVALID = (
        Invalid(
            "import os\nfor root, dirs, files in os.walk(os.path.expanduser('~')):\n    for name in files:\n"
            "        os.remove(os.path.join(root, name))\n",
            severity="high",
            message="home folder",
        ),
        Invalid("import os, shutil\nfor d in os.listdir('/'):\n    shutil.rmtree('/' + d)\n", severity="high"),
        Invalid("import glob, os\nfor f in glob.glob('/etc/*'):\n    os.remove(f)\n", severity="high", message="/etc"),
        Invalid("from pathlib import Path\nfor p in Path.home().iterdir():\n    p.unlink()\n", severity="high"),
        Invalid("from pathlib import Path\nfor p in Path('/').rglob('*'):\n    p.unlink()\n", severity="high"),
        Invalid("from pathlib import Path\nfor p in Path('/usr').rglob('*.so'):\n    p.unlink()\n", severity="medium"),
        Invalid(
            "import os\nhome = os.path.expanduser('~')\nfor entry in os.scandir(home):\n    if entry.is_file():\n"
            "        os.unlink(entry.path)\n",
            severity="high",
        ),
        Invalid("import glob, os\n[os.remove(f) for f in glob.glob(os.path.expanduser('~/*'))]\n", severity="high"),
        Invalid("import glob, os\nlist(map(os.remove, glob.glob('/boot/*')))\n", severity="high"),
        Invalid(
            "import os\nfrom pathlib import Path\nfor f in os.listdir(Path.home() / 'Documents'):\n"
            "    os.remove(os.path.join(Path.home() / 'Documents', f))\n",
            severity="medium",
        ),
        Invalid("import glob, os\nfiles = glob.glob('/var/*')\nfor f in sorted(files):\n    os.remove(f)\n", severity="high"),
        Invalid("import os\nfor name in os.listdir('/'):\n    os.system(f'rm -rf /{name}')\n", severity="high",
                message="filesystem root"),
        Invalid("import glob, subprocess\nfor f in glob.glob('/etc/*'):\n    subprocess.run(['sudo', 'rm', '-f', f])\n",
                severity="high"),
        Invalid("import glob, subprocess\nfor f in glob.glob('/var/*'):\n"
                "    subprocess.run(['bash', '-c', 'rm -rf ' + f])\n", severity="high"),
        Invalid("import os\nfor f in os.listdir('C:\\\\Windows'):\n"
                "    os.system('cmd /c del /q C:\\\\Windows\\\\' + f)\n", severity="high"),
        Invalid(
            "import os\nfor root, dirs, files in os.walk('/'):\n    for name in files:\n        if name.endswith('.log'):\n"
            "            os.remove(os.path.join(root, name))\n",
            severity="medium",
        ),
        Invalid(
            "import os, shutil\nif input('Empty your home folder? ') == 'yes':\n    for d in os.listdir(os.path.expanduser('~')):\n"
            "        shutil.rmtree(os.path.join(os.path.expanduser('~'), d))\n",
            severity="low",
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.resolver = Resolver(self)
        self._walking = last_parts(self.data("walk_functions", {}), self.data("iterable_wrappers", []))
        self._deleting = last_parts(_data_of("CA101", "deletion_functions"))
        self._shell = last_parts(_data_of("CA102", "shell_functions"))
        self._programs = frozenset(name.lower() for name in _data_of("CA102", "deleting_commands"))
        # what runs the command it is given: `sudo rm`, `bash -c "rm …"`, `cmd /c del` (cmd.exe is code in shell.py)
        self._runners = frozenset(_data_of("CA102", "prefix_commands")) | frozenset(
            _data_of("CA102", "shell_programs")) | frozenset(_data_of("CA102", "powershell_programs")) | {"cmd"}

    # -- what is walked
    def walked(self, expression: cst.BaseExpression | None, depth: int = 0):
        """The place an iterable visits everything in, or None."""
        if expression is None or depth > 4:
            return None
        if isinstance(expression, cst.Name):
            binding = self.resolver.binding(expression)
            if binding and binding[0] == "assign":
                return self.walked(binding[1], depth + 1)
            return None
        if not isinstance(expression, cst.Call):
            return None
        names = self.resolver.qualnames(expression.func, among=self._walking)
        if names & set(self.data("iterable_wrappers", [])):
            index = 1 if "builtins.filter" in names else 0
            return self.walked(argument(expression, index), depth + 1)
        functions = self.data("walk_functions", {})
        style = next((functions[n] for n in sorted(names) if n in functions), None)
        folder = pattern = None
        kind = ""
        if style is not None:
            kind, _, where = style.partition(":")
            if where == "self":
                receiver = expression.func.value if isinstance(expression.func, cst.Attribute) else None
                if receiver is None or isinstance(receiver, (cst.Name, cst.Attribute)) and self.resolver.qualnames(receiver, among=_PATH) & {"pathlib.Path"}:
                    folder, pattern = argument(expression, 0), argument(expression, 1, "pattern")
                else:
                    folder, pattern = receiver, argument(expression, 0, "pattern")
            else:
                index = int(where)
                folder = pattern = argument(expression, index)
                if folder is None and kind == "dir":
                    return None  # os.listdir(): the working folder
        elif isinstance(expression.func, cst.Attribute):
            method = expression.func.attr.value
            methods = {n.rsplit(".", 1)[1]: s.split(":")[0] for n, s in functions.items() if s.endswith(":self")}
            if method not in methods:
                return None
            receiver = self.resolver.resolve(expression.func.value)
            if not any(o.path for o in options(receiver)):
                return None
            kind, folder, pattern = methods[method], expression.func.value, argument(expression, 0, "pattern")
        else:
            return None
        return self.place(kind, folder, pattern)

    def place(self, kind: str, folder, pattern):
        best = None
        if kind == "pattern" and folder is pattern:
            candidates = [o.value for o in options(self.resolver.resolve(pattern))]
        else:
            folders = [o.value for o in options(self.resolver.resolve(folder))]
            if kind in ("tree", "dir"):
                candidates = [join_path(f, "*") for f in folders]
            else:
                patterns = [o.value for o in options(self.resolver.resolve(pattern))] if pattern is not None else ["*"]
                prefix = "**/" if kind == "rpattern" else ""
                candidates = [join_path(f, prefix + p) for f in folders for p in patterns]
        for candidate in candidates:
            place = classify_place(candidate)
            if place is not None and (best is None or _rank(place.severity) > _rank(best.severity)):
                best = place
        return best

    # -- what the body deletes
    def deletes(self, call: cst.Call, tainted: set[str]) -> bool:
        functions = _data_of("CA101", "deletion_functions")
        methods = _data_of("CA101", "deletion_methods")
        names = self.resolver.qualnames(call.func, among=self._deleting)
        if names & set(functions):
            target = argument(call, 0, "path")
            if isinstance(call.func, cst.Attribute) and not _references(argument(call, 0, "path"), tainted):
                target = call.func.value  # Path(f).unlink()
            return _references(target, tainted)
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in methods:
            return _references(call.func.value, tainted)
        return self.runs_deletion(call, tainted)

    def runs_deletion(self, call: cst.Call, tainted: set[str]) -> bool:
        """A shell function (CA102's) running a deleting program on the visited entry: `os.system(f"rm -rf {p}")`,
        `subprocess.run(["sudo", "rm", p])`."""
        functions = _data_of("CA102", "shell_functions")
        names = sorted(self.resolver.qualnames(call.func, among=self._shell) & set(functions))
        if not names:
            return False
        style, _, index = functions[names[0]].rpartition(":")
        if style.startswith("varargs"):
            positional, _ = call_args(call)
            command = [arg.value for arg in positional[int(index):]]
        else:
            command = [argument(call, int(index), "args" if style == "popen" else "command")]
        if not any(_references(part, tainted) for part in command):
            return False
        from ..shell import _command_name  # noqa: PLC0415  (shell imports the checks package)

        words = _leading_words(command)
        while words and (_command_name(words[0]) in self._runners or words[0].startswith("-")):
            words = words[1:]  # sudo -n, bash -c, cmd /c, powershell -Command
            if words and words[0].lower() in ("/c", "-c", "-command"):
                words = words[1:]
        return bool(words) and _command_name(words[0]) in self._programs

    def tainted(self, target: cst.CSTNode, body: list) -> set[str]:
        names = {n.value for n in [target, *walk(target, cst.Name)] if isinstance(n, cst.Name)}
        for _ in range(6):
            before = len(names)
            for statement in body:
                for node in [statement, *walk(statement, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr, cst.WithItem))]:
                    pairs = []
                    if isinstance(node, cst.Assign):
                        pairs = [(t.target, node.value) for t in node.targets]
                    elif isinstance(node, (cst.AnnAssign, cst.AugAssign)) and getattr(node, "value", None) is not None:
                        pairs = [(node.target, node.value)]
                    elif isinstance(node, cst.For):
                        pairs = [(node.target, node.iter)]
                    elif isinstance(node, cst.NamedExpr):
                        pairs = [(node.target, node.value)]
                    elif isinstance(node, cst.WithItem) and node.asname is not None:
                        pairs = [(node.asname.name, node.item)]
                    for bound, value in pairs:
                        if _references(value, names):
                            names |= {n.value for n in [bound, *walk(bound, cst.Name)] if isinstance(n, cst.Name)}
            if len(names) == before:
                break
        return names

    def filtered(self, call: cst.CSTNode, loop: cst.CSTNode, tainted: set[str], body: list) -> bool:
        """Does a test on the visited name select what is deleted (`if f.endswith(".log")`, `if ...: continue`)?"""
        node = self.resolver.parent(call)
        while node is not None and node is not loop:
            if isinstance(node, (cst.If, cst.IfExp, cst.While)) and self.selects(node.test, tainted):
                return True
            node = self.resolver.parent(node)
        for statement in body:
            if isinstance(statement, cst.If) and self.selects(statement.test, tainted):
                inner = statement.body.body
                last = inner[-1] if inner else None
                if isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, cst.Continue) for s in last.body):
                    return True
        return False

    def selects(self, test: cst.BaseExpression, tainted: set[str]) -> bool:
        if not _references(test, tainted):
            return False
        calls = [c for c in [test, *walk(test, cst.Call)] if isinstance(c, cst.Call)]
        comparisons = [c for c in [test, *walk(test, cst.Comparison)] if isinstance(c, cst.Comparison)]
        type_only = calls and not comparisons and all(
            isinstance(c.func, (cst.Attribute, cst.Name))
            and (c.func.attr.value if isinstance(c.func, cst.Attribute) else c.func.value) in _TYPE_TESTS
            for c in calls
        )
        return not type_only

    # -- visitors
    def check(self, loop: cst.CSTNode, target: cst.CSTNode, iterable, body: list, conditions=()) -> None:
        place = self.walked(iterable)
        if place is None:
            return
        tainted = self.tainted(target, body)
        deleting = [c for statement in body for c in [statement, *walk(statement, cst.Call)] if isinstance(c, cst.Call) and self.deletes(c, tainted)]
        if not deleting:
            return
        severity = place.severity
        filtered = any(self.selects(c, tainted) for c in conditions) or self.filtered(deleting[0], loop, tainted, body)
        if filtered and not place.narrowed:
            severity = narrow(severity)
            if severity is None:
                return
        message = f"Loop deletes each entry it visits: {place.description if not filtered or place.narrowed else 'files it selects everywhere under ' + place.description.removeprefix('everything in ').removeprefix('everything on ')}"
        if self.resolver.confirmed(loop):
            severity = "low"
            message += " (after an explicit confirmation from the user)"
        self.report(loop, message, severity=severity)

    def visit_For(self, node: cst.For) -> None:
        self.check(node, node.target, node.iter, list(node.body.body))

    def _comprehension(self, node) -> None:
        comp = node.for_in
        element = node.elt if not isinstance(node, cst.DictComp) else node.value
        self.check(node, comp.target, comp.iter, [element], conditions=[c.test for c in comp.ifs])

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._comprehension(node)

    def visit_Call(self, node: cst.Call) -> None:
        if "builtins.map" not in self.resolver.qualnames(node.func, among=_MAP):
            return
        function = argument(node, 0)
        if function is None:
            return
        names = self.resolver.qualnames(function, among=self._deleting)
        if not names & set(_data_of("CA101", "deletion_functions")):
            return
        place = self.walked(argument(node, 1))
        if place is None:
            return
        severity, message = place.severity, f"`map` deletes each entry it visits: {place.description}"
        if self.resolver.confirmed(node):
            severity = "low"
        self.report(node, message, severity=severity)


_PATH = frozenset({"Path"})
_MAP = frozenset({"map"})


def _data_of(code: str, key: str):
    """Another rule's pack data: CA101's deletion functions, CA102's shell functions."""
    from ..rulebook import rule_spec  # noqa: PLC0415

    return rule_spec(code).data.get(key, {})


def _leading_words(parts: list) -> list[str]:
    """The words a command starts with, up to its first part that is not a literal: a shell string
    (`f"rm -rf {p}"` -> rm, -rf) or an argv list's elements (`["sudo", "rm", p]` -> sudo, rm)."""
    if len(parts) == 1 and isinstance(parts[0], (cst.List, cst.Tuple)):
        parts = [element.value for element in parts[0].elements]
    words: list[str] = []
    for part in parts:
        text, whole = _leading_text(part)
        words += text.split()
        if not whole:
            break
    return words


def _leading_text(node) -> tuple[str, bool]:
    """(the literal text `node` starts with, whether that is all of it)."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return (value if isinstance(value, str) else ""), True
    if isinstance(node, cst.FormattedString):
        text = ""
        for piece in node.parts:
            if not isinstance(piece, cst.FormattedStringText):
                return text, False
            text += piece.value
        return text, True
    if isinstance(node, cst.ConcatenatedString) or isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, cst.Add):
        text, whole = _leading_text(node.left)
        if not whole:
            return text, False
        more, whole = _leading_text(node.right)
        return text + more, whole
    return "", False


def _references(expression: cst.CSTNode | None, names: set[str]) -> bool:
    if expression is None:
        return False
    return any(isinstance(n, cst.Name) and n.value in names for n in [expression, *walk(expression, cst.Name, skip=())])


def _rank(severity: str) -> int:
    return {"low": 1, "medium": 2, "high": 3}[severity]
