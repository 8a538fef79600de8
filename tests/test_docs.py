"""The docs hold: README.md is a front page, every relative link in it and
in docs/ resolves, and every command in the front page's shell blocks names
a real command (a make target, a masterbox subcommand, a file)."""
import os
import re

from firmware.cli import build_parser

ROOT = os.path.join(os.path.dirname(__file__), "..")
PAGES = ["README.md", "bench/README.md", "hardware/README.md", "systemd/README.md"] + \
    sorted(os.path.join("docs", n) for n in os.listdir(os.path.join(ROOT, "docs")) if n.endswith(".md"))


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def test_the_front_page_is_a_front_page():
    assert len(read("README.md").splitlines()) <= 200


def test_every_relative_link_resolves():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", read(page)):
            if re.match(r"^(https?:|mailto:|#)", target):
                continue
            path = os.path.normpath(os.path.join(ROOT, os.path.dirname(page), target.split("#")[0]))
            assert os.path.exists(path), f"{page}: link to {target} goes nowhere"


def subcommands() -> set:
    ap = build_parser()
    sub = next(a for a in ap._actions if a.__class__.__name__ == "_SubParsersAction")
    return set(sub.choices)


def make_targets() -> set:
    return set(re.findall(r"(?m)^([a-z][a-z0-9-]*):", read("Makefile")))


def test_every_command_on_the_front_page_exists():
    blocks = re.findall(r"```sh\n(.*?)```", read("README.md"), re.S)
    assert blocks
    cmds, targets = subcommands(), make_targets()
    seen = 0
    for block in blocks:
        for line in block.splitlines():
            words = line.split("#")[0].split()
            if not words:
                continue
            if words[0] == "sudo":
                words = words[1:]
            seen += 1
            if words[0] == "make":
                assert words[1] in targets, f"make {words[1]}: no such target"
            elif words[0] in ("masterbox", ".venv/bin/masterbox"):
                assert words[1] in cmds, f"masterbox {words[1]}: no such command"
            elif words[0] == ".venv/bin/python":
                assert os.path.exists(os.path.join(ROOT, words[1])), line
            else:
                raise AssertionError(f"a command the test does not know: {line}")
    assert seen >= 8
