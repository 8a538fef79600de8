""""less harsh" reads the programme (issue #30): where the 2-5 kHz harshness
comes and goes, a dynamic EQ cut that acts only on its loud moments; where it
stays, a static cut. Measured on the accepted proposal rendered through the
chain: the harsh third octave's 100 ms levels (a scipy Butterworth band-pass
written here), their 95th percentile and median."""
import numpy as np
import pytest
from scipy import signal

from dsp.chain import Chain
from firmware.assistant.propose import propose
from firmware.store import presets

FS = 48000
SECONDS = 20
HARSH_HZ = 3150.0


def third_octave_levels(y, fc=HARSH_HZ):
    b = signal.sosfilt(signal.butter(4, [fc * 2 ** (-1 / 6), fc * 2 ** (1 / 6)], "bandpass", fs=FS,
                                     output="sos"), 0.5 * (y[:, 0] + y[:, 1]).astype(np.float64))
    n = FS // 10
    k = len(b) // n
    return 10 * np.log10(np.mean(b[:k * n].reshape(k, n) ** 2, 1) + 1e-20)


def programme(intermittent: bool) -> np.ndarray:
    """A pink-noise bed (Kellet's filter) with a ringing third octave at
    3.15 kHz: in 250 ms bursts once a second, or all the time."""
    rng = np.random.default_rng(5)
    n = FS * SECONDS
    bed = signal.lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                         [1, -2.494956002, 2.017265875, -0.522189400], rng.standard_normal(n))
    bed *= 0.05 / np.std(bed)
    ring = signal.sosfilt(signal.butter(4, [HARSH_HZ * 2 ** (-1 / 6), HARSH_HZ * 2 ** (1 / 6)],
                                        "bandpass", fs=FS, output="sos"), rng.standard_normal(n))
    ring *= 0.075 / np.std(ring)
    if intermittent:
        t = np.arange(n) / FS
        ring *= signal.lfilter([0.01], [1, -0.99], ((t % 1.0) < 0.25).astype(float))
    else:
        ring *= 0.4
    x = bed + ring
    return np.stack([x, 0.9 * x + 0.1 * bed], 1).astype(np.float32)


def render(values, x):
    c = Chain(FS, values, monitor=False)
    L = c.latency
    return c.process(np.concatenate([x, np.zeros((L, 2), np.float32)]))[L:]


def test_intermittent_harshness_gets_a_dynamic_cut_that_spares_the_rest():
    x = programme(intermittent=True)
    v = presets.load("default")
    p = propose(x, FS, v, words=("less harsh",), amount=100)
    moved = {m.param: m.new for m in p.moves}
    assert moved["dyneq.b1_on"] == 1.0 and abs(moved["dyneq.b1_freq_hz"] - HARSH_HZ) < 1.0
    assert not any(k.startswith("eq.") for k in moved), moved
    assert all(m.reason for m in p.moves)
    assert v == presets.load("default")                   # proposed, nothing applied
    before, after = third_octave_levels(render(v, x)), third_octave_levels(render(p.values(v), x))
    p95 = np.percentile(before, 95) - np.percentile(after, 95)
    med = np.median(after) - np.median(before)
    print(f"less harsh (dynamic): 95th percentile -{p95:.2f} dB, median {med:+.2f} dB")
    assert p95 >= 1.0
    assert abs(med) < 0.5


def test_constant_harshness_gets_a_static_cut_there():
    x = programme(intermittent=False)
    p = propose(x, FS, presets.load("default"), words=("less harsh",), amount=100)
    moved = {m.param: m.new for m in p.moves}
    assert not any(k.startswith("dyneq.") for k in moved), moved
    bells = [b for b in ("bell1", "bell2", "bell3") if f"eq.{b}_gain_db" in moved]
    assert bells and moved[f"eq.{bells[0]}_gain_db"] < 0.0
    assert abs(np.log2(moved.get(f"eq.{bells[0]}_freq_hz", 0.0) / HARSH_HZ)) < 1 / 3
    assert any("steadily" in m.reason for m in p.moves)


@pytest.mark.parametrize("word", ["less harsh"])
def test_a_dynamic_cut_needs_a_free_band(word):
    """Both dynamic bands taken by the engineer: nothing of theirs is moved,
    the note says why."""
    v = dict(presets.load("default"), **{"dyneq.b1_on": 1.0, "dyneq.b2_on": 1.0,
                                         "dyneq.b1_threshold_db": 0.0, "dyneq.b2_threshold_db": 0.0})
    p = propose(programme(intermittent=True), FS, v, words=(word,), amount=100)
    assert not any(m.param.startswith("dyneq.") for m in p.moves)
    assert any("both dynamic EQ bands are in use" in n for n in p.notes)
