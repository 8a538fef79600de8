import json

import numpy as np
import soundfile as sf

from firmware.cli import main


def tone_file(path, level_db=-18.0, seconds=5.0, fs=48000):
    t = np.arange(int(fs * seconds)) / fs
    s = 10 ** (level_db / 20) * np.sin(2 * np.pi * 1000 * t)
    sf.write(path, np.stack([s, s], 1), fs, subtype="FLOAT")
    return str(path)


def test_measure_json_keys_and_values(tmp_path, capsys):
    f = tone_file(tmp_path / "t.wav")
    assert main(["measure", f, "--json", "--precise"]) == 0
    r = json.loads(capsys.readouterr().out)
    for k in ("integrated_lufs", "loudness_range_lu", "lra_stable", "max_momentary_lufs",
              "max_short_term_lufs", "true_peak_dbtp", "true_peak_precise_dbtp",
              "sample_peak_dbfs", "plr_lu", "psr_lu", "correlation", "balance_db"):
        assert k in r, k
    assert abs(r["integrated_lufs"] - -18.0) < 0.05
    assert abs(r["true_peak_precise_dbtp"] - -18.0) < 0.05
    assert abs(r["correlation"] - 1.0) < 1e-6 and abs(r["balance_db"]) < 1e-6
    assert r["lra_stable"] is False


def test_measure_silence_is_below_gate_not_an_error(tmp_path, capsys):
    f = tmp_path / "s.wav"
    sf.write(f, np.zeros((48000, 2)), 48000)
    assert main(["measure", str(f), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["integrated_lufs"] is None
    assert main(["measure", str(f)]) == 0
    assert "below gate" in capsys.readouterr().out


def test_measure_several_files_and_plot(tmp_path, capsys):
    a = tone_file(tmp_path / "a.wav", -20)
    b = tone_file(tmp_path / "b.wav", -14)
    assert main(["measure", a, b, "--json"]) == 0
    rs = json.loads(capsys.readouterr().out)
    assert [round(r["integrated_lufs"]) for r in rs] == [-20, -14]
    png = tmp_path / "p.png"
    assert main(["measure", a, "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["measure", a, b, "--plot", str(png)]) == 2
    assert "exactly one FILE" in capsys.readouterr().err


def test_measure_bad_file(tmp_path, capsys):
    p = tmp_path / "x.wav"
    p.write_bytes(b"not audio at all")
    assert main(["measure", str(p)]) == 2
    assert "not a readable audio file" in capsys.readouterr().err
