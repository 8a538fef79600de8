"""The ``masterbox`` command: one module per group of commands, and the one
place where an error becomes what a person reads.

    files.py   demo, render, check, measure, response     (offline work)
    box.py     run, devices, warmup, screenshot           (the box and its laptop mode)
    memory.py  state show|reset, presets list|show|import|export
    lab.py     loopcheck, panelcheck, pinmap              (bench checks)
    info.py    params                                     (the schema)
    assist.py  assist                                     (the assistant's proposals)

Bad input (an unreadable file, an unknown parameter, an out-of-range value,
an unwritable path) gives one line on stderr and exit code 2, and nothing is
written; a device fault one line and exit code 3; a bug its traceback.
"""
from __future__ import annotations

import argparse
import sys

from ..errors import Stopped, describe, stop_on_signals
from . import assist, box, files, info, lab, memory

GROUPS = (info, files, assist, box, memory, lab)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong, and where to
    look) and exit code 2, like every other error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(prog="masterbox", description="masterbox mastering processor")
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    for g in GROUPS:
        g.add_parsers(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    # file names need not be UTF-8: print them as the bytes they are
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    args = build_parser().parse_args(argv)
    stop_on_signals()
    try:
        return args.func(args)
    except Stopped as e:
        print(f"masterbox: stopped by {e.name}; nothing half-written was kept", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("masterbox: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except Exception as e:
        said = describe(e)
        if said is None:
            raise                               # a bug: its traceback is the message
        msg, code = said
        print(f"masterbox: error: {msg}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
