import libcst as cst

from . import CodeRule, Invalid, RuleContext, api
from ._targets import Resolver, argument, last_parts, walk

_SKIP = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_LOOPS = (cst.For, cst.While)


class ForkBomb(CodeRule):
    """
    ## What it does
    Flags code that creates processes without bound:

    * an endless loop (`while True:`, `while 1:`, `for _ in itertools.count():`, a flag that is never
      cleared) with no `break`/`return`/`raise`/`sys.exit` that forks (`os.fork`, `pty.fork`) or starts
      processes without waiting for them (`subprocess.Popen`, `multiprocessing.Process(...).start()`,
      `os.spawn*(os.P_NOWAIT, ...)`, `os.posix_spawn`). A loop that blocks or reaps (`accept()`, `sleep()`,
      `wait()`, `join()`, `communicate()`) is throttled and not reported; a forking server whose children
      exit is only unbounded when nothing in the loop waits.
    * a bounded loop whose forked children keep looping (`for _ in range(64): os.fork()`: 2**64 processes);
    * a function that forks and then calls itself unconditionally, or starts a process whose target is
      itself.

    Forking children that also keep looping (exponential growth) is high severity; starting one process
    per iteration without waiting is medium.

    ## Why is this bad?
    The number of processes grows until the process table and memory are exhausted; the machine stops
    responding and usually has to be power-cycled, losing unsaved work. Shell fork bombs (`:(){ :|:& };:`)
    are reported by CA102.

    ## Example
    ```python
    import os

    while True:
        os.fork()
    ```

    ## Use instead
    Use a fixed-size pool and wait for the workers.
    ```python
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, jobs))
    ```

    ## References
    - [CWE-400: Uncontrolled Resource Consumption](https://cwe.mitre.org/data/definitions/400.html)
    - [Fork bomb](https://en.wikipedia.org/wiki/Fork_bomb)
    - [concurrent.futures.ProcessPoolExecutor](https://docs.python.org/3/library/concurrent.futures.html#processpoolexecutor)
    """

    CODE = "CA105"


    @classmethod
    def triggers(cls):
        # A fork or a process start: the API however imported, or any `.Process(...)` (see `is_process`).
        return (api(cls.data("fork_functions", []), cls.data("spawn_functions", []), cls.data("spawn_mode_functions", []),
                    cls.data("process_classes", []), methods=("Process",)),)
    VALID = (
        "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\n",
        "import os\nfor _ in range(4):\n    os.fork()\n",
        "import subprocess\nwhile True:\n    p = subprocess.Popen(['worker'])\n    p.wait()\n",
        "import subprocess, time\nwhile True:\n    subprocess.Popen(['backup'])\n    time.sleep(3600)\n",
        "import os, socket\ns = socket.socket()\nwhile True:\n    conn, _ = s.accept()\n    if os.fork() == 0:\n        conn.close()\n        os._exit(0)\n",
        "import multiprocessing\nwhile True:\n    p = multiprocessing.Process(target=print)\n    p.start()\n    p.join()\n",
        "import subprocess\nwhile True:\n    subprocess.run(['make'])\n",
        "import os\nif os.fork() > 0:\n    os._exit(0)\nos.setsid()\nif os.fork() > 0:\n    os._exit(0)\n",
        "import os\nchildren = []\nwhile True:\n    if len(children) >= 4:\n        break\n    children.append(os.fork())\n",
        "import subprocess\nfor job in jobs:\n    subprocess.Popen(job)\n",
        "import os\ndef worker(n):\n    if n > 0:\n        os.fork()\n        worker(n - 1)\n",
        "import subprocess\nwhile True:\n    with subprocess.Popen(['x']) as proc:\n        pass\n",
        "import os\nwhile True:\n    line = input()\n    if not line:\n        break\n    os.system(line)\n",
        "import multiprocessing as mp\ndef main():\n    mp.Process(target=work).start()\n",
        "import os\nwhile True:\n    print(os.getpid())\n",
    )
    INVALID = (
        Invalid("import os\nwhile True:\n    os.fork()\n", severity="high", message="os.fork"),
        Invalid("from os import fork\nwhile 1:\n    fork()\n", severity="high"),
        Invalid("import os\nfor _ in range(1000):\n    os.fork()\n", severity="high", message="2**1000"),
        Invalid("import subprocess\nwhile True:\n    subprocess.Popen(['python', 'spam.py'])\n", severity="medium"),
        Invalid("import multiprocessing\nwhile True:\n    multiprocessing.Process(target=print).start()\n", severity="medium"),
        Invalid(
            "from multiprocessing import Process\nwhile True:\n    p = Process(target=print)\n    p.start()\n",
            severity="medium",
        ),
        Invalid("import os\ndef bomb():\n    os.fork()\n    bomb()\n", severity="high", message="bomb"),
        Invalid(
            "from multiprocessing import Process\ndef spawn():\n    Process(target=spawn).start()\n    Process(target=spawn).start()\n",
            severity="high",
        ),
        Invalid("import itertools, os\nfor _ in itertools.count():\n    os.fork()\n", severity="high"),
        Invalid("import os\nrunning = True\nwhile running:\n    os.fork()\n", severity="high"),
        Invalid("import os\nwhile True:\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n", severity="medium"),
        Invalid("import os\nwhile True:\n    os.spawnl(os.P_NOWAIT, '/bin/true', 'true')\n", severity="medium"),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.resolver = Resolver(self)
        data = self.data
        self._starting = last_parts(data("fork_functions", []), data("spawn_functions", []), data("spawn_mode_functions", []))
        self._processes = last_parts(data("process_classes", []))
        self._exits = last_parts(data("exit_functions", []))
        self._endless = last_parts(data("infinite_iterables", []), ["builtins.iter", "builtins.range"])

    # -- classification of calls
    def spawn_kind(self, call: cst.Call) -> str | None:
        """'fork' (the child continues too), 'spawn' (a process started without waiting) or None."""
        names = self.resolver.qualnames(call.func, among=self._starting)
        if names & set(self.data("fork_functions", [])):
            return "fork"
        if names & set(self.data("spawn_functions", [])):
            parent = self.resolver.parent(call)
            if isinstance(parent, cst.WithItem):
                return None  # `with Popen(...)` waits when the block ends
            return "spawn"
        if names & set(self.data("spawn_mode_functions", [])):
            mode = argument(call, 0, "mode")
            modes = set(self.data("nowait_modes", []))
            leaves = [mode, *walk(mode, (cst.Name, cst.Attribute))] if mode is not None else []
            if any(isinstance(n, cst.Attribute) and n.attr.value in modes or isinstance(n, cst.Name) and n.value in modes for n in leaves):
                return "spawn"
            return None
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "start" and self.is_process(call.func.value):
            return "spawn"
        return None

    def is_process(self, expression: cst.BaseExpression) -> bool:
        if isinstance(expression, cst.Name):
            binding = self.resolver.binding(expression)
            if binding and binding[0] == "assign":
                expression = binding[1]
        if not isinstance(expression, cst.Call):
            return False
        names = self.resolver.qualnames(expression.func, among=self._processes)
        if names & set(self.data("process_classes", [])):
            return True
        return isinstance(expression.func, cst.Attribute) and expression.func.attr.value == "Process"

    def blocks(self, call: cst.Call) -> bool:
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return name in set(self.data("blocking_calls", []))

    def is_exit(self, call: cst.Call) -> bool:
        return bool(self.resolver.qualnames(call.func, among=self._exits) & set(self.data("exit_functions", [])))

    # -- loops
    def loop_body(self, loop: cst.CSTNode) -> list[cst.CSTNode]:
        return list(loop.body.body)

    def exits(self, loop: cst.CSTNode) -> list[cst.CSTNode]:
        """Statements that leave `loop`: its own breaks, returns, raises, exit calls."""
        found = []
        stack = [(child, False) for child in loop.body.children]
        while stack:
            node, nested_loop = stack.pop()
            if isinstance(node, _SKIP):
                continue
            if isinstance(node, cst.Break) and not nested_loop:
                found.append(node)
            elif isinstance(node, (cst.Return, cst.Raise)):
                found.append(node)
            elif isinstance(node, cst.Call) and self.is_exit(node):
                found.append(node)
            inner = nested_loop or isinstance(node, _LOOPS)
            stack.extend((child, inner) for child in node.children)
        return found

    def in_child_branch(self, node: cst.CSTNode, loop: cst.CSTNode, fork_names: set[str], forks: list) -> bool:
        """Is `node` inside an `if` on a fork's result (`if pid == 0:`, `if os.fork() == 0:`)?"""
        parent = self.resolver.parent(node)
        while parent is not None and parent is not loop:
            if isinstance(parent, cst.If):
                test = parent.test
                leaves = [test, *walk(test, (cst.Name, cst.Call), skip=())]
                if any(isinstance(n, cst.Name) and n.value in fork_names for n in leaves) or any(n in forks for n in leaves):
                    return True
            parent = self.resolver.parent(parent)
        return False

    def check_loop(self, loop: cst.CSTNode, *, iterations: int | None) -> None:
        calls = [c for c in walk(loop.body, cst.Call) if isinstance(c, cst.Call)]
        kinds = [(c, self.spawn_kind(c)) for c in calls]
        forks = [c for c, k in kinds if k == "fork"]
        spawns = [c for c, k in kinds if k == "spawn"]
        if not forks and not spawns:
            return
        if any(self.blocks(c) for c in calls):
            return  # it waits for connections, input, time or its children
        fork_names = set()
        for fork in forks:
            parent = self.resolver.parent(fork)
            if isinstance(parent, cst.Assign):
                fork_names |= {n.value for t in parent.targets for n in [t.target, *walk(t.target, cst.Name)] if isinstance(n, cst.Name)}
            elif isinstance(parent, cst.NamedExpr):
                fork_names.add(parent.target.value)
        exits = self.exits(loop)
        child_exits = [e for e in exits if forks and self.in_child_branch(e, loop, fork_names, forks)]
        if len(child_exits) < len(exits):
            return  # the loop ends
        if iterations is not None:
            limit = int(self.data("max_fork_iterations", 10))
            if forks and not child_exits and iterations > limit:
                self.report(
                    loop,
                    f"Loop calls `os.fork()` {iterations} times and every child keeps looping: 2**{iterations} processes",
                    severity="high",
                )
            return
        if forks and not child_exits:
            name = ".".join(sorted(self.resolver.qualnames(forks[0].func))[:1]) or "fork"
            self.report(
                loop,
                f"Endless loop calls `{name}()` and every child keeps looping: the process count doubles each "
                "iteration (a fork bomb)",
                severity="high",
            )
            return
        self.report(
            loop,
            "Endless loop starts a new process every iteration and never waits for them: processes pile up until "
            "the system runs out",
            severity="medium",
        )

    def always_true(self, test: cst.BaseExpression) -> bool:
        if isinstance(test, cst.Name):
            if test.value == "True":
                return True
            binding = self.resolver.binding(test)
            return bool(binding and binding[0] == "assign" and isinstance(binding[1], cst.Name) and binding[1].value == "True")
        if isinstance(test, cst.Integer):
            return test.evaluated_value != 0
        if isinstance(test, cst.SimpleString):
            return bool(test.evaluated_value)
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = test.expression
            return (isinstance(inner, cst.Name) and inner.value in ("False", "None")) or (
                isinstance(inner, cst.Integer) and inner.evaluated_value == 0
            )
        return False

    def visit_While(self, node: cst.While) -> None:
        if self.always_true(node.test):
            self.check_loop(node, iterations=None)

    def visit_For(self, node: cst.For) -> None:
        iterable = node.iter
        if not isinstance(iterable, cst.Call):
            return
        if not any(self.spawn_kind(c) for c in walk(node.body, cst.Call) if isinstance(c, cst.Call)):
            return  # what it iterates over only matters to a loop that starts processes (see `check_loop`)
        names = self.resolver.qualnames(iterable.func, among=self._endless)
        if names & set(self.data("infinite_iterables", [])):
            if "itertools.repeat" in names and (argument(iterable, 1, "times") is not None):
                return
            self.check_loop(node, iterations=None)
            return
        if "builtins.iter" in names and len(iterable.args) == 2:
            self.check_loop(node, iterations=None)  # iter(callable, sentinel)
            return
        if "builtins.range" in names:
            positional = [a.value for a in iterable.args]
            if not positional or not all(isinstance(v, cst.Integer) for v in positional[:2]):
                return
            values = [int(v.evaluated_value) for v in positional[:2]]
            count = values[0] if len(values) == 1 else values[1] - values[0]
            self.check_loop(node, iterations=count)

    # -- recursion
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        top_calls = []
        for statement in node.body.body:
            if isinstance(statement, (cst.If, cst.For, cst.While, cst.Match)):
                continue  # conditional or bounded
            top_calls.extend(c for c in [statement, *walk(statement, cst.Call)] if isinstance(c, cst.Call))
        kinds = [(c, self.spawn_kind(c)) for c in top_calls]
        forks = [c for c, k in kinds if k == "fork"]
        self_calls = [c for c in top_calls if isinstance(c.func, cst.Name) and c.func.value == name]
        self_targets = [
            c for c, k in kinds
            if k == "spawn" and isinstance(c.func, cst.Attribute) and self._targets_function(c.func.value, name)
        ]
        if (forks and self_calls) or self_targets:
            self.report(
                node,
                f"Function `{name}` starts new processes and calls itself unconditionally in each of them: a fork bomb",
                severity="high",
            )

    def _targets_function(self, expression: cst.BaseExpression, name: str) -> bool:
        if isinstance(expression, cst.Name):
            binding = self.resolver.binding(expression)
            if binding and binding[0] == "assign":
                expression = binding[1]
        if not isinstance(expression, cst.Call):
            return False
        target = argument(expression, -1, "target")
        if target is None and len(expression.args) >= 2 and expression.args[1].keyword is None:
            target = expression.args[1].value  # Process(group, target)
        return isinstance(target, cst.Name) and target.value == name
