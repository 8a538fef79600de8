"""A render to a target keeps the engineer's sound: for every built-in
preset and three programmes (hot, average, quiet), `render --target` is
compared with a plain `render` of the same preset. Where the heard sound is
louder than the target the delivered file must be it times one gain (the
gain fitted here by least squares, not taken from the report); where it is
quieter it must be a plain render with the drive raised by the reported
added drive, times one gain. The same per track for an album, and the
refusal of --no-added-drive."""
import json
import os

import numpy as np
import pytest
import soundfile as sf

from firmware.cli import main
from firmware.offline.demo import programme
from firmware.store.presets import builtin_names
from helpers import true_peak_db

FS = 48000
SECONDS = 8.0


def synth(seed=3):
    """The tests' synthesised material: noise with a swell and a bass line."""
    rng = np.random.default_rng(seed)
    n = int(FS * SECONDS)
    t = np.arange(n) / FS
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t) ** 2
    x = rng.standard_normal((n, 2)) * 0.1 * env[:, None]
    return x + 0.05 * np.sin(2 * np.pi * 110 * t)[:, None]


def demo():
    return programme(FS)[: int(FS * SECONDS)].astype(np.float64)


def at_level(x, peak_dbfs):
    return (x * 10 ** (peak_dbfs / 20) / np.max(np.abs(x))).astype(np.float32)


# (name, material, sample peak): hot and quiet masters of the demo programme,
# an average one of the synthesised material
PROGRAMMES = [("hot", demo, -0.5), ("average", synth, -6.0), ("quiet", demo, -14.0)]


def fit_residual_db(y, h) -> float:
    """The residual of y against h times the least-squares gain, dB of y's energy."""
    y = np.asarray(y, np.float64).ravel()
    h = np.asarray(h, np.float64).ravel()
    g = np.dot(y, h) / np.dot(h, h)
    return 10 * np.log10(np.sum((y - g * h) ** 2) / np.sum(y * y))


def render(src, out, preset, *sets) -> np.ndarray:
    args = ["render", str(src), str(out), "--preset", preset]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return sf.read(out, dtype="float64")[0]


def check_track(tmp_path, row, src, preset, tag):
    """The delivered file against the plain render of the same preset: one
    gain, or the drive raised by the reported amount and one gain."""
    y = sf.read(row["output"], dtype="float64")[0]
    heard = render(src, tmp_path / f"heard-{tag}.wav", preset)
    if row["delivery"] == "plain":
        assert row["added_drive_db"] == 0
        assert fit_residual_db(y, heard) < -120
        assert row["residual_db"] < -120         # the report says the same
        return
    assert row["added_drive_db"] > 0
    if row["engineer_limiter_on"]:
        # the engineer's drive raised by the added drive, at their own ceiling
        raised = render(src, tmp_path / f"raised-{tag}.wav", preset,
                        f"limiter.drive_db={row['engineer_drive_db'] + row['added_drive_db']:.10g}")
    else:
        # their limiter was off: engaged at the reported ceiling and drive
        raised = render(src, tmp_path / f"raised-{tag}.wav", preset, "limiter.on=1",
                        f"limiter.ceiling_dbtp={row['limiter_ceiling_dbtp']:.10g}",
                        f"limiter.drive_db={row['limiter_drive_db']:.10g}")
    assert fit_residual_db(y, raised) < -100
    # and it is not a plain gain of the heard sound: the report says how far
    assert row["residual_db"] == pytest.approx(fit_residual_db(y, heard), abs=0.5)


def deliver(capsys, *args) -> dict:
    code = main(["render", *args, "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert code == (0 if rep["reached"] else 1)
    return rep


@pytest.mark.parametrize("preset", builtin_names())
@pytest.mark.parametrize("name,material,peak", PROGRAMMES, ids=[p[0] for p in PROGRAMMES])
def test_target_render_is_the_heard_sound_plus_what_it_reports(tmp_path, capsys, preset, name,
                                                                material, peak):
    src = tmp_path / f"{name}.wav"
    sf.write(src, at_level(material(), peak), FS, subtype="FLOAT")
    rep = deliver(capsys, str(src), str(tmp_path / "out.wav"), "--target", "streaming",
                  "--preset", preset)
    row = rep["tracks"][0]
    gain = -14.0 - row["heard_lufs"]
    if gain <= 0:
        assert row["delivery"] == "plain"       # louder: turned down, nothing else
    elif row["heard_true_peak_dbtp"] + gain > -1.0:
        assert row["delivery"] == "limit"       # quieter with no room: drive added
    if name == "quiet":
        assert row["delivery"] == "limit"
    check_track(tmp_path, row, src, preset, name)
    y = sf.read(tmp_path / "out.wav", dtype="float64")[0]
    assert true_peak_db(y) <= -1.0 + 0.01


@pytest.mark.parametrize("preset", builtin_names())
@pytest.mark.parametrize("shift_db", [0.0, -10.0], ids=["as-is", "10dB-down"])
def test_album_tracks_keep_the_heard_sound(tmp_path, capsys, preset, shift_db):
    paths = []
    for name, material, peak in PROGRAMMES:
        p = tmp_path / f"{name}.wav"
        sf.write(p, at_level(material(), peak + shift_db), FS, subtype="FLOAT")
        paths.append(p)
    outdir = tmp_path / "album"
    rep = deliver(capsys, "--album", *map(str, paths), "--out-dir", str(outdir),
                  "--target", "streaming", "--preset", preset)
    kinds = set()
    for p, row in zip(paths, rep["tracks"]):
        check_track(tmp_path, row, p, preset, p.stem)
        kinds.add(row["delivery"])
    # the album gain is one number: the tracks that needed no drive moved by it
    for row in rep["tracks"]:
        if row["delivery"] == "plain":
            assert row["gain_db"] == pytest.approx(rep["gain_db"], abs=1e-9)
    if rep["gain_db"] <= 0:
        assert kinds == {"plain"}
    if shift_db < 0:
        assert "limit" in kinds                 # drive was added to some track


def test_no_added_drive_refuses_a_quiet_master_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "quiet.wav"
    sf.write(src, at_level(demo(), -14.0), FS, subtype="FLOAT")
    out = tmp_path / "out.wav"
    assert main(["render", str(src), str(out), "--target", "streaming", "--no-added-drive"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--no-added-drive" in err[0] and "LU under" in err[0]
    assert sorted(os.listdir(tmp_path)) == ["quiet.wav"]
    # a hot one needs no help: it renders with a plain gain
    sf.write(src, at_level(demo(), -0.5), FS, subtype="FLOAT")
    assert main(["render", str(src), str(out), "--target", "streaming", "--no-added-drive",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tracks"][0]["delivery"] == "plain"


def test_report_says_what_was_done(tmp_path, capsys):
    src = tmp_path / "quiet.wav"
    sf.write(src, at_level(demo(), -14.0), FS, subtype="FLOAT")
    assert main(["render", str(src), str(tmp_path / "o.wav"), "--target", "streaming"]) == 0
    text = capsys.readouterr().out
    assert "added" in text and "dB of drive" in text and "residual against the heard sound" in text
    src2 = tmp_path / "hot.wav"
    sf.write(src2, at_level(demo(), -0.5), FS, subtype="FLOAT")
    assert main(["render", str(src2), str(tmp_path / "o2.wav"), "--target", "ebu-r128"]) == 0
    assert "plain gain only" in capsys.readouterr().out
