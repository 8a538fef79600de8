"""De-esser: a dynamic band whose detector is a 4th-order high-pass at the
sibilant frequency (3-12 kHz). Split: it cuts a high shelf there, so only the
sibilant band is reduced; wide: it turns the whole signal down while the
sibilant lasts. Threshold, ratio and range (the most it takes away); its
timing is fixed, fast enough for an "s" and slow enough not to chatter.
Its own module rather than a mode of a dynamic EQ band: it has its own
detector (a high-pass, not the band's own filter), a wide mode no EQ band has,
and a "what is removed" listen; kernels/deess.py."""
import math

from .. import filter_design as fd
from ..kernels import deess as K
from ..kernels import dynband as B
from ..schema import choice, db, hz, ratio, switch
from . import dynband

NAME = "deess"
TITLE = "De-esser"
STAGE = "deess"
KINDS = ("split", "wide")
ATTACK_MS = 1.0
RELEASE_MS = 60.0
# the split's shelf: Butterworth Q (no overshoot below it), its midpoint half
# an octave under the frequency, so from the frequency up the cut is within
# 1.3 dB of its depth and an octave under it, within 1.3 dB of nothing
SHELF_Q = math.sqrt(0.5)
SHELF_UNDER = math.sqrt(2.0)
PARAMS = (
    switch("deess.on", "De-esser"),
    choice("deess.mode", "Mode", KINDS, 0,
           doc="split: only the band above the frequency is cut; wide: the whole signal"),
    hz("deess.freq_hz", "Freq", 3000.0, 12000.0, 6500.0),
    db("deess.threshold_db", "Thresh", -60.0, 0.0, -30.0,
       doc=f"the level above the frequency (a sine's peak, {B.DET_TAU_S * 1e3:g} ms mean square) it starts at"),
    ratio("deess.ratio", "Ratio", 4.0),
    db("deess.range_db", "Range", 0.0, 24.0, 6.0, doc="the most it takes away"),
)


def design(v, fs, T):
    f0 = v["deess.freq_hz"]
    dynband.design(T, 0, fs, on=v["deess.on"], kind=int(v["deess.mode"]), mode=B.STEREO,
                   shape=fd.high_shelf, det=dynband.detector("deess", fs, f0, 0.0), f0=f0 / SHELF_UNDER,
                   q=SHELF_Q, threshold_db=v["deess.threshold_db"], ratio=v["deess.ratio"],
                   range_db=-v["deess.range_db"], attack_ms=ATTACK_MS, release_ms=RELEASE_MS)


def readouts(S):
    return {"deess": max(0.0, -float(S[K.S_METER]))}
