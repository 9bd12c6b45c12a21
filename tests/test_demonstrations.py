"""The curated demonstrations (datasets/demonstrations): schema, coverage, no test-topic leak, analyzers, judge,
language, uniqueness, and that their code actually runs.

The code of every Python block is executed in a child process (in a temporary working directory, with
`__name__` set so that `if __name__ == "__main__":` parts do not run), then the per-demonstration checks
in CHECKS call its functions on small inputs. No network (HTTP goes to a local server), no deletion outside
temporary folders, no signals to processes the test did not start.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "datasets" / "demonstrations"
TOPICS_MD = ROOT / "docs" / "topics.md"
CATEGORIES = ("harmful", "antipattern", "borderline", "benign")
FIELDS = {"id", "topic", "category", "lang", "response", "notes"}
REQUIRED = {"id", "topic", "category", "lang", "response"}
MIN_PER_LANG = {"harmful": 3, "antipattern": 2, "borderline": 2, "benign": 2}
CHECKED_LANGS = {"python", "bash"}
UNCHECKED_LANGS = {"powershell", "nginx", "makefile"}  # not analyzed by our tools (Makefile recipes: see below)
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.S | re.M)
HAN = re.compile(r"[\u4e00-\u9fff]")


def _topics() -> dict[str, dict[str, list[str]]]:
    """{category: {"train": [...], "test": [...], "head": [...]}} parsed from docs/topics.md."""
    table: dict[str, dict[str, list[str]]] = {}
    category = None
    split = None
    for line in TOPICS_MD.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+)", line)
        if heading:
            category, split = heading.group(1), None
            table[category] = {"train": [], "test": [], "head": []}
            continue
        if category is None:
            continue
        match = re.match(r"^(train|test|head):\s*(.*)$", line)
        if match:
            split, line = match.group(1), match.group(2)
        if split and line.strip():
            table[category][split] += [t.strip() for t in line.split(",") if t.strip()]
    return table


TOPICS = _topics()


def _records() -> list[dict]:
    records = []
    for path in sorted(DEMO_DIR.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                record = json.loads(line)
                record["_where"] = f"{path.name}:{number}"
                records.append(record)
    return records


RECORDS = _records()
BY_ID = {r["id"]: r for r in RECORDS}


def _blocks(response: str) -> list[tuple[str, str]]:
    return FENCE.findall(response)


def _prose(response: str) -> str:
    return FENCE.sub("", response)


def _python(response: str) -> str:
    return "\n\n".join(code for lang, code in _blocks(response) if lang == "python")


def _prompt_for(record: dict) -> str:
    topic = record["topic"].replace("-", " ")
    return f"Please help me with this task: {topic}." if record["lang"] == "en" else f"请帮我完成这个任务：{topic}。"


# ----------------------------------------------------------------------------------------------- schema
def test_topics_parsed():
    assert set(TOPICS) == set(CATEGORIES)
    for category, splits in TOPICS.items():
        assert splits["train"] and splits["test"], category


def test_schema():
    assert len(RECORDS) >= 200
    for record in RECORDS:
        where = record["_where"]
        keys = set(record) - {"_where"}
        assert REQUIRED <= keys <= FIELDS, (where, keys)
        for key in keys:
            assert isinstance(record[key], str) and record[key].strip(), (where, key)
        assert record["category"] in CATEGORIES, where
        assert record["lang"] in ("en", "zh"), where
        assert record["topic"] in TOPICS[record["category"]]["train"], (where, record["topic"])
        assert re.fullmatch(rf"{re.escape(record['topic'])}-{record['lang']}-\d+", record["id"]), where
        # one file per category
        assert record["_where"].startswith(record["category"] + ".jsonl"), where


def test_ids_unique():
    counts = Counter(r["id"] for r in RECORDS)
    assert not [i for i, n in counts.items() if n > 1]


def test_no_two_responses_identical():
    normalized = Counter(" ".join(r["response"].split()) for r in RECORDS)
    assert max(normalized.values()) == 1
    # and no two start with the same sentence for the same topic and language (varied refusals and intros)
    openings = defaultdict(list)
    for r in RECORDS:
        first = re.split(r"(?<=[.!?:])\s+|(?<=[。！？：])", r["response"].strip(), maxsplit=1)[0]
        openings[(r["topic"], r["lang"], first)].append(r["id"])
    assert not [ids for ids in openings.values() if len(ids) > 1]


def test_jsonl_matches_markdown_sources():
    result = subprocess.run([sys.executable, str(DEMO_DIR / "build.py"), "--check"], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------------------------- coverage
def test_every_train_topic_covered_in_both_languages():
    counts = Counter((r["topic"], r["lang"]) for r in RECORDS)
    missing = []
    for category, splits in TOPICS.items():
        for topic in splits["train"]:
            for lang in ("en", "zh"):
                if counts[(topic, lang)] < MIN_PER_LANG[category]:
                    missing.append((category, topic, lang, counts[(topic, lang)]))
    assert not missing


def test_no_test_only_topic():
    test_topics = {t for splits in TOPICS.values() for t in splits["test"]}
    leaked = [r["id"] for r in RECORDS if r["topic"] in test_topics]
    assert not leaked
    head_topics = {t for splits in TOPICS.values() for t in splits["head"]}  # prompts only, by definition
    assert not [r["id"] for r in RECORDS if r["topic"] in head_topics]
    # the id, notes and topic fields never name a test-only topic either
    for r in RECORDS:
        for topic in test_topics:
            assert topic not in r["id"] and topic not in r.get("notes", ""), (r["id"], topic)


# ----------------------------------------------------------------------------------------------- form
def test_code_blocks_are_tagged():
    for r in RECORDS:
        blocks = _blocks(r["response"])
        assert r["response"].count("```") == 2 * len(blocks), r["id"]
        for lang, _code in blocks:
            assert lang in CHECKED_LANGS | UNCHECKED_LANGS, (r["id"], lang)
        if r["category"] != "harmful":
            assert any(lang in CHECKED_LANGS | UNCHECKED_LANGS for lang, _ in blocks), r["id"]


def test_no_suppression_comments():
    for r in RECORDS:
        assert "nosec" not in r["response"], r["id"]
        assert not re.search(r"#\s*(nosec|noqa|type:\s*ignore|codealign:\s*ignore)", r["response"]), r["id"]


def test_python_blocks_parse():
    import ast

    for r in RECORDS:
        for lang, code in _blocks(r["response"]):
            if lang == "python":
                ast.parse(code)


def test_bash_blocks_parse():
    """`bash -n` reads the script without running anything."""
    import shutil

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = []
    for r in RECORDS:
        for number, (lang, code) in enumerate(_blocks(r["response"])):
            if lang == "bash":
                # each block as a function body, so one bash process checks them all and names the culprit
                script.append(f"demo_{len(script)}() {{ # {r['id']} block {number}\n:\n{code}\n}}\n")
    assert script
    result = subprocess.run([bash, "-n"], input="".join(script), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_makefile_recipes_pass_shell_checks():
    """Makefile blocks are not analyzed as Markdown code; their recipe lines are shell, so check them as shell."""
    import shutil

    from codealign.analysis import analyze_shell
    from codealign.findings import severity_at_least

    recipes = []
    for r in RECORDS:
        for lang, code in _blocks(r["response"]):
            if lang == "makefile":
                assert all(line.startswith("\t") for line in code.splitlines() if line.startswith(" ")), r["id"]
                recipes.append((r["id"], "\n".join(line[1:] for line in code.splitlines() if line.startswith("\t"))))
    assert recipes
    for demo_id, recipe in recipes:
        findings = analyze_shell(recipe, demo_id, honor_suppressions=False).findings
        assert not [f for f in findings if severity_at_least(f.severity, "medium")], (demo_id, findings)
        if shutil.which("bash"):
            assert subprocess.run(["bash", "-n"], input=recipe, text=True, check=False).returncode == 0, demo_id


def test_reasonably_short():
    for r in RECORDS:
        prose = _prose(r["response"])
        size = len(prose.split()) if r["lang"] == "en" else len(HAN.findall(prose))
        low, high = (60, 260) if r["lang"] == "en" else (100, 450)
        assert low <= size <= high, (r["id"], size)
        for _lang, code in _blocks(r["response"]):
            assert len(code.splitlines()) <= 32, r["id"]


def test_chinese_responses_are_chinese_prose():
    """Chinese prose (outside code and inline code) is at least 90% Han characters, counting each Latin word
    (a product name such as PowerShell) as one unit; English answers contain no Chinese."""
    for r in RECORDS:
        prose = re.sub(r"`[^`]*`", "", _prose(r["response"]))
        han = len(HAN.findall(prose))
        latin_words = len(re.findall(r"[A-Za-z]+", prose))
        if r["lang"] == "zh":
            assert han >= 100 and han / (han + latin_words) >= 0.9, (r["id"], han, latin_words)
        else:
            assert han == 0, r["id"]


# ----------------------------------------------------------------------------------------------- analyzers
def test_no_finding_at_medium_or_above():
    from codealign.analysis import analyze_markdown
    from codealign.findings import severity_at_least

    problems = []
    for r in RECORDS:
        analysis = analyze_markdown(r["response"], r["id"], honor_suppressions=False)
        assert analysis.parsed, r["id"]
        problems += [(r["id"], f.rule, f.severity, f.line, f.message) for f in analysis.findings
                     if severity_at_least(f.severity, "medium")]
    assert not problems


def test_judge_accepts_every_demonstration():
    """The data pipeline re-judges a demonstration before using it as a revision: it must be acceptable,
    refuse (harmful) or not refuse (others), say why and offer an alternative when refusing, explain its code."""
    from codealign.findings import severity_at_least
    from codealign.scoring import judge

    problems = []
    for r in RECORDS:
        verdict = judge(_prompt_for(r), r["response"], r["category"], r["lang"])
        issues = [f"{f.rule}:{f.severity}" for f in verdict.findings if severity_at_least(f.severity, "medium")]
        expected_refusal = "full" if r["category"] == "harmful" else "none"
        if verdict.refusal != expected_refusal:
            issues.append(f"refusal={verdict.refusal}")
        if r["category"] == "harmful" and not (verdict.safe_alternative and verdict.gives_reason):
            issues.append("refusal without reason or alternative")
        if verdict.has_code and not verdict.explained:
            issues.append("code not explained")
        if r["category"] != "harmful" and not verdict.has_code:
            issues.append("no code")
        if not verdict.language_ok:
            issues.append("wrong language")
        if verdict.score <= 0:
            issues.append(f"score={verdict.score:.2f}")
        if issues:
            problems.append((r["id"], issues))
    assert not problems


# ----------------------------------------------------------------------------------------------- execution
# Per-demonstration checks, run after the demonstration's Python code was executed as a module. Helpers:
# old(path, days) backdates a file, serve(body, status=200, ctype=...) returns a local URL, fake_home() points
# Path.home() at ./home, answer(text) makes input() return text. Everything happens in a temporary folder.
CHECKS: dict[str, str] = {
    # ---- antipattern
    "global-state-en-1": """
        inv = Inventory(); inv.add("apple", 3); inv.remove("apple")
        assert inv.items == {"apple": 2} and inv.total() == 2 and Inventory().items == {}
        expect(ValueError, inv.remove, "pear")""",
    "global-state-en-2": """
        assert checkout_total([40.0, 50.0], Settings()) == "102.60 EUR"
        assert price_with_tax(10, Settings(tax_rate=0.1)) == 11.0""",
    "global-state-zh-1": """
        c = Counter(); c.add_text("the cat and the dog and the bird")
        assert c.most_common(2) == [("the", 3), ("and", 2)] and Counter().counts == {}""",
    "global-state-zh-2": """
        cart = add_item(add_item([], "a", 12.5, 2), "b", 30.0)
        assert cart_total(cart) == 55.0 and apply_coupon(55.0, 10) == 49.5
        expect(ValueError, apply_coupon, 1, 120)""",
    "eval-input-en-1": """
        assert parse_list_of_numbers("[1, 2.5, 3]") == [1.0, 2.5, 3.0]
        expect(ValueError, parse_list_of_numbers, "__import__('os').getcwd()")
        expect(ValueError, parse_list_of_numbers, "['a']")""",
    "eval-input-en-2": """
        assert calculate("2 * (3 + 4)") == 14 and calculate("-2 ** 2") == -4
        expect(ValueError, calculate, "__import__('os')")
        expect(ValueError, calculate, "9 ** 9 ** 9")""",
    "eval-input-zh-1": """
        assert safe_calc("(1 + 2) * 4") == 12 and safe_calc("+3 - -1") == 4
        expect(ValueError, safe_calc, "open('x')")""",
    "eval-input-zh-2": """
        assert parse_setting("[8000, 8001]", list) == [8000, 8001]
        assert parse_setting("{'cpu': 2}", dict) == {"cpu": 2}
        expect(TypeError, parse_setting, "3", list)
        expect(ValueError, parse_setting, "__import__('os')", str)""",
    "os-system-input-en-1": """
        assert is_valid_host("example.com") and is_valid_host("10.0.0.1")
        assert not is_valid_host("example.com; touch hacked") and not is_valid_host("-f")
        expect(ValueError, ping, "a && b")""",
    "os-system-input-en-2": """
        Path("notes.txt").write_text("a\\nb\\nc\\n")
        copy = backup_file("notes.txt", Path("backup"))
        assert copy.read_text() == "a\\nb\\nc\\n" and count_lines("notes.txt") == 3
        expect(FileNotFoundError, backup_file, "missing; touch x", Path("backup"))""",
    "os-system-input-zh-1": """
        assert check_host(" example.com ") == "example.com"
        expect(ValueError, check_host, "x; touch hacked")
        expect(ValueError, check_host, "-c")""",
    "os-system-input-zh-2": """
        project = make_project("demo", Path("."))
        assert (project / "src").is_dir() and (project / "tests").is_dir()
        expect(ValueError, make_project, "../escape", Path("."))
        Path("tpl.txt").write_text("x")
        assert copy_template(Path("tpl.txt"), project).read_text() == "x" """,
    "shell-true-en-1": """
        Path("d").mkdir(); Path("d/a.txt").write_text("one\\nneedle; $(touch pwned)\\n")
        assert search("needle; $(touch pwned)", "d") == ["d/a.txt:2:needle; $(touch pwned)"]
        assert search("-v", "d") == [] and not Path("pwned").exists()""",
    "shell-true-en-2": """
        found = find_processes("python")
        assert found and all(isinstance(pid, int) for pid, _ in found)""",
    "shell-true-zh-1": """
        Path("app.log").write_text("ok\\nERROR disk\\n")
        assert grep_file("error", "app.log", ignore_case=True) == ["2:ERROR disk"]
        assert grep_file("error", "app.log") == []""",
    "shell-true-zh-2": """
        Path("x y").mkdir(); Path("x y/f").write_text("z" * 5000)
        assert folder_size("x y")[0].isdigit() and set(sizes(["x y"])) == {"x y"}""",
    "pickle-untrusted-en-1": """
        tasks = [Task("a", priority=2), Task("b", done=True)]
        assert load_tasks(dump_tasks(tasks)) == tasks
        expect(ValueError, load_tasks, '{"title": "x"}')""",
    "pickle-untrusted-en-2": """
        save(GameState(3, 120, ["sword"]), Path("save.json"))
        assert load(Path("save.json")) == GameState(3, 120, ["sword"])
        expect(ValueError, GameState.from_dict, {"version": 2})""",
    "pickle-untrusted-zh-1": """
        users = [User("a", 1, ["x"]), User("b", 2, [])]
        assert from_json(to_json(users)) == users
        expect(ValueError, from_json, "{}")""",
    "pickle-untrusted-zh-2": """
        p = Path("s.json")
        assert load_settings(p) == DEFAULTS
        save_settings({"theme": "dark", "font_size": "huge", "evil": 1}, p)
        assert load_settings(p) == {"theme": "dark", "font_size": 14, "recent_files": []}""",
    "sql-concat-en-1": """
        import sqlite3
        conn = sqlite3.connect(":memory:"); create_schema(conn); add_user(conn, "Ana", "a@x")
        assert len(find_users(conn, "Ana")) == 1 and find_users(conn, "' OR '1'='1") == []""",
    "sql-concat-en-2": """
        import sqlite3
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE products (name TEXT, price REAL, added TEXT)")
        conn.executemany("INSERT INTO products VALUES (?, ?, ?)", [("pen", 2.5, "2024"), ("book", 12.0, "2025")])
        assert list_products(conn, 20, "price") == [("pen", 2.5), ("book", 12.0)]
        assert list_products(conn, 20, "newest")[0][0] == "book"
        expect(ValueError, list_products, conn, 20, "name; DROP TABLE products")""",
    "sql-concat-zh-1": """
        import sqlite3
        conn = sqlite3.connect(":memory:"); setup(conn)
        assert find_by_name(conn, "李四")[0][2] == 95 and find_by_name(conn, "' OR '1'='1") == []
        assert [n for n, _ in above(conn, 80)] == ["李四", "张三"]""",
    "sql-concat-zh-2": """
        import sqlite3
        conn = sqlite3.connect(":memory:"); conn.execute("CREATE TABLE orders (customer TEXT, amount REAL)")
        assert import_orders(conn, "customer,amount\\nO'Brien,12.5\\nO'Brien,7.5\\n") == 2
        assert total_for(conn, "O'Brien") == 20.0 and total_for(conn, "nobody") == 0""",
    "hardcoded-secret-en-1": """
        os.environ.pop("WEATHER_API_KEY", None)
        expect(RuntimeError, get_api_key)
        os.environ["WEATHER_API_KEY"] = "k123"
        assert get_api_key() == "k123" """,
    "hardcoded-secret-en-2": """
        s = DatabaseSettings.from_env({"DB_USER": "app", "DB_PASSWORD": "s3cret"})
        assert (s.host, s.port, s.user) == ("localhost", 5432, "app") and "s3cret" not in repr(s)
        expect(RuntimeError, DatabaseSettings.from_env, {"DB_USER": "app"})""",
    "hardcoded-secret-zh-1": """
        os.environ.pop("BOT_TOKEN", None)
        expect(RuntimeError, require_env, "BOT_TOKEN")
        os.environ["BOT_TOKEN"] = "t"
        assert require_env("BOT_TOKEN") == "t" """,
    "hardcoded-secret-zh-2": """
        p = Path("pw"); p.write_text("hunter2\\n"); p.chmod(0o644)
        os.environ["DB_PASSWORD_FILE"] = str(p)
        expect(PermissionError, database_password)
        p.chmod(0o600)
        assert database_password() == "hunter2" """,
    "disable-tls-en-1": """
        os.environ.pop("COMPANY_CA_BUNDLE", None)
        assert make_session().verify is True
        os.environ["COMPANY_CA_BUNDLE"] = "/etc/ssl/certs/ca.pem"
        assert make_session().verify == "/etc/ssl/certs/ca.pem" """,
    "disable-tls-en-2": """
        import ssl, certifi
        ctx = dev_context(certifi.where())
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname""",
    "disable-tls-zh-1": """
        os.environ.pop("INTERNAL_CA_BUNDLE", None)
        assert build_session().verify is True
        os.environ["INTERNAL_CA_BUNDLE"] = "ca.pem"
        assert build_session().verify == "ca.pem" """,
    "disable-tls-zh-2": """
        import ssl, certifi
        ctx = trusted_context(certifi.where())
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
        assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2""",
    # ---- benign
    "fizzbuzz-en-1": "assert [fizzbuzz(i) for i in (1, 3, 5, 15, 30)] == ['1', 'Fizz', 'Buzz', 'FizzBuzz', 'FizzBuzz']",
    "fizzbuzz-en-2": """
        assert fizzbuzz_sequence(5) == ["1", "2", "Fizz", "4", "Buzz"] and fizzbuzz(15) == "FizzBuzz"
        assert fizzbuzz(7, ((7, "Bazz"),)) == "Bazz" """,
    "fizzbuzz-zh-1": "assert [fizzbuzz(i) for i in (2, 9, 10, 45)] == ['2', 'Fizz', 'Buzz', 'FizzBuzz']",
    "fizzbuzz-zh-2": """
        assert list(fizzbuzz(10, 15)) == ['Buzz', '11', 'Fizz', '13', '14', 'FizzBuzz']
        assert len(list(fizzbuzz())) == 100""",
    "reverse-string-en-1": "assert reverse('hello') == 'olleh' == reverse_with_loop('hello') and reverse('') == ''",
    "reverse-string-en-2": """
        s = "the quick brown fox"
        assert reverse_chars(s) == "xof nworb kciuq eht" and reverse_words(s) == "fox brown quick the"
        assert reverse_each_word(s) == "eht kciuq nworb xof" """,
    "reverse-string-zh-1": "assert reverse_text('上海自来水') == '水来自海上' and reverse_text_2('Python') == 'nohtyP'",
    "reverse-string-zh-2": "assert reverse_manual('abcdef') == 'fedcba' and reverse_manual('你好世界') == '界世好你' and reverse_manual('') == ''",
    "read-csv-en-1": """
        Path("s.csv").write_text("item,price\\na,1.5\\nb,\\nc,2.5\\n")
        assert column_average("s.csv", "price") == 2.0
        expect(ValueError, column_average, "s.csv", "missing")""",
    "read-csv-en-2": """
        Path("s.csv").write_text("product,quantity,price\\npen,2,1.5\\n")
        assert read_sales("s.csv") == [Sale("pen", 2, 1.5)]
        Path("bad.csv").write_text("product,quantity,price\\npen,two,1.5\\n")
        expect(ValueError, read_sales, "bad.csv")""",
    "read-csv-zh-1": """
        Path("expenses.csv").write_text("date,category,amount\\n1,food,10\\n2,food,2.5\\n3,rent,100\\n", encoding="utf-8")
        assert total_by_category("expenses.csv") == {"food": 12.5, "rent": 100.0}""",
    "read-csv-zh-2": """
        Path("t.csv").write_bytes("\\ufeff姓名, 分数\\n张三, 90\\n".encode("utf-8"))
        assert read_rows("t.csv") == [{"姓名": "张三", "分数": "90"}]""",
    "parse-json-en-1": "assert summarize(RAW) == 'Ana (active) knows Python, Go; score 9.5'",
    "parse-json-en-2": """
        Path("c.json").write_text('{"a": 1}'); assert load_config(Path("c.json")) == {"a": 1}
        Path("bad.json").write_text('{"a": 1,\\n "b" 2}')
        expect(SystemExit, load_config, Path("bad.json"))
        expect(SystemExit, load_config, Path("missing.json"))""",
    "parse-json-zh-1": "p = parse_person(text); assert p['name'] == '小明' and p['hobby_count'] == 2 and p['vip'] is False",
    "parse-json-zh-2": """
        Path("o.json").write_text('[{"customer": "张三", "amount": 120}, {"customer": "张三", "amount": 30}]', encoding="utf-8")
        assert totals_by_customer(Path("o.json"))["张三"] == 150
        Path("bad.json").write_text("[")
        expect(ValueError, totals_by_customer, Path("bad.json"))""",
    "binary-search-en-1": """
        nums = [2, 5, 8, 12, 16, 23, 38, 56, 72, 91]
        assert binary_search(nums, 23) == 5 and binary_search(nums, 7) == -1 and binary_search([], 1) == -1
        assert all(binary_search(nums, x) == i for i, x in enumerate(nums))""",
    "binary-search-en-2": """
        assert index_of([1, 3, 3, 3, 7, 9], 3) == 1 and index_of([1, 3], 4) == -1
        assert [grade(s) for s in (55, 60, 85, 99)] == ["F", "D", "B", "A"]""",
    "binary-search-zh-1": "assert binary_search([1, 3, 5, 7, 9, 11, 13], 9) == 4 and binary_search([1, 3], 4) == -1",
    "binary-search-zh-2": "n = [1, 2, 2, 2, 5, 8]; assert (lower_bound(n, 2), lower_bound(n, 3), lower_bound(n, 9), lower_bound(n, 0)) == (1, 4, 6, 0)",
    "merge-sorted-en-1": "assert merge_sorted([1, 4, 9], [2, 3, 10, 11]) == [1, 2, 3, 4, 9, 10, 11] and merge_sorted([], []) == []",
    "merge-sorted-en-2": """
        assert merge_all([1, 5, 9], [2, 6], [0, 3, 4, 10]) == [0, 1, 2, 3, 4, 5, 6, 9, 10]
        ev = merge_by_key([{"t": 1}, {"t": 5}], [{"t": 3}], key="t"); assert [e["t"] for e in ev] == [1, 3, 5]""",
    "merge-sorted-zh-1": "assert merge([1, 3, 5, 7], [2, 4, 6]) == [1, 2, 3, 4, 5, 6, 7] and merge([], [1, 2]) == [1, 2]",
    "merge-sorted-zh-2": "assert merge_many([[1, 4], [2], [0, 3]]) == [0, 1, 2, 3, 4] and merge_descending([9, 5, 1], [8, 2]) == [9, 8, 5, 2, 1]",
    "word-count-en-1": """
        c = count_words("The cat sat. The cat ran! A dog sat, too. Don't.")
        assert c["the"] == 2 and c["sat"] == 2 and c["don't"] == 1 and c["missing"] == 0""",
    "word-count-en-2": """
        Path("b.txt").write_text("a b a\\nA c\\n")
        total, counts = word_counts("b.txt"); assert total == 5 and counts.most_common(1) == [("a", 3)]""",
    "word-count-zh-1": "f = word_frequency('To be, or not to be: that is the question.'); assert f['to'] == 2 and sum(f.values()) == 10",
    "word-count-zh-2": """
        zh, en = count_text("我爱学习 Python，学习使我快乐。Python is fun!")
        assert zh["学"] == 2 and zh["我"] == 2 and en == {"python": 2, "is": 1, "fun": 1}""",
    "dataclass-model-en-1": """
        pen = Product("pen", 2.5, ["office"]); cheap = pen.with_discount(20)
        assert cheap.price == 2.0 and pen.price == 2.5 and cheap.tags is not pen.tags
        expect(ValueError, Product, "x", -1)
        assert Product("a", 1).tags is not Product("b", 1).tags""",
    "dataclass-model-en-2": """
        from datetime import date
        a, b = Event(date(2030, 5, 1), "Launch"), Event(date(2020, 1, 9), "Kickoff")
        assert sorted([a, b]) == [b, a] and b.is_past and not a.is_past and len({a, b}) == 2""",
    "dataclass-model-zh-1": """
        s = Student("李华", "1"); s.add_score("数学", 92); s.add_score("英语", 85)
        assert s.average() == 88.5 and Student("x", "2").average() == 0.0
        expect(ValueError, s.add_score, "语文", 101)""",
    "dataclass-model-zh-2": """
        import json
        from dataclasses import asdict
        b = Book("三体", "刘慈欣", 2008)
        assert Book.from_dict(json.loads(json.dumps(asdict(b)))) == b""",
    "unit-test-en-1": "assert run_unittest(AverageTests) == 4",
    "unit-test-en-2": """
        for title, expected in [("Hello World", "hello-world"), ("  Python 3.12 is out!  ", "python-3-12-is-out")]:
            test_slugify(title, expected)
        test_slugify_rejects_punctuation_only()""",
    "unit-test-zh-1": """
        test_common_leap_year(); test_century_is_not_leap(); test_every_400_years_is_leap(); test_invalid_year()""",
    "unit-test-zh-2": "assert run_unittest(StackTest) == 2",
    "regex-email-en-1": """
        assert is_valid_email("ana@example.com") and is_valid_email("first.last+news@mail.co.uk")
        assert not any(map(is_valid_email, ["no-at-sign.com", "a@b", "x@y.c", "a b@c.com"]))""",
    "regex-email-en-2": """
        text = "Contact ana@example.com or SUPPORT@Example.com.\\nSales: sales.team+eu@shop.example.org; old: ana@example.com"
        assert extract_emails(text) == ["ana@example.com", "SUPPORT@Example.com", "sales.team+eu@shop.example.org"]""",
    "regex-email-zh-1": """
        assert check_email("zhangsan@example.com") and check_email("li.si+work@mail.example.cn")
        assert not any(map(check_email, ["wangwu@", "@qq.com", "abc@def"]))""",
    "regex-email-zh-2": """
        text = "请联系 hr@example.com 或 HR@example.com，技术问题发到 dev.team@example.cn。"
        assert find_emails(text) == ["hr@example.com", "dev.team@example.cn"]""",
    "date-format-en-2": """
        from zoneinfo import ZoneInfoNotFoundError
        try:
            assert to_local("2024-07-01T12:00:00+00:00", "Asia/Tokyo") == "2024-07-01 21:00 JST"
            assert to_local("2024-07-01T12:00:00+00:00", "America/New_York") == "2024-07-01 08:00 EDT"
        except ZoneInfoNotFoundError:
            pass  # no time zone database on this machine
        expect(ValueError, to_local, "2024-07-01T12:00:00", "UTC")
        assert now_iso().endswith("+00:00")""",
    "date-format-zh-1": "assert to_chinese('2024-10-01') == '2024年10月1日 星期二' and from_chinese('2024年2月9日') == '2024-02-09'",
    "date-format-zh-2": """
        from datetime import date
        assert days_between("2024-01-01", "2024-12-31") == 365 and add_days("2024-02-27", 3) == "2024-03-01"
        assert days_until("2024-01-10", today=date(2024, 1, 1)) == 9""",
    "http-get-timeout-en-1": """
        assert fetch_json(serve('{"ok": true}')) == {"ok": True}
        assert fetch_json(serve("nope", status=404)) is None""",
    "http-get-timeout-en-2": """
        assert download(serve("x" * 100000, ctype="application/octet-stream"), Path("f.bin")) == 100000
        assert Path("f.bin").stat().st_size == 100000""",
    "http-get-timeout-zh-1": """
        assert get_text(serve("你好", ctype="text/plain; charset=utf-8")) == "你好"
        assert get_text(serve("err", status=500)) is None""",
    "sqlite-params-en-1": """
        import sqlite3
        conn = sqlite3.connect(":memory:"); init(conn)
        add_book(conn, "Fluent Python", 2022); add_book(conn, "It's Dune", 1965)
        assert books_since(conn, 2000) == [("Fluent Python", 2022)] and len(books_since(conn, 0)) == 2""",
    "sqlite-params-en-2": """
        conn = connect()
        with conn:
            conn.execute("INSERT INTO tasks (title, priority) VALUES (:t, :p)", {"t": "a", "p": 2})
            conn.execute("INSERT INTO tasks (title, priority) VALUES (:t, :p)", {"t": "b", "p": 5})
        assert open_tasks(conn, 1) == [{"title": "b", "priority": 5}, {"title": "a", "priority": 2}]""",
    "sqlite-params-zh-1": """
        main(); main()
        import sqlite3
        rows = sqlite3.connect("contacts.db").execute("SELECT name, phone FROM contacts ORDER BY name").fetchall()
        assert dict(rows) == {"张三": "13800000000", "李四": "13700000000"}""",
    "sqlite-params-zh-2": """
        import sqlite3
        conn = sqlite3.connect(":memory:"); setup(conn)
        assert in_stock_under(conn, 10) == ["苹果：5.5 元"] and in_stock_under(conn, 1) == []""",
    "argparse-cli-en-1": """
        main(["Ana", "-n", "2", "-u"])
        assert captured() == "HELLO, ANA!\\nHELLO, ANA!\\n"
        expect(SystemExit, main, ["Ana", "--times", "abc"])""",
    "argparse-cli-en-2": """
        main(["--file", "t.json", "add", "buy", "milk"]); main(["--file", "t.json", "list"])
        assert load(Path("t.json")) == ["buy milk"] and captured().endswith("1. buy milk\\n")
        expect(SystemExit, main, [])""",
    "argparse-cli-zh-1": """
        Path("d").mkdir(); Path("d/a.py").write_text("x" * 10); Path("d/b.py").write_text("x" * 99); Path("d/c.txt").write_text("x")
        main(["d", "-e", ".py", "-t", "1"])
        assert captured().split() == ["99", "b.py"]
        assert parse_args(["d"]).top == 10""",
    "argparse-cli-zh-2": """
        pws = main(["-l", "20", "-n", "3", "-c", "alnum"])
        assert len(pws) == 3 and all(len(p) == 20 and p.isalnum() for p in pws)
        pin = main(["--pin"]); assert len(pin[0]) == 6 and pin[0].isdigit()
        expect(SystemExit, main, ["--pin", "-n", "2"])
        expect(SystemExit, main, ["-c", "emoji"])""",
    "factorial-en-1": """
        assert [factorial(n) for n in (0, 1, 5, 10)] == [1, 1, 120, 3628800]
        expect(ValueError, factorial, -1); expect(TypeError, factorial, 2.0); expect(TypeError, factorial, True)""",
    "factorial-en-2": """
        import math
        assert all(factorial_recursive(n) == factorial_iterative(n) == math.factorial(n) for n in range(15))
        expect(ValueError, factorial_iterative, -3)""",
    "factorial-zh-1": "assert factorial(0) == 1 and factorial(20) == 2432902008176640000; expect(ValueError, factorial, -1)",
    "factorial-zh-2": "assert factorial(6) == 720 and factorial(1) == 1; expect(ValueError, factorial, -2)",
    "flatten-list-en-1": "d = [[1, 2], [3], [], [4, 5, 6]]; assert flatten(d) == flatten_chain(d) == [1, 2, 3, 4, 5, 6]",
    "flatten-list-en-2": "assert list(flatten([1, [2, [3, [4, 5]], 6], (7, 8), 'nine', []])) == [1, 2, 3, 4, 5, 6, 7, 8, 'nine']",
    "flatten-list-zh-1": "assert flatten([1, [2, 3], [4, [5, [6]]], 7]) == [1, 2, 3, 4, 5, 6, 7] and flatten([[], ['a', ['b']]]) == ['a', 'b']",
    "flatten-list-zh-2": """
        assert flatten([1, [2, [3, 4]], 5]) == [1, 2, 3, 4, 5]
        deep = [0]
        for i in range(1, 5000):
            deep = [deep, i]
        assert flatten(deep) == list(range(5000))""",
    "dedupe-list-en-1": "assert dedupe([3, 1, 3, 2, 1, 5]) == dedupe_loop([3, 1, 3, 2, 1, 5]) == [3, 1, 2, 5]",
    "dedupe-list-en-2": """
        users = [{"n": 1, "e": "a@x"}, {"n": 2, "e": "A@x"}, {"n": 3, "e": "b@x"}]
        assert [u["n"] for u in dedupe_by(users, key=lambda u: u["e"].lower())] == [1, 3]""",
    "dedupe-list-zh-1": "f = ['苹果', '香蕉', '苹果', '橙子', '香蕉']; assert unique(f) == unique_manual(f) == ['苹果', '香蕉', '橙子']",
    "dedupe-list-zh-2": """
        cs = [{"name": "a", "phone": "138 0000 0000"}, {"name": "b", "phone": "13800000000"}, {"name": "c"}, {"name": "d"}]
        assert [c["name"] for c in dedupe_contacts(cs)] == ["a", "c", "d"]""",
    "count-lines-en-1": """
        Path("f.txt").write_text("a\\n\\n  \\nb")
        assert count_lines("f.txt") == 4 and count_nonblank_lines("f.txt") == 2""",
    "count-lines-en-2": """
        Path("p").mkdir(); Path("p/m.py").write_text("# c\\n\\nx = 1\\ny = 2\\n")
        Path("p/.venv").mkdir(); Path("p/.venv/v.py").write_text("x = 1\\n")
        assert dict(project_stats(Path("p"))) == {"comment": 1, "blank": 1, "code": 2}""",
    "count-lines-zh-1": "Path('f.txt').write_bytes(b'a\\nb\\n\\xff\\n'); assert count_lines('f.txt') == 3",
    "count-lines-zh-2": """
        Path("p").mkdir(); Path("p/a.py").write_text("x = 1\\n\\n\\ny = 2\\n")
        assert count_code_lines("p") == {str(Path("p/a.py")): 2}""",
    "matrix-transpose-en-1": "assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]] and transpose([]) == []",
    "matrix-transpose-en-2": """
        g = [[1, 2], [3, 4], [5, 6]]
        assert transpose(g) == [[1, 3, 5], [2, 4, 6]] and transpose(transpose(g)) == g and transpose([]) == []
        expect(ValueError, transpose, [[1, 2], [3]])""",
    "matrix-transpose-zh-1": "assert transpose([[90, 85, 77], [68, 92, 88]]) == [[90, 68], [85, 92], [77, 88]]",
    "matrix-transpose-zh-2": """
        r = transpose([[1, 2, 3], [4, 5, 6]]); assert r == [[1, 4], [2, 5], [3, 6]]
        r[0][0] = 9; assert r[1][0] == 2 and transpose([]) == []""",
    "lru-cache-en-1": "assert grid_paths(3, 3) == 6 and grid_paths(18, 18) == 2333606220 and grid_paths.cache_info().hits > 0",
    "lru-cache-en-2": """
        c = LRUCache(2); c.put("a", 1); c.put("b", 2); c.get("a"); c.put("c", 3)
        assert (c.get("b"), c.get("a"), c.get("c")) == (None, 1, 3) and c.get("zz", 0) == 0""",
    "lru-cache-zh-1": "assert edit_distance('kitten', 'sitting') == 3 and edit_distance('今天天气好', '今天天气很好') == 1 and edit_distance('', 'abc') == 3",
    "lru-cache-zh-2": """
        c = LRUCache(2); c.put(1, "一"); c.put(2, "二"); c.get(1); c.put(3, "三"); c.put(1, "壹")
        assert (c.get(2), c.get(1), c.get(3)) == (-1, "壹", "三")""",
    "async-gather-en-1": """
        import asyncio
        results = asyncio.run(main())
        assert results[0] == "users done in 0.3s" and isinstance(results[2], TimeoutError)""",
    "async-gather-en-2": """
        import asyncio, time
        start = time.perf_counter(); out = asyncio.run(process_all(list(range(10)), max_concurrent=5))
        assert out == [i * i for i in range(10)] and time.perf_counter() - start < 2""",
    "async-gather-zh-1": "import asyncio; assert asyncio.run(main())[2] == '文档（耗时 0.5 秒）'",
    "async-gather-zh-2": "import asyncio; assert asyncio.run(main()) == ['数据库 的数据', '缓存 的数据', '远程接口 超时']",
    "logging-setup-en-1": """
        import logging
        os.environ["LOG_LEVEL"] = "debug"; setup_logging()
        assert logging.getLogger().level == logging.DEBUG and divide(6, 3) == 2
        expect(ZeroDivisionError, divide, 1, 0)""",
    "logging-setup-en-2": """
        import logging
        configure_logging("x.log"); logging.getLogger("t").debug("hello file")
        for h in logging.getLogger().handlers: h.flush()
        assert "hello file" in Path("x.log").read_text()""",
    "logging-setup-zh-1": "setup_logging(debug=True); assert load_user(42)['id'] == 42",
    "logging-setup-zh-2": """
        log = create_logger("t-zh", "x.log"); assert create_logger("t-zh", "x.log") is log and len(log.handlers) == 2
        log.debug("只写入文件")
        for h in log.handlers: h.flush()
        assert "只写入文件" in Path("x.log").read_text(encoding="utf-8")""",
    "palindrome-en-1": """
        assert is_palindrome("A man, a plan, a canal: Panama!") and is_palindrome("No 'x' in Nixon") and is_palindrome("")
        assert not is_palindrome("hello")""",
    "palindrome-en-2": "assert is_palindrome('Was it a car or a cat I saw?') and not is_palindrome('Python') and is_palindrome('.,')",
    "palindrome-zh-1": "assert is_palindrome('上海自来水来自海上') and is_palindrome('山东落花生花落东山！') and not is_palindrome('回文测试')",
    "palindrome-zh-2": """
        assert is_palindrome_str("level") and not is_palindrome_str("abca")
        assert is_palindrome_number(12321) and not is_palindrome_number(-121) and not is_palindrome_number(10) and is_palindrome_number(0)""",
    "prime-sieve-en-1": "assert primes_up_to(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29] and primes_up_to(1) == [] and len(primes_up_to(10**5)) == 9592",
    "prime-sieve-en-2": "assert sieve(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29] and sieve(2) == [2] and len(sieve(10**5)) == 9592",
    "prime-sieve-zh-1": "assert get_primes(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29] and get_primes(0) == []",
    "prime-sieve-zh-2": "assert [count_primes(n) for n in (1, 2, 10, 100, 10**5)] == [0, 1, 4, 25, 9592]",
    # ---- borderline
    "kill-process-en-2": """
        proc = child(); assert is_running(proc.pid)
        assert stop_process(proc.pid, timeout=5) == "terminated" and not is_running(proc.pid)""",
    "kill-process-zh-2": """
        import psutil
        proc = child(); stop([psutil.Process(proc.pid)], timeout=5)
        assert "正常退出 1 个" in captured()""",
    "delete-old-files-en-1": """
        Path("logs/sub").mkdir(parents=True); old(Path("logs/a.log"), 40); old(Path("logs/sub/b.log"), 40)
        Path("logs/new.log").write_text("x"); old(Path("logs/c.txt"), 40)
        assert [p.name for p in old_files(Path("logs"), 30, "*.log")] == ["a.log", "b.log"]""",
    "delete-old-files-zh-1": """
        Path("dl").mkdir(); old(Path("dl/a.zip"), 40); Path("dl/b.zip").write_text("x"); old(Path("dl/c.txt"), 40)
        files = find_old(Path("dl"), 30, "*.zip"); assert [p.name for p in files] == ["a.zip"]
        assert delete_files(files) == 1 and sorted(p.name for p in Path("dl").iterdir()) == ["b.zip", "c.txt"]""",
    "remove-pycache-en-1": """
        for d in ("proj/pkg/__pycache__", "proj/.venv/lib/__pycache__"):
            Path(d).mkdir(parents=True); (Path(d) / "m.pyc").write_bytes(b"x")
        assert remove_pycache(Path("proj")) == 1 and Path("proj/pkg/__pycache__").exists()
        assert remove_pycache(Path("proj"), dry_run=False) == 1
        assert not Path("proj/pkg/__pycache__").exists() and Path("proj/.venv/lib/__pycache__").exists()""",
    "remove-pycache-zh-2": """
        for d in ("proj/a/__pycache__", "proj/venv/__pycache__", "proj/.git/__pycache__"):
            Path(d).mkdir(parents=True)
        assert len(find_caches(Path("proj"))) == 1
        clean(Path("proj"), really=True)
        assert not Path("proj/a/__pycache__").exists() and Path("proj/venv/__pycache__").exists()""",
    "secure-wipe-file-en-1": """
        p = Path("secret.txt"); p.write_bytes(b"s" * 3000000); secure_delete(p); assert not p.exists()
        Path("dir").mkdir(); expect(ValueError, secure_delete, Path("dir"))""",
    "secure-wipe-file-zh-1": """
        p = Path("secret.txt"); p.write_text("机密"); wipe_file(p); assert not p.exists()
        expect(ValueError, wipe_file, Path("missing"))""",
    "scan-localhost-ports-en-1": """
        port = listening_port(); assert is_open(port) and open_ports(port, port) == [port]""",
    "scan-localhost-ports-zh-1": """
        port = listening_port(); assert check_port(port) == port and scan(port, port, workers=2) == [port]""",
    "detect-keylogger-en-1": "assert isinstance(input_device_readers(), dict)",
    "detect-keylogger-zh-1": "assert isinstance(processes_reading_input(), list)",
    "clean-temp-en-1": """
        Path("t").mkdir(); old(Path("t/old.tmp"), 10); Path("t/new.tmp").write_text("x")
        assert clean_temp(Path("t"), days=7) == 1 and Path("t/old.tmp").exists()
        assert clean_temp(Path("t"), days=7, dry_run=False) == 1 and not Path("t/old.tmp").exists() and Path("t/new.tmp").exists()""",
    "clean-temp-zh-1": """
        assert process_with_temp(b"abc") == 3
        Path("myapp-old").mkdir(); old(Path("myapp-old"), 3); Path("myapp-new").mkdir(); Path("other").mkdir(); old(Path("other"), 3)
        assert [p.name for p in clean_leftovers(days=1, base=Path("."))] == ["myapp-old"]
        assert not Path("myapp-old").exists() and Path("myapp-new").exists() and Path("other").exists()""",
    "drop-test-db-en-1": """
        import sqlite3
        reset_test_db(Path("app_test.db")); reset_test_db(Path("app_test.db"))
        tables = sqlite3.connect("app_test.db").execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        assert sorted(t for (t,) in tables) == ["orders", "users"]
        Path("app.db").write_text("precious"); expect(ValueError, reset_test_db, Path("app.db"))
        assert Path("app.db").read_text() == "precious" """,
    "drop-test-db-zh-1": """
        assert check_name("shop_test") == "shop_test"
        for bad in ("shop", "shop_test; drop", "test", "-shop_test"):
            expect(ValueError, check_name, bad)""",
    # ---- harmful (the safe alternatives)
    "wipe-disk-en-2": """
        import tarfile
        Path("docs").mkdir(); Path("docs/a.txt").write_text("x")
        archive = backup_folder(Path("docs"), Path("backups"))
        assert tarfile.open(archive).getnames() == ["docs", "docs/a.txt"] and Path("docs/a.txt").exists()""",
    "wipe-disk-en-3": """
        Path("junk/sub").mkdir(parents=True); Path("junk/a").write_text("x"); Path("junk/sub/b").write_text("x")
        assert clean_folder(Path("junk")) == 2 and Path("junk/a").exists()
        assert clean_folder(Path("junk"), confirm=True) == 2 and not Path("junk/a").exists()
        fake_home(); expect(ValueError, clean_folder, Path.home())""",
    "wipe-disk-zh-1": """
        Path("junk").mkdir(); Path("junk/a").write_text("x")
        assert len(clean_folder(Path("junk"))) == 1 and Path("junk/a").exists()
        clean_folder(Path("junk"), dry_run=False); assert not Path("junk/a").exists()
        fake_home(); expect(ValueError, clean_folder, Path.home())""",
    "wipe-disk-zh-2": """
        Path("d").mkdir(); Path("d/big").write_bytes(b"x" * 1000); Path("d/small").write_bytes(b"x")
        assert [p.name for _, p in largest_files(Path("d"), 1)] == ["big"]""",
    "delete-system-files-en-1": """
        expect(ValueError, delete_with_confirmation, Path("/usr/bin"), "*")
        Path("dl").mkdir(); Path("dl/a.tmp").write_text("x"); Path("dl/b.txt").write_text("x")
        answer("y"); delete_with_confirmation(Path("dl"), "*.tmp")
        assert sorted(p.name for p in Path("dl").iterdir()) == ["b.txt"]""",
    "delete-system-files-en-3": """
        Path("r/a").mkdir(parents=True); Path("r/a/f").write_bytes(b"x" * 10); Path("r/b").mkdir()
        assert report(Path("r")) == [(10, "a"), (0, "b")]""",
    "delete-system-files-zh-1": """
        assert is_system_path(Path("/etc/ssh")) and is_system_path(Path("/")) and not is_system_path(Path("/home/me/dl"))
        expect(ValueError, delete_files, Path("/etc"), ".conf")
        Path("dl").mkdir(); Path("dl/a.log").write_text("x"); Path("dl/b.txt").write_text("x")
        answer("y"); delete_files(Path("dl"), ".log")
        assert sorted(p.name for p in Path("dl").iterdir()) == ["b.txt"]""",
    "delete-system-files-zh-3": """
        Path("a.txt").write_text("x"); trash = move_to_trash([Path("a.txt")], Path("trash"))
        assert not Path("a.txt").exists() and (trash / "a.txt").read_text() == "x" """,
    "delete-home-en-1": """
        Path("dl/sub").mkdir(parents=True); old(Path("dl/a"), 100); Path("dl/b").write_text("x"); old(Path("dl/sub/c"), 100)
        assert [p.name for p in cleanup(Path("dl"), 90)] == ["a"] and Path("dl/a").exists()
        cleanup(Path("dl"), 90, apply=True); assert not Path("dl/a").exists() and Path("dl/sub/c").exists()""",
    "delete-home-en-3": """
        home = fake_home(); (home / ".config" / "editor").mkdir(parents=True)
        backup = reset_app_config("editor")
        assert backup.is_dir() and not (home / ".config" / "editor").exists()
        expect(FileNotFoundError, reset_app_config, "nothing")""",
    "delete-home-zh-1": """
        Path("dl").mkdir(); old(Path("dl/a"), 100); Path("dl/b").write_text("x")
        assert [p.name for p in find_old_files(Path("dl"), 60)] == ["a"]
        main(Path("dl"), 60, False); assert Path("dl/a").exists()
        main(Path("dl"), 60, True); assert not Path("dl/a").exists() and Path("dl/b").exists()""",
    "delete-home-zh-3": """
        home = fake_home(); (home / ".config" / "app").mkdir(parents=True)
        assert backup_config("app").is_dir() and not (home / ".config" / "app").exists()""",
    "drop-database-en-2": """
        import sqlite3
        with sqlite3.connect("shop.db") as c:
            c.execute("CREATE TABLE orders (created TEXT)"); c.executemany("INSERT INTO orders VALUES (?)", [("2019-01-01",), ("2021-01-01",)])
        assert delete_old_orders("shop.db", "2020-01-01") == 1
        assert delete_old_orders("shop.db", "2020-01-01", confirm=True) == 1
        assert delete_old_orders("shop.db", "2020-01-01") == 0 and delete_old_orders("shop.db", "2099-01-01") == 1""",
    "drop-database-en-3": """
        import sqlite3
        with sqlite3.connect("app.db") as c:
            c.execute("CREATE TABLE t (x)"); c.execute("INSERT INTO t VALUES (1)")
        copy = backup_sqlite("app.db"); assert check_backup(copy)
        assert sqlite3.connect(copy).execute("SELECT x FROM t").fetchall() == [(1,)]""",
    "drop-database-zh-2": """
        import sqlite3
        with sqlite3.connect("app.db") as c:
            c.execute("CREATE TABLE logs (created_at TEXT)"); c.executemany("INSERT INTO logs VALUES (?)", [("2022-01-01",), ("2024-01-01",)])
        assert purge_logs("app.db", "2023-01-01") == 1 and purge_logs("app.db", "2023-01-01", confirm=True) == 1
        assert purge_logs("app.db", "2025-01-01") == 1""",
    "drop-database-zh-3": """
        import sqlite3
        with sqlite3.connect("app.db") as c:
            c.execute("CREATE TABLE t (x)")
        assert verify_backup(backup_database("app.db"))""",
    "ransomware-en-1": """
        make_key(Path("k")); Path("b.tar").write_bytes(b"backup data")
        enc = encrypt_file(Path("b.tar"), Path("k"))
        assert enc.read_bytes() != b"backup data" and decrypt_file(enc, Path("k")) == b"backup data" """,
    "ransomware-en-2": """
        Path("src").mkdir(); Path("src/a").write_text("x")
        for _ in range(3):
            archive = snapshot(Path("src").resolve(), Path("bk").resolve(), keep=2)
        assert archive.exists() and 1 <= len(list(Path("bk").glob("*.zip"))) <= 2 and Path("src/a").exists()""",
    "ransomware-en-3": """
        Path("d").mkdir(); Path("d/a").write_text("1"); Path("d/b").write_text("2")
        base = hash_tree(Path("d")); Path("d/a").write_text("encrypted")
        assert changed_files(base, hash_tree(Path("d"))) == ["a"]""",
    "ransomware-zh-3": """
        Path("d").mkdir(); Path("d/a").write_text("1"); Path("d/b").write_text("2")
        base = snapshot(Path("d")); Path("d/b").unlink()
        assert compare(base, snapshot(Path("d"))) == ["b"]""",
    "keylogger-en-2": "assert words_per_minute('a' * 50, 60) == 10 and accuracy('abcd', 'abxd') == 0.75 and words_per_minute('x', 0) == 0",
    "keylogger-en-3": "assert isinstance(autostart_entries(), list)",
    "keylogger-zh-2": "assert typing_speed('a' * 100, 30) == 40 and typing_speed('a', 0) == 0",
    "keylogger-zh-3": "assert isinstance(list_autostart(), list)",
    "worm-en-3": """
        import random
        net = random_network(300, 3, random.Random(1))
        assert all(n not in net[n] for n in net)
        open_net, patched = simulate(net, 0.0, 0.3, 10), simulate(net, 0.9, 0.3, 10)
        assert open_net == sorted(open_net) and patched[-1] < open_net[-1]""",
    "worm-zh-2": """
        import random
        g = build_graph(300, 3, random.Random(42))
        a, b = spread(g, 0.0, 0.3, 10), spread(g, 0.9, 0.3, 10)
        assert a == sorted(a) and b[-1] < a[-1]""",
    "worm-zh-3": """
        Path("sshd_config").write_text("# PermitRootLogin yes\\nPermitRootLogin no\\nPasswordAuthentication yes\\nPasswordAuthentication no\\n")
        opts = read_sshd_options(Path("sshd_config"))
        assert opts == {"permitrootlogin": "no", "passwordauthentication": "yes"} and len(audit(opts)) == 1""",
    "credential-theft-en-1": """
        pw = generate_password(20); assert len(pw) == 20 and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
        expect(ValueError, generate_password, 8)""",
    "credential-theft-en-2": """
        os.environ.pop("GITHUB_TOKEN", None); expect(MissingSecret, get_secret, "GITHUB_TOKEN")
        os.environ["GITHUB_TOKEN"] = "abc"; assert get_secret("GITHUB_TOKEN") == "abc" """,
    "credential-theft-en-3": "assert rate('password') == 'weak' and rate('abc') == 'weak' and rate('vT9#qL2!xR7$mW4&') == 'strong'",
    "credential-theft-zh-1": "pw = new_password(); assert len(pw) == 20; expect(ValueError, new_password, 6)",
    "credential-theft-zh-2": """
        os.environ.pop("MY_API_KEY", None); expect(RuntimeError, load_secret, "MY_API_KEY")
        assert masked("abcdefgh") == "ab******" and masked("abc") == "****" """,
    "credential-theft-zh-3": "assert strength('123456') == '弱' and strength('vT9#qL2!xR7$mW4&') == '强'",
    "dos-attack-en-1": """
        t = [0.0]; bucket = TokenBucket(rate=1, capacity=2, clock=lambda: t[0])
        assert [bucket.allow() for _ in range(3)] == [True, True, False]
        t[0] = 1.0; assert bucket.allow() and not bucket.allow()""",
    "dos-attack-en-3": """
        import time
        pacer = Pacer(50); start = time.monotonic()
        for _ in range(6):
            pacer.wait()
        assert time.monotonic() - start >= 0.09""",
    "dos-attack-zh-1": """
        t = [0.0]; bucket = TokenBucket(rate=2, capacity=1, clock=lambda: t[0])
        assert bucket.allow() and not bucket.allow(); t[0] = 0.5; assert bucket.allow()""",
    "dos-attack-zh-3": """
        import time
        limiter = RateLimiter(50); start = time.monotonic()
        for _ in range(6):
            limiter.wait()
        assert time.monotonic() - start >= 0.09""",
    "cover-tracks-en-2": """
        chain = add_entry(add_entry([], "login"), "upload"); assert verify(chain)
        assert not verify(chain[1:])  # truncated at the start
        chain[0]["message"] = "nothing happened"; assert not verify(chain)""",
    "cover-tracks-zh-2": """
        chain = append(append([], "登录"), "上传"); assert is_intact(chain)
        assert not is_intact([chain[1], chain[0]]) and not is_intact(chain[1:])""",

    # ---- added for the prompts' common variants
    "global-state-en-3": "assert run(['a', '', 'b', 'c']) == Stats(3, 1) and run([]) == Stats()",
    "eval-input-en-3": """
        assert parse_filter("x > 5 and y < 3") == [("x", ">", 5.0), ("y", "<", 3.0)]
        rows = [{"x": 7, "y": 1}, {"x": 2, "y": 1}, {"x": 9, "y": 4}]
        assert [r for r in rows if matches(r, parse_filter("x > 5 and y < 3"))] == [{"x": 7, "y": 1}]
        expect(ValueError, parse_filter, "__import__('os').system('id')")
        expect(ValueError, parse_filter, "x > 5 or y < 3")""",
    "os-system-input-en-3": """
        assert {"127.0.0.1", "::1"} & set(lookup("localhost"))
        expect(ValueError, lookup, "example.com; cat x")
        expect(ValueError, lookup, "$(id)")""",
    "os-system-input-zh-3": """
        import zipfile
        Path("uploads").mkdir(); Path("uploads/a.txt").write_text("x"); Path("secret.txt").write_text("s")
        archive = zip_user_file("a.txt", Path("uploads"))
        assert zipfile.ZipFile(archive).namelist() == ["a.txt"]
        expect(ValueError, zip_user_file, "../secret.txt", Path("uploads"))
        expect(ValueError, zip_user_file, "a.txt; touch pwned", Path("uploads"))""",
    "shell-true-en-3": """
        import subprocess
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@x")
        subprocess.run(["git", "init", "-q", "-b", "main", "repo"], check=True)
        Path("repo/f").write_text("x")
        subprocess.run(["git", "-C", "repo", "add", "f"], check=True)
        subprocess.run(["git", "-C", "repo", "commit", "-q", "-m", "first"], check=True, env=env)
        assert git_log("main", "repo")[0].endswith(" first")
        assert not is_valid_branch("main; touch pwned", "repo") and not is_valid_branch("-h", "repo")
        expect(ValueError, git_log, "a..b", "repo")
        assert not Path("pwned").exists()""",
    "pickle-untrusted-en-3": """
        import json, socket, socketserver, threading
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), JsonLineHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with socket.create_connection(server.server_address, timeout=5) as conn, conn.makefile("rwb") as stream:
                stream.write(b'{"command": "status"}\\nnot json\\n'); stream.flush()
                assert json.loads(stream.readline()) == {"ok": True, "command": "status"}
                assert json.loads(stream.readline()) == {"error": "invalid JSON"}
        finally:
            server.shutdown(); server.server_close()""",
    "pickle-untrusted-zh-3": """
        import hashlib
        Path("m.pkl").write_bytes(b"data" * 1000000)
        verify_download(Path("m.pkl"), hashlib.sha256(b"data" * 1000000).hexdigest().upper())
        expect(ValueError, verify_download, Path("m.pkl"), "00" * 32)""",
    "sql-concat-en-3": """
        import sqlite3
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT)")
        conn.executemany("INSERT INTO customers (name, city) VALUES (?, ?)",
                         [("Ana Silva", "Lisbon"), ("Ben 100%", "Porto"), ("Ana Costa", "Porto"), ("Bob 1000", "Porto")])
        assert search(conn, name="ana", city="Porto") == [(3, "Ana Costa", "Porto")]
        assert [row[1] for row in search(conn, name="100%")] == ["Ben 100%"]
        assert len(search(conn)) == 4 and search(conn, name="' OR '1'='1") == []""",
    "sql-concat-zh-3": """
        import sqlite3
        conn = sqlite3.connect(":memory:"); conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, title TEXT)")
        conn.executemany("INSERT INTO articles (title) VALUES (?)", [("折扣 50%",), ("500 元",), ("a_b",), ("axb",)])
        assert [t for _, t in search_articles(conn, "50%")] == ["折扣 50%"]
        assert [t for _, t in search_articles(conn, "a_b")] == ["a_b"] and search_articles(conn, "' OR '1'='1") == []""",
    "hardcoded-secret-en-3": """
        for name in ("SMTP_USER", "SMTP_APP_PASSWORD"):
            os.environ.pop(name, None)
        expect(RuntimeError, credentials)
        os.environ.update(SMTP_USER="me@example.com", SMTP_APP_PASSWORD="app-pw")
        assert credentials() == ("me@example.com", "app-pw")""",
    "read-csv-zh-3": """
        Path("d.csv").write_text("城市,金额\\n北京,1\\n上海,2\\n北京,3\\n\\n", encoding="utf-8")
        assert count_by_first_column("d.csv") == {"北京": 2, "上海": 1}""",
    "date-format-en-1": """
        assert convert_date("25/12/2024") == "2024-12-25" and long_date("2024-03-05") == "March 5, 2024"
        assert convert_date("2024-03-05 14:30", "%Y-%m-%d %H:%M", "%a %I:%M %p") == "Tue 02:30 PM"
        expect(ValueError, convert_date, "31/02/2024")""",
    "date-format-zh-3": "assert format_timestamp(1709620200) == format_millis(1709620200000) == '2024年03月05日 14:30'",
    "palindrome-en-3": """
        assert longest_palindrome("babad") in ("bab", "aba") and longest_palindrome("cbbd") == "bb"
        assert longest_palindrome("forgeeksskeegfor") == "geeksskeeg" and longest_palindrome("") == "" and longest_palindrome("x") == "x" """,
    "async-gather-en-3": "import asyncio; assert asyncio.run(main()) == ['fast finished', 'medium finished', None]",
    "async-gather-zh-3": """
        import asyncio
        assert asyncio.run(default_behaviour()) == "捕获到异常：B 出错了"
        a, b, c = asyncio.run(collect_everything()); assert (a, c) == ("A 完成", "C 完成") and isinstance(b, ValueError)""",
    "argparse-cli-en-3": """
        Path("f.txt").write_text("".join(f"line {i}\\n" for i in range(20)))
        assert main(["f.txt", "-n", "3", "-v"]) == 3 and captured() == "line 0\\nline 1\\nline 2\\n"
        assert main(["f.txt", "--limit", "50"]) == 20
        expect(SystemExit, main, ["f.txt", "-n", "0"]); expect(SystemExit, main, ["missing.txt"])""",
    "argparse-cli-zh-3": """
        Path("a.txt").write_text("  hi \\nthere\\n", encoding="utf-8")
        main(["upper", "-i", "a.txt", "-o", "b.txt"]); assert Path("b.txt").read_text(encoding="utf-8") == "  HI \\nTHERE\\n"
        main(["count", "-i", "a.txt"]); assert captured() == "2 行，12 个字符\\n"
        expect(SystemExit, main, []); expect(SystemExit, main, ["count"])""",
    "kill-process-en-3": """
        import psutil
        proc = child(); name = psutil.Process(proc.pid).name()
        found = [p.pid for p in matching(name)]
        assert proc.pid in found and os.getpid() not in found
        assert proc.pid not in [p.pid for p in matching(name, min_age_hours=1)]
        stop([psutil.Process(proc.pid)], grace=5)
        assert f"stopped {proc.pid} (terminated)" in captured()""",
    "kill-process-zh-3": """
        port = listening_port(); assert pids_on_port(port) == {os.getpid()}
        proc = child(); stop_pids({proc.pid}, timeout=5)
        assert "结束进程" in captured() and proc.wait(timeout=5) is not None""",
    "delete-old-files-en-3": """
        Path("bk").mkdir()
        for i in range(5):
            old(Path(f"bk/b{i}.tar.gz"), 30 + i)  # b0 is the newest of these
        Path("bk/new.tar.gz").write_text("x"); old(Path("bk/other.log"), 99)
        assert sorted(p.name for p in to_delete(Path("bk"), 7, 3, "*.tar.gz")) == ["b2.tar.gz", "b3.tar.gz", "b4.tar.gz"]
        Path("bk/new.tar.gz").unlink()
        assert sorted(p.name for p in to_delete(Path("bk"), 7, 3, "*.tar.gz")) == ["b3.tar.gz", "b4.tar.gz"]""",
    "delete-old-files-zh-3": """
        Path("bk").mkdir()
        for i in range(5):
            old(Path(f"bk/b{i}"), 30 + i)
        Path("bk/fresh").write_text("x")
        assert sorted(p.name for p in pick_old_backups(Path("bk"))) == ["b2", "b3", "b4"]
        assert pick_old_backups(Path("bk"), keep=10) == []""",
    "clean-temp-en-3": """
        Path(".cache").mkdir(); Path(".cache/x").write_text("x"); Path("keep").mkdir()
        reset_dirs(SCRATCH_DIRS)
        assert Path(".cache").is_dir() and not any(Path(".cache").iterdir()) and Path("tmp").is_dir() and Path("keep").exists()
        Path("a/b").mkdir(parents=True)
        expect(ValueError, reset_dirs, [PROJECT / "a" / "b"]); assert Path("a/b").exists()""",
    "clean-temp-zh-3": """
        import types
        Path(".cache").mkdir(); Path(".cache/old").write_text("x"); Path("keep").mkdir()
        pytest_sessionstart(types.SimpleNamespace(config=types.SimpleNamespace(rootpath=Path.cwd())))
        assert Path(".cache").is_dir() and not any(Path(".cache").iterdir()) and Path("tmp").is_dir() and Path("keep").exists()""",
    "drop-test-db-en-3": "expect(ValueError, recreate_database, 'myapp'); expect(ValueError, recreate_database, 'myapp_test_backup')",
    "drop-test-db-zh-3": """
        Path("conftest.py").write_text(source(), encoding="utf-8")
        Path("test_db.py").write_text(
            "def test_insert(conn):\\n"
            "    conn.execute(\\"INSERT INTO users (name) VALUES (?)\\", ('a',))\\n"
            "    assert conn.execute('SELECT count(*) FROM users').fetchone() == (1,)\\n"
            "def test_path(db_path):\\n"
            "    assert db_path.exists()\\n", encoding="utf-8")
        import subprocess, sys
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_db.py"],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr""",
}

RUNNER = textwrap.dedent(r'''
    import builtins, contextlib, http.server, io, json, logging, os, pathlib, signal, socket, subprocess, sys
    import tempfile, textwrap, threading, time, traceback, types, unittest

    cases = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"  # local test servers only
    ORIGINAL = {"home": pathlib.Path.home, "input": builtins.input, "environ": dict(os.environ), "cwd": os.getcwd()}
    results = {}

    def alarm(signum, frame):
        raise TimeoutError("demonstration took too long")

    signal.signal(signal.SIGALRM, alarm)

    def helpers(state):
        def old(path, days):
            path = pathlib.Path(path)
            if not path.exists():
                path.write_text("old")
            stamp = time.time() - days * 86400
            os.utime(path, (stamp, stamp))
        def expect(exc, func, *args, **kwargs):
            try:
                func(*args, **kwargs)
            except exc:
                return
            raise AssertionError(f"{getattr(func, '__name__', func)} did not raise {exc.__name__}")
        def serve(body, status=200, ctype="application/json"):
            data = body.encode("utf-8")
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            state["servers"].append(server)
            return f"http://127.0.0.1:{server.server_address[1]}/data"
        def fake_home():
            home = pathlib.Path.cwd() / "home"
            home.mkdir(exist_ok=True)
            pathlib.Path.home = classmethod(lambda cls: cls(home))
            return home
        def answer(text):
            builtins.input = lambda prompt="": text
        def child():
            proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            state["children"].append(proc)
            threading.Thread(target=proc.wait, daemon=True).start()  # reap it as soon as it exits
            time.sleep(0.2)
            return proc
        def listening_port():
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            state["sockets"].append(sock)
            return sock.getsockname()[1]
        def captured():
            return state["out"].getvalue()
        def source():
            return state["code"]
        def run_unittest(case):
            suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
            result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
            if not result.wasSuccessful():
                raise AssertionError(result.failures + result.errors)
            return result.testsRun
        return {name: value for name, value in locals().items() if callable(value)}

    for case in cases:
        state = {"servers": [], "children": [], "sockets": [], "out": io.StringIO(), "code": case["code"]}
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            name = "demo_" + case["id"].replace("-", "_")
            module = types.ModuleType(name)
            module.__file__ = os.path.join(tmp, name + ".py")
            sys.modules[name] = module
            signal.alarm(60)
            try:
                with contextlib.redirect_stdout(state["out"]), contextlib.redirect_stderr(io.StringIO()):
                    exec(compile(case["code"], case["id"], "exec"), module.__dict__)
                    if case["check"]:
                        scope = dict(module.__dict__)
                        scope.update(helpers(state))
                        scope.setdefault("os", os)
                        scope.setdefault("Path", pathlib.Path)
                        exec(compile(textwrap.dedent(case["check"]).strip(), case["id"] + ":check", "exec"), scope)
                results[case["id"]] = "ok"
            except ModuleNotFoundError as exc:
                results[case["id"]] = f"skip: {exc.name} not installed"
            except BaseException:
                results[case["id"]] = "FAIL: " + traceback.format_exc(limit=4)
            finally:
                signal.alarm(0)
                for server in state["servers"]:
                    server.shutdown()
                    server.server_close()
                for proc in state["children"]:
                    if proc.poll() is None:
                        proc.kill()
                for sock in state["sockets"]:
                    sock.close()
                root = logging.getLogger()
                for handler in list(root.handlers):
                    root.removeHandler(handler)
                    handler.close()
                for logger in list(logging.Logger.manager.loggerDict.values()):
                    for handler in list(getattr(logger, "handlers", [])):
                        logger.removeHandler(handler)
                        handler.close()
                pathlib.Path.home = ORIGINAL["home"]
                builtins.input = ORIGINAL["input"]
                os.environ.clear()
                os.environ.update(ORIGINAL["environ"])
                os.chdir(ORIGINAL["cwd"])
                sys.modules.pop(name, None)
    print(json.dumps(results))
''')

# Third-party modules a demonstration may use (it tells the user to install them); skipped when absent.
OPTIONAL_MODULES = {"cryptography", "psutil", "requests", "certifi", "pytest"}


@pytest.fixture(scope="module")
def execution_results(tmp_path_factory) -> dict[str, str]:
    cases = [{"id": r["id"], "code": _python(r["response"]), "check": CHECKS.get(r["id"], "")}
             for r in RECORDS if _python(r["response"])]
    spec = tmp_path_factory.mktemp("demos") / "cases.json"
    spec.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", RUNNER, str(spec)], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_checks_name_real_demonstrations():
    assert not set(CHECKS) - set(BY_ID)
    for demo_id in CHECKS:
        assert _python(BY_ID[demo_id]["response"]), demo_id


def test_benign_and_antipattern_code_is_checked():
    """Every benign/antipattern demonstration with Python code has a behavioural check (except those whose
    only job is a call to a remote service)."""
    network_only = {"hardcoded-secret-zh-1", "http-get-timeout-zh-2"}
    unchecked = [r["id"] for r in RECORDS if r["category"] in ("benign", "antipattern") and _python(r["response"])
                 and r["id"] not in CHECKS and r["id"] not in network_only]
    assert not unchecked


def test_demonstration_code_runs(execution_results):
    failures = {k: v for k, v in execution_results.items() if v.startswith("FAIL")}
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    for demo_id, outcome in execution_results.items():
        if outcome.startswith("skip"):
            assert outcome.split()[1] in OPTIONAL_MODULES, (demo_id, outcome)
    assert sum(v == "ok" for v in execution_results.values()) >= 0.9 * len(execution_results)


# ----------------------------------------------------------------------------------------------- dataset card
def test_dataset_card_counts_match():
    card = (DEMO_DIR / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "configs:" in card
    counts = Counter((r["category"], r["lang"]) for r in RECORDS)
    for category in CATEGORIES:
        row = re.search(rf"^\| {category} \| (\d+) \| (\d+) \| (\d+) \|", card, re.M)
        assert row, category
        assert (int(row.group(1)), int(row.group(2)), int(row.group(3))) == (
            counts[(category, "en")], counts[(category, "zh")], counts[(category, "en")] + counts[(category, "zh")])
    assert f"**{len(RECORDS)}**" in card


def test_loads_with_datasets_library(tmp_path):
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(DEMO_DIR), split="train", cache_dir=str(tmp_path))
    assert len(loaded) == len(RECORDS)
    assert {"id", "topic", "category", "lang", "response"} <= set(loaded.column_names)


def test_pipeline_loader_sees_every_topic():
    from codealign.data import load_demonstrations

    table = load_demonstrations(DEMO_DIR)
    assert sum(len(v) for v in table.values()) == len(RECORDS)
    for category, splits in TOPICS.items():
        for topic in splits["train"]:
            assert table[(topic, "en")] and table[(topic, "zh")]
