"""Every monitor source stays under the limiter's ceiling on the full-band
reference meter (tests/helpers.py: 32x, flat to 0.49 fs, what a DAC
reconstructs) within 0.1 dB, and under it on the 16x meter the other
true-peak tests use: the processed output, compare (the raw mix raised by up
to 24 dB to the master's loudness), a snapshot heard matched, a quiet
reference with sharp hits raised to the programme, and Spotify lifting a
quiet master within its headroom (DELIVERY's plain gain is one only where
the render's own peak fits: tests/test_delivery_monitor.py).
The case the issue found: the default preset with 18 dB of drive, where
compare read -0.79 dBTP full-band against a -1 dBTP ceiling."""
import numpy as np
import pytest
import soundfile as sf

from dsp.chain import Chain
from firmware.offline import demo
from firmware.references import load_all
from firmware.session import Session
from firmware.store import presets
from helpers import play, true_peak_db, true_peak_fullband_db

FS = 48000
SECONDS = 12


@pytest.fixture(scope="module")
def quiet_reference(tmp_path_factory):
    """Quiet noise with sharp 3 kHz hits: raised to the programme's loudness,
    its peaks would pass the ceiling by 6 dB and more."""
    rng = np.random.default_rng(3)
    t = np.arange(10 * FS) / FS
    hits = 0.5 * np.sin(2 * np.pi * 3000 * t) * np.exp(-(t % 0.5) / 0.004)
    x = 0.004 * rng.standard_normal((len(t), 2)) + hits[:, None]
    p = tmp_path_factory.mktemp("ref") / "quiet.wav"
    sf.write(p, x.astype(np.float32), FS, subtype="FLOAT")
    return str(p)


@pytest.mark.parametrize("source", ["processed", "bypass", "matched", "reference", "platform"])
def test_every_source_stays_under_the_ceiling_full_band(source, quiet_reference):
    from firmware.platform_preview import measure

    drive = 0.0 if source == "platform" else 18.0     # a quiet master for Spotify to lift
    values = dict(presets.load("default"), **{"limiter.drive_db": drive})
    c = Chain(FS, values, reference_bytes=64 << 20)
    s = Session(c)
    x = demo.programme(FS)[:SECONDS * FS].astype(np.float32)
    if source == "reference":
        assert load_all(s, [quiet_reference], FS) == []
    lift = measure(x, FS, values).gain_db("spotify") if source == "platform" else 0.0
    switch = {"processed": lambda: None,
              "bypass": lambda: c.set_monitor("bypass"),
              "matched": lambda: c.set_monitor("matched", -3.0),
              "reference": lambda: s.toggle_reference("test"),
              "platform": lambda: c.set_monitor("platform", lift)}[source]
    y = play(c, x, [(4.0, switch)]).astype(np.float64)[4 * FS:]
    ceiling = values["limiter.ceiling_dbtp"]
    full, x16 = true_peak_fullband_db(y), true_peak_db(y)
    print(f"{source}: full-band {full:+.3f} dBTP, 16x {x16:+.3f} dBTP")
    if source == "platform":
        assert lift > 1.0                                  # it does lift
    assert full <= ceiling + 0.1
    assert x16 <= ceiling + 0.1
