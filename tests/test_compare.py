"""Compare, the box's signature: the bypassed input is heard at the processed
signal's short-term loudness, snapshots at one loudness, switching never clicks,
and plain processed listening is untouched. Loudness is measured independently
with pyloudnorm."""
import numpy as np
import pyloudnorm as pyln
import pytest

from dsp.chain import Chain, ChainError
from firmware.offline import demo
from firmware.store import presets
from firmware.control import Controller
from firmware.session import Session
from helpers import hf_energy, play
from ui.actions import Action

FS = 48000


class AudioClock:
    """Seconds of audio played: the session's clock in these tests."""
    t = 0.0

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def programme():
    return demo.programme(FS)


def test_bypass_is_matched_to_the_processed_loudness_on_the_demo(programme):
    values = presets.load("default")
    values.update({"limiter.on": 1.0, "limiter.drive_db": 6.0})
    processed = play(Chain(FS, values), programme)
    c = Chain(FS, values)
    compared = play(c, programme, [(6.0, lambda: c.set_monitor("bypass"))])
    m = pyln.Meter(FS)
    seg = slice(9 * FS, len(programme))
    l_proc = m.integrated_loudness(processed[seg])
    l_byp = m.integrated_loudness(compared[seg])
    l_in = m.integrated_loudness(programme[seg])
    assert l_proc - l_in > 5.0                  # the master is clearly louder than the mix...
    assert abs(l_byp - l_proc) < 0.5            # ...and compare removes that difference
    assert c.match_offset_db == pytest.approx(l_proc - l_in, abs=1.5)
    # the limiter's ceiling still holds on the raised bypass
    assert np.abs(compared).max() <= 10 ** (values["limiter.ceiling_dbtp"] / 20) + 1e-6


def test_bypass_nulls_against_a_pure_gain_chain():
    """A chain that only raises the level by 6.02 dB: the matched bypass must be
    the processed signal itself (K-weighted loudness of 2x is exactly +6.02 LU)."""
    rng = np.random.default_rng(3)
    x = (0.05 * rng.standard_normal((8 * FS, 2))).astype(np.float32)
    c = Chain(FS, {"input.trim_db": 20 * np.log10(2.0)})
    ref = play(Chain(FS, {"input.trim_db": 20 * np.log10(2.0)}), x)
    y = play(c, x, [(2.0, lambda: c.set_monitor("bypass"))])
    tail = slice(5 * FS, None)
    resid = y[tail] - ref[tail]
    assert 10 * np.log10(np.sum(resid.astype(float) ** 2) / np.sum(ref[tail].astype(float) ** 2)) < -60


def test_switching_is_click_free():
    t = np.arange(3 * FS) / FS
    tone = 0.25 * np.sin(2 * np.pi * 1000 * t)
    x = np.stack([tone, tone], 1).astype(np.float32)
    vals = {"eq.high_shelf_gain_db": 9.0, "eq.high_shelf_freq_hz": 2000.0, "input.trim_db": 4.0}
    c = Chain(FS, vals)
    y = play(c, x, [(1.5, lambda: c.set_monitor("bypass")), (2.2, lambda: c.set_monitor("processed"))])
    still = play(Chain(FS, vals), x)
    skip = FS // 2
    e_tone = np.sum(still[skip:, 0].astype(float) ** 2)
    added = (hf_energy(y[:, 0], FS, 5000, skip) - hf_energy(still[:, 0], FS, 5000, skip)) / e_tone
    assert 10 * np.log10(max(added, 1e-30)) < -80
    # the same switch done bare (a hard cut between the two signals) is a click
    cut = still.copy()
    d = Chain(FS, vals)
    bp = play(d, x, [(0.0, lambda: d.set_monitor("bypass"))])
    cut[int(1.5 * FS):int(2.2 * FS)] = bp[int(1.5 * FS):int(2.2 * FS)]
    hard = (hf_energy(cut[:, 0], FS, 5000, skip) - hf_energy(still[:, 0], FS, 5000, skip)) / e_tone
    assert 10 * np.log10(hard) > -60


def test_processed_listening_is_bit_exact_after_a_compare(programme):
    x = programme[: 6 * FS]
    vals = presets.load("default")
    ref = play(Chain(FS, vals), x)
    c = Chain(FS, vals)
    y = play(c, x, [(1.0, lambda: c.set_monitor("bypass")), (2.0, lambda: c.set_monitor("processed"))])
    assert np.array_equal(y[3 * FS:], ref[3 * FS:])


def test_snapshots_compare_at_one_loudness(programme):
    """Store A (gentle), store B (6.5 dB more makeup), recall A, then B: B is heard at
    A's loudness (the quieter one), measured on the same music played with A."""
    x = np.concatenate([programme] * 2)
    base = presets.load("default")
    hot = dict(base, **{"glue.makeup_db": 6.5})
    c = Chain(FS, base)
    clock = AudioClock()
    ctl = Controller(Session(c, clock=clock))
    events = [
        (4.0, lambda: ctl.apply(("store", 0), 4.0)),
        (4.1, lambda: ctl.session.apply({"glue.makeup_db": 6.5}, "test")),
        (8.5, lambda: ctl.apply(("store", 1), 8.5)),
        (8.6, lambda: ctl.apply(("recall", 0), 8.6)),
        (20.0, lambda: ctl.apply(("recall", 1), 20.0)),
    ]
    y = play(c, x, events, ctl, clock)
    seg = slice(26 * FS, 46 * FS)
    m = pyln.Meter(FS)
    with_a = m.integrated_loudness(play(Chain(FS, base), x)[seg])
    with_b = m.integrated_loudness(play(Chain(FS, hot), x)[seg])
    heard_b = m.integrated_loudness(y[seg])
    assert with_b - with_a > 3.0                 # unmatched, B is much louder (limited)
    assert abs(heard_b - with_a) < 0.5           # matched, it plays at A's loudness
    snaps = ctl.session.snapshots()
    assert snaps[1].offset_db - snaps[0].offset_db == pytest.approx(with_b - with_a, abs=0.7)
    assert ctl.screen(46.0).badge.mode == "matched"
    # a parameter move returns to plain listening
    ctl.nav.open_module("glue")
    ctl.handle(Action("enc1", "turn", 1), 50.0)
    assert ctl.session.listening[0] == "processed" and c.monitor[0] == "processed"


def test_compare_button_through_the_controller_and_bad_modes():
    c = Chain(FS)
    ctl = Controller(Session(c))
    ctl.handle(Action("compare", "press"), 0.0)
    assert c.monitor[0] == "bypass" and ctl.screen(0.0).badge.mode == "bypass"
    ctl.handle(Action("compare", "press"), 1.0)
    assert c.monitor[0] == "processed"
    with pytest.raises(ChainError, match="monitor mode 'loud'"):
        c.set_monitor("loud")
    with pytest.raises(ChainError, match="out of range"):
        c.set_monitor("matched", 40.0)
    assert c.monitor == ("processed", 0.0)
