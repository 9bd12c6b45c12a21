import re

import libcst as cst

from . import CodeRule, Invalid, RuleContext, Trigger, any_name
from ._targets import Resolver, Text, argument, last_parts, options, walk


class DeviceLiteral(Trigger):
    """A trigger: a literal a raw device path can be made from.

    Every raw device (`raw_devices`) starts with `/dev/` or, on Windows, with two backslashes and `.` or `?`.
    So some literal starts with `/dev` (also after a placeholder: `f"{root}/dev/sda"`, `"%s/dev/sda"`), is
    `"dev"` or starts with it (`os.path.join("/", "dev", name)`), or holds the Windows prefix (escaped or
    raw, then a backslash or the end of the literal). `/dev` inside a longer text (a URL, `a/dev/b`) is
    not one, nor a device that is no disk (`/dev/null`, `/dev/urandom`, `/dev/tty*`, `/dev/shm/...`),
    unless the module takes parents of paths (`Path("/dev/null").parent` is `/dev`).
    """

    def search(self, source: str) -> bool:
        if _WINDOWS_DEVICE_RE.search(source):
            return True
        parents = "parent" in source or "dirname" in source
        for match in _DEV_RE.finditer(source):
            start = match.start()
            if source[start - 1] == "/" and not (
                source[start - 2 : start - 1] in ("'", '"', "}") or _PLACEHOLDER_RE.search(source, max(0, start - 12), start - 1)
            ):
                continue  # inside a longer text
            if not parents and _NOT_A_DISK_RE.match(source, match.end()):
                continue
            return True
        return False


_DEV_RE = re.compile(r"""dev\b(?<=[/'"]dev)""")  # a literal first, checked backwards: the fast scan
_WINDOWS_DEVICE_RE = re.compile(r"""\\\\[.?][\\'"]""")
_PLACEHOLDER_RE = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]$")
_NOT_A_DISK_RE = re.compile(r"/(?:null|zero|u?random|std(?:in|out|err)|tty\w*|pts|shm|ptmx|console|log|full|fd(?=/))(?![\w-])")


class RawDeviceWrite(CodeRule):
    """
    ## What it does
    Flags code that opens a raw disk device for writing: `open("/dev/sda", "wb")`, `os.open` with
    `O_WRONLY`/`O_RDWR`, `Path("/dev/nvme0n1").write_bytes(...)`, `shutil.copyfile(image, "/dev/sdb")`, and the
    Windows device namespace (`\\\\.\\PhysicalDrive0`). Devices are whole disks and partitions (`/dev/sd*`,
    `/dev/nvme*`, `/dev/hd*`, `/dev/vd*`, `/dev/xvd*`, `/dev/mmcblk*`, macOS `/dev/disk*`), RAID and LVM volumes
    and physical memory (`/dev/mem`); the patterns are data in the rule pack. Reading a device is not reported.

    ## Why is this bad?
    Writing to a raw device bypasses the file system: it overwrites the partition table, boot sector and
    file systems of the whole disk, and everything on it is lost at once.

    ## Example
    ```python
    with open("/dev/sda", "wb") as disk:
        disk.write(b"\\0" * 512)
    ```

    ## Use instead
    Write to a regular file or a disk image; if a device really must be written (an installer), let the user
    name it explicitly and confirm it first.
    ```python
    with open("disk.img", "wb") as image:
        image.write(b"\\0" * 512)
    ```

    ## References
    - [dd(1): writing an image to a device destroys what was on it](https://man7.org/linux/man-pages/man1/dd.1.html)
    - [Linux allocated devices (block devices)](https://www.kernel.org/doc/html/latest/admin-guide/devices.html)
    """

    CODE = "CA103"

    @classmethod
    def triggers(cls):
        # What is opened and how; the device path comes from a literal (see `DeviceLiteral`).
        return (DeviceLiteral(), any_name(cls.data("open_functions", {}), cls.data("open_methods", {})))
    VALID = (
        "with open('/dev/sda', 'rb') as disk:\n    header = disk.read(512)\n",
        "open('/dev/sda')\n",
        "import os\nfd = os.open('/dev/sda', os.O_RDONLY)\n",
        "with open('disk.img', 'wb') as f:\n    f.write(b'x')\n",
        "with open('/dev/null', 'w') as sink:\n    sink.write('x')\n",
        "open('/dev/ttyUSB0', 'wb').write(b'AT\\r')\n",
        "import os\nfd = os.open('/dev/urandom', os.O_RDONLY)\n",
        "def write(device, data):\n    with open(device, 'wb') as f:\n        f.write(data)\n",
        "from pathlib import Path\nPath('/dev/sda').read_bytes()\n",
        "import shutil\nshutil.copyfile('/dev/sda', 'backup.img')\n",
        "with open('/dev/sdX', 'wb') as f:\n    pass\n",
        "open('/dev/shm/buffer', 'w')\n",
    )
    INVALID = (
        Invalid("with open('/dev/sda', 'wb') as disk:\n    disk.write(b'\\0' * 512)\n", severity="high", message="/dev/sda"),
        Invalid("open('/dev/nvme0n1', mode='r+b')\n", severity="high"),
        Invalid("import os\nfd = os.open('/dev/sdb', os.O_WRONLY)\n", severity="high"),
        Invalid("import os\nfd = os.open('/dev/sdb1', os.O_RDWR | os.O_SYNC)\n", severity="high"),
        Invalid("from os import open as os_open, O_WRONLY\nos_open('/dev/hda', O_WRONLY)\n", severity="high"),
        Invalid("open('\\\\\\\\.\\\\PhysicalDrive0', 'wb')\n", severity="high", message="PhysicalDrive0"),
        Invalid("from pathlib import Path\nPath('/dev/mmcblk0').write_bytes(b'0' * 4096)\n", severity="high"),
        Invalid("import shutil\nshutil.copyfile('ubuntu.iso', '/dev/sdb')\n", severity="high"),
        Invalid("DEVICE = '/dev/xvda'\ndef wipe():\n    with open(DEVICE, 'wb') as d:\n        d.write(b'')\n", severity="high"),
        Invalid("import io\nio.open('/dev/disk2', 'ab')\n", severity="high"),
        Invalid("from pathlib import Path\ndisk = Path('/dev') / 'vda'\nwith disk.open('wb') as f:\n    f.write(b'')\n", severity="high"),
        Invalid("mode = 'w'\nopen('/dev/mem', mode)\n", severity="high"),
    )

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.resolver = Resolver(self)
        self._opening = last_parts(self.data("open_functions", {}))

    def visit_Call(self, node: cst.Call) -> None:
        found = self.written_path(node)
        if found is None:
            return
        how, target = found
        from ..shell import is_raw_device  # noqa: PLC0415  (shell imports the checks package)

        for option in options(self.resolver.resolve(target)):
            if is_raw_device(option.value):
                self.report(
                    node,
                    f"{how} the raw device {option.value}, overwriting its partition table and file systems",
                )
                return

    def written_path(self, node: cst.Call) -> tuple[str, cst.BaseExpression | None] | None:
        functions = self.data("open_functions", {})
        for name in sorted(self.resolver.qualnames(node.func, among=self._opening)):
            style = functions.get(name)
            if style is None:
                continue
            kind, _, index = style.partition(":")
            short = name.split(".")[-1]
            if kind == "mode" and self.writes_mode(argument(node, int(index), "mode")):
                return f"`{short}()` opens for writing", argument(node, 0, "file")
            if kind == "flags" and self.writes_flags(argument(node, int(index), "flags")):
                return f"`{short}()` opens for writing", argument(node, 0, "path")
            if kind == "dest":
                return f"`{short}()` copies onto", argument(node, int(index), "dst")
            if kind == "write":
                return f"`{short}()` writes", argument(node, 0, "path")
            return None
        methods = self.data("open_methods", {})
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in methods:
            receiver = node.func.value
            if not any(isinstance(v, Text) and v.path for v in options(self.resolver.resolve(receiver))):
                return None
            kind, _, index = methods[node.func.attr.value].partition(":")
            if kind == "mode" and not self.writes_mode(argument(node, int(index), "mode")):
                return None
            return f"`Path.{node.func.attr.value}()` writes", receiver
        return None

    def writes_mode(self, expression: cst.BaseExpression | None) -> bool:
        if expression is None:
            return False  # the default mode reads
        value = self.resolver.resolve(expression)
        return isinstance(value, Text) and value.known and any(c in value.value for c in "wax+")

    def writes_flags(self, expression: cst.BaseExpression | None) -> bool:
        if expression is None:
            return False
        flags = set(self.data("write_flags", []))
        for leaf in [expression, *walk(expression, (cst.Name, cst.Attribute))]:
            if isinstance(leaf, cst.Name) and leaf.value in flags:
                return True
            if isinstance(leaf, cst.Attribute) and leaf.attr.value in flags:
                return True
        if isinstance(expression, cst.Integer):
            return int(expression.evaluated_value) & 3 != 0  # O_WRONLY = 1, O_RDWR = 2
        return False
