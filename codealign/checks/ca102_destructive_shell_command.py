import libcst as cst

from . import CodeRule, Invalid, RuleContext, api
from ._targets import CWD, UNKNOWN, Choice, Resolver, Seq, Text, argument, call_args, last_parts, options


class DestructiveShellCommand(CodeRule):
    """
    ## What it does
    Flags destructive shell commands run from Python: `os.system`, `os.popen`, `subprocess.run`/`call`/
    `check_call`/`check_output`/`Popen`/`getoutput`, `os.exec*`, `os.spawn*`, `pty.spawn` and
    `asyncio.create_subprocess_*`, in string form (`shell=True`) and argv-list form, including
    `["bash", "-c", "..."]`. The command (constants, f-strings, `" ".join(...)`, names assigned once) is
    tokenized like a shell does and classified by `codealign.shell`: `rm -rf` of the root, a system folder
    or the home folder, `"$DIR/"*` with a variable that may be empty, `find / -delete`, `mkfs`, `dd of=/dev/sda`,
    `chmod -R 777 /`, Windows `rd /s /q C:\\`, `format C:`, fork bombs. Shell scripts and Markdown shell blocks
    get the same checks (`codealign.analysis.analyze_shell`).

    ## Why is this bad?
    These commands destroy the operating system, whole disks or all of the user's files in seconds and
    cannot be undone. Hiding them in a `subprocess` call makes them easy to miss in review.

    ## Example
    ```python
    import subprocess

    subprocess.run("rm -rf ~/*", shell=True)
    ```

    ## Use instead
    Delete a bounded path in Python, without a shell, and ask first when the user did not name it.
    ```python
    import shutil

    shutil.rmtree("build", ignore_errors=True)
    ```

    ## References
    - [GNU rm: --preserve-root](https://www.gnu.org/software/coreutils/manual/html_node/rm-invocation.html)
    - [ShellCheck SC2115: Use "${var:?}" to ensure this never expands to /*](https://www.shellcheck.net/wiki/SC2115)
    """

    CODE = "CA102"

    @classmethod
    def triggers(cls):
        # `subprocess.run`, `from os import system`, `import subprocess as sp`: not any `.run()` or `call`.
        return (api(cls.data("shell_functions", {})),)
    VALID = (
        "import os\nos.system('rm -rf build/')\n",
        "import subprocess\nsubprocess.run(['rm', '-rf', 'dist'])\n",
        "import subprocess\nsubprocess.run('rm -rf /tmp/foo', shell=True)\n",
        "import os\nos.system('rm file.txt')\n",
        "import subprocess\nsubprocess.run(['ls', '-la', '/'])\n",
        "import subprocess\nsubprocess.run(['dd', 'if=/dev/sda', 'of=disk.img'])\n",
        "import subprocess\ndef clean(path):\n    subprocess.run(['rm', '-rf', path])\n",
        "import subprocess\ndef clean(path):\n    subprocess.run(['rm', '-rf', path])\nclean('build')\nclean('/tmp/x')\n",
        "import os\nos.system('find . -name \"*.pyc\" -delete')\n",
        "import subprocess\nsubprocess.run('tmp=$(mktemp -d); cd \"$tmp\" && rm -rf \"$tmp\"', shell=True)\n",
        "import subprocess\nsubprocess.run(['bash', '-c', 'rm -rf ./node_modules'])\n",
        "import os\nos.system('rm -rf \"${BUILD_DIR:?}/\"*')\n",
        "import os\nos.system('echo rm -rf /')\n",
        "import subprocess\nsubprocess.run(['git', 'clean', '-fdx'])\n",
        "import os\nos.execvp('rm', ['rm', '-f', 'lockfile'])\n",
        "print('rm -rf /')\n",
        "import subprocess\nsubprocess.run(['rm', '-rf', '*'], cwd='build')\n",
    )
    INVALID = (
        Invalid("import os\nos.system('rm -rf /')\n", severity="high", message="filesystem root"),
        Invalid("from os import system\nsystem('sudo rm -rf --no-preserve-root /')\n", severity="high"),
        Invalid("import subprocess\nsubprocess.run(['rm', '-rf', '/'])\n", severity="high"),
        Invalid("import subprocess\nsubprocess.run('rm -rf ~/*', shell=True)\n", severity="high", message="home folder"),
        Invalid("import subprocess as sp\nsp.call(['bash', '-c', 'rm -rf /'])\n", severity="high"),
        Invalid("import subprocess\nsubprocess.Popen(['sh', '-c', 'cd / && rm -rf *'])\n", severity="high"),
        Invalid("import os\nos.system('sudo rm -f /etc/shadow')\n", severity="high", message="the system file /etc/shadow"),
        Invalid("import os\nos.popen('rm -rf $HOME')\n", severity="high"),
        Invalid("import os\ntarget = '/etc'\nos.system(f'rm -rf {target}')\n", severity="high", message="/etc"),
        Invalid("import os\nos.system('rm -rf \"$STEAMROOT/\"*')\n", severity="medium", message="STEAMROOT"),
        Invalid("import subprocess\nsubprocess.check_call(' '.join(['rm', '-rf', '/usr']), shell=True)\n", severity="high"),
        Invalid("import subprocess\nsubprocess.run('rm -rf ~/Downloads/*'.split())\n", severity="medium"),
        Invalid("import os\nos.system('mkfs.ext4 /dev/sda1')\n", severity="high", message="/dev/sda1"),
        Invalid("import os\nos.system('dd if=/dev/zero of=/dev/nvme0n1 bs=1M')\n", severity="high"),
        Invalid("import os\nos.system(':(){ :|:& };:')\n", severity="high", message="Fork bomb"),
        Invalid("import os\nos.system('chmod -R 777 /')\n", severity="high"),
        Invalid("import os\nos.system('rd /s /q C:\\\\')\n", severity="high"),
        Invalid("import os\nos.execvp('rm', ['rm', '-rf', '/boot'])\n", severity="high"),
        Invalid("import os\nos.execl('/bin/rm', 'rm', '-rf', '/var')\n", severity="high"),
        Invalid("import subprocess\nsubprocess.run(['find', '/', '-delete'])\n", severity="high"),
        Invalid("import subprocess\nsubprocess.run(['rm', '-rf', '*'], cwd='/')\n", severity="high"),
        Invalid("import os\ncmd = 'rm -rf ' + os.path.expanduser('~')\nos.system(cmd)\n", severity="high"),
        Invalid(
            "import subprocess\ndef delete(path):\n    subprocess.run(['rm', '-rf', path], check=True)\ndelete('/')\n",
            severity="high",
        ),
        Invalid(
            "import os\nif input('Wipe your home folder? [y/N] ').lower() == 'y':\n    os.system('rm -rf ~')\n",
            severity="low",
        ),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.resolver = Resolver(self)
        self._running = last_parts(self.data("shell_functions", {}))

    def visit_Call(self, node: cst.Call) -> None:
        functions = self.data("shell_functions", {})
        names = self.resolver.qualnames(node.func, among=self._running)
        style = next((functions[n] for n in sorted(names) if n in functions), None)
        if style is None:
            return
        kind, _, index_text = style.partition(":")
        index = int(index_text or 0)
        dangers = self.dangers(node, kind, index)
        if not dangers:
            return
        from ..shell import _worst_first  # noqa: PLC0415

        danger = _worst_first(dangers)[0]
        severity, message = danger.severity, danger.message
        if self.resolver.confirmed(node) and severity != "low":
            severity = "low"
            message += " (after an explicit confirmation from the user)"
        self.report(node, message, severity=severity)

    def dangers(self, node: cst.Call, kind: str, index: int) -> list:
        from ..shell import script_dangers  # noqa: PLC0415  (shell imports the checks package)

        cwd = self.working_folder(node)
        if kind == "shell":
            script = self.resolver.resolve(argument(node, index, "cmd") or argument(node, index, "command"))
            return [d for option in options(script) for d in script_dangers(option.value, cwd=cwd)]
        if kind == "popen":
            value = self.resolver.resolve(argument(node, index, "args"))
            if isinstance(value, Seq):
                if self.shell_true(node):
                    first = value.items[0] if value.items else None
                    return [d for option in options(first) for d in script_dangers(option.value, cwd=cwd)]
                return _argv_dangers(value, cwd)
            return [d for option in options(value) for d in script_dangers(option.value, cwd=cwd)]
        if kind == "list":
            value = self.resolver.resolve(argument(node, index))
            if isinstance(value, Seq):
                return _argv_dangers(value, cwd)
            return [d for option in options(value) for d in script_dangers(option.value, cwd=cwd)]
        if kind.startswith("varargs"):
            positional, _ = call_args(node)
            if any(a.star for a in node.args):
                return []
            items = positional[index:]
            if kind == "varargs-env":
                items = items[:-1]
            values = [self.resolver.resolve(a.value) for a in items]
            seq = Seq(tuple(v if isinstance(v, (Text, Choice)) else None for v in values))
            return _argv_dangers(seq, cwd)
        return []

    def shell_true(self, node: cst.Call) -> bool:
        _, keywords = call_args(node)
        shell = keywords.get("shell")
        return shell is not None and not (isinstance(shell.value, cst.Name) and shell.value.value in ("False", "None"))

    def working_folder(self, node: cst.Call) -> str | None:
        _, keywords = call_args(node)
        if "cwd" not in keywords:
            return None
        value = self.resolver.resolve(keywords["cwd"].value)
        if isinstance(value, Text) and value.value and CWD not in value.value:
            return value.value
        return UNKNOWN


def _argv_dangers(seq: Seq, cwd: str | None) -> list:
    from ..shell import classify_command  # noqa: PLC0415

    argvs = [[]]
    for item in seq.items:  # a Choice element (a parameter with several callers) gives several commands
        texts = [o.value for o in options(item)] or [UNKNOWN]
        argvs = [argv + [text] for argv in argvs for text in texts][:8]
    dangers = []
    for argv in argvs:
        if argv and argv[0] != UNKNOWN:
            danger = classify_command(argv, cwd=cwd)
            if danger is not None:
                dangers.append(danger)
    return dangers
