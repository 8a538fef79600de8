"""Whole-chain properties: transparency, constant latency, block-size invariance,
click-free moves, non-finite input, dither."""
import numpy as np
import pytest

from dsp import params
from dsp.design import latency_frames
from dsp.chain import Chain, ChainError
from helpers import BOX_RATES, db, hf_energy, run

EVERYTHING = {
    "input.dc_block": 1, "input.trim_db": 1.0,
    "eq.hp_on": 1, "eq.hp_slope": 1, "eq.low_shelf_gain_db": 1.5, "eq.bell1_gain_db": -2,
    "eq.bell2_gain_db": 1, "eq.bell2_mode": 1, "eq.bell3_gain_db": -1, "eq.bell3_mode": 2,
    "eq.high_shelf_gain_db": 2, "eq.lp_on": 1,
    "glue.ratio": 2, "glue.threshold_db": -24, "glue.auto_release": 1,
    "multiband.on": 1, "multiband.low_ratio": 2, "multiband.mid_ratio": 2, "multiband.high_ratio": 2,
    "saturation.on": 1, "saturation.drive_db": 6, "saturation.character": 1,
    "stereo.width_pct": 120, "stereo.mono_bass_on": 1, "stereo.balance_db": 0.5,
    "clipper.on": 1, "clipper.ceiling_db": -0.5,
    "limiter.on": 1, "limiter.drive_db": 6, "limiter.auto_release": 1,
    "output.dither": 2, "output.bits": 0,
}


def programme(fs, seconds=1.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(fs * seconds)
    t = np.arange(n) / fs
    x = 0.3 * np.sin(2 * np.pi * 110 * t)[:, None] + 0.1 * rng.standard_normal((n, 2))
    x[:, 1] += 0.2 * np.sin(2 * np.pi * 1500 * t)
    x *= (1 + np.sin(2 * np.pi * 1.5 * t))[:, None] * 0.6
    return x.astype(np.float32)


@pytest.mark.parametrize("fs", BOX_RATES + (32000, 192000))
def test_neutral_chain_is_transparent(fs):
    x = programme(fs, 0.5)
    c = Chain(fs)
    L = c.latency
    y = c.process(np.concatenate([x, np.zeros((L, 2), np.float32)]))
    err = np.max(np.abs(y[L:].astype(np.float64) - x))
    assert err == 0.0 or db(err) < -120


@pytest.mark.parametrize("fs", BOX_RATES)
def test_latency_is_constant_exact_and_small(fs):
    L = latency_frames(fs)
    if fs == 48000:
        assert L / fs <= 0.005              # the limiter's lookahead, at most 5 ms
    # (the multiband's crossovers are IIR all-passes: a phase shift, not a delay,
    # so it is left out of this peak-position check; it adds no latency either)
    settings = [{}, {"limiter.on": 1}, {"saturation.on": 1},
                {"input.on": 0, "eq.on": 0, "glue.on": 0, "stereo.on": 0, "output.on": 0},
                {"clipper.on": 1, "limiter.on": 1, "saturation.on": 1}]
    for v in settings:
        c = Chain(fs, v)
        assert c.latency == L
        x = np.zeros((4096, 2), np.float32)
        x[100] = 0.25
        y = c.process(x)
        # linear-phase paths peak exactly at the reported delay
        assert int(np.argmax(np.abs(y[:, 0]))) == 100 + L, v


@pytest.mark.parametrize("fs", BOX_RATES)
def test_block_size_invariance(fs):
    x = programme(fs, 0.6, seed=fs)
    whole, _ = run(x, fs, EVERYTHING)
    for block in (1, 64, 127, 4096):
        y, _ = run(x, fs, EVERYTHING, block=block)
        assert np.max(np.abs(y - whole)) <= 1e-6, block


def test_block_size_invariance_with_live_changes():
    """Changes published at the same sample give the same output whatever the block."""
    fs = 48000
    x = programme(fs, 0.5)
    def go(block):
        c = Chain(fs, EVERYTHING)
        out = []
        for i in range(0, len(x), block):
            if i == 12288:
                c.set({"eq.bell2_gain_db": -6, "glue.threshold_db": -30, "limiter.drive_db": 9})
            out.append(c.process(x[i:i + block]))
        return np.concatenate(out)
    ref = go(4096)
    for block in (64, 128, 512):
        assert np.max(np.abs(go(block) - ref)) <= 1e-6


def tone(fs, n, f=200.0, amp=0.5):
    t = np.arange(n) / fs
    fade = np.minimum(t / 0.02, 1.0) ** 2       # no onset click of its own
    return np.stack([amp * fade * np.sin(2 * np.pi * f * t)] * 2, 1).astype(np.float32)


def sweep_click_energy(fs, pid, lo, hi, seconds=0.5, steps=32):
    """HF energy (above 8 kHz) a fast knob sweep adds to a 200 Hz tone, relative to
    the tone's energy; and what the same sweep as bare gain steps would add."""
    n = int(fs * seconds)
    x = tone(fs, n)
    blk = n // steps
    def render(move):
        c = Chain(fs, {pid: lo})
        out = []
        for s in range(steps):
            if move:
                c.set({pid: lo + (hi - lo) * s / (steps - 1)})
            out.append(c.process(x[s * blk:(s + 1) * blk]))
        return np.concatenate(out)[:, 0]
    skip = fs // 20
    still = render(False)
    moved = render(True)
    e_tone = np.sum(still[skip:].astype(float) ** 2)
    added = max(hf_energy(moved, fs, skip=skip) - hf_energy(still, fs, skip=skip), 1e-30) / e_tone
    g = np.repeat(10 ** (np.linspace(-12, 12, steps) / 20), blk)
    stepped = x[: len(g), 0] * g
    e_step = hf_energy(stepped, fs, skip=skip) / np.sum(stepped[skip:].astype(float) ** 2)
    return added, e_step


@pytest.mark.parametrize("pid,lo,hi", [
    ("input.trim_db", -12, 12), ("eq.bell2_gain_db", -12, 12), ("eq.bell1_freq_hz", 100, 400),
    ("eq.hp_freq_hz", 20, 150), ("glue.makeup_db", 0, 12), ("stereo.width_pct", 0, 200),
    ("output.trim_db", -12, 0), ("saturation.mix_pct", 0, 100),
])
def test_fast_knob_sweeps_are_click_free(pid, lo, hi):
    added, stepped = sweep_click_energy(48000, pid, lo, hi)
    # bare gain steps of 0.77 dB (+-12 dB in 32) put energy above 8 kHz at about -55 dB;
    # the smoothed chain must stay 25 dB below that
    assert db(np.sqrt(stepped)) > -60          # the measurement can see a zipper
    assert db(np.sqrt(added)) < -80, f"{pid}: {db(np.sqrt(added)):.1f} dB HF energy added"


@pytest.mark.parametrize("module", [m for m in params.MODULES])
def test_bypass_toggle_is_click_free(module):
    fs = 48000
    v = dict(EVERYTHING, **{"output.dither": 0})
    n = fs // 2
    t = np.arange(n) / fs
    x = np.stack([0.3 * np.sin(2 * np.pi * 150 * t)] * 2, 1).astype(np.float32)
    c = Chain(fs, v)
    a = c.process(x[: n // 2])
    c.set({f"{module}.on": 0 if v.get(f"{module}.on", params.get(f'{module}.on').default) else 1})
    b = c.process(x[n // 2:])
    y = np.concatenate([a, b])[:, 0]
    ref = Chain(fs, v).process(x)[:, 0]
    # energy above 8 kHz around the switch, relative to the signal
    added = hf_energy(y, fs, skip=n // 4) - hf_energy(ref, fs, skip=n // 4)
    rel = max(added, 1e-30) / np.sum(y[n // 4:].astype(float) ** 2)
    assert db(np.sqrt(rel)) < -80, f"{module}: {db(np.sqrt(rel)):.1f} dB HF energy added"


@pytest.mark.parametrize("module, engage", [
    ("multiband", {"multiband.on": 1}),
    ("input", {"input.dc_block": 1, "input.trim_db": 3.0}),
])
def test_sleeping_modules_wake_without_a_click(module, engage):
    """Multiband off and a neutral input stage sleep (their output would equal
    their input exactly) with their filters emptied; engaging one wakes it
    with the filters starting from silence while its mix ramps in. The wake
    adds no HF energy beyond what engaging a never-sleeping module would."""
    fs = 48000
    v = dict(EVERYTHING, **{"output.dither": 0, "multiband.on": 0, "input.dc_block": 0,
                            "input.trim_db": 0.0})
    n = fs // 2
    t = np.arange(n) / fs
    x = np.stack([0.3 * np.sin(2 * np.pi * 150 * t) + 0.05,
                  0.3 * np.sin(2 * np.pi * 150 * t + 1.0) - 0.05], 1).astype(np.float32)
    c = Chain(fs, v)
    a = c.process(x[: n // 2])                 # asleep since the start
    c.set(engage)
    b = c.process(x[n // 2:])
    y = np.concatenate([a, b])[:, 0]
    ref = Chain(fs, v).process(x)[:, 0]        # never engaged
    woke = np.abs(y[3 * n // 4:] - ref[3 * n // 4:]).max()
    assert woke > 1e-3, f"{module}: engaging it changed nothing ({woke:.2g})"
    added = hf_energy(y, fs, skip=n // 4) - hf_energy(ref, fs, skip=n // 4)
    rel = max(added, 1e-30) / np.sum(y[n // 4:].astype(float) ** 2)
    assert db(np.sqrt(rel)) < -80, f"{module}: {db(np.sqrt(rel)):.1f} dB HF energy on waking"


def test_multiband_off_and_on_again_is_click_free():
    """Engaged, off long enough to fall asleep (filters emptied), on again:
    against the module engaged all along, no HF energy is added."""
    fs = 48000
    v = dict(EVERYTHING, **{"output.dither": 0})
    n = fs
    t = np.arange(n) / fs
    x = np.stack([0.3 * np.sin(2 * np.pi * 150 * t)] * 2, 1).astype(np.float32)
    c = Chain(fs, v)
    parts = [c.process(x[: n // 4])]
    c.set({"multiband.on": 0})
    parts.append(c.process(x[n // 4: n // 2]))
    c.set({"multiband.on": 1})
    parts.append(c.process(x[n // 2:]))
    y = np.concatenate(parts)[:, 0]
    ref = Chain(fs, v).process(x)[:, 0]
    added = hf_energy(y, fs, skip=n // 8) - hf_energy(ref, fs, skip=n // 8)
    rel = max(added, 1e-30) / np.sum(y[n // 8:].astype(float) ** 2)
    assert db(np.sqrt(rel)) < -80, f"{db(np.sqrt(rel)):.1f} dB HF energy"


def test_nonfinite_input_becomes_silence_and_output_stays_finite():
    fs = 48000
    x = programme(fs, 0.3)
    x[1000, 0] = np.nan
    x[2000:2010, 1] = np.inf
    x[3000, :] = -np.inf
    c = Chain(fs, EVERYTHING)
    y = c.process(x)
    assert np.all(np.isfinite(y))
    assert c.nonfinite_samples == 1 + 10 + 2


def test_output_never_above_ceiling_with_everything_on():
    fs = 48000
    x = programme(fs, 1.0) * 8
    y, _ = run(x, fs, dict(EVERYTHING, **{"limiter.ceiling_dbtp": -1.0}))
    assert db(np.max(np.abs(y))) <= -1.0 + 1e-3


def test_dither_is_silent_on_digital_silence_and_on_the_grid():
    fs = 48000
    for mode in (1, 2):
        v = {"output.dither": mode, "output.bits": 0}
        y, _ = run(np.zeros((fs, 2), np.float32), fs, v)
        assert np.all(y == 0)
        x = programme(fs, 0.5) * 0.1
        y, _ = run(x, fs, v)
        q = y.astype(np.float64) * 32768
        assert np.all(q == np.round(q))
        x = np.concatenate([programme(fs, 0.2) * 0.1, np.zeros((2 * fs, 2), np.float32)])
        y, _ = run(x, fs, v)
        assert np.all(y[-fs // 2:] == 0)        # stops once the input has been silent


def test_tpdf_noise_power_and_shaping():
    fs = 48000
    n = fs * 2
    lsb = 2.0 ** -15
    x = np.full((n, 2), 0.001, np.float32)    # a DC level: the error is pure dither + rounding
    x[::2] *= -1                              # not silence, not a constant
    y, _ = run(x, fs, {"output.dither": 1, "output.bits": 0})
    e = (y[fs // 2:, 0].astype(np.float64) - x[fs // 2:, 0])
    # TPDF of +-1 LSB plus rounding: variance LSB^2/6 + LSB^2/12 = LSB^2/4
    assert abs(np.var(e) / (lsb ** 2 / 4) - 1) < 0.05
    ys, _ = run(x, fs, {"output.dither": 2, "output.bits": 0})
    es = ys[fs // 2:, 0].astype(np.float64) - x[fs // 2:, 0]
    def band(err, lo, hi):
        from scipy.signal import welch
        f, p = welch(err, fs, nperseg=4096)
        return np.mean(p[(f > lo) & (f < hi)])
    # shaped: less noise where hearing is most sensitive, more near Nyquist
    assert band(es, 2000, 5000) < band(e, 2000, 5000) / 4
    assert band(es, 18000, 23000) > band(e, 18000, 23000)


def test_bad_rate_and_shape_are_refused():
    with pytest.raises(ChainError, match="out of range 32000..192000"):
        Chain(22050)
    with pytest.raises(ChainError, match=r"shape \(frames, 2\)"):
        Chain(48000).process(np.zeros((10, 3), np.float32))


def test_a_poisoned_state_is_caught_silenced_and_reset():
    """If a module's state ever went non-finite, the kernel outputs silence for
    that stretch, counts a fault and resets every module in place; the next
    block is clean again."""
    from dsp.kernels import chain as K
    from dsp.kernels import eq as EQ
    fs = 48000
    x = programme(fs, 0.5)
    c = Chain(fs, {"eq.bell2_gain_db": 3})
    c.process(x[:4800])
    c.S[K.SB_EQ + EQ.S_STATE + 6] = np.nan          # a bell's filter state
    y = c.process(x[4800:9600])
    assert np.all(np.isfinite(y)) and c.faults == 1
    y2 = c.process(x[9600:])
    assert np.all(np.isfinite(y2)) and c.faults == 1
    ref = Chain(fs, {"eq.bell2_gain_db": 3})
    ref.process(np.zeros((9600, 2), np.float32))
    # after the reset the chain behaves like a fresh one
    assert np.max(np.abs(y2[2000:] - ref.process(x[9600:])[2000:])) < 1e-4
