import json
import math
import re

import pytest

from dsp import params


def test_ids_are_module_dot_param_with_units():
    unit_suffix = {"dB": "_db", "Hz": "_hz", "ms": "_ms", "%": "_pct"}
    for p in params.SCHEMA:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", p.id), p.id
        assert p.module in params.MODULES
        if p.unit in unit_suffix:
            assert p.id.endswith(unit_suffix[p.unit]) or p.id.endswith("_dbtp"), p.id
        assert p.min <= p.default <= p.max, p.id
        assert p.label and len(p.label) <= 14, p.id


def test_ids_unique_and_every_module_has_a_bypass():
    ids = [p.id for p in params.SCHEMA]
    assert len(ids) == len(set(ids))
    for m in params.MODULES:
        assert f"{m}.on" in params.BY_ID


@pytest.mark.parametrize("pid,value,needle", [
    ("glue.ratio", 25, "1..20"),
    ("input.trim_db", -30, "-24..24 dB"),
    ("eq.hp_freq_hz", 5, "10..300 Hz"),
    ("limiter.ceiling_dbtp", 0.5, "-3..0 dB"),
    ("eq.bell1_mode", 5, "stereo, mid, side"),
    ("glue.attack_ms", float("nan"), "not a finite number"),
])
def test_out_of_range_names_parameter_value_and_range(pid, value, needle):
    with pytest.raises(params.ParamError) as e:
        params.check_value(pid, value)
    msg = str(e.value)
    assert pid in msg and needle in msg


def test_unknown_parameter_lists_the_module_parameters():
    with pytest.raises(params.ParamError) as e:
        params.get("glue.treshold_db")
    assert "glue.treshold_db" in str(e.value) and "glue.threshold_db" in str(e.value)


def test_parse_labels_and_units():
    assert params.parse_value("saturation.character", "tube") == 1.0
    assert params.parse_value("limiter.on", "on") == 1.0
    assert params.parse_value("eq.hp_slope", "24") == 1.0
    assert params.parse_value("eq.bell3_freq_hz", "2.5kHz") == 2500.0
    assert params.parse_value("glue.threshold_db", "-12dB") == -12.0


def test_step_follows_taper():
    f = params.get("eq.bell1_freq_hz").stepped(1000.0, 12)
    assert math.isclose(f, 2000.0, rel_tol=1e-9)          # 12 semitone steps = an octave
    assert params.get("glue.ratio").stepped(19.0, 10) == 20.0  # clamped
    assert params.get("output.dither").stepped(0, 1) == 1.0


def test_schema_json_roundtrips():
    doc = json.loads(json.dumps(params.schema_json()))
    assert len(doc) == len(params.SCHEMA)
    assert {"id", "label", "unit", "min", "max", "default", "taper", "step", "fine_step",
            "fmt", "choices", "detents"} <= set(doc[0])


def test_ratio_turns_stop_at_the_classic_detents():
    """Turning the glue ratio up from 1:1 one click at a time passes through
    1.5, 2, 4 and 10 exactly (a click that would jump a detent stops on it), and
    so does turning down; an accelerated turn of many clicks stops at the first
    detent it meets, and the next turn goes on from there."""
    pid = "glue.ratio"
    up, v = [], 1.0
    while v < 20.0:
        v = params.get(pid).stepped(v, 1)
        up.append(v)
    for d in (1.5, 2.0, 4.0, 10.0):
        assert d in up
    assert up == sorted(up) and up[-1] == 20.0
    down, v = [], 20.0
    while v > 1.0:
        v = params.get(pid).stepped(v, -1)
        down.append(v)
    for d in (1.5, 2.0, 4.0, 10.0):
        assert d in down
    assert params.get(pid).stepped(1.0, 12) == 1.5
    assert params.get(pid).stepped(1.5, 12) == 2.0
    assert params.get(pid).stepped(12.0, -40) == 10.0
    assert params.get(pid).stepped(2.0, 3, fine=True) == pytest.approx(2.0 * 2 ** (3 / 16))
    # a parameter without detents moves freely
    assert params.get("glue.attack_ms").stepped(10.0, 6) == pytest.approx(20.0)


def test_a_choice_that_is_not_a_switch_never_reads_as_on_or_off():
    """`B1 on` beside `mid` reads as a switch; a band's stereo/mid/side is
    `B1 M/S`. Only an off/on switch may say on or off in its label."""
    from dsp.params import SCHEMA

    for p in SCHEMA:
        if p.choices and tuple(p.choices) != ("off", "on"):
            for label in (p.label, p.short):
                words = label.lower().split()
                assert "on" not in words and "off" not in words, f"{p.id}: {label!r}"
