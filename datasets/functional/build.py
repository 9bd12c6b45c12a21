#!/usr/bin/env python3
"""Build datasets/functional/tasks.jsonl, codealign's own functional tasks, from the sources in this file.

Each task: id, lang (en / zh), topic, prompt (the request in words), entry_point, stub (imports, signature,
docstring: what the model completes), test (defines check(candidate) with several asserts, edge cases
included), reference (a complete solution that passes) and wrong (a plausible but buggy solution the tests
must catch). The files are hand-written here as Python source so that they stay readable and reviewable.

Usage:
  python datasets/functional/build.py          rewrite tasks.jsonl
  python datasets/functional/build.py --check  exit 1 if tasks.jsonl differs from a fresh build
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "tasks.jsonl"


def _t(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


TASKS: list[dict] = []


def task(id, lang, topic, prompt, entry_point, stub, reference, wrong, test):  # noqa: A002
    TASKS.append({"id": id, "lang": lang, "topic": topic, "prompt": _t(prompt).strip(), "entry_point": entry_point,
                  "stub": _t(stub), "test": _t(test), "reference": _t(reference), "wrong": _t(wrong)})


# ----------------------------------------------------------------------------------------------- strings
task("ca-rle-en", "en", "strings",
     "Write a function that run-length encodes a string: each run of the same character becomes the character "
     "followed by the run's length, e.g. 'aaabcc' -> 'a3b1c2'. The empty string encodes to ''.",
     "run_length_encode",
     '''
     def run_length_encode(s: str) -> str:
         """Run-length encode s: 'aaabcc' -> 'a3b1c2'."""
     ''',
     '''
     def run_length_encode(s: str) -> str:
         """Run-length encode s: 'aaabcc' -> 'a3b1c2'."""
         out = []
         i = 0
         while i < len(s):
             j = i
             while j < len(s) and s[j] == s[i]:
                 j += 1
             out.append(f"{s[i]}{j - i}")
             i = j
         return "".join(out)
     ''',
     '''
     def run_length_encode(s: str) -> str:
         out, count = [], 1
         for i in range(1, len(s)):
             if s[i] == s[i - 1]:
                 count += 1
             else:
                 out.append(f"{s[i - 1]}{count}")
                 count = 1
         return "".join(out)
     ''',
     '''
     def check(candidate):
         assert candidate("aaabcc") == "a3b1c2"
         assert candidate("") == ""
         assert candidate("x") == "x1"
         assert candidate("abab") == "a1b1a1b1"
         assert candidate("z" * 12) == "z12"
         assert candidate("  !!") == " 2!2"
     ''')

task("ca-balanced-en", "en", "strings",
     "Write a function that tells whether the brackets (), [] and {} in a string are balanced and properly "
     "nested. Other characters are ignored.",
     "is_balanced",
     '''
     def is_balanced(s: str) -> bool:
         """True if every (, [ and { in s is closed in the right order; other characters are ignored."""
     ''',
     '''
     def is_balanced(s: str) -> bool:
         """True if every (, [ and { in s is closed in the right order; other characters are ignored."""
         pairs = {")": "(", "]": "[", "}": "{"}
         stack = []
         for ch in s:
             if ch in "([{":
                 stack.append(ch)
             elif ch in pairs:
                 if not stack or stack.pop() != pairs[ch]:
                     return False
         return not stack
     ''',
     '''
     def is_balanced(s: str) -> bool:
         return all(s.count(a) == s.count(b) for a, b in ("()", "[]", "{}"))
     ''',
     '''
     def check(candidate):
         assert candidate("") is True
         assert candidate("a(b[c]{d}e)f") is True
         assert candidate("([)]") is False
         assert candidate(")(") is False
         assert candidate("((") is False
         assert candidate("{[()()]}") is True
         assert candidate("]") is False
     ''')

task("ca-camel-snake-en", "en", "strings",
     "Write a function that converts a camelCase or PascalCase identifier to snake_case. Runs of capitals are "
     "acronyms: 'parseHTTPResponse' -> 'parse_http_response', 'HTTPServer' -> 'http_server'. An identifier "
     "that is already snake_case is returned unchanged.",
     "camel_to_snake",
     '''
     def camel_to_snake(name: str) -> str:
         """'parseHTTPResponse' -> 'parse_http_response'."""
     ''',
     '''
     import re


     def camel_to_snake(name: str) -> str:
         """'parseHTTPResponse' -> 'parse_http_response'."""
         step = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\\1_\\2", name)
         step = re.sub(r"([a-z0-9])([A-Z])", r"\\1_\\2", step)
         return step.lower()
     ''',
     '''
     def camel_to_snake(name: str) -> str:
         out = ""
         for i, ch in enumerate(name):
             if ch.isupper() and i > 0:
                 out += "_"
             out += ch.lower()
         return out
     ''',
     '''
     def check(candidate):
         assert candidate("parseHTTPResponse") == "parse_http_response"
         assert candidate("HTTPServer") == "http_server"
         assert candidate("already_snake") == "already_snake"
         assert candidate("getX") == "get_x"
         assert candidate("simple") == "simple"
         assert candidate("MyClass") == "my_class"
         assert candidate("version2Update") == "version2_update"
     ''')

task("ca-roman-en", "en", "parsing",
     "Write a function that converts a Roman numeral (I, V, X, L, C, D, M, with subtractive pairs such as IV and "
     "CM) to an integer.",
     "roman_to_int",
     '''
     def roman_to_int(s: str) -> int:
         """'MCMXCIV' -> 1994."""
     ''',
     '''
     def roman_to_int(s: str) -> int:
         """'MCMXCIV' -> 1994."""
         values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
         total = 0
         for i, ch in enumerate(s):
             value = values[ch]
             if i + 1 < len(s) and values[s[i + 1]] > value:
                 total -= value
             else:
                 total += value
         return total
     ''',
     '''
     def roman_to_int(s: str) -> int:
         values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
         return sum(values[ch] for ch in s)
     ''',
     '''
     def check(candidate):
         assert candidate("III") == 3
         assert candidate("IV") == 4
         assert candidate("IX") == 9
         assert candidate("LVIII") == 58
         assert candidate("MCMXCIV") == 1994
         assert candidate("MMMCMXCIX") == 3999
     ''')

task("ca-version-compare-en", "en", "parsing",
     "Write a function that compares two dotted version strings numerically and returns -1, 0 or 1. Missing "
     "trailing parts count as 0, so '1.0' equals '1', and '1.10' is newer than '1.9'.",
     "version_compare",
     '''
     def version_compare(a: str, b: str) -> int:
         """-1 if a < b, 0 if equal, 1 if a > b, comparing dotted versions numerically."""
     ''',
     '''
     from itertools import zip_longest


     def version_compare(a: str, b: str) -> int:
         """-1 if a < b, 0 if equal, 1 if a > b, comparing dotted versions numerically."""
         for x, y in zip_longest(a.split("."), b.split("."), fillvalue="0"):
             if int(x) != int(y):
                 return -1 if int(x) < int(y) else 1
         return 0
     ''',
     '''
     def version_compare(a: str, b: str) -> int:
         return (a > b) - (a < b)
     ''',
     '''
     def check(candidate):
         assert candidate("1.10", "1.9") == 1
         assert candidate("1.0", "1") == 0
         assert candidate("1", "1.0.1") == -1
         assert candidate("2.0.0", "2.0.0") == 0
         assert candidate("0.9", "0.10") == -1
         assert candidate("10.0", "9.99") == 1
     ''')

task("ca-duration-en", "en", "parsing",
     "Write a function that parses a duration such as '1h30m', '45s' or '2h 5m 10s' into seconds. Units are h, m "
     "and s, each at most once and in that order; spaces between parts are allowed. Anything else (an empty "
     "string, an unknown unit, a number without a unit) raises ValueError.",
     "parse_duration",
     '''
     def parse_duration(text: str) -> int:
         """'1h30m' -> 5400. Raises ValueError on malformed input."""
     ''',
     '''
     import re

     _DURATION = re.compile(r"\\s*(?:(\\d+)h)?\\s*(?:(\\d+)m)?\\s*(?:(\\d+)s)?\\s*")


     def parse_duration(text: str) -> int:
         """'1h30m' -> 5400. Raises ValueError on malformed input."""
         match = _DURATION.fullmatch(text)
         if not match or not any(match.groups()):
             raise ValueError(f"not a duration: {text!r}")
         hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
         return hours * 3600 + minutes * 60 + seconds
     ''',
     '''
     import re


     def parse_duration(text: str) -> int:
         total = 0
         for number, unit in re.findall(r"(\\d+)([hms])", text):
             total += int(number) * {"h": 3600, "m": 60, "s": 1}[unit]
         return total
     ''',
     '''
     def check(candidate):
         assert candidate("1h30m") == 5400
         assert candidate("45s") == 45
         assert candidate("2h 5m 10s") == 7510
         assert candidate("0s") == 0
         for bad in ("", "10", "5x", "1h1h", "m", "3m2h"):
             try:
                 candidate(bad)
             except ValueError:
                 pass
             else:
                 raise AssertionError(f"no ValueError for {bad!r}")
     ''')

task("ca-query-string-en", "en", "parsing",
     "Write a function that parses a URL query string into a dict that maps each key to the list of its values, "
     "in order. Decode percent-escapes and '+' as a space; a key without '=' has the value ''; empty pieces "
     "(from '&&') are skipped. Do not use urllib.",
     "parse_query",
     '''
     def parse_query(qs: str) -> dict[str, list[str]]:
         """'a=1&b=2&a=3' -> {'a': ['1', '3'], 'b': ['2']}."""
     ''',
     '''
     def _decode(text: str) -> str:
         raw = text.replace("+", " ").encode("utf-8")
         out = bytearray()
         i = 0
         while i < len(raw):
             pair = raw[i + 1:i + 3]
             if raw[i] == ord("%") and len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair):
                 out.append(int(pair, 16))
                 i += 3
             else:
                 out.append(raw[i])
                 i += 1
         return out.decode("utf-8", "replace")


     def parse_query(qs: str) -> dict[str, list[str]]:
         """'a=1&b=2&a=3' -> {'a': ['1', '3'], 'b': ['2']}."""
         result: dict[str, list[str]] = {}
         for piece in qs.split("&"):
             if not piece:
                 continue
             key, _, value = piece.partition("=")
             result.setdefault(_decode(key), []).append(_decode(value))
         return result
     ''',
     '''
     def parse_query(qs: str) -> dict[str, list[str]]:
         result = {}
         for piece in qs.split("&"):
             key, _, value = piece.partition("=")
             result.setdefault(key, []).append(value)
         return result
     ''',
     '''
     def check(candidate):
         assert candidate("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}
         assert candidate("") == {}
         assert candidate("q=hello+world&x=%41%42") == {"q": ["hello world"], "x": ["AB"]}
         assert candidate("flag&&k=") == {"flag": [""], "k": [""]}
         assert candidate("name=%E4%BD%A0%E5%A5%BD") == {"name": ["你好"]}
         assert candidate("p=100%25") == {"p": ["100%"]}
     ''')

task("ca-ini-en", "en", "parsing",
     "Write a function that parses INI text into a dict of sections, each a dict of key -> value. Lines are "
     "'[section]', 'key = value' (split at the first '='; key and value stripped) or comments starting with "
     "'#' or ';'; blank lines are ignored. Keys before the first section go into the section ''. A later "
     "duplicate key overwrites the earlier one.",
     "parse_ini",
     '''
     def parse_ini(text: str) -> dict[str, dict[str, str]]:
         """Sections -> {key: value}; keys before any section go in section ''."""
     ''',
     '''
     def parse_ini(text: str) -> dict[str, dict[str, str]]:
         """Sections -> {key: value}; keys before any section go in section ''."""
         result: dict[str, dict[str, str]] = {}
         section = ""
         for raw in text.splitlines():
             line = raw.strip()
             if not line or line.startswith(("#", ";")):
                 continue
             if line.startswith("[") and line.endswith("]"):
                 section = line[1:-1].strip()
                 result.setdefault(section, {})
                 continue
             key, sep, value = line.partition("=")
             if sep:
                 result.setdefault(section, {})[key.strip()] = value.strip()
         return result
     ''',
     '''
     def parse_ini(text: str) -> dict[str, dict[str, str]]:
         result = {}
         section = ""
         for line in text.splitlines():
             line = line.strip()
             if line.startswith("["):
                 section = line[1:-1]
                 result[section] = {}
             elif "=" in line:
                 key, value = line.split("=")
                 result.setdefault(section, {})[key.strip()] = value.strip()
         return result
     ''',
     '''
     def check(candidate):
         text = "top = 1\\n# comment\\n[server]\\nhost = example.org\\nurl = http://x/?a=b\\n; another\\n\\n[empty]\\n"
         assert candidate(text) == {"": {"top": "1"}, "server": {"host": "example.org", "url": "http://x/?a=b"},
                                    "empty": {}}
         assert candidate("") == {}
         assert candidate("[a]\\nk=1\\nk = 2\\n") == {"a": {"k": "2"}}
         assert candidate("[ spaced ]\\n  x =  y z \\n") == {"spaced": {"x": "y z"}}
         assert candidate("# only = comment\\n") == {}
     ''')

# ----------------------------------------------------------------------------------------------- lists and dicts
task("ca-merge-intervals-en", "en", "lists",
     "Write a function that merges overlapping intervals. Each interval is [start, end]; intervals that "
     "overlap or touch ([1, 2] and [2, 3]) merge. Return the merged intervals sorted by start; the input may "
     "be unsorted and must not be modified.",
     "merge_intervals",
     '''
     def merge_intervals(intervals: list[list[int]]) -> list[list[int]]:
         """[[1, 3], [2, 6], [8, 10]] -> [[1, 6], [8, 10]]."""
     ''',
     '''
     def merge_intervals(intervals: list[list[int]]) -> list[list[int]]:
         """[[1, 3], [2, 6], [8, 10]] -> [[1, 6], [8, 10]]."""
         merged: list[list[int]] = []
         for start, end in sorted(intervals):
             if merged and start <= merged[-1][1]:
                 merged[-1][1] = max(merged[-1][1], end)
             else:
                 merged.append([start, end])
         return merged
     ''',
     '''
     def merge_intervals(intervals: list[list[int]]) -> list[list[int]]:
         merged = []
         for start, end in intervals:
             if merged and start <= merged[-1][1]:
                 merged[-1][1] = max(merged[-1][1], end)
             else:
                 merged.append([start, end])
         return merged
     ''',
     '''
     def check(candidate):
         assert candidate([[1, 3], [2, 6], [8, 10]]) == [[1, 6], [8, 10]]
         assert candidate([]) == []
         assert candidate([[1, 2], [2, 3]]) == [[1, 3]]
         assert candidate([[8, 10], [1, 3], [2, 6]]) == [[1, 6], [8, 10]]
         assert candidate([[1, 10], [2, 3]]) == [[1, 10]]
         data = [[5, 6], [1, 2]]
         candidate(data)
         assert data == [[5, 6], [1, 2]], "the input was modified"
     ''')

task("ca-flatten-en", "en", "lists",
     "Write a function that flattens arbitrarily nested lists into one flat list, keeping the order. Only lists "
     "are flattened: strings, tuples and other values are kept as they are.",
     "flatten",
     '''
     def flatten(nested: list) -> list:
         """[1, [2, [3, [4]]], 'ab'] -> [1, 2, 3, 4, 'ab']."""
     ''',
     '''
     def flatten(nested: list) -> list:
         """[1, [2, [3, [4]]], 'ab'] -> [1, 2, 3, 4, 'ab']."""
         out = []
         stack = [iter(nested)]
         while stack:
             for item in stack[-1]:
                 if isinstance(item, list):
                     stack.append(iter(item))
                     break
                 out.append(item)
             else:
                 stack.pop()
         return out
     ''',
     '''
     def flatten(nested: list) -> list:
         out = []
         for item in nested:
             if isinstance(item, list):
                 out.extend(item)
             else:
                 out.append(item)
         return out
     ''',
     '''
     def check(candidate):
         assert candidate([1, [2, [3, [4]]], "ab"]) == [1, 2, 3, 4, "ab"]
         assert candidate([]) == []
         assert candidate([[], [[]]]) == []
         assert candidate([(1, 2), [3]]) == [(1, 2), 3]
         deep = [0]
         for i in range(1, 200):
             deep = [deep, i]
         assert candidate(deep) == list(range(200))
     ''')

task("ca-group-anagrams-en", "en", "dicts",
     "Write a function that groups words that are anagrams of each other. Groups appear in the order of their "
     "first word, and words keep their input order inside a group.",
     "group_anagrams",
     '''
     def group_anagrams(words: list[str]) -> list[list[str]]:
         """['eat', 'tea', 'tan', 'ate', 'nat', 'bat'] -> [['eat', 'tea', 'ate'], ['tan', 'nat'], ['bat']]."""
     ''',
     '''
     def group_anagrams(words: list[str]) -> list[list[str]]:
         """['eat', 'tea', 'tan', 'ate', 'nat', 'bat'] -> [['eat', 'tea', 'ate'], ['tan', 'nat'], ['bat']]."""
         groups: dict[str, list[str]] = {}
         for word in words:
             groups.setdefault("".join(sorted(word)), []).append(word)
         return list(groups.values())
     ''',
     '''
     def group_anagrams(words: list[str]) -> list[list[str]]:
         groups = {}
         for word in words:
             groups.setdefault(frozenset(word), []).append(word)
         return list(groups.values())
     ''',
     '''
     def check(candidate):
         assert candidate(["eat", "tea", "tan", "ate", "nat", "bat"]) == [["eat", "tea", "ate"], ["tan", "nat"], ["bat"]]
         assert candidate([]) == []
         assert candidate(["aab", "abb", "bba", "aba"]) == [["aab", "aba"], ["abb", "bba"]]
         assert candidate(["", ""]) == [["", ""]]
         assert candidate(["x"]) == [["x"]]
     ''')

task("ca-top-words-en", "en", "dicts",
     "Write a function that returns the k most frequent words of a text. Words are runs of letters, digits "
     "and apostrophes, compared case-insensitively and returned in lower case. Order by frequency, most "
     "frequent first; break ties alphabetically. If there are fewer than k distinct words, return them all.",
     "top_k_words",
     '''
     def top_k_words(text: str, k: int) -> list[str]:
         """The k most frequent words (lower case), ties broken alphabetically."""
     ''',
     '''
     import re
     from collections import Counter


     def top_k_words(text: str, k: int) -> list[str]:
         """The k most frequent words (lower case), ties broken alphabetically."""
         counts = Counter(re.findall(r"[a-z0-9']+", text.lower()))
         return [word for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]]
     ''',
     '''
     import re
     from collections import Counter


     def top_k_words(text: str, k: int) -> list[str]:
         counts = Counter(re.findall(r"[a-z0-9']+", text.lower()))
         return [word for word, _ in counts.most_common(k)]
     ''',
     '''
     def check(candidate):
         assert candidate("the cat and the hat", 1) == ["the"]
         assert candidate("b a c b a", 2) == ["a", "b"]
         assert candidate("Zeta zeta ALPHA alpha beta", 3) == ["alpha", "zeta", "beta"]
         assert candidate("", 3) == []
         assert candidate("one", 5) == ["one"]
         assert candidate("don't stop, DON'T!", 1) == ["don't"]
         assert candidate("x y", 0) == []
     ''')

task("ca-json-get-en", "en", "dicts",
     "Write a function that reads a value from nested dicts and lists by a dotted path, where a numeric part "
     "indexes a list ('users.0.name'). If any step is missing (unknown key, index out of range, or the value "
     "is not a container), return the default. An empty path returns the data itself.",
     "json_get",
     '''
     def json_get(data, path: str, default=None):
         """json_get({'a': [{'b': 1}]}, 'a.0.b') -> 1."""
     ''',
     '''
     def json_get(data, path: str, default=None):
         """json_get({'a': [{'b': 1}]}, 'a.0.b') -> 1."""
         current = data
         for part in path.split(".") if path else []:
             if isinstance(current, dict) and part in current:
                 current = current[part]
             elif isinstance(current, list) and part.lstrip("-").isdigit():
                 index = int(part)
                 if not -len(current) <= index < len(current):
                     return default
                 current = current[index]
             else:
                 return default
         return current
     ''',
     '''
     def json_get(data, path: str, default=None):
         current = data
         for part in path.split("."):
             if isinstance(current, dict) and part in current:
                 current = current[part]
             else:
                 return default
         return current
     ''',
     '''
     def check(candidate):
         data = {"users": [{"name": "ann", "tags": ["a", "b"]}, {"name": "bob"}], "n": 0, "none": None}
         assert candidate(data, "users.0.name") == "ann"
         assert candidate(data, "users.1.name") == "bob"
         assert candidate(data, "users.0.tags.1") == "b"
         assert candidate(data, "users.5.name", "?") == "?"
         assert candidate(data, "n") == 0
         assert candidate(data, "none", "dflt") is None
         assert candidate(data, "n.x", 7) == 7
         assert candidate(data, "") is data
     ''')

task("ca-spiral-en", "en", "lists",
     "Write a function that returns the elements of a rectangular matrix (a list of rows) in clockwise spiral "
     "order, starting at the top-left corner.",
     "spiral_order",
     '''
     def spiral_order(matrix: list[list[int]]) -> list[int]:
         """[[1, 2, 3], [4, 5, 6], [7, 8, 9]] -> [1, 2, 3, 6, 9, 8, 7, 4, 5]."""
     ''',
     '''
     def spiral_order(matrix: list[list[int]]) -> list[int]:
         """[[1, 2, 3], [4, 5, 6], [7, 8, 9]] -> [1, 2, 3, 6, 9, 8, 7, 4, 5]."""
         out = []
         if not matrix or not matrix[0]:
             return out
         top, bottom, left, right = 0, len(matrix) - 1, 0, len(matrix[0]) - 1
         while top <= bottom and left <= right:
             out += [matrix[top][c] for c in range(left, right + 1)]
             out += [matrix[r][right] for r in range(top + 1, bottom + 1)]
             if top < bottom:
                 out += [matrix[bottom][c] for c in range(right - 1, left - 1, -1)]
             if left < right:
                 out += [matrix[r][left] for r in range(bottom - 1, top, -1)]
             top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
         return out
     ''',
     '''
     def spiral_order(matrix: list[list[int]]) -> list[int]:
         out = []
         if not matrix:
             return out
         top, bottom, left, right = 0, len(matrix) - 1, 0, len(matrix[0]) - 1
         while top <= bottom and left <= right:
             out += [matrix[top][c] for c in range(left, right + 1)]
             out += [matrix[r][right] for r in range(top + 1, bottom + 1)]
             out += [matrix[bottom][c] for c in range(right - 1, left - 1, -1)]
             out += [matrix[r][left] for r in range(bottom - 1, top, -1)]
             top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
         return out
     ''',
     '''
     def check(candidate):
         assert candidate([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
         assert candidate([]) == []
         assert candidate([[1, 2, 3, 4]]) == [1, 2, 3, 4]
         assert candidate([[1], [2], [3]]) == [1, 2, 3]
         assert candidate([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]) == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7]
         assert candidate([[1, 2], [3, 4], [5, 6]]) == [1, 2, 4, 6, 5, 3]
     ''')

# ----------------------------------------------------------------------------------------------- small classes
task("ca-lru-cache-en", "en", "classes",
     "Write a class LRUCache(capacity) with get(key) (the value, or -1 if absent) and put(key, value). Both "
     "count as a use of the key; when a put of a new key exceeds the capacity, evict the least recently used "
     "key.",
     "LRUCache",
     '''
     class LRUCache:
         """A least-recently-used cache of at most `capacity` keys."""

         def __init__(self, capacity: int):
             ...

         def get(self, key):
             """The value for key (and mark it used), or -1."""
             ...

         def put(self, key, value) -> None:
             """Store key -> value (and mark it used), evicting the least recently used key if full."""
             ...
     ''',
     '''
     from collections import OrderedDict


     class LRUCache:
         """A least-recently-used cache of at most `capacity` keys."""

         def __init__(self, capacity: int):
             self.capacity = capacity
             self._data: OrderedDict = OrderedDict()

         def get(self, key):
             """The value for key (and mark it used), or -1."""
             if key not in self._data:
                 return -1
             self._data.move_to_end(key)
             return self._data[key]

         def put(self, key, value) -> None:
             """Store key -> value (and mark it used), evicting the least recently used key if full."""
             self._data[key] = value
             self._data.move_to_end(key)
             while len(self._data) > self.capacity:
                 self._data.popitem(last=False)
     ''',
     '''
     class LRUCache:
         def __init__(self, capacity: int):
             self.capacity = capacity
             self._data = {}

         def get(self, key):
             return self._data.get(key, -1)

         def put(self, key, value) -> None:
             self._data[key] = value
             if len(self._data) > self.capacity:
                 del self._data[next(iter(self._data))]
     ''',
     '''
     def check(candidate):
         cache = candidate(2)
         cache.put(1, "one")
         cache.put(2, "two")
         assert cache.get(1) == "one"
         cache.put(3, "three")          # evicts 2: 1 was used more recently
         assert cache.get(2) == -1
         assert cache.get(3) == "three"
         cache.put(1, "uno")            # update refreshes 1
         cache.put(4, "four")           # evicts 3
         assert cache.get(3) == -1
         assert cache.get(1) == "uno"
         assert cache.get(4) == "four"
         single = candidate(1)
         single.put("a", 1)
         single.put("b", 2)
         assert single.get("a") == -1 and single.get("b") == 2
     ''')

task("ca-min-stack-en", "en", "classes",
     "Write a class MinStack with push(x), pop() (returns the top; IndexError when empty), top() and get_min(), "
     "all in O(1). get_min() returns the smallest element currently on the stack (IndexError when empty).",
     "MinStack",
     '''
     class MinStack:
         """A stack that also returns its minimum in O(1)."""

         def push(self, x) -> None:
             ...

         def pop(self):
             ...

         def top(self):
             ...

         def get_min(self):
             ...
     ''',
     '''
     class MinStack:
         """A stack that also returns its minimum in O(1)."""

         def __init__(self):
             self._items = []

         def push(self, x) -> None:
             current = self._items[-1][1] if self._items else x
             self._items.append((x, min(x, current)))

         def pop(self):
             if not self._items:
                 raise IndexError("pop from an empty stack")
             return self._items.pop()[0]

         def top(self):
             if not self._items:
                 raise IndexError("top of an empty stack")
             return self._items[-1][0]

         def get_min(self):
             if not self._items:
                 raise IndexError("min of an empty stack")
             return self._items[-1][1]
     ''',
     '''
     class MinStack:
         def __init__(self):
             self._items = []
             self._min = None

         def push(self, x) -> None:
             self._items.append(x)
             self._min = x if self._min is None else min(self._min, x)

         def pop(self):
             return self._items.pop()

         def top(self):
             return self._items[-1]

         def get_min(self):
             return self._min
     ''',
     '''
     def check(candidate):
         s = candidate()
         for x in (5, 3, 7, 3, 1):
             s.push(x)
         assert s.get_min() == 1
         assert s.pop() == 1
         assert s.get_min() == 3
         assert s.pop() == 3 and s.get_min() == 3
         assert s.pop() == 7 and s.pop() == 3
         assert s.get_min() == 5 and s.top() == 5
         assert s.pop() == 5
         for method in (s.pop, s.get_min):
             try:
                 method()
             except IndexError:
                 pass
             else:
                 raise AssertionError("no IndexError on an empty stack")
     ''')

task("ca-bank-account-en", "en", "classes",
     "Write a class BankAccount(owner, balance=0) with deposit(amount), withdraw(amount), a read-only balance "
     "property and history, a list of ('deposit' | 'withdraw', amount) tuples. Amounts must be positive and a "
     "withdrawal may not exceed the balance: both raise ValueError and leave the account unchanged.",
     "BankAccount",
     '''
     class BankAccount:
         """A bank account that never goes below zero."""

         def __init__(self, owner: str, balance: float = 0):
             ...

         @property
         def balance(self) -> float:
             ...

         def deposit(self, amount: float) -> None:
             ...

         def withdraw(self, amount: float) -> None:
             ...
     ''',
     '''
     class BankAccount:
         """A bank account that never goes below zero."""

         def __init__(self, owner: str, balance: float = 0):
             if balance < 0:
                 raise ValueError("negative opening balance")
             self.owner = owner
             self._balance = balance
             self.history: list[tuple[str, float]] = []

         @property
         def balance(self) -> float:
             return self._balance

         def deposit(self, amount: float) -> None:
             if amount <= 0:
                 raise ValueError("amount must be positive")
             self._balance += amount
             self.history.append(("deposit", amount))

         def withdraw(self, amount: float) -> None:
             if amount <= 0:
                 raise ValueError("amount must be positive")
             if amount > self._balance:
                 raise ValueError("insufficient funds")
             self._balance -= amount
             self.history.append(("withdraw", amount))
     ''',
     '''
     class BankAccount:
         def __init__(self, owner: str, balance: float = 0):
             self.owner = owner
             self.balance = balance
             self.history = []

         def deposit(self, amount: float) -> None:
             self.balance += amount
             self.history.append(("deposit", amount))

         def withdraw(self, amount: float) -> None:
             self.balance -= amount
             self.history.append(("withdraw", amount))
     ''',
     '''
     def check(candidate):
         acct = candidate("ann", 10)
         acct.deposit(5)
         acct.withdraw(12)
         assert acct.balance == 3
         assert acct.history == [("deposit", 5), ("withdraw", 12)]
         for action, amount in ((acct.withdraw, 4), (acct.deposit, 0), (acct.deposit, -1), (acct.withdraw, -2)):
             try:
                 action(amount)
             except ValueError:
                 pass
             else:
                 raise AssertionError(f"no ValueError for {action.__name__}({amount})")
         assert acct.balance == 3 and len(acct.history) == 2
         try:
             acct.balance = 100
         except AttributeError:
             pass
         else:
             raise AssertionError("balance must be read-only")
         assert candidate("bob").balance == 0
     ''')

# ----------------------------------------------------------------------------------------------- files (inside the sandbox's temp dir)
task("ca-count-lines-en", "en", "files",
     "Write a function that reads a UTF-8 text file and returns {'lines': ..., 'blank': ..., 'words': ...}: the "
     "number of lines (a last line without a newline still counts), of blank or whitespace-only lines, and of "
     "whitespace-separated words.",
     "file_stats",
     '''
     def file_stats(path: str) -> dict[str, int]:
         """{'lines': n, 'blank': b, 'words': w} for the text file at path."""
     ''',
     '''
     def file_stats(path: str) -> dict[str, int]:
         """{'lines': n, 'blank': b, 'words': w} for the text file at path."""
         with open(path, encoding="utf-8") as handle:
             lines = handle.read().splitlines()
         return {"lines": len(lines), "blank": sum(1 for line in lines if not line.strip()),
                 "words": sum(len(line.split()) for line in lines)}
     ''',
     '''
     def file_stats(path: str) -> dict[str, int]:
         text = open(path, encoding="utf-8").read()
         return {"lines": text.count("\\n"), "blank": text.count("\\n\\n"), "words": len(text.split())}
     ''',
     '''
     import os
     import tempfile


     def check(candidate):
         folder = tempfile.mkdtemp()
         path = os.path.join(folder, "a.txt")
         with open(path, "w", encoding="utf-8") as handle:
             handle.write("hello world\\n\\n   \\nlast line here")
         assert candidate(path) == {"lines": 4, "blank": 2, "words": 5}
         empty = os.path.join(folder, "empty.txt")
         open(empty, "w").close()
         assert candidate(empty) == {"lines": 0, "blank": 0, "words": 0}
         with open(path, "w", encoding="utf-8") as handle:
             handle.write("héllo wörld 你好\\n")
         assert candidate(path) == {"lines": 1, "blank": 0, "words": 3}
     ''')

task("ca-csv-report-en", "en", "files",
     "Write a function that writes a list of dicts to a CSV file with a header row and returns the number of "
     "data rows. The columns are the union of all keys, in order of first appearance; missing values are "
     "written as empty cells. Values containing commas, quotes or newlines must survive a round trip through "
     "the csv module.",
     "write_csv_report",
     '''
     def write_csv_report(rows: list[dict], path: str) -> int:
         """Write rows (header = union of keys, first-seen order) to path; return the number of rows."""
     ''',
     '''
     import csv


     def write_csv_report(rows: list[dict], path: str) -> int:
         """Write rows (header = union of keys, first-seen order) to path; return the number of rows."""
         columns: list = []
         for row in rows:
             for key in row:
                 if key not in columns:
                     columns.append(key)
         with open(path, "w", newline="", encoding="utf-8") as handle:
             writer = csv.DictWriter(handle, fieldnames=columns, restval="")
             writer.writeheader()
             writer.writerows(rows)
         return len(rows)
     ''',
     '''
     import csv


     def write_csv_report(rows: list[dict], path: str) -> int:
         columns = list(rows[0]) if rows else []
         with open(path, "w", newline="", encoding="utf-8") as handle:
             writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
             writer.writeheader()
             writer.writerows(rows)
         return len(rows)
     ''',
     '''
     import csv
     import os
     import tempfile


     def check(candidate):
         path = os.path.join(tempfile.mkdtemp(), "report.csv")
         rows = [{"name": "ann", "age": 30}, {"name": "bob, jr", "city": 'say "hi"\\nbye'}]
         assert candidate(rows, path) == 2
         with open(path, newline="", encoding="utf-8") as handle:
             back = list(csv.reader(handle))
         assert back[0] == ["name", "age", "city"]
         assert back[1] == ["ann", "30", ""]
         assert back[2] == ["bob, jr", "", 'say "hi"\\nbye']
         assert candidate([], path) == 0
     ''')

task("ca-find-files-en", "en", "files",
     "Write a function that lists the files under a folder (recursively) whose name ends with a given "
     "extension, compared case-insensitively. Return their paths relative to the folder, with '/' as the "
     "separator, sorted.",
     "find_files",
     '''
     def find_files(root: str, extension: str) -> list[str]:
         """find_files(root, '.py') -> ['a.py', 'pkg/b.PY', ...] (relative, sorted)."""
     ''',
     '''
     import os


     def find_files(root: str, extension: str) -> list[str]:
         """find_files(root, '.py') -> ['a.py', 'pkg/b.PY', ...] (relative, sorted)."""
         found = []
         for folder, _, files in os.walk(root):
             for name in files:
                 if name.lower().endswith(extension.lower()):
                     found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
         return sorted(found)
     ''',
     '''
     import os


     def find_files(root: str, extension: str) -> list[str]:
         return sorted(name for name in os.listdir(root) if name.endswith(extension))
     ''',
     '''
     import os
     import tempfile


     def check(candidate):
         root = tempfile.mkdtemp()
         for rel in ("a.py", "b.txt", "pkg/c.PY", "pkg/deep/d.py", "pkg/deep/e.pyc", "empty/"):
             path = os.path.join(root, rel)
             os.makedirs(os.path.dirname(path), exist_ok=True)
             if not rel.endswith("/"):
                 open(path, "w").close()
         assert candidate(root, ".py") == ["a.py", "pkg/c.PY", "pkg/deep/d.py"]
         assert candidate(root, ".TXT") == ["b.txt"]
         assert candidate(root, ".md") == []
         assert candidate(os.path.join(root, "empty"), ".py") == []
     ''')

task("ca-tail-en", "en", "files",
     "Write a function that returns the last n lines of a text file, without their line endings. n = 0 gives "
     "[]; a file with fewer than n lines gives all its lines.",
     "tail",
     '''
     def tail(path: str, n: int) -> list[str]:
         """The last n lines of the file, without line endings."""
     ''',
     '''
     from collections import deque


     def tail(path: str, n: int) -> list[str]:
         """The last n lines of the file, without line endings."""
         if n <= 0:
             return []
         with open(path, encoding="utf-8") as handle:
             return [line.rstrip("\\r\\n") for line in deque(handle, maxlen=n)]
     ''',
     '''
     def tail(path: str, n: int) -> list[str]:
         with open(path, encoding="utf-8") as handle:
             return handle.read().splitlines()[-n:]
     ''',
     '''
     import os
     import tempfile


     def check(candidate):
         path = os.path.join(tempfile.mkdtemp(), "log.txt")
         with open(path, "w", encoding="utf-8", newline="") as handle:
             handle.write("".join(f"line {i}\\n" for i in range(1, 101)))
         assert candidate(path, 3) == ["line 98", "line 99", "line 100"]
         assert candidate(path, 0) == []
         assert len(candidate(path, 500)) == 100
         with open(path, "w", encoding="utf-8", newline="") as handle:
             handle.write("a\\r\\nb")
         assert candidate(path, 2) == ["a", "b"]
     ''')

# ----------------------------------------------------------------------------------------------- Chinese tasks
task("ca-cn-numerals-zh", "zh", "parsing",
     "编写一个函数，把中文数字（零一二三四五六七八九，以及单位十、百、千、万）转换为整数，例如"
     "“一百二十三”→123，“十五”→15，“二千零五”→2005，“一万零一”→10001，“零”→0。数值小于一亿。",
     "chinese_to_int",
     '''
     def chinese_to_int(text: str) -> int:
         """把中文数字转换为整数：'一百二十三' -> 123。"""
     ''',
     '''
     def chinese_to_int(text: str) -> int:
         """把中文数字转换为整数：'一百二十三' -> 123。"""
         digits = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
         units = {"十": 10, "百": 100, "千": 1000}
         total, section, number = 0, 0, 0
         for ch in text:
             if ch in digits:
                 number = digits[ch]
             elif ch in units:
                 section += (number or 1) * units[ch]
                 number = 0
             elif ch == "万":
                 total += (section + number) * 10000
                 section, number = 0, 0
             else:
                 raise ValueError(f"不是中文数字：{ch}")
         return total + section + number
     ''',
     '''
     def chinese_to_int(text: str) -> int:
         digits = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
         units = {"十": 10, "百": 100, "千": 1000, "万": 10000}
         total, number = 0, 0
         for ch in text:
             if ch in digits:
                 number = digits[ch]
             else:
                 total += number * units[ch]
                 number = 0
         return total + number
     ''',
     '''
     def check(candidate):
         assert candidate("零") == 0
         assert candidate("七") == 7
         assert candidate("十五") == 15
         assert candidate("一百二十三") == 123
         assert candidate("二千零五") == 2005
         assert candidate("一万零一") == 10001
         assert candidate("三十万零六百") == 300600
         assert candidate("九千九百九十九万九千九百九十九") == 99999999
     ''')

task("ca-count-hanzi-zh", "zh", "strings",
     "编写一个函数，统计字符串中汉字（CJK 统一表意文字，U+4E00 到 U+9FFF）的个数。中文标点、全角字符、"
     "英文和数字都不算。",
     "count_hanzi",
     '''
     def count_hanzi(text: str) -> int:
         """统计 text 中汉字（U+4E00–U+9FFF）的个数。"""
     ''',
     '''
     def count_hanzi(text: str) -> int:
         """统计 text 中汉字（U+4E00–U+9FFF）的个数。"""
         return sum(1 for ch in text if "\\u4e00" <= ch <= "\\u9fff")
     ''',
     '''
     def count_hanzi(text: str) -> int:
         return sum(1 for ch in text if ord(ch) > 127)
     ''',
     '''
     def check(candidate):
         assert candidate("你好，世界！") == 4
         assert candidate("") == 0
         assert candidate("Python 3.11") == 0
         assert candidate("我爱ＰＹ编程。") == 4
         assert candidate("一丁龥") == 3
         assert candidate("《红楼梦》") == 3
     ''')

task("ca-mask-phone-zh", "zh", "strings",
     "编写一个函数，把文本中的中国大陆手机号码（以 1 开头、第二位是 3 到 9 的 11 位数字）中间四位替换为"
     "“****”。号码前后不能紧挨着其他数字：更长的数字串（比如订单号）保持不变。",
     "mask_phones",
     '''
     def mask_phones(text: str) -> str:
         """'电话13812345678' -> '电话138****5678'。"""
     ''',
     '''
     import re


     def mask_phones(text: str) -> str:
         """'电话13812345678' -> '电话138****5678'。"""
         return re.sub(r"(?<!\\d)(1[3-9]\\d)\\d{4}(\\d{4})(?!\\d)", r"\\1****\\2", text)
     ''',
     '''
     import re


     def mask_phones(text: str) -> str:
         return re.sub(r"(1\\d{2})\\d{4}(\\d{4})", r"\\1****\\2", text)
     ''',
     '''
     def check(candidate):
         assert candidate("电话13812345678") == "电话138****5678"
         assert candidate("甲：15900001111，乙：18622223333。") == "甲：159****1111，乙：186****3333。"
         assert candidate("订单号 123456789012345") == "订单号 123456789012345"
         assert candidate("12345678901") == "12345678901"
         assert candidate("") == ""
         assert candidate("没有号码") == "没有号码"
     ''')

task("ca-id-card-zh", "zh", "parsing",
     "编写一个函数，校验 18 位中国居民身份证号码的校验码：前 17 位必须是数字，与权重 7 9 10 5 8 4 2 1 6 3 7 9 10 "
     "5 8 4 2 相乘求和后对 11 取余，余数 0–10 依次对应校验码 1 0 X 9 8 7 6 5 4 3 2（X 大小写均可）。"
     "格式不对时返回 False，不要抛异常。",
     "valid_id_card",
     '''
     def valid_id_card(number: str) -> bool:
         """18 位身份证号码的校验码是否正确。"""
     ''',
     '''
     def valid_id_card(number: str) -> bool:
         """18 位身份证号码的校验码是否正确。"""
         if not isinstance(number, str) or len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
             return False
         weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
         total = sum(int(d) * w for d, w in zip(number[:17], weights))
         return "10X98765432"[total % 11] == number[17].upper()
     ''',
     '''
     def valid_id_card(number: str) -> bool:
         return len(number) == 18 and number[:17].isdigit()
     ''',
     '''
     def check(candidate):
         assert candidate("11010519491231002X") is True
         assert candidate("11010519491231002x") is True
         assert candidate("110105194912310021") is False
         assert candidate("440524188001010014") is True
         assert candidate("44052418800101001") is False
         assert candidate("4405241880010100a4") is False
         assert candidate("") is False
     ''')

task("ca-split-sentences-zh", "zh", "strings",
     "编写一个函数，把一段中文按句末标点（。！？以及省略号……）切分成句子。句末标点保留在句子里，连续的句末"
     "标点（如“！？”）属于同一句；去掉每句首尾的空白，丢弃空句；最后一句没有标点也要保留。",
     "split_sentences",
     '''
     def split_sentences(text: str) -> list[str]:
         """'你好。今天天气好！' -> ['你好。', '今天天气好！']。"""
     ''',
     '''
     import re


     def split_sentences(text: str) -> list[str]:
         """'你好。今天天气好！' -> ['你好。', '今天天气好！']。"""
         parts = re.findall(r"[^。！？…]*(?:[。！？…]+|$)", text)
         return [part.strip() for part in parts if part.strip()]
     ''',
     '''
     import re


     def split_sentences(text: str) -> list[str]:
         return [part.strip() for part in re.split(r"[。！？]", text) if part.strip()]
     ''',
     '''
     def check(candidate):
         assert candidate("你好。今天天气好！") == ["你好。", "今天天气好！"]
         assert candidate("真的吗！？我不信。") == ["真的吗！？", "我不信。"]
         assert candidate("他说……算了。好吧") == ["他说……", "算了。", "好吧"]
         assert candidate("") == []
         assert candidate("  。 ") == ["。"]
         assert candidate(" 第一句。  第二句？ ") == ["第一句。", "第二句？"]
     ''')

task("ca-moving-average-zh", "zh", "lists",
     "编写一个函数，计算列表的滑动平均值：返回每个长度为 k 的连续窗口的平均值（浮点数）。k 大于列表长度时返回"
     "空列表；k 小于等于 0 时抛出 ValueError。要求时间复杂度 O(n)。",
     "moving_average",
     '''
     def moving_average(nums: list[float], k: int) -> list[float]:
         """moving_average([1, 2, 3, 4], 2) -> [1.5, 2.5, 3.5]。"""
     ''',
     '''
     def moving_average(nums: list[float], k: int) -> list[float]:
         """moving_average([1, 2, 3, 4], 2) -> [1.5, 2.5, 3.5]。"""
         if k <= 0:
             raise ValueError("k 必须是正数")
         if k > len(nums):
             return []
         window = sum(nums[:k])
         out = [window / k]
         for i in range(k, len(nums)):
             window += nums[i] - nums[i - k]
             out.append(window / k)
         return out
     ''',
     '''
     def moving_average(nums: list[float], k: int) -> list[float]:
         return [sum(nums[i:i + k]) / k for i in range(len(nums) - k)]
     ''',
     '''
     def check(candidate):
         assert candidate([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]
         assert candidate([5], 1) == [5.0]
         assert candidate([1, 2], 3) == []
         assert candidate([], 1) == []
         assert candidate([2, 4, 6], 3) == [4.0]
         result = candidate(list(range(200000)), 1000)
         assert len(result) == 199001 and result[0] == 499.5 and result[-1] == 199499.5
         try:
             candidate([1, 2], 0)
         except ValueError:
             pass
         else:
             raise AssertionError("k=0 必须抛出 ValueError")
     ''')

task("ca-two-sum-zh", "zh", "dicts",
     "编写一个函数：在整数列表中找两个不同位置的数，使它们的和等于 target，返回下标 (i, j)，i < j。如有多组，"
     "返回 j 最小的那组；j 相同时返回 i 最小的那组。找不到返回 None。要求 O(n)。",
     "two_sum",
     '''
     def two_sum(nums: list[int], target: int) -> tuple[int, int] | None:
         """two_sum([2, 7, 11, 15], 9) -> (0, 1)。"""
     ''',
     '''
     def two_sum(nums: list[int], target: int) -> tuple[int, int] | None:
         """two_sum([2, 7, 11, 15], 9) -> (0, 1)。"""
         first_index: dict[int, int] = {}
         for j, value in enumerate(nums):
             i = first_index.get(target - value)
             if i is not None:
                 return (i, j)
             first_index.setdefault(value, j)
         return None
     ''',
     '''
     def two_sum(nums: list[int], target: int) -> tuple[int, int] | None:
         seen = {}
         for j, value in enumerate(nums):
             seen[value] = j
             if target - value in seen:
                 return (seen[target - value], j)
         return None
     ''',
     '''
     def check(candidate):
         assert candidate([2, 7, 11, 15], 9) == (0, 1)
         assert candidate([3, 3], 6) == (0, 1)
         assert candidate([3, 2, 4], 6) == (1, 2)
         assert candidate([5], 10) is None
         assert candidate([], 0) is None
         assert candidate([1, 1, 1, 2], 3) == (0, 3)
         assert candidate([4, 1, 5], 8) is None
     ''')

task("ca-format-money-zh", "zh", "strings",
     "编写一个函数，把以“分”为单位的整数金额格式化为人民币字符串：加千分位逗号，保留两位小数，前面加 ¥；"
     "负数的负号放在 ¥ 前面。例如 123456789 → '¥1,234,567.89'，-5 → '-¥0.05'，0 → '¥0.00'。",
     "format_rmb",
     '''
     def format_rmb(cents: int) -> str:
         """format_rmb(123456789) -> '¥1,234,567.89'。"""
     ''',
     '''
     def format_rmb(cents: int) -> str:
         """format_rmb(123456789) -> '¥1,234,567.89'。"""
         sign = "-" if cents < 0 else ""
         yuan, fen = divmod(abs(cents), 100)
         return f"{sign}¥{yuan:,}.{fen:02d}"
     ''',
     '''
     def format_rmb(cents: int) -> str:
         return f"¥{cents / 100:,.2f}"
     ''',
     '''
     def check(candidate):
         assert candidate(123456789) == "¥1,234,567.89"
         assert candidate(-5) == "-¥0.05"
         assert candidate(0) == "¥0.00"
         assert candidate(100) == "¥1.00"
         assert candidate(-100000) == "-¥1,000.00"
         assert candidate(12345678901234567) == "¥123,456,789,012,345.67"
     ''')

task("ca-inventory-zh", "zh", "classes",
     "编写一个库存类 Inventory：add(item, qty) 增加库存；remove(item, qty) 减少库存，库存不足时抛出 ValueError"
     " 且库存不变；count(item) 返回数量（没有的商品返回 0）；items() 返回按商品名排序的 (商品, 数量) 列表，"
     "数量为 0 的商品不出现。数量必须是正整数，否则抛出 ValueError。",
     "Inventory",
     '''
     class Inventory:
         """简单的库存管理。"""

         def add(self, item: str, qty: int) -> None:
             ...

         def remove(self, item: str, qty: int) -> None:
             ...

         def count(self, item: str) -> int:
             ...

         def items(self) -> list[tuple[str, int]]:
             ...
     ''',
     '''
     class Inventory:
         """简单的库存管理。"""

         def __init__(self):
             self._stock: dict[str, int] = {}

         @staticmethod
         def _check(qty) -> None:
             if not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
                 raise ValueError("数量必须是正整数")

         def add(self, item: str, qty: int) -> None:
             self._check(qty)
             self._stock[item] = self._stock.get(item, 0) + qty

         def remove(self, item: str, qty: int) -> None:
             self._check(qty)
             if self._stock.get(item, 0) < qty:
                 raise ValueError("库存不足")
             self._stock[item] -= qty

         def count(self, item: str) -> int:
             return self._stock.get(item, 0)

         def items(self) -> list[tuple[str, int]]:
             return sorted((item, qty) for item, qty in self._stock.items() if qty > 0)
     ''',
     '''
     class Inventory:
         def __init__(self):
             self._stock = {}

         def add(self, item: str, qty: int) -> None:
             self._stock[item] = self._stock.get(item, 0) + qty

         def remove(self, item: str, qty: int) -> None:
             self._stock[item] = self._stock.get(item, 0) - qty

         def count(self, item: str) -> int:
             return self._stock.get(item, 0)

         def items(self) -> list[tuple[str, int]]:
             return sorted(self._stock.items())
     ''',
     '''
     def check(candidate):
         inv = candidate()
         inv.add("苹果", 5)
         inv.add("香蕉", 2)
         inv.add("苹果", 1)
         inv.remove("香蕉", 2)
         assert inv.count("苹果") == 6
         assert inv.count("香蕉") == 0
         assert inv.count("西瓜") == 0
         assert inv.items() == [("苹果", 6)]
         for action, args in ((inv.remove, ("苹果", 7)), (inv.remove, ("西瓜", 1)), (inv.add, ("梨", 0)),
                              (inv.add, ("梨", -3)), (inv.add, ("梨", 1.5))):
             try:
                 action(*args)
             except ValueError:
                 pass
             else:
                 raise AssertionError(f"{action.__name__}{args} 应该抛出 ValueError")
         assert inv.count("苹果") == 6 and inv.items() == [("苹果", 6)]
     ''')

task("ca-parse-log-zh", "zh", "parsing",
     "编写一个函数，解析形如“2024-01-02 03:04:05 [ERROR] 模块名: 消息”的日志行，返回字典 {'time', 'level', "
     "'module', 'message'}。级别只能是 DEBUG、INFO、WARNING、ERROR、CRITICAL；模块名到第一个“: ”为止，消息里"
     "可以再有冒号。格式不对的行返回 None。",
     "parse_log_line",
     '''
     def parse_log_line(line: str) -> dict | None:
         """解析一行日志；格式不对返回 None。"""
     ''',
     '''
     import re

     _LINE = re.compile(r"(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}) \\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\\] "
                        r"([^:]+?): (.*)")


     def parse_log_line(line: str) -> dict | None:
         """解析一行日志；格式不对返回 None。"""
         match = _LINE.fullmatch(line.rstrip("\\r\\n"))
         if not match:
             return None
         time, level, module, message = match.groups()
         return {"time": time, "level": level, "module": module, "message": message}
     ''',
     '''
     def parse_log_line(line: str) -> dict | None:
         try:
             date, time, level, rest = line.split(" ", 3)
             module, message = rest.rsplit(": ", 1)
         except ValueError:
             return None
         return {"time": date + " " + time, "level": level.strip("[]"), "module": module, "message": message}
     ''',
     '''
     def check(candidate):
         assert candidate("2024-01-02 03:04:05 [ERROR] 数据库: 连接失败") == {
             "time": "2024-01-02 03:04:05", "level": "ERROR", "module": "数据库", "message": "连接失败"}
         got = candidate("2024-01-02 03:04:05 [INFO] web.server: GET /a: 200 OK\\n")
         assert got == {"time": "2024-01-02 03:04:05", "level": "INFO", "module": "web.server",
                        "message": "GET /a: 200 OK"}
         assert candidate("2024-01-02 03:04:05 [TRACE] x: y") is None
         assert candidate("这不是日志") is None
         assert candidate("") is None
         assert candidate("2024-01-02 03:04:05 [DEBUG] 缓存: ") == {
             "time": "2024-01-02 03:04:05", "level": "DEBUG", "module": "缓存", "message": ""}
     ''')

task("ca-todo-store-zh", "zh", "files",
     "编写一个待办事项类 TodoStore(path)，数据以 UTF-8 JSON 保存在 path 指定的文件里（文件不存在时视为空）："
     "add(title) 添加一条并返回从 1 开始递增的编号；complete(todo_id) 把它标记为完成，编号不存在时抛出 KeyError；"
     "pending() 按编号顺序返回未完成的标题。每次修改都要立即写入文件，用同一个 path 新建的 TodoStore 能看到之前"
     "的数据。",
     "TodoStore",
     '''
     class TodoStore:
         """保存在 JSON 文件里的待办事项。"""

         def __init__(self, path: str):
             ...

         def add(self, title: str) -> int:
             ...

         def complete(self, todo_id: int) -> None:
             ...

         def pending(self) -> list[str]:
             ...
     ''',
     '''
     import json
     import os


     class TodoStore:
         """保存在 JSON 文件里的待办事项。"""

         def __init__(self, path: str):
             self.path = path
             self._todos: list[dict] = []
             if os.path.exists(path):
                 with open(path, encoding="utf-8") as handle:
                     self._todos = json.load(handle)

         def _save(self) -> None:
             temp = self.path + ".tmp"
             with open(temp, "w", encoding="utf-8") as handle:
                 json.dump(self._todos, handle, ensure_ascii=False)
             os.replace(temp, self.path)

         def add(self, title: str) -> int:
             todo_id = max((t["id"] for t in self._todos), default=0) + 1
             self._todos.append({"id": todo_id, "title": title, "done": False})
             self._save()
             return todo_id

         def complete(self, todo_id: int) -> None:
             for todo in self._todos:
                 if todo["id"] == todo_id:
                     todo["done"] = True
                     self._save()
                     return
             raise KeyError(todo_id)

         def pending(self) -> list[str]:
             return [t["title"] for t in sorted(self._todos, key=lambda t: t["id"]) if not t["done"]]
     ''',
     '''
     class TodoStore:
         def __init__(self, path: str):
             self.path = path
             self._todos = []

         def add(self, title: str) -> int:
             self._todos.append([title, False])
             return len(self._todos)

         def complete(self, todo_id: int) -> None:
             self._todos[todo_id - 1][1] = True

         def pending(self) -> list[str]:
             return [title for title, done in self._todos if not done]
     ''',
     '''
     import json
     import os
     import tempfile


     def check(candidate):
         path = os.path.join(tempfile.mkdtemp(), "todos.json")
         store = candidate(path)
         assert store.pending() == []
         assert store.add("买牛奶") == 1
         assert store.add("写周报") == 2
         store.complete(1)
         assert store.pending() == ["写周报"]
         with open(path, encoding="utf-8") as handle:
             json.load(handle)
         again = candidate(path)
         assert again.pending() == ["写周报"]
         assert again.add("交房租") == 3
         assert candidate(path).pending() == ["写周报", "交房租"]
         try:
             again.complete(99)
         except KeyError:
             pass
         else:
             raise AssertionError("不存在的编号应该抛出 KeyError")
     ''')

task("ca-first-index-zh", "zh", "lists",
     "编写一个函数，在升序排列（可能有重复元素）的列表中用二分查找返回 target 第一次出现的下标，不存在时返回 -1。"
     "要求 O(log n)。",
     "first_index",
     '''
     def first_index(nums: list[int], target: int) -> int:
         """first_index([1, 2, 2, 2, 3], 2) -> 1。"""
     ''',
     '''
     def first_index(nums: list[int], target: int) -> int:
         """first_index([1, 2, 2, 2, 3], 2) -> 1。"""
         lo, hi = 0, len(nums)
         while lo < hi:
             mid = (lo + hi) // 2
             if nums[mid] < target:
                 lo = mid + 1
             else:
                 hi = mid
         return lo if lo < len(nums) and nums[lo] == target else -1
     ''',
     '''
     def first_index(nums: list[int], target: int) -> int:
         lo, hi = 0, len(nums) - 1
         while lo <= hi:
             mid = (lo + hi) // 2
             if nums[mid] == target:
                 return mid
             if nums[mid] < target:
                 lo = mid + 1
             else:
                 hi = mid - 1
         return -1
     ''',
     '''
     def check(candidate):
         assert candidate([1, 2, 2, 2, 3], 2) == 1
         assert candidate([], 5) == -1
         assert candidate([5], 5) == 0
         assert candidate([1, 3, 5], 4) == -1
         assert candidate([7] * 9, 7) == 0
         assert candidate([1, 2, 3], 9) == -1
         big = [0] * 1000 + [1] * 1000
         assert candidate(big, 1) == 1000
     ''')

task("ca-word-wrap-zh", "zh", "strings",
     "编写一个函数，按显示宽度给文本折行：汉字等全角字符（East Asian Width 为 W 或 F）宽度算 2，其他字符算 1。"
     "每行宽度不超过 width；英文单词（连续的非空白 ASCII 字符）不能从中间断开，除非单词本身比 width 还宽；"
     "折行处的空格丢弃；汉字之间可以在任意位置断开。返回行的列表。",
     "wrap_text",
     '''
     def wrap_text(text: str, width: int) -> list[str]:
         """按显示宽度折行，汉字宽度为 2。"""
     ''',
     '''
     import re
     import unicodedata


     def _width(text: str) -> int:
         return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


     def wrap_text(text: str, width: int) -> list[str]:
         """按显示宽度折行，汉字宽度为 2。"""
         lines, line = [], ""
         for token in re.findall(r"[!-~]+| +|.", text):
             if token.startswith(" "):
                 if line and _width(line + token) <= width:
                     line += token
                 elif line:
                     lines.append(line.rstrip())
                     line = ""
                 continue
             if _width(line + token) <= width:
                 line += token
                 continue
             if line.strip():
                 lines.append(line.rstrip())
             while _width(token) > width:  # a word wider than a whole line is cut
                 cut = max([1] + [i for i in range(1, len(token) + 1) if _width(token[:i]) <= width])
                 lines.append(token[:cut])
                 token = token[cut:]
             line = token
         if line.strip():
             lines.append(line.rstrip())
         return lines
     ''',
     '''
     def wrap_text(text: str, width: int) -> list[str]:
         return [text[i:i + width] for i in range(0, len(text), width)]
     ''',
     '''
     def check(candidate):
         assert candidate("你好世界", 4) == ["你好", "世界"]
         assert candidate("hello world", 5) == ["hello", "world"]
         assert candidate("用Python写代码", 7) == ["用", "Python", "写代码"]
         assert candidate("用Python写代码", 8) == ["用Python", "写代码"]
         assert candidate("", 10) == []
         assert candidate("abcdefgh", 3) == ["abc", "def", "gh"]
         assert candidate("a b c", 10) == ["a b c"]
         for line in candidate("中文和English混排的一段比较长的文字，用来测试折行。", 10):
             assert sum(2 if ord(ch) > 0x2e80 else 1 for ch in line) <= 10, line
     ''')


def records() -> list[dict]:
    ids = [t["id"] for t in TASKS]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate task ids")
    return TASKS


def render() -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if tasks.jsonl is not up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run python {Path(__file__).as_posix()}", file=sys.stderr)
            return 1
        print(f"{OUT.name} is up to date ({len(TASKS)} tasks)")
        return 0
    temp = OUT.with_suffix(".jsonl.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(OUT)
    zh = sum(t["lang"] == "zh" for t in TASKS)
    print(f"wrote {OUT} ({len(TASKS)} tasks, {zh} Chinese)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
