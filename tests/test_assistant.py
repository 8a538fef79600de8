"""The assistant, measured on what the chain renders with its proposals.

Known deviations are made here with scipy and textbook filters (an RBJ shelf,
a -3 dB/decade FIR tilt, an RBJ bell on the side only), never with the box's
EQ, and judged by third-octave band powers computed here from an FFT: at
Amount 100 % the rendered proposal removes at least 70 % of the difference
(RMS over 50 Hz-16 kHz, mid and side, level-free) and no band gets worse by
more than 0.5 dB. Words are measured as the issue states them; nothing is
applied until accepted (the command line writes nothing without
--write-preset)."""
import json

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, firwin2, lfilter, sosfilt

from dsp import params
from dsp.chain import Chain
from firmware.assistant.propose import propose
from firmware.cli import main
from firmware.errors import UserError
from firmware.offline import demo
from firmware.store import presets
from helpers import true_peak_db

FS = 48000


def rbj(kind, f0, gain_db, q=0.7071):
    """Robert Bristow-Johnson's cookbook biquads, as scipy second-order sections."""
    A = 10 ** (gain_db / 40)
    w = 2 * np.pi * f0 / FS
    al = np.sin(w) / (2 * q)
    c = np.cos(w)
    if kind == "bell":
        b, a = [1 + al * A, -2 * c, 1 - al * A], [1 + al / A, -2 * c, 1 - al / A]
    else:
        sa = np.sqrt(A)
        b = [A * ((A + 1) - (A - 1) * c + 2 * sa * al), 2 * A * ((A - 1) - (A + 1) * c),
             A * ((A + 1) - (A - 1) * c - 2 * sa * al)]
        a = [(A + 1) + (A - 1) * c + 2 * sa * al, -2 * ((A - 1) + (A + 1) * c),
             (A + 1) + (A - 1) * c - 2 * sa * al]
    return np.array([b + a]) / a[0]


def tilt(x):
    f = np.linspace(0, FS / 2, 513)
    g = -3 * np.log10(np.maximum(f, 20) / 1000)          # -3 dB per decade
    h = firwin2(1023, f, 10 ** (g / 20), fs=FS)
    return lfilter(h, 1, x, axis=0)[511:].astype(np.float32)


def side_bell(x):
    m, s = 0.5 * (x[:, 0] + x[:, 1]), 0.5 * (x[:, 0] - x[:, 1])
    s = sosfilt(rbj("bell", 4000, 3.0, 1.0), s)
    return np.stack([m + s, m - s], 1).astype(np.float32)


DEVIATIONS = {"low shelf +4 dB at 100 Hz": lambda x: sosfilt(rbj("shelf", 100, 4.0), x, axis=0).astype(np.float32),
              "tilt -3 dB/decade": tilt, "side bell +3 dB at 4 kHz": side_bell}


def noise_programme():
    rng = np.random.default_rng(4)
    n = rng.standard_normal((30 * FS, 2))
    n = sosfilt(butter(1, [40, 12000], "bandpass", fs=FS, output="sos"), n, axis=0)
    n[:, 1] = 0.7 * n[:, 0] + 0.5 * n[:, 1]                # correlated, with some side
    return (0.1 * n / np.std(n)).astype(np.float32)


PROGRAMMES = {"demo": lambda: demo.programme(FS)[:30 * FS], "filtered noise": noise_programme}


def thirds(sig):
    """Third-octave band powers (dB), 50 Hz-16 kHz, from one Hann-windowed FFT."""
    spec = np.abs(np.fft.rfft(sig * np.hanning(len(sig)))) ** 2
    f = np.fft.rfftfreq(len(sig), 1 / FS)
    centres = 1000 * 2 ** (np.arange(-13, 13) / 3)
    return np.array([10 * np.log10(spec[(f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))].sum())
                     for c in centres])


def difference(y, ref):
    """Per band, mid then side, of y against ref, the mean (level) removed."""
    d = []
    for sig in (lambda a: a[:, 0] + a[:, 1], lambda a: a[:, 0] - a[:, 1]):
        d.append(thirds(sig(y.astype(np.float64))) - thirds(sig(ref.astype(np.float64))))
    d = np.concatenate(d)
    return d - d.mean()


def render(values, x):
    c = Chain(FS, values)
    L = c.latency
    return c.process(np.concatenate([x, np.zeros((L, 2), np.float32)]))[L:]


@pytest.mark.parametrize("programme", PROGRAMMES)
@pytest.mark.parametrize("deviation", DEVIATIONS)
def test_known_deviations_are_removed(programme, deviation):
    ref = PROGRAMMES[programme]()
    x = DEVIATIONS[deviation](ref)
    ref = ref[:len(x)]
    base = params.check_values({})
    p = propose(x, FS, base, reference=ref, amount=100, aspects=("tone", "width"))
    assert p.moves, p.notes
    d0 = difference(render(base, x), ref)
    d1 = difference(render(p.values(base), x), ref)
    rms0, rms1 = np.sqrt(np.mean(d0 ** 2)), np.sqrt(np.mean(d1 ** 2))
    assert rms1 <= 0.3 * rms0, (rms0, rms1, [m.to_dict() for m in p.moves])
    assert np.max(np.abs(d1) - np.abs(d0)) <= 0.5
    for m in p.moves:
        assert m.reason and "->" in m.reason or m.reason.startswith(("bell", "low", "high", "the"))
        if m.param.endswith("_gain_db") and m.param.startswith("eq."):
            assert abs(m.new) <= 4.0
    assert p.residual_db < p.before_db


def band_energy(y, lo, hi, part=lambda a: a[:, 0] + a[:, 1]):
    s = part(y.astype(np.float64))
    spec = np.abs(np.fft.rfft(s)) ** 2
    f = np.fft.rfftfreq(len(s), 1 / FS)
    return 10 * np.log10(spec[(f >= lo) & (f < hi)].sum())


@pytest.fixture(scope="module")
def programme():
    return demo.programme(FS)[:30 * FS]


@pytest.mark.parametrize("word, check", [
    ("warmer", lambda y0, y1: (band_energy(y1, 150, 500) - band_energy(y1, 2000, 8000))
     - (band_energy(y0, 150, 500) - band_energy(y0, 2000, 8000)) > 0.5),
    ("brighter", lambda y0, y1: (band_energy(y1, 2000, 8000) - band_energy(y1, 150, 500))
     - (band_energy(y0, 2000, 8000) - band_energy(y0, 150, 500)) > 0.5),
    ("wider", lambda y0, y1: side_over_mid(y1) - side_over_mid(y0) > 0.5),
])
def test_words_move_the_sound_their_way(programme, word, check):
    base = presets.load("neutral")
    p = propose(programme, FS, base, words=[word], amount=100, aspects=())
    y0, y1 = render(base, programme), render(p.values(base), programme)
    assert check(y0, y1), [m.to_dict() for m in p.moves]
    assert all(f"'{word}'" in m.reason or "frequency" in m.reason or "width" in m.reason
               or "works on" in m.reason or "carries" in m.reason or "limiter" in m.reason
               or "LUFS" in m.reason for m in p.moves)


def side_over_mid(y):
    side = band_energy(y, 150, 20000, lambda a: a[:, 0] - a[:, 1])
    mid = band_energy(y, 150, 20000, lambda a: a[:, 0] + a[:, 1])
    return side - mid


@pytest.mark.parametrize("preset", ["neutral", "default"])
def test_wider_never_widens_below_150_hz(preset):
    """A side low shelf holds the bass's side where it was (neutral: the shelf
    is free); with the low shelf in use (default), mono bass keeps it narrow."""
    rng = np.random.default_rng(7)
    x = sosfilt(butter(1, [40, 12000], "bandpass", fs=FS, output="sos"),
                rng.standard_normal((20 * FS, 2)), axis=0)      # as much side in the bass as above
    x = (0.1 * x / np.std(x)).astype(np.float32)
    base = presets.load(preset)
    p = propose(x, FS, base, words=["wider"], amount=100, aspects=())
    y0, y1 = render(base, x), render(p.values(base), x)
    side = lambda a: a[:, 0] - a[:, 1]  # noqa: E731
    low = band_energy(y1, 30, 100, side) - band_energy(y0, 30, 100, side)
    assert low < 0.3 and (preset == "default" or low > -0.3), low
    assert band_energy(y1, 400, 10000, side) - band_energy(y0, 400, 10000, side) > 0.7


def test_more_glue_is_one_to_two_db_on_the_loud_part(programme):
    base = presets.load("neutral")
    p = propose(programme, FS, base, words=["more glue"], amount=100, aspects=())
    v = p.values(base)
    assert v["glue.on"] == 1 and v["glue.ratio"] > 1
    # measured here: the glue's reduction on the rendered loudest half of the blocks
    c = Chain(FS, v)
    hop = FS // 10
    gr, lv = [], []
    for i in range(0, len(programme) - hop, hop):
        b = programme[i:i + hop]
        c.process(b)
        gr.append(c.gain_reduction_db()["glue"])
        lv.append(np.mean(b.astype(np.float64) ** 2))
    gr, lv = np.array(gr[10:]), np.array(lv[10:])
    loud = gr[lv >= np.median(lv)].mean()
    assert 1.0 <= loud <= 2.0, loud


@pytest.mark.parametrize("word", ["louder", "brighter", "fuller low end", "more air", "to target"])
def test_no_proposal_goes_over_the_ceiling(programme, word):
    base = presets.load("default")
    hot = programme * 2.5                            # a loud mix with little headroom
    p = propose(hot, FS, base, words=[word], amount=100)
    y = render(p.values(base), hot)
    # on the meter the limiter's promise is made on (docs/chain-and-measurements.md: which meter)
    assert true_peak_db(y[FS:], "annex4x") <= -1.0


def test_nothing_needed_and_too_little_audio(programme):
    base = params.check_values({})
    p = propose(programme, FS, base, reference=render(base, programme), amount=100,
                aspects=("tone", "width"))
    assert not [m for m in p.moves if m.param.startswith("eq.")]
    assert any("no EQ needed" in n for n in p.notes)
    short = programme[:6 * FS]
    p = propose(short, FS, base, reference=programme, amount=100)
    assert p.moves == [] and "too little audio" in p.notes[0]


def test_amount_scales_the_moves(programme):
    x = DEVIATIONS["low shelf +4 dB at 100 Hz"](programme)
    base = params.check_values({})
    full = propose(x, FS, base, reference=programme, amount=100, aspects=("tone",))
    half = propose(x, FS, base, reference=programme, amount=50, aspects=("tone",))
    g_full = full.values(base)["eq.low_shelf_gain_db"]
    g_half = half.values(base)["eq.low_shelf_gain_db"]
    assert g_full < -3.0 and abs(g_half - g_full / 2) <= 0.3
    with pytest.raises(UserError):
        propose(x, FS, base, amount=120)
    with pytest.raises(UserError, match="use one of"):
        propose(x, FS, base, words=["louder please"])


def test_the_command_line_proposes_and_writes_only_when_asked(tmp_path, capsys, programme):
    src, ref = tmp_path / "mix.wav", tmp_path / "ref.flac"
    sf.write(src, DEVIATIONS["low shelf +4 dB at 100 Hz"](programme), FS, subtype="PCM_24")
    sf.write(ref, programme, FS)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["assist", str(src), "--reference", str(ref), "--amount", "100", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in tmp_path.iterdir()) == before          # wrote nothing
    assert {"analysis", "proposals", "residual_db"} <= set(out)
    moves = {m["param"]: m for m in out["proposals"]}
    assert moves["eq.low_shelf_gain_db"]["to"] < -3 and moves["eq.low_shelf_gain_db"]["from"] == 0
    assert "bass" in moves["eq.low_shelf_gain_db"]["reason"]
    preset = tmp_path / "proposal.toml"
    assert main(["assist", str(src), "--say", "warmer", "--write-preset", str(preset)]) == 0
    capsys.readouterr()
    loaded = presets.load(str(preset))
    assert loaded["eq.bell1_gain_db"] > 0 or loaded["eq.bell2_gain_db"] > 0 \
        or loaded["eq.bell3_gain_db"] > 0
    for bad in (["assist", str(tmp_path / "absent.wav")],
                ["assist", str(src), "--say", "louder please"],
                ["assist", str(src), "--amount", "150"],
                ["assist", str(src), "--write-preset", str(tmp_path / "x.txt")]):
        assert main(bad) == 2, bad
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err


def test_a_learnt_profile_is_matched_like_a_reference(tmp_path, capsys, programme):
    folder = tmp_path / "refs"
    folder.mkdir()
    sf.write(folder / "a.wav", programme[:20 * FS], FS, subtype="PCM_24")
    sf.write(folder / "b.flac", programme[10 * FS:30 * FS], FS)
    (folder / "notes.txt").write_text("not audio")
    prof = tmp_path / "mine.json"
    assert main(["assist", "--learn-profile", str(folder), str(prof)]) == 0
    doc = json.loads(prof.read_text())
    assert doc["files"] == ["a.wav", "b.flac"] and doc["name"] == "mine"
    assert len(doc["tonal_mid_db"]) == len(doc["bands_hz"]) == 30
    src = tmp_path / "mix.wav"
    sf.write(src, DEVIATIONS["low shelf +4 dB at 100 Hz"](programme), FS, subtype="PCM_24")
    capsys.readouterr()
    assert main(["assist", str(src), "--profile", str(prof), "--amount", "100", "--json",
                 "--only", "tone"]) == 0
    out = json.loads(capsys.readouterr().out)
    moves = {m["param"]: m for m in out["proposals"]}
    assert moves["eq.low_shelf_gain_db"]["to"] < -2.5
    assert "'mine' profile" in moves["eq.low_shelf_gain_db"]["reason"]
    bad = tmp_path / "bad.json"
    for text in ("{not json", json.dumps({"format": 1}), json.dumps(dict(doc, tonal_mid_db=[0] * 3))):
        bad.write_text(text)
        assert main(["assist", str(src), "--profile", str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "profile" in err, err
    assert main(["assist", "--learn-profile", str(tmp_path / "none"), str(prof)]) == 2


def test_the_analysis_estimates_the_loud_part_gain_reduction_of_the_current_settings():
    """Checked against the level the glue takes off, measured independently:
    the same capture rendered with the glue out, block by block over the
    loudest half of the 100 ms blocks."""
    x = demo.programme(FS)[:30 * FS]
    values = dict(presets.load("neutral"), **{"glue.on": 1.0, "glue.threshold_db": -34.0,
                                              "glue.ratio": 4.0, "glue.makeup_db": 0.0})
    p = propose(x, FS, values, aspects=())
    est = p.analysis["loud_part_gr_db"]["glue"]

    def render(v):
        c = Chain(FS, v)
        y = c.process(np.concatenate([x, np.zeros((c.latency, 2), np.float32)]))
        return y[c.latency:].astype(np.float64)

    on, off = render(values), render(dict(values, **{"glue.on": 0.0}))
    hop = FS // 10
    n = len(x) // hop * hop
    pw = lambda y: np.mean(y[:n].reshape(-1, hop, 2) ** 2, axis=(1, 2))[5:]   # noqa: E731
    level = np.mean(x[:n].astype(np.float64).reshape(-1, hop, 2) ** 2, axis=(1, 2))[5:]
    loud = level >= np.median(level)
    measured = float(np.mean(10 * np.log10(pw(off)[loud] / pw(on)[loud])))
    assert measured > 1.0                                  # the settings do reduce
    assert est == pytest.approx(measured, abs=0.5)
    assert p.analysis["loud_part_gr_db"].get("limiter", 0.0) == 0.0   # the limiter is off
