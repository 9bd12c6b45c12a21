"""Fenced code blocks in LLM responses: extraction, line mapping, and guessing untagged blocks."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codealign.analysis import Selection, analyze_markdown
from codealign.markdown import CodeBlock, extract_code_blocks, guess_block_language, info_language, split_lines

# --- extraction ------------------------------------------------------------------------------------------


def test_backtick_and_tilde_fences_with_start_lines():
    text = "Intro\n\n```python\nx = 1\ny = 2\n```\n\nMore text\n~~~bash\nls -la\n~~~\n"
    blocks = extract_code_blocks(text)
    assert [(b.language, b.code, b.start_line) for b in blocks] == [
        ("python", "x = 1\ny = 2\n", 4),
        ("bash", "ls -la\n", 10),
    ]
    lines = text.split("\n")
    for block in blocks:
        first = block.code.split("\n")[0]
        assert lines[block.start_line - 1] == first


@pytest.mark.parametrize(
    "info, language",
    [
        ("python", "python"),
        ("Python", "python"),
        (" python ", "python"),
        ('python title="app.py"', "python"),
        ("python {linenos=true}", "python"),
        ("{.python}", "python"),
        ("{.python .numberLines startFrom=10}", "python"),
        ("{ .py }", "py"),
        ("python:src/app.py", "python"),
        ("{r, echo=FALSE}", "r"),
        ("c++", "c++"),
        ("shell-session", "shell-session"),
        ("", ""),
        ("{}", ""),
    ],
)
def test_info_string_language(info, language):
    assert info_language(info) == language
    (block,) = extract_code_blocks(f"```{info}\ncode\n```\n")
    assert block.language == language
    assert block.info == info.strip()


def test_longer_fences_and_nested_shorter_fences():
    text = "````markdown\n```python\nprint(1)\n```\n````\n"
    (block,) = extract_code_blocks(text)
    assert block.language == "markdown"
    assert block.code == "```python\nprint(1)\n```\n"
    assert block.start_line == 2


def test_closing_fence_rules():
    # A different fence character, a shorter fence, and a fence with an info string do not close.
    text = "~~~~python\n```\n~~~\n~~~python\nx = 1\n~~~~~  \nafter\n"
    (block,) = extract_code_blocks(text)
    assert block.code == "```\n~~~\n~~~python\nx = 1\n"
    assert block.closed


def test_backtick_fence_info_cannot_contain_backticks():
    text = "```not a fence``` just inline\n\n```py\nok = True\n```\n"
    (block,) = extract_code_blocks(text)
    assert (block.language, block.code, block.start_line) == ("py", "ok = True\n", 4)


def test_unterminated_final_fence_runs_to_the_end():
    text = "Done:\n```python\nimport os\nos.remove(path)\n"
    (block,) = extract_code_blocks(text)
    assert block.code == "import os\nos.remove(path)\n"
    assert block.start_line == 3
    assert not block.closed


def test_fence_indented_in_a_list_item_is_dedented():
    text = (
        "1. Install it:\n"
        "\n"
        "   ```bash\n"
        "   pip install requests\n"
        "   ```\n"
        "2. Use it:\n"
        "    ```python\n"
        "    def f():\n"
        "        return 1\n"
        "  x = 2\n"  # less indented than the fence: strip what there is
        "    ```\n"
    )
    first, second = extract_code_blocks(text)
    assert (first.language, first.code, first.start_line) == ("bash", "pip install requests\n", 4)
    assert second.code == "def f():\n    return 1\nx = 2\n"
    assert second.start_line == 8


def test_crlf_and_lone_cr_line_endings():
    text = "a\r\n```python\r\nx = 1\r\ny = 2\r\n```\r\nb\r```sh\recho hi\r```\r"
    first, second = extract_code_blocks(text)
    assert (first.code, first.start_line) == ("x = 1\ny = 2\n", 3)
    assert (second.language, second.code, second.start_line) == ("sh", "echo hi\n", 8)


def test_form_feed_and_unicode_separators_are_not_line_breaks():
    text = "x\u2028y\n```python\na = 1\x0c\n```\n"
    assert split_lines(text) == ["x\u2028y", "```python", "a = 1\x0c", "```"]
    (block,) = extract_code_blocks(text)
    assert block.start_line == 3


def test_empty_block_and_no_blocks():
    (block,) = extract_code_blocks("```python\n```\n")
    assert block == CodeBlock("python", "", 2, info="python")
    assert extract_code_blocks("no code here\n``inline``\n") == []
    assert extract_code_blocks("") == []


def test_blocks_are_returned_in_order_and_fences_inside_blocks_are_content():
    text = "```text\n```python\n```\n```python\nreal = 1\n```\n"
    blocks = extract_code_blocks(text)
    assert [(b.language, b.code) for b in blocks] == [("text", "```python\n"), ("python", "real = 1\n")]


_LINE = st.text(alphabet=st.characters(exclude_characters="\r\n`~\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
                                       exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=100, deadline=None)
@given(
    before=st.lists(_LINE, max_size=5),
    code=st.lists(_LINE, min_size=1, max_size=8),
    after=st.lists(_LINE, max_size=5),
    fence=st.sampled_from(["```", "````", "~~~", "~~~~~"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    indent=st.sampled_from(["", "  ", "   ", "    "]),
)
def test_property_code_and_start_line_round_trip(before, code, after, fence, newline, indent):
    lines = [*before, indent + fence + "python", *(indent + line for line in code), indent + fence, *after]
    text = newline.join(lines) + newline
    blocks = extract_code_blocks(text)
    python = [b for b in blocks if b.language == "python"]
    assert len(python) == 1
    block = python[0]
    assert block.code == "\n".join(code) + "\n"  # the fence's indentation, and only that, is stripped
    assert block.start_line == len(before) + 2
    source_lines = split_lines(text)
    for offset, line in enumerate(code):
        assert source_lines[block.start_line - 1 + offset] == indent + line


# --- guessing untagged blocks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "import os\nprint(os.getcwd())\n",
        "x = 5\n",
        "def f(x):\n    return x * 2\n",
        "print('hello')\n",
        "for i in range(3):\n    print(i)\n",
        "class A:\n    pass\n",
        "@app.route('/')\ndef index():\n    return 'ok'\n",
        "#!/usr/bin/env python3\nmain()\n",
        # Broken Python is still Python (so it gets a parse-error finding instead of being skipped).
        "def f(x):\n    return x +\n",
        "from os import path\nprint path\n",
        "print 'hello'\n",
    ],
)
def test_guess_python(code):
    assert guess_block_language(code) == "python"


@pytest.mark.parametrize(
    "code",
    [
        "ls",
        "ls -la",
        "pip install requests\n",
        "sudo apt-get update && sudo apt-get install -y git\n",
        "rm -rf build/\n",
        "cd project\nnpm install\nnpm start\n",
        "$ git status\nOn branch main\nnothing to commit\n",
        "#!/bin/bash\nset -e\nmake\n",
        "FOO=bar ./run.sh --verbose\n",
        "export PATH=$PATH:/opt/bin\n",
        "python manage.py migrate\n",
        "docker build -t app .\n",
        "# install\ncurl -fsSL https://example.com/install.sh -o install.sh\n",
    ],
)
def test_guess_shell(code):
    assert guess_block_language(code) == "shell"


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   \n\n",
        "hello world",
        "make sure you install the package first.\n",
        "find the file and delete it before you continue.\n",
        'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: bad\n',
        '{"name": "x", "version": 1}\n',
        "[1, 2, 3]\n",
        "42\n",
        "x\n",
        "console.log(x);\nfoo(1);\n",
        "SELECT * FROM users WHERE id = 1;\n",
        "import React from 'react';\n",
        "int main() {\n    return 0;\n}\n",
        ">>> import os\n>>> os.getcwd()\n'/home'\n",
        'print "hi";\n',
        "a -> b -> c\n",
    ],
)
def test_guess_neither(code):
    assert guess_block_language(code) is None


# --- end to end through analyze_markdown --------------------------------------------------------------------

RESPONSE = (
    "Sure! Here is a calculator.\n"  # 1
    "\n"  # 2
    "It reads an expression:\n"  # 3
    "\n"  # 4
    "```python\n"  # 5
    "# calculator\n"  # 6
    "result = eval(input())\n"  # 7
    "print(result)\n"  # 8
    "```\n"  # 9
)


def test_finding_lines_map_back_to_the_response():
    findings = analyze_markdown(RESPONSE, selection=Selection(select=("B307",))).findings
    assert [(f.rule, f.line) for f in findings] == [("B307", 7)]
    assert findings[0].end_line == 7


def test_line_mapping_with_crlf_untagged_and_list_indented_blocks():
    response = (
        "Steps:\r\n"  # 1
        "1. Parse it:\r\n"  # 2
        "   ```\r\n"  # 3
        "   import yaml\r\n"  # 4
        "   data = yaml.load(open('c.yml'))\r\n"  # 5
        "   ```\r\n"  # 6
        "2. Evaluate:\r\n"  # 7
        "~~~{.python}\r\n"  # 8
        "value = eval(data['expr'])\r\n"  # 9
    )  # unterminated
    findings = analyze_markdown(response, selection=Selection(select=("B506", "B307"))).findings
    assert [(f.rule, f.line) for f in findings] == [("B506", 5), ("B307", 9)]


def test_untagged_broken_python_is_a_parse_error_at_its_line():
    response = "Try this:\n\n```\ndef f(x):\n    return x +\n```\n"
    findings = analyze_markdown(response, selection=Selection(select=("CA001",))).findings
    assert [f.rule for f in findings] == ["CA001"]
    assert findings[0].line == 5


def test_blocks_in_other_languages_and_prose_are_not_analyzed():
    response = (
        "```javascript\neval(userInput);\n```\n"
        "```text\neval(input())\n```\n"
        "```\nJust run eval on it, which is a bad idea.\n```\n"
    )
    result = analyze_markdown(response)
    assert result.findings == []


def test_several_blocks_keep_their_own_offsets():
    response = "```python\nimport pickle\n```\ntext\n\n```python\nimport pickle\npickle.loads(b)\n```\n"
    findings = analyze_markdown(response, selection=Selection(select=("B301", "B403"))).findings
    assert [(f.rule, f.line) for f in findings] == [("B403", 2), ("B403", 7), ("B301", 8)]
