"""Delivery targets: renders land on the loudness, never pass the ceiling
(checked by the Annex 2 meter in helpers, independent of dsp.meters), albums keep
their tracks' relative loudness, and check tells pass from fail."""
import json

import numpy as np
import pytest
import soundfile as sf

from firmware.cli import main
from helpers import true_peak_db

FS = 48000


def music(seconds=12.0, level=0.1, seed=0):
    rng = np.random.default_rng(seed)
    n = int(FS * seconds)
    t = np.arange(n) / FS
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t) ** 2
    x = rng.standard_normal((n, 2)) * level * env[:, None]
    x += 0.5 * level * np.sin(2 * np.pi * 110 * t)[:, None]
    return x


def loudness(x):
    import pyloudnorm as pyln
    return pyln.Meter(FS).integrated_loudness(x)


@pytest.mark.parametrize("args,lufs,ceiling", [
    (["--target", "streaming"], -14.0, -1.0),
    (["--target", "ebu-r128"], -23.0, -1.0),
    (["--lufs", "-18", "--ceiling-dbtp", "-2"], -18.0, -2.0),
])
def test_render_lands_on_target(tmp_path, capsys, args, lufs, ceiling):
    src = tmp_path / "in.wav"
    sf.write(src, music(), FS, subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert main(["render", str(src), str(out), "--json", *args]) == 0
    rep = json.loads(capsys.readouterr().out)
    y, _ = sf.read(out)
    assert rep["reached"]
    assert abs(loudness(y) - lufs) <= 0.3 + 0.05       # pyloudnorm reads up to 0.05 low
    assert true_peak_db(y, "annex4x") <= ceiling + 1e-3


def test_louder_than_target_is_turned_down_after_the_limiter(tmp_path, capsys):
    src = tmp_path / "in.wav"
    sf.write(src, np.clip(music(level=0.6), -1, 1), FS, subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert main(["render", str(src), str(out), "--target", "ebu-r128", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["output_trim_db"] < 0 and rep["limiter_drive_db"] == 0
    y, _ = sf.read(out)
    assert abs(loudness(y) - -23.0) <= 0.35


def test_unreachable_target_says_how_far_and_why(tmp_path, capsys):
    x = np.zeros((FS * 10, 2))
    x[::FS // 2] = 0.9                      # sparse clicks: no limiter makes this loud
    src = tmp_path / "in.wav"
    sf.write(src, x, FS, subtype="FLOAT")
    assert main(["render", str(src), str(tmp_path / "o.wav"), "--lufs", "-8",
                 "--ceiling-dbtp", "-1"]) == 1            # the work ran; its verdict is no
    out = capsys.readouterr().out
    assert "NOT REACHED" in out and "LU short" in out and "24 dB of drive" in out


def test_album_keeps_relative_loudness(tmp_path, capsys):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(a, music(level=0.1, seed=1), FS, subtype="FLOAT")
    sf.write(b, music(level=0.05, seed=2), FS, subtype="FLOAT")
    before = loudness(sf.read(a)[0]) - loudness(sf.read(b)[0])
    outdir = tmp_path / "master"
    assert main(["render", "--album", str(a), str(b), "--out-dir", str(outdir),
                 "--target", "streaming", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    ya, yb = sf.read(outdir / "a.wav")[0], sf.read(outdir / "b.wav")[0]
    after = loudness(ya) - loudness(yb)
    assert abs(after - before) <= 1.0           # the per-track limiter may take a little
    assert abs(rep["integrated_lufs"] - -14.0) <= 0.3
    for y in (ya, yb):
        assert true_peak_db(y, "annex4x") <= -1.0 + 1e-3


def test_check_pass_fail_and_conversion(tmp_path, capsys):
    good = tmp_path / "good.wav"
    t = np.arange(FS * 10) / FS
    s = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    sf.write(good, np.stack([s, s], 1), FS, subtype="FLOAT")
    assert main(["check", str(good), "--target", "ebu-r128", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["passes"] and r["true_peak_after_44k1_dbtp"] is not None
    assert main(["check", str(good), "--target", "streaming"]) == 1
    assert "DOES NOT PASS" in capsys.readouterr().out


def test_unknown_target(tmp_path, capsys):
    src = tmp_path / "in.wav"
    sf.write(src, music(2.0), FS)
    assert main(["render", str(src), str(tmp_path / "o.wav"), "--target", "loud"]) == 2
    err = capsys.readouterr().err
    assert "--target loud: unknown" in err and "ebu-r128" in err
