"""Independent measurement tools for the tests: scipy/numpy only, none of the
chain's own code (except to run the chain)."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import uuid

import numpy as np
from scipy.signal import firwin, kaiser_beta, oaconvolve, upfirdn

from dsp.chain import Chain

BOX_RATES = (44100, 48000, 88200, 96000)

# ITU-R BS.1770-4 Annex 2 interpolator, typed in from the Recommendation's table
_P0 = [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
       -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
       0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500]
_P1 = [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
       -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
       0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375]
ANNEX2 = np.zeros(48)
for _k, _p in enumerate((_P0, _P1, _P1[::-1], _P0[::-1])):
    ANNEX2[_k::4] = _p

# 16x reference: a 513-tap Kaiser low-pass (32 input samples long), flat within
# 0.07 dB to 0.45 fs and -6 dB at fs/2: sharper than the Annex filter, which is
# -1.3 dB at 0.45 fs.
REF16 = firwin(16 * 32 + 1, 1 / 16, window=("kaiser", kaiser_beta(60)))
REF16 *= 16 / REF16.sum()


def say(text: str, folder, fs: int) -> np.ndarray:
    """Speech from espeak-ng (installed by `make setup`) at fs, stereo,
    peaking at -6 dBFS."""
    import soundfile as sf
    from scipy.signal import resample_poly
    path = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True,
                   capture_output=True, timeout=60)
    x, rate = sf.read(path)
    x = resample_poly(x, fs, rate)
    x = x / np.max(np.abs(x)) * 10 ** (-6 / 20)
    return np.stack([x, x], 1)


def strip_has(stage: str, pixel: str) -> str:
    """A browser expression: whether the page's gain-change strip of
    ``stage`` holds a pixel for which the JS condition ``pixel`` (on d[i],
    d[i + 1], d[i + 2]: red, green, blue) holds."""
    from firmware.history import GR_LABELS
    row, rows = [k for k, _ in GR_LABELS].index(stage), len(GR_LABELS)
    return ("(() => { const c = document.getElementById('grstrips');"
            f"const h = c.height / {rows};"
            f"const d = c.getContext('2d').getImageData(20, {row} * h, c.width - 20, h).data;"
            f"for (let i = 0; i < d.length; i += 4) if ({pixel}) return true;"
            "return false; })()")


def db(x):
    """dB of a magnitude (real or complex input), in float64 so tiny values stay finite."""
    return 20 * np.log10(np.maximum(np.abs(np.asarray(x)).astype(np.float64), 1e-300))


def true_peak_db(y: np.ndarray, which: str = "16x") -> float:
    h, L = (ANNEX2, 4) if which == "annex4x" else (REF16, 16)
    y = np.atleast_2d(y.T).T if y.ndim == 1 else y
    return float(max(db(np.max(np.abs(upfirdn(h, y[:, c].astype(np.float64), L))))
                     for c in range(y.shape[1])))


def stereo(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return np.ascontiguousarray(np.stack([x, x], 1)) if x.ndim == 1 else x


def run(x, fs, values=None, block=None) -> tuple[np.ndarray, Chain]:
    """Run x through a fresh chain, flushing the latency; returns the aligned output."""
    c = Chain(fs, values or {})
    L = c.latency
    x = stereo(x)
    src = np.concatenate([x, np.zeros((L, 2), np.float32)])
    if block is None:
        y = c.process(src)
    else:
        y = np.concatenate([c.process(src[i:i + block]) for i in range(0, len(src), block)])
    return y[L:], c


def play(chain, x, events=(), ctl=None, clock=None, fs=48000, block=512):
    """Run x through a chain block by block; ``events`` are (seconds, callable)
    called before the block that holds their time. ``clock`` (an object with
    a ``t``) follows the audio's time; ``ctl`` is ticked after every block."""
    out = np.empty_like(x)
    ev = sorted(events, key=lambda e: e[0])
    for i in range(0, len(x), block):
        while ev and ev[0][0] * fs < i + block:
            t, fn = ev.pop(0)
            if clock is not None:
                clock.t = t
            fn()
        out[i:i + block] = chain.process(x[i:i + block])
        if clock is not None:
            clock.t = (i + block) / fs
        if ctl is not None:
            ctl.tick((i + block) / fs)
    return out


def impulse_response(fs, values, n=1 << 15, amp=1e-3, ch=0):
    """Impulse response of a (linear) setting; small amplitude keeps dynamics idle."""
    x = np.zeros((n, 2), np.float32)
    x[0, ch] = amp
    y, _ = run(x, fs, values)
    return y[:, ch].astype(np.float64) / amp


def response_db(h, fs, f):
    H = np.fft.rfft(h)
    fr = np.fft.rfftfreq(len(h), 1 / fs)
    return np.interp(f, fr, db(H))


def hf_energy(y, fs, fc=8000.0, skip=0):
    """Energy above fc (4th-order Butterworth high-pass), for click measurements.
    The whole signal is filtered and the first ``skip`` samples left out of the
    sum, so the filter's own start-up is not counted."""
    from scipy.signal import butter, sosfilt
    sos = butter(4, fc, "hp", fs=fs, output="sos")
    return float(np.sum(sosfilt(sos, y.astype(np.float64))[skip:] ** 2))


class JackServer(str):
    """A server's name (what JACK_DEFAULT_SERVER wants) that also holds its process."""
    proc: subprocess.Popen


@contextlib.contextmanager
def jackd_dummy(rate: int = 48000, period: int = 128):
    """A private `jackd -d dummy` server (a real-time clock without a sound
    card) under a unique name, so runs cannot collide; yields its name. Real-time
    (-R) when permitted: jackd falls back to normal scheduling by itself when
    it is not. Whoever used it must have terminated PortAudio before it stops
    (tests run PortAudio in a child process for that). A client may take 10 s
    to answer before the server drops it (-t; 500 ms by default in real-time
    mode): on a machine kept busy a Python client's callback can wait that
    long for the GIL, and a test must not fail for it."""
    name = "mbtest-" + uuid.uuid4().hex[:8]
    proc = subprocess.Popen(["jackd", "-R", "-P", "60", "-t", "10000", "-n", name, "-d", "dummy",
                             "-r", str(rate), "-p", str(period)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = subprocess.run(["jack_lsp", "-s", name], capture_output=True) if shutil.which("jack_lsp") \
                else subprocess.run([sys.executable, "-c", "import jack; jack.Client('probe', "
                                     f"servername='{name}', no_start_server=True).close()"],
                                    capture_output=True)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("jackd dummy server did not come up")
        server = JackServer(name)
        server.proc = proc
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------- limiter judging
# A full-band reference for true peak (what a DAC reconstructs): a 32x
# interpolator whose low-pass is flat within 0.01 dB to 0.49 fs and down 100 dB
# from 0.51 fs (a Kaiser-windowed sinc, cutoff at fs/2, 9601 taps). The 16x
# REF16 above is flat only to 0.45 fs: it misses what full-band material holds
# near Nyquist. (STANDARDS.md, "Judging a true-peak limiter".)
FULLBAND_FACTOR = 32
_FB_TAPS = 32 * 300 + 1
FULLBAND = firwin(_FB_TAPS, 1 / FULLBAND_FACTOR, window=("kaiser", kaiser_beta(100)))
FULLBAND *= FULLBAND_FACTOR / FULLBAND.sum()


def fullband_flatness_db(f_max_fs: float = 0.49) -> float:
    """The reference interpolator's largest deviation from 0 dB up to f_max_fs
    (a fraction of the base rate), for the tests to check it is what it says."""
    from scipy.signal import freqz

    w, h = freqz(FULLBAND / FULLBAND_FACTOR, worN=np.linspace(0, np.pi * f_max_fs / FULLBAND_FACTOR * 2, 400))
    return float(np.max(np.abs(db(h))))


def true_peak_fullband_db(y: np.ndarray) -> float:
    """dBTP on the full-band 32x reference, every channel, the signal's ends
    included (zeros are padded so the last samples' reconstruction counts)."""
    y = np.atleast_2d(y.T).T if y.ndim == 1 else y
    pad = np.zeros((_FB_TAPS // FULLBAND_FACTOR + 2, y.shape[1]))
    z = np.concatenate([pad, y.astype(np.float64), pad])
    # zero-stuffed and convolved by FFT (overlap-add): upfirdn's result, twice as fast
    up = np.zeros((len(z) * FULLBAND_FACTOR, z.shape[1]))
    up[::FULLBAND_FACTOR] = z
    return float(db(np.max(np.abs(oaconvolve(up, FULLBAND[:, None], axes=0)))))


def thd_n_db(y: np.ndarray, fs: float, f0: float) -> float:
    """THD+N of a steady tone, dB: the least-squares sine at f0 (amplitude and
    phase, with a DC term) is removed and the residual's power taken over the
    fundamental's. Independent of any window; the floor is float32 rounding
    (about -140 dB)."""
    y = np.asarray(y, np.float64)
    t = np.arange(len(y)) / fs
    M = np.stack([np.sin(2 * np.pi * f0 * t), np.cos(2 * np.pi * f0 * t), np.ones_like(t)], 1)
    coef, *_ = np.linalg.lstsq(M, y, rcond=None)
    fund = M[:, :2] @ coef[:2]
    res = y - M @ coef
    return float(10 * np.log10(np.sum(res ** 2) / np.sum(fund ** 2)))


def smpte_imd_pct(y: np.ndarray, fs: int, f_low: float = 60.0, f_high: float = 7000.0,
                  orders: int = 4) -> float:
    """SMPTE RP120 intermodulation: the sidebands f_high +- n f_low (n = 1..4)
    as a percentage of f_high's amplitude, read off a rectangular FFT over a
    whole number of seconds (every component then sits on a bin)."""
    n = (len(y) // fs) * fs
    Y = np.abs(np.fft.rfft(np.asarray(y[-n:], np.float64))) * 2 / n
    bin_hz = fs / n
    a = lambda f: Y[int(round(f / bin_hz))]  # noqa: E731
    side = sum(a(f_high + k * f_low) ** 2 + a(f_high - k * f_low) ** 2 for k in range(1, orders + 1))
    return float(100 * np.sqrt(side) / a(f_high))


def worst_case_pattern(length: int = 32, half_offset: float = 0.5) -> np.ndarray:
    """Full-scale samples whose signs follow a sinc centred between two samples:
    their reconstruction peaks there at sum |sinc| (about +10 dB over the
    samples for 32 of them), the case no short-kernel detector sees whole."""
    k = np.arange(length) - length // 2 + half_offset
    return np.sign(np.sinc(k))


def metered_session(preset: str, seconds: float):
    """A session over a 48 kHz chain loaded with ``preset``, and a meter that
    has read ``seconds`` of a steady 0.1 signal: what a remote surface reads."""
    from dsp.meters import Meter
    from firmware.session import Session
    from firmware.store import presets

    s = Session(Chain(48000, presets.load(preset)))
    meter = Meter(48000, 2)
    meter.process(np.zeros((int(seconds * 48000), 2), np.float32) + 0.1)
    return s, meter


def refusal(load, path, text: str) -> str:
    """Write ``text`` to ``path``, load it, and return the UserError's message
    (a file that loads fails the test)."""
    import pytest

    from firmware.errors import UserError

    path.write_text(text)
    with pytest.raises(UserError) as e:
        load(str(path))
    return str(e.value)
