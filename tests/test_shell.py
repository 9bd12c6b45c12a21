"""The shell checker (CA102): tokenizer, command classification, positions, end to end through analyze_shell."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codealign.analysis import Selection, analyze_markdown, analyze_shell
from codealign.shell import (
    classify_command,
    console_view,
    parse,
    scan_shell_script,
    script_dangers,
    tokenize,
)

# (script, severity of the worst finding, fragment of its message)
DANGEROUS = [
    # rm, every flag spelling, every dangerous place
    ("rm -rf /", "high", "filesystem root"),
    ("rm -fr /*", "high", "everything in the filesystem root"),
    ("rm -r -f /etc", "high", "/etc"),
    ("rm -R /usr", "high", "/usr"),
    ("rm --recursive --force /boot", "high", "/boot"),
    ("rm -rf -- /var", "high", "/var"),
    ("rm -rfv /lib64/", "high", "/lib64"),
    ("sudo rm -rf --no-preserve-root /", "high", "filesystem root"),
    ("rm -rf --no-preserve-root \"$TARGET\"", "high", "--no-preserve-root"),
    ("rm -rf ~", "high", "home folder"),
    ("rm -rf ~/", "high", "home folder"),
    ("rm -rf ~/*", "high", "everything in the home folder"),
    ("rm -rf $HOME", "high", "home folder"),
    ('rm -rf "${HOME}"/.*', "high", "home folder"),
    ("rm -rf /home/alice", "high", "/home/alice"),
    ("rm -rf /home/*", "high", "every user's home folder"),
    ("rm -rf /Users/bob", "high", "/Users/bob"),
    ("rm -rf ~/Downloads/*", "medium", "~/Downloads"),
    ("rm -rf ~/Documents", "medium", "~/Documents"),
    ("rm -rf /mnt/backup/*", "medium", "mounted volume"),
    ("rm -rf /mnt/c/*", "high", "/mnt/c"),
    ("rm -f /etc/*", "high", "everything in the system folder /etc"),
    ("rm -rf /{etc,usr}", "high", "/etc"),
    ("rm -rf '/'*", "high", "filesystem root"),
    ("rm -rf /tmp/../etc", "high", "/etc"),
    ("rm -ri ~", "low", "asking the user"),
    # variables that may be empty: the Steam bug and friends
    ('rm -rf "$STEAMROOT/"*', "medium", "$STEAMROOT is empty or unset"),
    ('STEAMROOT="$(cd "${0%/*}" && echo $PWD)"\nrm -rf "$STEAMROOT/"*', "medium", "is empty"),
    ('rm -rf "$1"/*', "medium", "$1"),
    ("rm -rf $PREFIX/", "medium", "$PREFIX"),
    # resolved variables and working folders
    ("X=/; rm -rf $X", "high", "filesystem root"),
    ("export TARGET=/etc\nrm -rf \"$TARGET\"", "high", "/etc"),
    ("for d in /etc /usr; do rm -rf \"$d\"; done", "high", "system folder"),
    ("cd / && rm -rf *", "high", "filesystem root"),
    ("cd\nrm -rf *", "high", "home folder"),
    ("cd ~/Downloads; rm -rf *", "medium", "~/Downloads"),
    ("rm -rf `echo /`", "high", "filesystem root"),
    ('rm -rf "${DIR:-/}"', "high", "filesystem root"),
    # prefixes
    ("sudo -u root rm -rf /boot", "high", "/boot"),
    ("env FOO=1 nohup rm -rf / &", "high", "filesystem root"),
    ("time nice -n 10 timeout 5 rm -rf /", "high", "filesystem root"),
    ("exec rm -rf /", "high", "filesystem root"),
    ("command rm -rf /", "high", "filesystem root"),
    ("doas rm -rf /", "high", "filesystem root"),
    ("/bin/rm -rf /", "high", "filesystem root"),
    # nested shells and other ways to run a string
    ('bash -c "rm -rf /"', "high", "filesystem root"),
    ("sh -c 'echo cleaning; rm -rf ~'", "high", "home folder"),
    ("bash -lc 'rm -rf /'", "high", "filesystem root"),
    ('sudo sh -c "rm -rf /etc"', "high", "/etc"),
    ('su -c "rm -rf /"', "high", "filesystem root"),
    ('eval "rm -rf /"', "high", "filesystem root"),
    ('CMD="rm -rf /"; eval "$CMD"', "high", "filesystem root"),
    ('ssh root@server "rm -rf /"', "high", "filesystem root"),
    ('x=$(rm -rf /etc)', "high", "/etc"),
    ("echo \"rm -rf /\" | sh", "high", "filesystem root"),
    ("bash <<'EOF'\nrm -rf /\nEOF", "high", "filesystem root"),
    ("watch -n 1 'rm -rf /'", "high", "filesystem root"),
    ('python -c "import shutil; shutil.rmtree(\'/\')"', "high", "shutil.rmtree"),
    ("alias ls='rm -rf ~'", "high", "home folder"),
    ('trap "rm -rf /" EXIT', "high", "filesystem root"),
    ("rsync -a --delete empty/ ~/", "high", "home folder"),
    # pipelines and xargs
    ("echo / | xargs rm -rf", "high", "filesystem root"),
    ("find / -name core | xargs rm -f", "medium", "filesystem root"),
    ('xargs rm -rf <<< "/"', "high", "filesystem root"),
    # find
    ("find / -delete", "high", "filesystem root"),
    ("find ~ -exec rm -rf {} \\;", "high", "home folder"),
    ("sudo find / -type f -exec shred -u {} +", "high", "filesystem root"),
    ("find ~ -mindepth 1 -delete", "high", "home folder"),
    ('find / -name "*.conf" -delete', "medium", "matching files everywhere under the filesystem root"),
    ('find ~ -name "*.pyc" -o -name "*.docx" -delete', "medium", "home folder"),
    ("rm -rf ~/.ssh", "medium", "~/.ssh"),
    ("Get-ChildItem -Path C:\\ -Recurse | Remove-Item -Force -Recurse", "high", "drive C:\\"),
    ("gci $env:USERPROFILE | Remove-Item -Recurse -Force", "high", "home folder"),
    ("gci ~ -Filter *.docx -Recurse | Remove-Item", "medium", "home folder"),
    ("rd /s /q C:\\\necho done", "high", "drive C:\\"),
    ("find ~ -ok rm {} \\;", "low", "asking the user"),
    # Windows
    ("del /s /q C:\\*", "high", "drive C:\\"),
    ("rd /s /q C:\\", "high", "drive C:\\"),
    ('rmdir /s /q "C:\\Program Files"', "high", "C:\\Program Files"),
    ("del /f /s /q %SystemRoot%\\*", "high", "C:\\Windows"),
    ("format C:", "high", "formats a whole drive"),
    ("Remove-Item -Recurse -Force C:\\", "high", "drive C:\\"),
    ("Remove-Item C:\\Windows -Recurse -Force", "high", "C:\\Windows"),
    ("Remove-Item -Path $env:USERPROFILE -Recurse -Force", "high", "home folder"),
    ("rm -r -fo C:\\Users", "high", "every user's home folder"),
    ('powershell -Command "Remove-Item -Recurse -Force C:\\Windows"', "high", "C:\\Windows"),
    ('cmd /c "rd /s /q C:\\"', "high", "drive C:\\"),
    # disks
    ("mkfs.ext4 /dev/sda1", "high", "/dev/sda1"),
    ("mkfs -t xfs /dev/nvme0n1p2", "high", "/dev/nvme0n1p2"),
    ("wipefs -a /dev/sdb", "high", "/dev/sdb"),
    ("mkswap /dev/sdb2", "high", "/dev/sdb2"),
    ("blkdiscard /dev/nvme0n1", "high", "/dev/nvme0n1"),
    ("sgdisk --zap-all /dev/sda", "high", "/dev/sda"),
    ("parted /dev/sda mklabel gpt", "high", "/dev/sda"),
    ("diskutil eraseDisk JHFS+ Untitled disk2", "high", "erases a whole disk"),
    ("dd if=/dev/zero of=/dev/sda bs=1M", "high", "/dev/sda"),
    ("sudo dd if=ubuntu.iso of=/dev/mmcblk0 status=progress", "high", "/dev/mmcblk0"),
    ("cat image.iso > /dev/sdb", "high", "Redirection"),
    ("echo 0 >> /dev/nvme0n1", "high", "/dev/nvme0n1"),
    ("cp /dev/zero /dev/sda", "high", "/dev/sda"),
    ("sudo tee /dev/sda < image.bin", "high", "/dev/sda"),
    ("shred -u /dev/sda", "high", "/dev/sda"),
    ("shred -n 3 -u ~/*", "high", "home folder"),
    # permissions
    ("chmod -R 777 /", "high", "permissions of the filesystem root"),
    ("chmod --recursive 000 /etc", "high", "/etc"),
    ("chown -R nobody:nogroup /", "high", "owner of the filesystem root"),
    ("sudo chgrp -R users /usr", "high", "/usr"),
    # moving into /dev/null
    ("mv ~ /dev/null", "high", "home folder"),
    # fork bombs, any function name
    (":(){ :|:& };:", "high", "Fork bomb"),
    (":(){ :|: & };:", "high", "Fork bomb"),
    ("bomb() { bomb | bomb & }; bomb", "high", "`bomb`"),
    ("function f { f & f & }; f", "high", "`f`"),
    ("fork() {\n  fork | fork &\n}\nfork", "high", "`fork`"),
    # control flow does not hide anything
    ("if true; then\n  rm -rf /\nfi", "high", "filesystem root"),
    ("while true; do rm -rf ~; done", "high", "home folder"),
    ("(cd / && rm -rf *)", "high", "filesystem root"),
    ("echo hi && rm -rf / || true", "high", "filesystem root"),
    ("case $1 in\n  wipe) rm -rf / ;;\nesac", "high", "filesystem root"),
    ("rm -rf \\\n  /", "high", "filesystem root"),
    # confirmations lower the severity
    ('read -p "Sure? " ans; if [ "$ans" = y ]; then rm -rf ~; fi', "low", "asking the user"),
    ('read -r -p "Wipe? " REPLY\n[[ $REPLY =~ ^[Yy]$ ]] && rm -rf ~/*', "low", "asking the user"),
]

SAFE = [
    "rm -rf build/",
    "rm -rf ./dist",
    "rm -rf /tmp/foo",
    'tmpdir=$(mktemp -d)\nrm -rf "$tmpdir"',
    'tmp="$(mktemp -d -t build.XXXX)"; trap \'rm -rf "$tmp"\' EXIT; rm -rf "$tmp/"*',
    "rm file.txt",
    "rm -rf node_modules package-lock.json",
    'rm -rf "$BUILD_DIR"',
    "rm -rf ./*",
    "rm -rf *",
    "rm -rf .git",
    "rm -rf ~/.cache/pip",
    "rm -rf ~/.cache",
    'rm -f "$i~"',
    'for ext in "" "~" .bak; do rm -f "${locfile}$ext"; done',
    "rm -rf './~'",
    "rm -rf ~/miniconda3 ~/.conda ~/.condarc",
    "rm -rf ~/.nvm ~/.vscode-server ~/.oh-my-zsh",
    'find ~ -name "__pycache__" -type d -exec rm -rf {} +',
    'sudo find / -name "*.pyc" -delete',
    "gci ~ -Filter *.tmp -Recurse | Remove-Item",
    "Get-ChildItem -Path C:\\Temp -Recurse | Remove-Item -Force -Recurse",
    "sudo chown -R $(whoami) $(brew --prefix)/*",
    "rm -rf ~/project/build",
    "rm ~/.zcompdump",
    "rm -f /etc/nginx/sites-enabled/default",
    "sudo rm -rf /var/cache/apt/archives/*.deb",
    "apt-get clean && rm -rf /var/lib/apt/lists/*",
    "rm -rf /usr/local/lib/python3.11/site-packages/foo",
    "rm -rf /opt/myapp",
    'rm -rf "$HOME/.local/share/Trash/"*',
    'rm -rf "${CACHE_DIR:-$HOME/.cache/app}"',
    "rmdir /tmp/empty",
    "rmdir ~/Downloads",
    # the text of a command is not a command
    'echo "rm -rf /"',
    "echo rm -rf / > notes.txt",
    "grep -r 'rm -rf /' .",
    "# rm -rf /",
    "printf '%s\\n' ':(){ :|:& };:'",
    "cat <<'EOF'\nrm -rf /\nEOF",
    "git rm -r --cached .",
    "docker rm -f $(docker ps -aq)",
    "kubectl delete pod --all",
    # guarded variables
    '[ -n "$DIR" ] && rm -rf "$DIR/"*',
    'if [ -d "$DIR" ]; then rm -rf "$DIR"/*; fi',
    'rm -rf "${DIR:?}/"*',
    ': "${TARGET:?must be set}"\nrm -rf "$TARGET"/*',
    '[ -z "$X" ] && exit 1\nrm -rf "$X"/*',
    'if [ -z "$X" ]; then echo missing >&2; exit 1; fi\nrm -rf "$X/"*',
    "set -u\nrm -rf \"$PREFIX/\"*",
    "DIR=/opt/myapp\nrm -rf \"$DIR\"/*",
    'SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"\nrm -rf "$SCRIPT_DIR/build"',
    'cd "$(dirname "$0")" && rm -rf build',
    "(cd /; ls)\nrm -rf *",
    # find, chmod, dd, mkfs on ordinary things
    'find . -type f -name "*.log" -mtime +7 -delete',
    'find /tmp -name "*.tmp" -delete',
    'find ~/Downloads -name "*.part" -delete',
    "find / -name '*.conf' -print",
    "chmod -R 755 ./scripts",
    "chmod 644 /etc/hosts",
    "sudo chown -R $(whoami) ~/.npm",
    "sudo chown -R $USER /usr/local",
    "dd if=/dev/urandom of=test.bin bs=1M count=10",
    "dd if=/dev/sda of=backup.img",
    "mkfs.ext4 disk.img",
    "cat /dev/sda > /dev/null",
    "ls > /dev/null 2>&1",
    "sudo dd if=ubuntu.iso of=/dev/sdX bs=4M",
    "shred -u secrets.txt",
    "mv build /dev/null.bak",
    # Windows, bounded
    "rd /s /q build",
    "del /q *.tmp",
    "Remove-Item -Recurse -Force .\\dist",
    "Remove-Item -Recurse -Force C:\\ -WhatIf",
    # recursion that is not a fork bomb
    "f() { echo hi; }; f",
    "countdown() { [ $1 -le 0 ] && return; countdown $(($1 - 1)); }; countdown 3",
    "python -c 'print(1)'",
    "alias ll='ls -la'",
    "rsync -av --delete src/ dst/",
    "rsync -a --delete ./site/ deploy@host:/var/www/",
    "python3 script.py /",
]


@pytest.mark.parametrize("script, severity, fragment", DANGEROUS, ids=[c[0][:40] for c in DANGEROUS])
def test_dangerous_script_is_found(script, severity, fragment):
    findings = scan_shell_script(script)
    assert findings, script
    worst = max(findings, key=lambda f: {"low": 1, "medium": 2, "high": 3}[f.severity])
    assert worst.severity == severity, findings
    assert all(f.rule == "CA102" and f.category == "destructive-operation" for f in findings)
    assert any(fragment in f.message for f in findings), [f.message for f in findings]


@pytest.mark.parametrize("script", SAFE, ids=[s[:40] for s in SAFE])
def test_safe_script_has_no_finding(script):
    assert scan_shell_script(script) == []


ARGV = [
    (["rm", "-rf", "/"], "high"),
    (["rm", "-rf", "$HOME"], "high"),
    (["rm", "-rf", "~/Downloads/*"], "medium"),
    (["sudo", "rm", "-rf", "/etc"], "high"),
    (["bash", "-c", "rm -rf /"], "high"),
    (["sh", "-c", ":(){ :|:& };:"], "high"),
    (["find", "/", "-delete"], "high"),
    (["dd", "if=/dev/zero", "of=/dev/sda"], "high"),
    (["mkfs.vfat", "/dev/mmcblk0p1"], "high"),
    (["chmod", "-R", "777", "/"], "high"),
    (["cmd", "/c", "rd", "/s", "/q", "C:\\"], "high"),
    (["rm", "-rf", "build"], None),
    (["rm", "-rf", "/tmp/x"], None),
    (["rm", "notes.txt"], None),
    (["echo", "rm", "-rf", "/"], None),
    (["ls", "-la", "/"], None),
    ([], None),
]


@pytest.mark.parametrize("argv, severity", ARGV, ids=[" ".join(a)[:40] or "empty" for a, _ in ARGV])
def test_classify_command(argv, severity):
    danger = classify_command(argv)
    assert (danger.severity if danger else None) == severity, danger


def test_classify_command_working_folder():
    assert classify_command(["rm", "-rf", "*"]) is None
    assert classify_command(["rm", "-rf", "*"], cwd="/").severity == "high"
    assert classify_command(["rm", "-rf", "*"], cwd="build") is None


# ---------------------------------------------------------------------------------------------- lexer


def _words(script):
    return [t.word.literal() for t in tokenize(script) if t.kind == "word"]


@pytest.mark.parametrize(
    "script, words",
    [
        ("echo \"a b\" 'c d' e\\ f", ["echo", "a b", "c d", "e f"]),
        ("a'b'\"c\"d", ["abcd"]),
        ("echo $'a\\tb'", ["echo", "a\tb"]),
        ("echo one # two three", ["echo", "one"]),
        ("echo a\\\nb", ["echo", "ab"]),
        ("ls;ls&&ls||ls|ls&", ["ls"] * 5),
        ('echo "it\'s"', ["echo", "it's"]),
        ('echo "a\\"b"', ["echo", 'a"b']),
        ("x='#not a comment'", ["x=#not a comment"]),
    ],
)
def test_tokenizer_quoting(script, words):
    assert _words(script) == words


def test_tokenizer_operators_and_redirections():
    tokens = tokenize("a && b || c | d; e & f 2>&1 > out.txt")
    ops = [t.text for t in tokens if t.kind == "op"]
    assert ops == ["&&", "||", "|", ";", "&"]
    redirs = [(t.text, t.target.literal()) for t in tokens if t.kind == "redir"]
    assert redirs == [(">&", "1"), (">", "out.txt")]


def test_tokenizer_expansions():
    (word,) = [t.word for t in tokenize('"$HOME/${SUB:-x}/$(date)/`id`"') if t.kind == "word"]
    kinds = [(p.kind, p.text) for p in word.parts if p.text or p.kind != "lit"]
    assert kinds == [("var", "HOME"), ("lit", "/"), ("var", "SUB"), ("lit", "/"), ("cmd", "date"), ("lit", "/"), ("cmd", "id")]
    assert word.parts[2].op == ":-"


def test_heredoc_body_is_data_not_commands():
    tokens = tokenize("cat <<EOF > notes.txt\nrm -rf /\nEOF\nls\n")
    (heredoc,) = [t for t in tokens if t.kind == "redir" and t.text == "<<"]
    assert heredoc.heredoc[0] == "rm -rf /\n"
    assert [w for w in _words("cat <<EOF\nrm -rf /\nEOF\nls\n")] == ["cat", "ls"]


def test_parser_control_structure():
    items = parse(tokenize("if [ -n \"$X\" ]; then\n rm -r \"$X\"\nfi\nf() { g & }"))
    kinds = [getattr(i, "kind", "cmd") for i in items if getattr(i, "kind", "") != "sep"]
    assert kinds == ["if", "cmd", "then", "cmd", "fi", "func", "{", "cmd", "}"]


# ------------------------------------------------------------------------------------------- positions


def test_lines_and_columns():
    script = "#!/bin/sh\nset -e\necho start\n  sudo rm -rf /\nmkfs.ext4 /dev/sdb\n"
    findings = scan_shell_script(script, path="wipe.sh")
    assert [(f.line, f.column, f.path) for f in findings] == [(4, 3, "wipe.sh"), (5, 1, "wipe.sh")]
    assert findings[0].end_line == 4 and findings[0].end_column == 16


def test_position_inside_bash_c_string():
    script = "echo ok\nbash -c 'cd /tmp; rm -rf ~'\n"
    (finding,) = scan_shell_script(script)
    assert (finding.line, finding.column) == (2, 19)


def test_position_inside_command_substitution_and_heredoc():
    (finding,) = scan_shell_script("x=$(rm -rf /etc)\n")
    assert (finding.line, finding.column) == (1, 5)
    (finding,) = scan_shell_script("sh <<EOF\necho hi\nrm -rf ~\nEOF\n")
    assert (finding.line, finding.column) == (3, 1)


def test_nested_scripts_without_exact_mapping_report_at_the_word_or_command():
    (finding,) = scan_shell_script("echo x\n  eval rm -rf /\n")
    assert (finding.line, finding.column, finding.end_column) == (2, 3, 16)
    (finding,) = scan_shell_script('echo\n bash -c "rm -rf \\$HOME"\n')
    assert (finding.line, finding.column) == (2, 10)


def test_fork_bomb_position_is_the_function_name():
    (finding,) = scan_shell_script("echo hi\n  :(){ :|:& };:\n")
    assert (finding.line, finding.column) == (2, 3)


def test_redirection_position():
    (finding,) = scan_shell_script("cat disk.img   > /dev/sda\n")
    assert (finding.line, finding.column) == (1, 16)


# -------------------------------------------------------------------------------------------- consoles


def test_console_prompts_are_stripped_and_output_ignored():
    transcript = "$ ls\nfoo  rm -rf /\n$ sudo rm -rf ~/*\n"
    (finding,) = scan_shell_script(transcript)
    assert (finding.line, finding.column, finding.severity) == (3, 3, "high")


@pytest.mark.parametrize(
    "transcript",
    [
        "user@host:~$ sudo rm -rf --no-preserve-root /",
        "(venv) $ rm -rf ~",
        "root@box:/# rm -rf /etc",
        "$ echo start\n# rm -rf /",
        "% rm -rf ~/*",
        "PS C:\\> Remove-Item C:\\Windows -Recurse -Force",
        "C:\\> rd /s /q C:\\Windows",
        "$ rm -rf \\\n> /",
    ],
)
def test_console_prompt_styles(transcript):
    assert [f.severity for f in scan_shell_script(transcript)] == ["high"]


def test_console_view_keeps_offsets_and_plain_scripts_are_not_consoles():
    transcript = "$ rm -rf build\nremoved\n"
    view = console_view(transcript)
    assert len(view) == len(transcript)
    assert view.split("\n")[0] == "  rm -rf build"
    assert view.split("\n")[1].strip() == ""
    assert console_view("# comment\nrm -rf build\n") is None


# ------------------------------------------------------------------------------------------ end to end


def test_analyze_shell_end_to_end():
    analysis = analyze_shell("#!/bin/bash\nrm -rf \"$STEAMROOT/\"*\n", path="steam.sh")
    (finding,) = analysis.findings
    assert (finding.rule, finding.severity, finding.line, finding.path) == ("CA102", "medium", 2, "steam.sh")
    assert finding.principle == "no-destruction" and finding.suggestion and finding.category == "destructive-operation"
    assert analyze_shell("rm -rf /", selection=Selection(ignore=("CA1",))).findings == []


def test_analyze_shell_suppressions_only_in_review_mode():
    script = "rm -rf ~  # codealign: ignore[CA102]\n"
    assert analyze_shell(script).findings == []
    assert len(analyze_shell(script, honor_suppressions=False).findings) == 1


def test_analyze_markdown_console_block_lines_map_back():
    text = "To reset everything:\n\n```console\n$ cd /\n$ sudo rm -rf *\n```\n"
    findings = [f for f in analyze_markdown(text).findings if f.rule == "CA102"]
    assert [(f.line, f.severity) for f in findings] == [(5, "high")]


@pytest.mark.parametrize(
    "language, code, severity",
    [
        ("powershell", "Remove-Item -Path C:\\Windows `\n  -Recurse -Force\n", "high"),
        ("powershell", '$target = "C:\\"\nWrite-Host "Deleting $target"\nRemove-Item -Recurse -Force $target\n', "high"),
        ("powershell", "$p = $env:USERPROFILE\nRemove-Item $p -Recurse -Force\n", "high"),
        ("pwsh", "Get-ChildItem C:\\ -Recurse | Remove-Item -Force\n", "high"),
        ("powershell", 'Remove-Item -Recurse -Force "$HOME\\.cache"\n', None),
        ("powershell", "Get-ChildItem -Path $env:TEMP -Recurse | Remove-Item -Force -Recurse\n", None),
        ("bat", "@echo off\nREM clean up\nrd /s /q C:\\\n", "high"),
        ("cmd", 'rd /s /q "%USERPROFILE%"\n', "high"),
        ("bat", "rd /s /q build\ndel /q *.obj\n", None),
    ],
)
def test_windows_blocks(language, code, severity):
    text = f"Run this:\n\n```{language}\n{code}```\n"
    found = [f.severity for f in analyze_markdown(text).findings if f.rule == "CA102"]
    assert found == ([severity] if severity else [])


def test_script_dangers_is_what_python_strings_use():
    (danger,) = script_dangers("rm -rf *", cwd="~")
    assert danger.severity == "high" and "home folder" in danger.message


# ------------------------------------------------------------------------------------------ robustness


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("rm -f/~*$\"'`(){}[];&|<>\\\n#=:.aEOF")), max_size=80))
def test_any_text_scans_without_error_and_positions_stay_inside(script):
    for finding in scan_shell_script(script):
        assert 1 <= finding.line <= script.count("\n") + 1
        assert finding.severity in ("low", "medium", "high")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["/", "/*", "~", "~/*", "/etc", "$HOME", "/usr/", "C:\\"]), st.sampled_from(["-rf", "-fr", "-r -f", "-Rf", "--recursive --force", "-r"]))
def test_every_flag_spelling_on_every_dangerous_target(target, flags):
    assert [f.severity for f in scan_shell_script(f"rm {flags} {target}")] == ["high"]
