"""Dynamic EQ: two bands that cut (or boost) their region only while it is
loud: per band on, type (bell, low shelf, high shelf), frequency, Q,
threshold, ratio, range (negative a cut, positive a boost), attack, release
and mode (stereo, mid, side). After the static EQ: it acts on what the static
curve left, so a static move does not shift its thresholds' meaning twice,
and before the compressors, so they do not pump on the resonance it tames.
The kernel is kernels/dyneq.py (bands: kernels/dynband.py)."""
from .. import filter_design as fd
from ..kernels import dynband as B
from ..kernels import dyneq as K
from ..schema import MODES, choice, db, hz, ms, q, ratio, switch
from . import dynband

NAME = "dyneq"
TITLE = "Dyn EQ"
STAGE = "dyneq"
TYPES = ("bell", "lo-shelf", "hi-shelf")
_SHAPES = ((fd.bell, "bell"), (fd.low_shelf, "low"), (fd.high_shelf, "high"))
BANDS = ("b1", "b2")


def _band(p, label, fdef):
    return (
        switch(f"dyneq.{p}_on", f"{label} on"),
        choice(f"dyneq.{p}_type", f"{label} type", TYPES, 0),
        hz(f"dyneq.{p}_freq_hz", f"{label} freq", 20.0, 20000.0, fdef),
        q(f"dyneq.{p}_q", f"{label} Q", 0.3, 10.0, 1.0,
          doc=f"shelves use at most {dynband.SHELF_Q_MAX:g}"),
        db(f"dyneq.{p}_threshold_db", f"{label} thresh", -60.0, 0.0, -30.0,
           doc=f"the band's level (a sine's peak, {B.DET_TAU_S * 1e3:g} ms mean square) it starts to act at"),
        ratio(f"dyneq.{p}_ratio", f"{label} ratio", 2.0),
        db(f"dyneq.{p}_range_db", f"{label} range", -24.0, 24.0, -6.0,
           doc="the most it changes: negative cuts, positive boosts"),
        ms(f"dyneq.{p}_attack_ms", f"{label} attack", 1.0, 200.0, 10.0),
        ms(f"dyneq.{p}_release_ms", f"{label} release", 10.0, 2000.0, 150.0),
        choice(f"dyneq.{p}_mode", f"{label} M/S", MODES, 0,
               doc="what it listens to and works on: stereo (L and R linked), mid or side"),
    )


PARAMS = (switch("dyneq.on", "Dyn EQ", 1),
          *_band("b1", "D1", 3000.0), *_band("b2", "D2", 200.0))


def design(v, fs, T):
    for b, p in enumerate(BANDS):
        shape, det = _SHAPES[int(v[f"dyneq.{p}_type"])]
        f0 = v[f"dyneq.{p}_freq_hz"]
        qv = v[f"dyneq.{p}_q"] if det == "bell" else min(v[f"dyneq.{p}_q"], dynband.SHELF_Q_MAX)
        dynband.design(T, b * B.T_BAND, fs, on=v["dyneq.on"] * v[f"dyneq.{p}_on"], kind=B.FILTER,
                       mode=int(v[f"dyneq.{p}_mode"]), shape=shape,
                       det=dynband.detector(det, fs, f0, qv), f0=f0, q=qv,
                       threshold_db=v[f"dyneq.{p}_threshold_db"], ratio=v[f"dyneq.{p}_ratio"],
                       range_db=v[f"dyneq.{p}_range_db"], attack_ms=v[f"dyneq.{p}_attack_ms"],
                       release_ms=v[f"dyneq.{p}_release_ms"])


def readouts(S):
    return {f"dyneq.{p}": max(0.0, -float(S[i])) for p, i in zip(BANDS, K.S_METERS)}


def boosts(S):
    return {f"dyneq.{p}": max(0.0, float(S[i])) for p, i in zip(BANDS, K.S_METERS)}
