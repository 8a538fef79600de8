import pytest

from dsp import params
from firmware import UserError
from firmware.store import presets
from helpers import refusal


def test_builtins_load_and_neutral_is_defaults():
    assert set(presets.builtin_names()) >= {"default", "neutral"}
    assert presets.load("neutral") == params.defaults()
    d = presets.load("default")
    assert d["limiter.on"] == 1.0 and d["eq.hp_slope"] == 1.0


def test_roundtrip_through_toml(tmp_path):
    v = params.defaults()
    v.update({"saturation.character": 1.0, "eq.bell2_mode": 2.0, "glue.ratio": 4.0,
              "limiter.on": 1.0, "output.bits": 0.0})
    p = tmp_path / "mine.toml"
    presets.save(str(p), v, name="mine")
    text = p.read_text()
    assert 'character = "tube"' in text and "schema_version = 1" in text
    assert presets.load(str(p)) == v


@pytest.mark.parametrize("doc,needle", [
    ("name = 'x'\n", "missing schema_version"),
    ("schema_version = 9\n", "schema_version 9 is not supported"),
    ("schema_version = 1\n[reverb]\nsize = 1\n", "unknown section [reverb]"),
    ("schema_version = 1\n[eq]\nbell1_gain_db = 30\n", "eq.bell1_gain_db: 30 dB is out of range -12..12 dB"),
    ("schema_version = 1\n[eq]\nbell1_mode = 'diagonal'\n", "not one of stereo, mid, side"),
    ("schema_version = 1\n[glue]\nratio = [1, 2]\n", "is not a number or a label"),
    ("schema_version = 1\nglue = 3\n", "'glue' must be a table"),
])
def test_malformed_presets_are_rejected_with_names(tmp_path, doc, needle):
    said = refusal(presets.load, tmp_path / "bad.toml", doc)
    assert needle in said and "bad.toml" in said


def test_unknown_builtin_lists_the_builtins():
    with pytest.raises(UserError, match="built-in: default, neutral"):
        presets.load("loud")
