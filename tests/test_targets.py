"""Delivery targets, judged by independent tools: pyloudnorm for loudness, the
16x reference interpolator in helpers (scipy) for true peak, scipy's
resample_poly for the 44.1 kHz conversion. A render to a target lands on its
loudness, passes `check` (at its rate and after conversion), turns a hot
master down with a plain gain, keeps an album's relative loudness, keeps the
input's format, and every JSON report parses strictly."""
import json
import os
import shutil

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from firmware.cli import main
from helpers import true_peak_db

FS = 48000
HAVE_FFMPEG = shutil.which("ffmpeg") is not None


def music(seconds=12.0, level=0.1, seed=0, fs=FS):
    """Noise with a slow swell and a bass line: some dynamics, full band."""
    rng = np.random.default_rng(seed)
    n = int(fs * seconds)
    t = np.arange(n) / fs
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t) ** 2
    x = rng.standard_normal((n, 2)) * level * env[:, None]
    x += 0.5 * level * np.sin(2 * np.pi * 110 * t)[:, None]
    return x


def loudness(x, fs=FS):
    import pyloudnorm as pyln
    return pyln.Meter(fs).integrated_loudness(x)


def strict_json(text: str):
    """json.loads that refuses -Infinity, Infinity and NaN (not JSON)."""
    def bad(c):
        raise ValueError(f"not JSON: {c}")
    return json.loads(text, parse_constant=bad)


def peak_after_44k1(y) -> float:
    return true_peak_db(resample_poly(np.asarray(y, np.float64), 147, 160, axis=0))


def leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(".tmp")]


@pytest.mark.parametrize("args,lufs,ceiling", [
    (["--target", "streaming"], -14.0, -1.0),
    (["--target", "ebu-r128"], -23.0, -1.0),
    (["--lufs", "-18", "--ceiling-dbtp", "-2"], -18.0, -2.0),
    (["--lufs", "-8", "--ceiling-dbtp", "-1"], -8.0, -1.0),
])
def test_render_lands_on_target_and_passes_check(tmp_path, capsys, args, lufs, ceiling):
    src = tmp_path / "in.wav"
    sf.write(src, music(), FS, subtype="FLOAT")
    out = tmp_path / "out.wav"
    code = main(["render", str(src), str(out), "--json", *args])
    rep = strict_json(capsys.readouterr().out)
    y, _ = sf.read(out)
    assert code == (0 if rep["reached"] else 1)
    if lufs > -10:
        # -8 LUFS from noise at a -1 dBTP ceiling: beyond 24 dB of drive or
        # not, the peaks must hold and the report must say where it landed
        assert rep["reached"] or "short" in rep["why"]
    else:
        assert rep["reached"]
        assert abs(loudness(y) - lufs) <= 0.1 + 0.05     # pyloudnorm reads up to 0.05 apart
    # the peaks hold on meters that share no code with the render
    assert true_peak_db(y) <= ceiling + 0.01
    assert peak_after_44k1(y) <= ceiling + 0.01
    assert true_peak_db(y, "annex4x") <= ceiling + 1e-3
    # and `check` agrees on everything it judges
    capsys.readouterr()
    assert main(["check", str(out), *args, "--no-codecs", "--json"]) in (0, 1)
    r = strict_json(capsys.readouterr().out)
    assert r["true_peak_ok"] and r["after_conversion_ok"]
    assert r["loudness_ok"] == (abs(rep["integrated_lufs"] - lufs) <= r["tolerance_lu"])
    assert r["passes"] == r["loudness_ok"] == rep["passes_check"]
    assert leftovers(tmp_path) == []


def test_hot_master_is_turned_down_with_a_plain_gain(tmp_path, capsys):
    # a float master peaking over full scale, far louder than EBU R 128: a
    # plain gain takes it under the ceiling, so nothing may be limited
    x = music(level=0.35, seed=4)
    x *= 10 ** (0.9 / 20) / np.max(np.abs(x))          # +0.9 dBFS sample peak
    src = tmp_path / "hot.wav"
    sf.write(src, x.astype(np.float32), FS, subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert main(["render", str(src), str(out), "--target", "ebu-r128", "--preset", "neutral",
                 "--json"]) == 0
    rep = strict_json(capsys.readouterr().out)
    row = rep["tracks"][0]
    assert row["delivery"] == "plain" and row["added_drive_db"] == 0 and row["limiting_lu"] == 0
    assert row["residual_db"] < -120
    y, _ = sf.read(out, dtype="float64")
    assert sf.info(str(out)).subtype == "FLOAT"          # float stays float
    # the output is the input times one gain: the residual after the best
    # scaling is at float32 rounding, so nothing shaped the dynamics
    x32 = x.astype(np.float32).astype(np.float64)
    g = np.sum(x32 * y) / np.sum(x32 * x32)
    assert 20 * np.log10(g) == pytest.approx(row["gain_db"], abs=0.01)
    resid = 20 * np.log10(np.sqrt(np.mean((y - g * x32) ** 2)) / np.sqrt(np.mean((g * x32) ** 2)))
    assert resid < -120
    assert abs(loudness(y) - -23.0) <= 0.15


def test_unreachable_target_says_how_far_and_why(tmp_path, capsys):
    x = np.zeros((FS * 10, 2))
    x[::FS // 2] = 0.9                      # sparse clicks: no limiter makes this loud
    src = tmp_path / "in.wav"
    sf.write(src, x, FS, subtype="FLOAT")
    out = tmp_path / "o.wav"
    assert main(["render", str(src), str(out), "--lufs", "-8", "--ceiling-dbtp", "-1"]) == 1
    text = capsys.readouterr().out
    assert "NOT REACHED" in text and "LU short" in text and "24 dB of drive" in text
    y, _ = sf.read(out)
    assert true_peak_db(y) <= -1.0 + 0.01


def test_silence_is_rendered_and_reported_in_valid_json(tmp_path, capsys):
    src = tmp_path / "quiet.wav"
    sf.write(src, np.zeros((FS * 3, 2)), FS, subtype="PCM_24")
    assert main(["render", str(src), str(tmp_path / "o.wav"), "--target", "streaming", "--json"]) == 1
    rep = strict_json(capsys.readouterr().out)
    assert not rep["reached"] and "silent" in rep["why"]
    assert rep["integrated_lufs"] is None and rep["tracks"][0]["true_peak_dbtp"] is None


@pytest.mark.parametrize("levels", [(0.1, 0.05, 0.2), (0.01, 0.004, 0.02)], ids=["hot", "quiet"])
def test_album_keeps_relative_loudness(tmp_path, capsys, levels):
    paths = []
    for i, lv in enumerate(levels):
        p = tmp_path / f"t{i}.wav"
        x = music(seconds=8.0, level=lv, seed=10 + i)
        if i == 2:
            x = np.clip(x * 4, -1.2, 1.2)           # a hot, clipped float track
        sf.write(p, x.astype(np.float32), FS, subtype="FLOAT")
        paths.append(p)
    before = [loudness(sf.read(p)[0]) for p in paths]
    outdir = tmp_path / "master"
    code = main(["render", "--album", *map(str, paths), "--out-dir", str(outdir),
                 "--target", "streaming", "--preset", "neutral", "--json"])
    rep = strict_json(capsys.readouterr().out)
    after = [loudness(sf.read(outdir / p.name)[0]) for p in paths]
    moved = [a - b for a, b in zip(after, before)]
    assert max(moved) - min(moved) <= 0.1 + 0.02          # pyloudnorm's reading included
    for r, m in zip(rep["tracks"], moved):
        assert abs(r["moved_lu"]) <= 0.1
        assert r["integrated_lufs"] - r["input_lufs"] == pytest.approx(m, abs=0.05)
    if rep["reached"]:
        assert code == 0 and abs(rep["integrated_lufs"] - -14.0) <= 0.3
    else:
        assert code == 1 and "relative loudness" in rep["why"]
    for p in paths:
        y, _ = sf.read(outdir / p.name)
        assert true_peak_db(y) <= -1.0 + 0.01
        assert peak_after_44k1(y) <= -1.0 + 0.01
    assert leftovers(outdir) == []


def test_formats_are_kept_and_mono_is_measured_as_mono(tmp_path, capsys):
    mono = tmp_path / "mono.wav"
    sf.write(mono, music(seconds=6.0, level=0.05)[:, 0], FS, subtype="PCM_16")
    out = tmp_path / "mono_out.wav"
    assert main(["render", str(mono), str(out), "--target", "ebu-r128", "--json"]) == 0
    rep = strict_json(capsys.readouterr().out)
    info = sf.info(str(out))
    assert info.channels == 1 and info.subtype == "PCM_16"
    y, _ = sf.read(out)
    assert abs(loudness(y) - -23.0) <= 0.15          # as a mono file: not +3 dB
    assert rep["tracks"][0]["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    flac = tmp_path / "in.flac"
    sf.write(flac, music(seconds=4.0), FS, subtype="PCM_24")
    assert main(["render", str(flac), str(tmp_path / "o.flac"), "--target", "ebu-r128"]) == 0
    assert sf.info(str(tmp_path / "o.flac")).subtype == "PCM_24"


def test_a_bad_album_track_leaves_nothing(tmp_path, capsys):
    good = tmp_path / "a.wav"
    sf.write(good, music(seconds=3.0), FS, subtype="FLOAT")
    bad = tmp_path / "b.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    outdir = tmp_path / "master"
    assert main(["render", "--album", str(good), str(bad), "--out-dir", str(outdir),
                 "--target", "streaming"]) == 2
    assert "b.wav" in capsys.readouterr().err
    assert not outdir.exists() or os.listdir(outdir) == []
    assert leftovers(tmp_path) == []


def test_check_pass_fail_and_conversion(tmp_path, capsys):
    good = tmp_path / "good.wav"
    t = np.arange(FS * 10) / FS
    s = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
    sf.write(good, np.stack([s, s], 1), FS, subtype="FLOAT")
    assert main(["check", str(good), "--target", "ebu-r128", "--no-codecs", "--json"]) == 0
    r = strict_json(capsys.readouterr().out)
    assert r["passes"] and r["true_peak_after_44k1_dbtp"] is not None
    assert main(["check", str(good), "--target", "streaming", "--no-codecs"]) == 1
    assert "DOES NOT PASS" in capsys.readouterr().out


needs_ffmpeg = pytest.mark.skipif(not HAVE_FFMPEG, reason="ffmpeg is not installed (scripts/setup.sh installs it)")


@needs_ffmpeg
def test_check_reports_the_codecs_and_codec_safe_renders_hold_them(tmp_path, capsys):
    src = tmp_path / "in.wav"
    x = music(seconds=6.0, level=0.3, seed=7)
    sf.write(src, np.clip(x, -1, 1), FS, subtype="FLOAT")
    plain = tmp_path / "plain.wav"
    assert main(["render", str(src), str(plain), "--target", "streaming"]) == 0
    capsys.readouterr()
    main(["check", str(plain), "--target", "streaming", "--json"])
    r = strict_json(capsys.readouterr().out)
    assert set(r["codecs"]) == {"aac", "mp3"}
    assert "ffmpeg" in r["codecs"]["aac"]["label"] and "256 kbps" in r["codecs"]["aac"]["label"]
    safe = tmp_path / "safe.wav"
    assert main(["render", str(src), str(safe), "--target", "streaming",
                 "--codec-safe", "--json"]) == 0
    rep = strict_json(capsys.readouterr().out)
    assert rep["codec_safe"] and rep["tracks"][0]["codecs"]["mp3"]["true_peak_dbtp"] <= -1.0
    assert main(["check", str(safe), "--target", "streaming", "--codec-safe", "--json"]) == 0
    r = strict_json(capsys.readouterr().out)
    assert r["codecs_ok"] and all(c["true_peak_dbtp"] <= -1.0 for c in r["codecs"].values())
    # a second opinion: the safe master encoded and decoded here, apart from
    # codecs.py, and measured on the helpers' 16x reference
    import subprocess
    enc = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(safe), "-c:a", "aac", "-b:a", "256k",
                          "-f", "adts", "-"], capture_output=True, check=True).stdout
    dec = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "aac", "-i", "-", "-f", "f32le", "-ac", "2",
                          "-"], input=enc, capture_output=True, check=True).stdout
    y = np.frombuffer(dec, np.float32).reshape(-1, 2)
    assert true_peak_db(y) <= -1.0 + 0.05


def test_unknown_target(tmp_path, capsys):
    src = tmp_path / "in.wav"
    sf.write(src, music(2.0), FS)
    assert main(["render", str(src), str(tmp_path / "o.wav"), "--target", "loud"]) == 2
    err = capsys.readouterr().err
    assert "--target loud: unknown" in err and "ebu-r128" in err


def test_codec_safe_needs_a_target(tmp_path, capsys):
    src = tmp_path / "in.wav"
    sf.write(src, music(2.0), FS)
    assert main(["render", str(src), str(tmp_path / "o.wav"), "--codec-safe"]) == 2
    assert "--codec-safe" in capsys.readouterr().err
