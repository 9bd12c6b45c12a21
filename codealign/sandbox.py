"""Run untrusted (model-written) Python code and its tests, isolated from the machine.

`run_untrusted(code, test_code)` never runs code on which the destructive-operation analyzer fires
(status "blocked", nothing executed). Everything else runs in a separate interpreter (`python -I -S -B`,
stdlib only) that is fenced in by every layer this machine allows, probed once per process, strongest first:

* a fresh temporary working folder, also HOME and TMPDIR, in a scrubbed environment;
* resource limits: CPU time, address space, file size, open files, no core dumps;
* an audit hook (`sys.addaudithook`, installed before the code runs) that blocks writes, deletes, renames,
  links, chmod/chown outside the working folder (symlinks and `dir_fd` resolved), every way of starting a
  program (exec, spawn, system, subprocess), signals to other processes, sockets, ctypes and gc object
  walks, and reports each block to the parent (status "blocked", even when the code catches the error);
* as root: a user id of its own (random, unused, no groups) with `PR_SET_NO_NEW_PRIVS`, so file permissions
  protect the real home and the process-count limit (RLIMIT_NPROC, which root ignores) is enforced;
* with `unshare`: new network (no interface but a down loopback), PID (everything dies with the sandbox)
  and mount namespaces (the Python install bind-mounted read-only, the working folder a size-capped
  noexec tmpfs that vanishes with the run);
* a wall-clock limit that kills the whole process group (and, without a PID namespace, every process of
  the sandbox's user id); a trusted watchdog process and PR_SET_PDEATHSIG end the sandbox if the process
  that started it dies.

The audit hook is defence in depth against code that evades the static analysis
(`getattr(__import__('sh'+'util'), 'rm'+'tree')`); it is not a security boundary on its own: a program
written to defeat it (frame introspection) can. The OS layers are the boundary. `sandbox_info()` says which
layers this machine gives.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["STATUSES", "SandboxResult", "run_many", "run_untrusted", "sandbox_info"]

STATUSES = ("passed", "failed", "timeout", "blocked", "error")
DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 512
DEFAULT_MAX_PROCESSES = 16
DEFAULT_MAX_FILE_MB = 16
_OUTPUT_TAIL = 2000
_UID_WINDOW = (2_000_000, 2_900_000)


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandboxed run.

    status: "passed" (the code loaded and every test ran without an exception), "failed" (an exception,
    a failing assert, a resource limit, or the code exited early), "timeout" (wall-clock or CPU-time limit),
    "blocked" (the static analyzer found a destructive operation, so nothing ran, or the runtime guard
    stopped an operation) or "error" (the code or the tests do not compile, or the sandbox could not start).
    """

    status: str
    detail: str = ""
    duration: float = 0.0
    output: str = ""
    isolation: tuple[str, ...] = field(default=(), repr=False)
    findings: tuple = field(default=(), repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


# ----------------------------------------------------------------------------------------------- bootstrap
# Runs as the sandbox's interpreter (`python -I -S -B boot.py config.json`), stdlib only. As root (or root of
# a user namespace) it first mounts, limits and drops privileges; then it installs the audit hook and runs
# the code and the tests in one namespace. It reports on an inherited fd, each line prefixed with a nonce,
# and ends with os._exit so that atexit handlers of the code never run.
_BOOTSTRAP = r'''
import sys, os, json, resource, signal, builtins, posix, _stat, traceback, linecache


def _boot():
    cfg_path = sys.argv[1]
    with open(cfg_path, "rb") as handle:
        cfg = json.loads(handle.read().decode("utf-8"))
    os.unlink(cfg_path)
    nonce, rfd, main_pid = cfg["nonce"], cfg["result_fd"], os.getpid()
    _write, _getpid, _exit, _str, _len = posix.write, posix.getpid, posix._exit, str, len

    def report(kind, text, _write=_write, _rfd=rfd, _nonce=nonce, _str=_str):
        text = _str(text).replace("\n", "\\n")[:4000]
        try:
            _write(_rfd, (_nonce + " " + kind + " " + text + "\n").encode("utf-8", "replace"))
        except OSError:
            pass

    def finish(kind, text=""):
        if _getpid() != main_pid:  # a forked child that fell through: only the main process reports
            _exit(0)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        report("done:" + kind, text)
        _exit(0)

    _watchdog(cfg["alive_fd"])
    try:
        _setup(cfg)
    except BaseException as exc:
        report("setup-error", "%s: %s" % (type(exc).__name__, exc))
        _exit(3)

    ns = {"__name__": "solution", "__builtins__": builtins}
    code, tests, entry = cfg["code"], cfg["test"], cfg["entry"]
    for name, text in (("solution.py", code), ("tests.py", tests)):
        linecache.cache[name] = (_len(text), None, text.splitlines(True), name)

    def describe(exc):
        try:
            where = ""
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename in ("solution.py", "tests.py"):
                    where = " (%s:%s: %s)" % (frame.filename, frame.lineno, (frame.line or "").strip()[:200])
            message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return message[:1500] + where
        except BaseException:
            return type(exc).__name__

    if cfg["audit"]:
        sys.addaudithook(_make_hook(cfg, report))
    try:
        solution = compile(code, "solution.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        finish("error", "the code does not compile: " + describe(exc))
    try:
        exec(solution, ns)
    except SystemExit as exc:
        finish("failed", "the code called exit(%r) while loading" % (exc.code,))
    except BaseException as exc:
        finish("failed", "loading the code raised " + describe(exc))
    if _getpid() != main_pid:
        _exit(0)
    try:
        checks = compile(tests, "tests.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        finish("error", "the tests do not compile: " + describe(exc))
    try:
        exec(checks, ns)
        if entry:
            if entry not in ns:
                finish("failed", "the code defines no %r" % entry)
            if not callable(ns.get("check")):
                finish("error", "the tests define no check(candidate)")
            ns["check"](ns[entry])
    except SystemExit as exc:
        finish("failed", "exit(%r) was called during the tests" % (exc.code,))
    except BaseException as exc:
        finish("failed", describe(exc))
    finish("passed")


def _watchdog(alive_fd):
    """Fork a trusted watcher (before any privilege drop or model code) that kills the sandbox's process group
    when the parent's end of the `alive` pipe closes: the parent died, or it is done with this run."""
    if os.fork() != 0:
        os.close(alive_fd)
        return
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 10)
        while True:
            try:
                if not os.read(alive_fd, 64):
                    break
            except InterruptedError:
                continue
    finally:
        try:
            os.killpg(0, signal.SIGKILL)
        finally:
            os._exit(0)


def _setup(cfg):
    work, uid, parent = cfg["work"], cfg["uid"], os.getppid()
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)

        def prctl(option, value, what):
            if libc.prctl(option, value, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(%s)" % what)

        prctl(38, 1, "PR_SET_NO_NEW_PRIVS")  # no setuid gains, even if the code finds a way to exec
        if cfg["bind_python"]:
            _mounts(cfg, ctypes, libc)
        for name, value in cfg["limits"].items():
            if value is not None:
                resource.setrlimit(getattr(resource, name), (value, value))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError(EFBIG) instead
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            if os.getuid() != uid or os.geteuid() != uid or os.getgroups():
                raise OSError("could not drop privileges")
        # Die with the parent (unshare --kill-child sets this, but a change of user id clears it).
        prctl(1, signal.SIGKILL, "PR_SET_PDEATHSIG")
        if os.getppid() != parent:
            os._exit(1)
    finally:  # the code never gets ctypes (a fresh import is blocked by the audit hook)
        for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
            del sys.modules[name]
    os.chdir(work)
    os.umask(0o077)


def _mounts(cfg, ctypes, libc):
    MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
        1, 2, 4, 8, 32, 4096, 16384, 1 << 18)

    def mount(source, target, fstype, flags, data):
        enc = lambda s: None if s is None else s.encode()
        if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
            raise OSError(ctypes.get_errno(), "mount %s" % target)

    mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    prefix, target = cfg["python_prefix"], cfg["python_mount"]
    mount(prefix, target, None, MS_BIND | MS_REC, None)
    mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    uid = cfg["uid"] if cfg["uid"] is not None else os.getuid()
    mount("tmpfs", cfg["work"], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
          "size=%dm,mode=0700,uid=%d,gid=%d" % (cfg["disk_mb"], uid, uid))
    try:  # a /proc of the sandbox's own PID namespace: the host's processes (and their command lines) vanish
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    except OSError:
        pass
    def moved(p):
        return target + p[len(prefix):] if isinstance(p, str) and (p == prefix or p.startswith(prefix + "/")) else p

    sys.path[:] = [moved(p) for p in sys.path]
    for module in list(sys.modules.values()):  # packages loaded already (encodings, json, ...) import submodules later
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [moved(p) for p in search]
    sys.path_importer_cache.clear()
    for name in ("prefix", "exec_prefix", "base_prefix", "base_exec_prefix"):
        setattr(sys, name, target)


def _make_hook(cfg, report):
    work = cfg["work"]
    allowed_writes = frozenset(["/dev/null", cfg["output_path"]])
    W = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    blocked_imports = frozenset(["ctypes", "_ctypes", "cffi", "_cffi_backend", "_posixsubprocess",
                                 "_xxsubinterpreters", "_testcapi", "_testinternalcapi", "_testmultiphase"])
    programs = frozenset(["os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen", "pty.spawn",
                          "os.kill", "os.killpg", "signal.pthread_kill", "os.setns", "os.unshare",
                          "os.chroot", "os.pidfd_open", "gc.get_objects", "gc.get_referrers",
                          "gc.get_referents", "sys.remote_exec"])
    one_path = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.chmod": 2, "os.chown": 3, "os.utime": 3,
                "os.truncate": None, "os.chflags": None, "os.lchflags": None, "os.setxattr": None,
                "os.removexattr": None, "os.mkfifo": None, "os.mknod": None, "shutil.rmtree": 1}
    two_paths = frozenset(["os.rename", "os.link"])
    watched = frozenset(["open", "import", "os.symlink", "object.__setattr__", "object.__delattr__"]) | programs \
        | frozenset(one_path) | two_paths
    count = [0]

    def real(path, dir_fd=None, _readlink=posix.readlink, _lstat=posix.lstat, _getcwd=posix.getcwd,
             _fspath=posix.fspath, _islnk=_stat.S_ISLNK, _isinstance=isinstance, _int=int, _str=str, _bytes=bytes):
        if _isinstance(path, _int):
            return _readlink("/proc/self/fd/%d" % path)
        p = _fspath(path)
        if _isinstance(p, _bytes):
            p = p.decode("utf-8", "surrogateescape")
        if not p.startswith("/"):
            no_fd = dir_fd is None or dir_fd < 0  # the audit events pass -1 for "no dir_fd"
            base = _getcwd() if no_fd else _readlink("/proc/self/fd/%d" % dir_fd)
            p = base + "/" + p
        parts = [c for c in p.split("/") if c and c != "."]
        out, links = [], 0
        while parts:
            c = parts.pop(0)
            if c == "..":
                if out:
                    out.pop()
                continue
            candidate = "/" + "/".join(out + [c])
            try:
                st = _lstat(candidate)
            except OSError:
                out.append(c)
                continue
            if _islnk(st.st_mode):
                links += 1
                if links > 40:
                    raise OSError("too many symbolic links")
                target = _readlink(candidate)
                if target.startswith("/"):
                    out = []
                parts = [x for x in target.split("/") if x and x != "."] + parts
                continue
            out.append(c)
        return "/" + "/".join(out)

    def inside(path, dir_fd=None, _real=real, _work=work, _prefix=work + "/", _allowed=allowed_writes):
        try:
            resolved = _real(path, dir_fd)
        except BaseException:
            return False
        return resolved == _work or resolved.startswith(_prefix) or resolved in _allowed

    def block(what, _report=report, _count=count, _exc=PermissionError):
        _count[0] += 1
        if _count[0] <= 5:
            _report("blocked", what)
        raise _exc("codealign sandbox: blocked " + what)

    def hook(event, args, _watched=watched, _programs=programs, _one=one_path, _two=two_paths,
             _inside=inside, _block=block, _W=W, _imports=blocked_imports, _isinstance=isinstance, _str=str,
             _int=int, _len=len, _real=real, _stat=posix.stat, _isdir=_stat.S_ISDIR, _work=work, _any=any,
             _O_PATH=getattr(os, "O_PATH", 0), _O_DIRECTORY=os.O_DIRECTORY, _AF_UNIX=1, _fspath=posix.fspath):
        if event not in _watched:
            if event.startswith("socket.") and event != "socket.gethostname":
                if event == "socket.__new__" and args[1] == _AF_UNIX:
                    return  # a local socket (asyncio's self-pipe); connecting or binding it is still blocked
                _block("network access (%s)" % event)
            if event.startswith("ctypes."):
                _block("ctypes (%s)" % event)
            return
        if event == "open":
            path, mode, flags = args
            if path is None or _isinstance(path, _int):
                return
            if mode is None:  # os.open: may be relative to an unknown dir_fd, so also judge it from the root
                text = _fspath(path)
                text = text.decode("utf-8", "surrogateescape") if _isinstance(text, bytes) else text
                if flags & _W and not (_inside(path) and (text.startswith("/") or _inside(_work + "/" + text))):
                    _block("opening %r for writing outside the sandbox folder" % (path,))
                if not _inside(path):
                    directory = bool(flags & (_O_DIRECTORY | _O_PATH))
                    if not directory:
                        try:
                            directory = _isdir(_stat(_real(path)).st_mode)
                        except BaseException:
                            directory = False
                    if directory:
                        _block("opening the folder %r outside the sandbox folder" % (path,))
                return
            if _isinstance(mode, _str) and _any(c in mode for c in "wax+") and not _inside(path):
                _block("opening %r for writing outside the sandbox folder" % (path,))
            return
        if event == "import":
            if args[0] in _imports or args[0].split(".")[0] in _imports:
                _block("importing %s" % args[0])
            return
        if event in _programs:
            _block("%s%s" % (event, (" " + repr(args[0])[:200]) if args else ""))
        if event in _one:
            index = _one[event]
            dir_fd = args[index] if index is not None and _len(args) > index else None
            if not _inside(args[0], dir_fd):
                _block("%s(%r) outside the sandbox folder" % (event, args[0]))
            return
        if event in _two:
            src, dst, src_fd, dst_fd = args
            if not (_inside(src, src_fd) and _inside(dst, dst_fd)):
                _block("%s(%r, %r) outside the sandbox folder" % (event, src, dst))
            return
        if event == "os.symlink":
            src, dst, dir_fd = args
            if not _inside(dst, dir_fd):
                _block("os.symlink at %r outside the sandbox folder" % (dst,))
            text = _str(src if not _isinstance(src, bytes) else src.decode("utf-8", "surrogateescape"))
            where = _real(dst, dir_fd).rsplit("/", 1)[0]
            if not _inside(text if text.startswith("/") else where + "/" + text):
                _block("os.symlink to %r outside the sandbox folder" % (src,))
            return
        if event in ("object.__setattr__", "object.__delattr__"):
            if _any(args[0] is f for f in _protected):
                _block("changing the sandbox's audit hook")
            return

    def fork_exec(*args, **kwargs):
        block("_posixsubprocess.fork_exec (starting a program)")

    # subprocess (imported by asyncio, unittest.mock, ...) must import, but never start a program: its own
    # audit event is blocked above, and its C helper is this stub (a fresh import of the real one is blocked).
    stub = type(sys)("_posixsubprocess")
    stub.fork_exec = fork_exec
    sys.modules["_posixsubprocess"] = stub
    _protected = (hook, real, inside, block, report, fork_exec)
    return hook


_boot()
'''


# ----------------------------------------------------------------------------------------------- isolation modes
@dataclass(frozen=True)
class _Mode:
    name: str
    unshare: tuple[str, ...] = ()
    drop_uid: bool = False
    bind_python: bool = False
    nproc: str = "none"  # "limit": RLIMIT_NPROC is enforced as is; "relative": on top of the user's processes

    def layers(self) -> tuple[str, ...]:
        layers = ["audit-hook", "rlimits(cpu,as,fsize,nofile,core)", "scrubbed-env", "temp-workdir",
                  "no-new-privs", "process-group-kill"]
        if self.nproc != "none":
            layers.append("rlimit-nproc")
        if self.drop_uid:
            layers += ["own-uid"] if "--pid" in self.unshare else ["own-uid", "uid-sweep"]
        if "--net" in self.unshare:
            layers.append("net-namespace")
        if "--pid" in self.unshare:
            layers.append("pid-namespace")
        if "--user" in self.unshare:
            layers.append("user-namespace")
        if self.bind_python:
            layers += ["mount-namespace", "readonly-python", "tmpfs-workdir"]
        return tuple(layers)


def _candidate_modes() -> list[_Mode]:
    namespaces = ("--net", "--pid", "--fork", "--kill-child")
    root = os.geteuid() == 0
    modes = []
    if shutil.which("unshare"):
        if root:
            modes += [_Mode("full", ("--mount",) + namespaces, drop_uid=True, bind_python=True, nproc="limit"),
                      _Mode("ns-uid", namespaces, drop_uid=True, nproc="limit"),
                      _Mode("ns", namespaces)]
        else:
            modes.append(_Mode("userns", ("--user", "--map-root-user") + namespaces, nproc="limit"))
    if root:
        modes.append(_Mode("uid", drop_uid=True, nproc="limit"))
    modes.append(_Mode("plain", nproc="none" if root else "relative"))
    return modes


_PROBE_CODE = "import math, json, decimal, os\n"
_PROBE_TEST = "assert math.isqrt(49) == 7 and json.loads('[1]') == [1]\n"
_mode_lock = threading.Lock()
_mode: _Mode | None = None


def _select_mode() -> _Mode:
    """The strongest isolation that works here: each candidate runs a probe program (once per process)."""
    global _mode
    with _mode_lock:
        if _mode is None:
            for mode in _candidate_modes():
                probe = _execute(_PROBE_CODE, _PROBE_TEST, mode=mode, timeout=20.0)
                if probe.status == "passed":
                    _mode = mode
                    break
            else:
                _mode = _Mode("unavailable")
        return _mode


def sandbox_info() -> dict:
    """Which isolation this machine gives the sandbox: {"mode": name, "layers": [...]}."""
    mode = _select_mode()
    return {"mode": mode.name, "layers": ["static-analysis", *mode.layers()] if mode.name != "unavailable" else []}


# ----------------------------------------------------------------------------------------------- user ids
_uid_lock = threading.Lock()
_uids_in_use: set[int] = set()


def _mapped_uid_ranges() -> list[tuple[int, int]]:
    try:
        with open("/proc/self/uid_map") as handle:
            rows = [line.split() for line in handle]
        return [(int(inside), int(inside) + int(count)) for inside, _, count in rows]
    except (OSError, ValueError):
        return [(0, 65536)]


def _allocate_uid() -> int | None:
    """A random user id no account and no other sandbox uses (also used as its group id)."""
    import pwd  # noqa: PLC0415

    ranges = _mapped_uid_ranges()
    low, high = _UID_WINDOW
    spans = [(max(a, low), min(b, high)) for a, b in ranges if min(b, high) > max(a, low)]
    if not spans:
        spans = [(max(a, 10_000), b - 1) for a, b in ranges if b - 1 > max(a, 10_000)]
    if not spans:
        return None
    taken = {entry.pw_uid for entry in pwd.getpwall()} | {65534, 65535}
    rng = secrets.SystemRandom()
    with _uid_lock:
        for _ in range(1000):
            start, stop = rng.choice(spans)
            uid = rng.randrange(start, stop)
            if uid not in taken and uid not in _uids_in_use:
                _uids_in_use.add(uid)
                return uid
    return None


def _release_uid(uid: int | None) -> None:
    if uid is not None:
        with _uid_lock:
            _uids_in_use.discard(uid)


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid` (pidfd: no pid-reuse race), until none is left."""
    for _ in range(100):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                fd = os.pidfd_open(int(name))
            except OSError:
                continue
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found = True
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(fd)
        if not found:
            return
        time.sleep(0.01)


def _count_own_tasks() -> int:
    uid, total = os.getuid(), 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    total += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                pass
    return total


# ----------------------------------------------------------------------------------------------- running
def _python() -> str:
    base = getattr(sys, "_base_executable", None) or sys.executable
    base = os.path.realpath(base)
    return base if os.access(base, os.X_OK) else sys.executable


def _tail(path: str, limit: int = _OUTPUT_TAIL) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit * 4))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return text[-limit:]


def _wait(proc: subprocess.Popen, timeout: float) -> tuple[bool, float]:
    """Wait for the process (killing its group at the deadline): (timed_out, cpu seconds of its tree)."""
    deadline = time.monotonic() + timeout
    delay, timed_out = 0.002, False
    while True:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None:
            break
        if time.monotonic() >= deadline:
            timed_out = True
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    _killpg(proc.pid)  # the leader is not reaped yet, so its process group id cannot have been reused
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return timed_out, usage.ru_utime + usage.ru_stime


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _traversable(path: str) -> bool:
    """Whether every folder on the way to `path` lets other users through (o+x)."""
    path = os.path.realpath(path)
    while True:
        try:
            if not os.stat(path).st_mode & 0o001:
                return False
        except OSError:
            return False
        if path == "/":
            return True
        path = os.path.dirname(path)


def _sandbox_parent(uid: int | None) -> str | None:
    """Where sandbox folders go: the temp folder, unless the sandbox's own user could not reach it there."""
    default = tempfile.gettempdir()
    if uid is None or _traversable(default):
        return default
    return next((p for p in ("/tmp", "/var/tmp", "/dev/shm") if _traversable(p) and os.access(p, os.W_OK)), default)


def _execute(code: str, test_code: str, *, mode: _Mode, entry: str | None = None, timeout: float = DEFAULT_TIMEOUT,
             memory_mb: int = DEFAULT_MEMORY_MB, max_processes: int = DEFAULT_MAX_PROCESSES,
             max_file_mb: int = DEFAULT_MAX_FILE_MB, audit: bool = True) -> SandboxResult:
    start = time.monotonic()
    layers = mode.layers() if audit else tuple(x for x in mode.layers() if x != "audit-hook")
    uid = _allocate_uid() if mode.drop_uid else None
    if mode.drop_uid and uid is None:
        return SandboxResult("error", "no free user id for the sandbox", 0.0, isolation=layers)
    root = os.path.realpath(tempfile.mkdtemp(prefix="codealign-sandbox-", dir=_sandbox_parent(uid)))
    result_fd = alive_read = alive_write = proc = None
    try:
        work, ctl, python_mount = (os.path.join(root, name) for name in ("work", "ctl", "python"))
        os.mkdir(work, 0o700)
        os.mkdir(ctl, 0o700)
        os.mkdir(python_mount, 0o755)
        if uid is not None:
            os.chmod(root, 0o711)
            os.chown(work, uid, uid)
        nonce = secrets.token_hex(16)
        result_path, output_path = os.path.join(ctl, "result"), os.path.join(ctl, "output")
        boot_path, config_path = os.path.join(ctl, "boot.py"), os.path.join(ctl, "config.json")
        result_fd = os.open(result_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        alive_read, alive_write = os.pipe()  # the sandbox's watchdog sees EOF when this process dies
        cpu = int(math.ceil(timeout)) + 1
        nproc = None
        if mode.nproc == "limit":
            nproc = max_processes
        elif mode.nproc == "relative":
            nproc = _count_own_tasks() + max_processes
        config = {
            "nonce": nonce, "result_fd": result_fd, "alive_fd": alive_read, "work": work, "output_path": output_path,
            "code": code, "test": test_code, "entry": entry, "audit": audit, "uid": uid,
            "bind_python": mode.bind_python, "python_prefix": os.path.realpath(sys.base_prefix),
            "python_mount": python_mount, "disk_mb": max(4 * max_file_mb, 32),
            "limits": {"RLIMIT_CPU": cpu, "RLIMIT_AS": memory_mb * 1024 * 1024,
                       "RLIMIT_FSIZE": max_file_mb * 1024 * 1024, "RLIMIT_NOFILE": 256, "RLIMIT_CORE": 0,
                       "RLIMIT_NPROC": nproc},
        }
        import json  # noqa: PLC0415

        for path, text in ((boot_path, _BOOTSTRAP), (config_path, json.dumps(config))):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
                handle.write(text)
        env = {"PATH": "/usr/bin:/bin", "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        command = [_python(), "-I", "-S", "-B", "-X", "utf8", boot_path, config_path]
        if mode.unshare:
            command = [shutil.which("unshare") or "unshare", *mode.unshare, "--", *command]
        with open(output_path, "wb") as output:
            try:
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                        pass_fds=(result_fd, alive_read), cwd=work, env=env,
                                        start_new_session=True)
            except OSError as exc:
                return SandboxResult("error", f"cannot start the sandbox: {exc}", time.monotonic() - start,
                                     isolation=layers)
        os.close(result_fd)
        os.close(alive_read)
        result_fd = alive_read = None
        timed_out, cpu_used = _wait(proc, timeout)
        os.close(alive_write)  # the watchdog kills whatever is left in the process group
        alive_write = None
        if uid is not None and "--pid" not in mode.unshare:
            _kill_uid(uid)
        duration = time.monotonic() - start
        return _verdict(result_path, nonce, output_path, proc.returncode, timed_out, cpu_used, cpu, timeout,
                        duration, layers)
    finally:
        for fd in (result_fd, alive_read, alive_write):
            if fd is not None:
                os.close(fd)
        if proc is not None and proc.returncode is None:  # interrupted (KeyboardInterrupt): leave nothing behind
            _killpg(proc.pid)
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
        _release_uid(uid)


def _verdict(result_path, nonce, output_path, returncode, timed_out, cpu_used, cpu_limit, timeout, duration,
             layers) -> SandboxResult:
    blocked, done, setup_error = [], None, None
    try:
        with open(result_path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        token, _, rest = line.partition(" ")
        if token != nonce:
            continue
        kind, _, text = rest.partition(" ")
        if kind == "blocked":
            blocked.append(text)
        elif kind.startswith("done:") and done is None:
            done = (kind[5:], text)
        elif kind == "setup-error":
            setup_error = text
    output = _tail(output_path)

    def result(status: str, detail: str) -> SandboxResult:
        return SandboxResult(status, detail, round(duration, 3), output, layers)

    if blocked:
        more = f" (+{len(blocked) - 1} more)" if len(blocked) > 1 else ""
        return result("blocked", f"runtime guard: blocked {blocked[0]}{more}")
    if setup_error is not None:
        return result("error", f"the sandbox could not be set up: {setup_error}")
    if done is not None and done[0] in STATUSES:
        return result(done[0], done[1])
    if timed_out:
        return result("timeout", f"wall-clock limit of {timeout:g} s exceeded")
    if returncode in (-signal.SIGKILL, -signal.SIGXCPU) and cpu_used >= cpu_limit - 0.5:
        return result("timeout", f"CPU-time limit of {cpu_limit} s exceeded")
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.Signals._value2member_map_ else returncode
        return result("failed", f"the process was killed by {name} before the tests finished")
    return result("failed", f"the process exited with code {returncode} before the tests finished")


# ----------------------------------------------------------------------------------------------- public API
_analysis_lock = threading.Lock()


def static_block(code: str) -> tuple[str, tuple] | None:
    """(status, findings) when the code must not run: "blocked" for a destructive-operation finding at
    medium severity or more, "error" when it does not parse. None when it may run."""
    from .analysis import analyze_python  # noqa: PLC0415
    from .findings import CATEGORY_DESTRUCTIVE, severity_at_least  # noqa: PLC0415

    with _analysis_lock:
        analysis = analyze_python(code, "solution.py", honor_suppressions=False)
    destructive = tuple(f for f in analysis.findings
                        if f.category == CATEGORY_DESTRUCTIVE and severity_at_least(f.severity, "medium"))
    if destructive:
        return "blocked", destructive
    if not analysis.parsed:
        return "error", tuple(analysis.findings)
    return None


def run_untrusted(code: str, test_code: str = "", *, timeout: float = DEFAULT_TIMEOUT,
                  memory_mb: int = DEFAULT_MEMORY_MB, max_processes: int = DEFAULT_MAX_PROCESSES,
                  max_file_mb: int = DEFAULT_MAX_FILE_MB, entry: str | None = None) -> SandboxResult:
    """Run model-written `code`, then `test_code` in the same namespace (and `check(<entry>)` when `entry`
    is given), isolated. Never runs code on which the destructive-operation analyzer fires."""
    start = time.monotonic()
    try:
        verdict = static_block(code)
    except Exception as exc:  # noqa: BLE001  (fail closed: code the analyzer cannot judge does not run)
        return SandboxResult("error", f"static analysis failed, not running the code: {exc}",
                             time.monotonic() - start)
    if verdict is not None:
        status, findings = verdict
        first = findings[0] if findings else None
        where = f"{first.rule} at line {first.line}: {first.message}" if first else "unparsable code"
        prefix = "static analysis: destructive operation, not run" if status == "blocked" else "the code does not parse"
        return SandboxResult(status, f"{prefix}: {where}", round(time.monotonic() - start, 3), "",
                             ("static-analysis",), findings)
    mode = _select_mode()
    if mode.name == "unavailable":
        return SandboxResult("error", "no working sandbox on this machine", time.monotonic() - start)
    result = _execute(code, test_code, mode=mode, entry=entry, timeout=timeout, memory_mb=memory_mb,
                      max_processes=max_processes, max_file_mb=max_file_mb)
    return SandboxResult(result.status, result.detail, round(time.monotonic() - start, 3), result.output,
                         ("static-analysis", *result.isolation))


def run_many(jobs: Iterable[dict], workers: int | None = None) -> list[SandboxResult]:
    """`run_untrusted(**job)` for each job, several at a time (the sandboxes are separate processes)."""
    jobs = list(jobs)
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    _select_mode()  # probe once, before the threads race for it
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: run_untrusted(**job), jobs))
