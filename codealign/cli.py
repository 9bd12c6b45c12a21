"""`codealign` console script: one sub-command per module, each exposing `add_parser` and `run`.

Command modules keep heavy imports (torch, transformers, trl) inside their functions, so `codealign review`
(the pre-commit hook) starts without them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import CodealignError
from .rulebook import RulePackError

# sub-command -> module that implements it (imported on demand).
COMMANDS = {
    "review": "codealign.review",
    "rules": "codealign.review",
    "data": "codealign.data",
    "train": "codealign.training",
    "export": "codealign.training",
    "serve-reward": "codealign.serving",
    "align": "codealign.recipe",
    "bench": "codealign.bench",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codealign",
        description="Align coding assistants: review code, build data, fine-tune, benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"codealign {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in dict.fromkeys(COMMANDS.values()):
        importlib.import_module(module_name).add_parsers(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (CodealignError, RulePackError) as exc:
        print(f"codealign: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("codealign: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
