"""The machine settings are one table: the config file, the run flags and
the installer's default file all read it, the choice lists are their
owners', a flag wins over the file, and a flag's value is checked like the
file's."""
import argparse

import pytest

from firmware.cli import main
from firmware.engine.engine import BLOCKS, RATES
from firmware.errors import UserError
from firmware.service import config


def run_flags(*argv):
    p = argparse.ArgumentParser()
    config.add_flags(p)
    return p.parse_args(list(argv))


def test_every_setting_is_in_the_file_the_flags_and_the_defaults(tmp_path):
    text = config.text()
    for s in config.SETTINGS:
        assert text.count(f"\n{s.key} = ") + text.startswith(f"{s.key} = ") == 1, s.key
    p = tmp_path / "config.toml"
    p.write_text(text)
    assert config.load(str(p)) == config.DEFAULTS
    assert config.BY_KEY["rate"].choices == RATES and config.BY_KEY["block"].choices == BLOCKS
    flags = {s.flag for s in config.SETTINGS if s.flag}
    assert {"--osc-bind", "--web-bind", "--osc", "--web", "--midi", "--panel", "--rate"} <= flags


def test_a_flag_wins_over_the_file_which_wins_over_the_default(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('rate = 96000\nweb_bind = "0.0.0.0"\nosc_port = 9000\n')
    cfg = config.resolve(run_flags("--rate", "44100"), config.load(str(p)))
    assert cfg["rate"] == 44100 and cfg["web_bind"] == "0.0.0.0" and cfg["osc_port"] == 9000
    assert cfg["block"] == 128
    assert config.resolve(run_flags("--web-bind", "10.0.0.2"), None)["web_bind"] == "10.0.0.2"


@pytest.mark.parametrize("argv,said", [
    (["--osc", "70000"], "--osc = 70000 is out of range 0..65535"),
    (["--reference-memory-mb", "9999"], "--reference-memory-mb = 9999 is out of range 0..4096"),
    (["--rt-priority", "120"], "--rt-priority = 120 is out of range 0..99"),
])
def test_flags_are_checked_like_the_file(argv, said):
    with pytest.raises(UserError, match=said):
        config.resolve(run_flags(*argv), None)


def test_a_bad_run_flag_is_one_line_and_exit_2(capsys):
    assert main(["run", "--audio-only", "--web", "99999", "--seconds", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--web = 99999 is out of range 0..65535" in err[0]
