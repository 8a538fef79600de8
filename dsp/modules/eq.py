"""EQ: high-pass, low shelf, three bells, high shelf, low-pass; each band on
stereo, mid or side. Bells and shelves follow their analog prototypes up to
Nyquist (dsp/filter_design.py: matched poles, fitted numerators)."""
from .. import filter_design as fd
from ..kernels import eq as K
from ..kernels.common import BIQ
from ..schema import MODES, SLOPES, choice, db, hz, q, switch
from .common import put

NAME = "eq"
TITLE = "EQ"
STAGE = "eq"
BANDS = ("low_shelf", "bell1", "bell2", "bell3", "high_shelf")


def _band(prefix, label, fmin, fmax, fdef, qdef, qmin=0.1, qmax=10.0):
    return (
        db(f"eq.{prefix}_gain_db", f"{label} gain", -12.0, 12.0),
        hz(f"eq.{prefix}_freq_hz", f"{label} freq", fmin, fmax, fdef),
        q(f"eq.{prefix}_q", f"{label} Q", qmin, qmax, qdef),
        choice(f"eq.{prefix}_mode", f"{label} M/S", MODES, 0,
               doc="which signal the band works on: stereo (L and R), mid or side"),
    )


PARAMS = (
    switch("eq.on", "EQ", 1),
    switch("eq.hp_on", "HP on"),
    hz("eq.hp_freq_hz", "HP freq", 10.0, 300.0, 30.0),
    choice("eq.hp_slope", "HP slope", SLOPES, 0, doc="12 or 24 dB/oct Butterworth"),
    *_band("low_shelf", "LS", 20.0, 1000.0, 100.0, 0.707, 0.3, 2.0),
    *_band("bell1", "B1", 20.0, 20000.0, 250.0, 1.0),
    *_band("bell2", "B2", 20.0, 20000.0, 1000.0, 1.0),
    *_band("bell3", "B3", 20.0, 20000.0, 4000.0, 1.0),
    *_band("high_shelf", "HS", 1000.0, 20000.0, 10000.0, 0.707, 0.3, 2.0),
    switch("eq.lp_on", "LP on"),
    hz("eq.lp_freq_hz", "LP freq", 5000.0, 22000.0, 20000.0),
    choice("eq.lp_slope", "LP slope", SLOPES, 0),
)


def sections(v, fs):
    """The nine (mid, side) coefficient pairs of the EQ, in kernel order."""
    I = fd.IDENTITY
    both = lambda c: (c, c)  # noqa: E731
    secs = []
    if v["eq.hp_on"]:
        qs = fd.BUTTER_Q[24 if v["eq.hp_slope"] else 12]
        secs += [both(fd.highpass(fs, v["eq.hp_freq_hz"], q)) for q in qs]
        secs += [both(I)] * (2 - len(qs))
    else:
        secs += [both(I), both(I)]
    for band, shape in zip(BANDS, (fd.low_shelf, fd.bell, fd.bell, fd.bell, fd.high_shelf)):
        f = min(v[f"eq.{band}_freq_hz"], 0.49 * fs)
        c = shape(fs, f, v[f"eq.{band}_gain_db"], v[f"eq.{band}_q"])
        mode = int(v[f"eq.{band}_mode"])
        secs.append((c if mode in (0, 1) else I, c if mode in (0, 2) else I))
    if v["eq.lp_on"]:
        qs = fd.BUTTER_Q[24 if v["eq.lp_slope"] else 12]
        f = min(v["eq.lp_freq_hz"], 0.49 * fs)
        secs += [both(fd.lowpass_matched(fs, f, q)) for q in qs]
        secs += [both(I)] * (2 - len(qs))
    else:
        secs += [both(I), both(I)]
    return secs


def design(v, fs, T):
    T[K.MIX] = v["eq.on"]
    for s, (cm, cs) in enumerate(sections(v, fs)):
        put(T, K.COEF + (2 * s) * BIQ, cm)
        put(T, K.COEF + (2 * s + 1) * BIQ, cs)
