"""The masterbox command: real files through soundfile, real error paths."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from firmware.cli import main
from helpers import db


def write(path, x, fs=48000, subtype="PCM_24"):
    sf.write(path, x, fs, subtype=subtype)
    return path


def tone(fs=48000, seconds=0.5, ch=2, amp=0.25):
    t = np.arange(int(fs * seconds)) / fs
    x = amp * np.sin(2 * np.pi * 440 * t)
    return np.stack([x] * ch, 1) if ch > 1 else x


def run_cli(*args):
    return main([str(a) for a in args])


def test_render_neutral_is_bit_transparent(tmp_path):
    src = write(tmp_path / "in.wav", tone(), subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert run_cli("render", src, out, "--preset", "neutral") == 0
    a, _ = sf.read(src, dtype="float32")
    b, fs = sf.read(out, dtype="float32")
    assert fs == 48000 and b.shape == a.shape
    assert np.array_equal(a, b)          # aligned: the latency is compensated


@pytest.mark.parametrize("fmt,subtype,bits", [("wav", "PCM_16", "16"), ("flac", "PCM_24", "24"),
                                              ("aiff", "PCM_24", "24"), ("wav", "FLOAT", "32f")])
def test_formats_and_bits(tmp_path, fmt, subtype, bits):
    src = write(tmp_path / f"in.{fmt}", tone(), subtype=subtype)
    out = tmp_path / f"out.{fmt}"
    assert run_cli("render", src, out, "--bits", bits, "--set", "output.dither=tpdf") == 0
    info = sf.info(out)
    assert info.subtype == {"16": "PCM_16", "24": "PCM_24", "32f": "FLOAT"}[bits]


def test_mono_in_mono_out(tmp_path):
    src = write(tmp_path / "mono.wav", tone(ch=1), subtype="PCM_24")
    out = tmp_path / "out.wav"
    assert run_cli("render", src, out, "--preset", "neutral") == 0
    y, _ = sf.read(out)
    assert y.ndim == 1
    x, _ = sf.read(src)
    assert np.max(np.abs(y - x)) < 2 ** -23


def test_block_option_does_not_change_output(tmp_path):
    src = write(tmp_path / "in.wav", tone(seconds=0.3), subtype="FLOAT")
    outs = []
    for block in (1, 127, 4096):
        out = tmp_path / f"o{block}.wav"
        assert run_cli("render", src, out, "--bits", "32f", "--block", block) == 0
        outs.append(sf.read(out)[0])
    assert np.max(np.abs(outs[0] - outs[2])) <= 1e-6
    assert np.max(np.abs(outs[1] - outs[2])) <= 1e-6


def test_nan_samples_are_replaced_counted_and_reported(tmp_path, capsys):
    x = tone()
    x[100, 0] = np.nan
    x[200, 1] = np.inf
    src = write(tmp_path / "nan.wav", x, subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert run_cli("render", src, out, "--bits", "32f", "--json") == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["nonfinite_samples_replaced"] == 2
    y, _ = sf.read(out)
    assert np.all(np.isfinite(y))


def bad(tmp_path, capsys, *args, needle):
    before = set(os.listdir(tmp_path))
    rc = run_cli(*args)
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err, err
    assert len(err.strip().splitlines()) == 1
    assert set(os.listdir(tmp_path)) == before        # nothing written, no temp left


def test_error_corrupt_file(tmp_path, capsys):
    p = tmp_path / "corrupt.wav"
    p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage garbage")
    bad(tmp_path, capsys, "render", p, tmp_path / "o.wav", needle="not a readable audio file")


def test_error_truncated_data(tmp_path, capsys):
    src = write(tmp_path / "t.flac", tone(seconds=2.0), subtype="PCM_16")
    data = (tmp_path / "t.flac").read_bytes()
    (tmp_path / "t.flac").write_bytes(data[: len(data) // 2] + b"\x00" * 64 + data[len(data) // 2 + 64:])
    rc = run_cli("render", src, tmp_path / "o.wav")
    # libsndfile may or may not notice a damaged FLAC frame; if it does, we stop cleanly
    assert rc in (0, 2)
    assert not any(n.startswith(".o.wav") for n in os.listdir(tmp_path))


def test_error_missing_file(tmp_path, capsys):
    bad(tmp_path, capsys, "render", tmp_path / "nope.wav", tmp_path / "o.wav", needle="no such file")


def test_error_too_many_channels(tmp_path, capsys):
    src = write(tmp_path / "six.wav", np.zeros((1000, 6)))
    bad(tmp_path, capsys, "render", src, tmp_path / "o.wav", needle="6 channels")


def test_error_unsupported_rate(tmp_path, capsys):
    src = write(tmp_path / "lo.wav", np.zeros((1000, 2)), fs=22050)
    bad(tmp_path, capsys, "render", src, tmp_path / "o.wav", needle="22050 Hz is out of range")


def test_error_unknown_parameter(tmp_path, capsys):
    src = write(tmp_path / "in.wav", tone())
    bad(tmp_path, capsys, "render", src, tmp_path / "o.wav", "--set", "glue.treshold_db=-3",
        needle="unknown parameter 'glue.treshold_db'")


def test_error_out_of_range_value(tmp_path, capsys):
    src = write(tmp_path / "in.wav", tone())
    bad(tmp_path, capsys, "render", src, tmp_path / "o.wav", "--set", "glue.ratio=50",
        needle="glue.ratio: 50:1 is out of range 1..20:1")


def test_error_malformed_preset(tmp_path, capsys):
    src = write(tmp_path / "in.wav", tone())
    p = tmp_path / "p.toml"
    p.write_text("schema_version = 1\n[glue]\nratio = 2.0\nlimitr = 1\n")
    bad(tmp_path, capsys, "render", src, tmp_path / "o.wav", "--preset", p,
        needle="unknown parameter 'glue.limitr'")
    p.write_text("schema_version = 1\n[glue\n")
    bad(tmp_path, capsys, "render", src, tmp_path / "o.wav", "--preset", p, needle="not valid TOML")


def test_failed_render_leaves_old_output_untouched(tmp_path, capsys):
    src = write(tmp_path / "in.wav", tone())
    out = tmp_path / "o.wav"
    out.write_bytes(b"precious")
    bad(tmp_path, capsys, "render", src, out, "--set", "eq.bell1_q=0", needle="eq.bell1_q")
    assert out.read_bytes() == b"precious"


def test_params_json_lists_schema_and_latency(capsys):
    assert run_cli("params", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    from dsp.chain import Chain
    assert doc["latency_frames"]["48000"] == Chain(48000, {}).latency
    assert doc["latency_ms"]["48000"] <= 5.0          # the limiter issue's bound
    ids = {p["id"] for p in doc["params"]}
    assert "limiter.ceiling_dbtp" in ids and "eq.bell2_mode" in ids


@pytest.mark.long
def test_console_script_demo_runs(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "masterbox")
    r = subprocess.run([exe, "demo", "--out-dir", str(tmp_path)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "demo_report.json").read_text())
    y, fs = sf.read(tmp_path / "demo_master.wav")
    x, _ = sf.read(tmp_path / "demo_input.wav")
    assert y.shape == x.shape and 20 <= len(y) / fs <= 30
    assert rep["peak_out_dbfs"] <= -1.0 + 0.01          # the default preset's limiter ceiling
    assert rep["master_loudness"]["true_peak_dbtp"] <= -1.0 + 1e-3
    assert rep["master_loudness"]["integrated_lufs"] > rep["input_loudness"]["integrated_lufs"]
    assert db(np.sqrt(np.mean(y ** 2))) > db(np.sqrt(np.mean(x ** 2)))   # it got louder


def test_response_json_matches_the_analog_bell(capsys):
    from dsp import filter_design as fd
    assert run_cli("response", "--set", "eq.bell2_gain_db=6", "--set", "eq.bell2_freq_hz=1000",
                   "--set", "eq.bell2_mode=mid", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    for f, d in doc.items():
        want = db(fd.analog_bell(np.array([float(f)]), 1000, 6, 1.0))[0]
        assert abs(d["mid_db"] - want) < 0.05, f
        assert abs(d["side_db"]) < 0.01, f


def test_response_png(tmp_path):
    out = tmp_path / "r.png"
    assert run_cli("response", "--preset", "default", "--png", out) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000
    assert [p.name for p in tmp_path.iterdir()] == ["r.png"]
