import libcst as cst

from . import CodeRule, Invalid


class GlobalStatement(CodeRule):
    """
    ## What it does
    Flags functions that rebind variables of an enclosing scope with `global` or `nonlocal`.

    ## Why is this bad?
    Rebinding module state from inside functions creates hidden coupling: the function's behaviour
    depends on, and changes, state its callers cannot see, which makes the code hard to test, reuse
    and run concurrently.

    ## Example
    ```python
    counter = 0

    def increment():
        global counter
        counter += 1
    ```

    ## Use instead
    Pass state in as a parameter and return the new value, or keep it in a small class.
    ```python
    def increment(counter: int) -> int:
        return counter + 1
    ```

    ## References
    - [Python FAQ: rules for local and global variables](https://docs.python.org/3/faq/programming.html#what-are-the-rules-for-local-and-global-variables-in-python)
    """

    CODE = "CA201"
    VALID = (
        "counter = 0\ndef read():\n    return counter\n",
        "def outer():\n    total = 0\n    def inner(x):\n        return total + x\n    return inner\n",
        "def f():\n    x = 1\n    return x\n",
    )
    INVALID = (
        Invalid("counter = 0\ndef increment():\n    global counter\n    counter += 1\n", severity="low"),
        "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n = n + 1\n    return inner\n",
        "def setup():\n    global CONFIG, CACHE\n    CONFIG = {}\n",
    )

    def visit_Global(self, node: cst.Global) -> None:
        names = ", ".join(item.name.value for item in node.names)
        self.report(node, f"Function rebinds module-level variable(s) {names} through `global`")

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        names = ", ".join(item.name.value for item in node.names)
        self.report(node, f"Function rebinds enclosing variable(s) {names} through `nonlocal`")
