"""Glue (bus) compressor: threshold, ratio (turns stop at 1.5, 2, 4 and 10),
attack, release or program-dependent auto release, soft knee, sidechain
high-pass, stereo link, parallel mix, make-up; and upward compression below
its own threshold (quiet passages raised up to a maximum gain, loud ones
untouched). The kernel is kernels/glue.py."""
from .. import filter_design as fd
from ..kernels import glue as K
from ..schema import db, hz, ms, pct, ratio, switch
from .common import alpha, gain, put

NAME = "glue"
TITLE = "Glue"
STAGE = "glue"
PARAMS = (
    switch("glue.on", "Glue", 1),
    db("glue.threshold_db", "Thresh", -40.0, 0.0, -18.0),
    ratio("glue.ratio", "Ratio", 1.0, doc="1:1 is idle"),
    ms("glue.attack_ms", "Attack", 0.1, 30.0, 10.0),
    ms("glue.release_ms", "Release", 50.0, 1200.0, 300.0),
    switch("glue.auto_release", "Auto rel",
           doc="program dependent: fast back to the sustained level, then slow"),
    db("glue.knee_db", "Knee", 0.0, 12.0, 6.0),
    hz("glue.sc_hp_hz", "SC HP", 20.0, 300.0, 20.0),
    pct("glue.link_pct", "Link", 0.0, 100.0, 100.0),
    pct("glue.mix_pct", "Mix", 0.0, 100.0, 100.0),
    db("glue.makeup_db", "Makeup", 0.0, 24.0),
    switch("glue.up_on", "Upward", doc="raise quiet passages below the upward threshold"),
    db("glue.up_threshold_db", "Up thresh", -70.0, -10.0, -40.0,
       doc="below this level (a sine's peak, 10 ms mean square) quiet passages are raised"),
    ratio("glue.up_ratio", "Up ratio", 2.0, doc="raised by (threshold - level)(1 - 1/ratio)"),
    db("glue.up_max_db", "Up max", 0.0, 12.0, 6.0, doc="the most a quiet passage is raised"),
    ms("glue.up_attack_ms", "Up attack", 1.0, 200.0, 10.0, doc="how fast the boost falls when the level rises"),
    ms("glue.up_release_ms", "Up release", 20.0, 2000.0, 300.0, doc="how fast the boost rises when it falls"),
)
UP_DETECTOR_S = 0.01      # the upward detector's mean square
AUTO_FAST_S = 0.05        # auto release: back to the sustained level
AUTO_SLOW_S = 0.6         # and below it
AUTO_AVG_S = 1.0          # what counts as sustained


def design(v, fs, T):
    T[K.MIX] = v["glue.on"]
    T[K.THR] = v["glue.threshold_db"]
    T[K.SLOPE] = 1.0 / v["glue.ratio"] - 1.0
    T[K.KNEE] = v["glue.knee_db"]
    T[K.MAKEUP] = gain(v["glue.makeup_db"])
    T[K.PMIX] = v["glue.mix_pct"] / 100.0
    T[K.LINK] = v["glue.link_pct"] / 100.0
    T[K.ATT] = alpha(v["glue.attack_ms"] * 1e-3, fs)
    T[K.REL] = alpha(v["glue.release_ms"] * 1e-3, fs)
    T[K.AUTO] = v["glue.auto_release"]
    T[K.REL_FAST] = alpha(AUTO_FAST_S, fs)
    T[K.REL_SLOW] = alpha(AUTO_SLOW_S, fs)
    T[K.AVG] = 1.0 - alpha(AUTO_AVG_S, fs)
    put(T, K.SC, fd.highpass(fs, v["glue.sc_hp_hz"], fd.LR_Q))
    T[K.UP] = v["glue.up_on"] * v["glue.on"]
    T[K.UTHR] = v["glue.up_threshold_db"]
    T[K.USLOPE] = 1.0 - 1.0 / v["glue.up_ratio"]
    T[K.UMAX] = v["glue.up_max_db"]
    T[K.UATT] = alpha(v["glue.up_attack_ms"] * 1e-3, fs)
    T[K.UREL] = alpha(v["glue.up_release_ms"] * 1e-3, fs)
    T[K.UMS] = alpha(UP_DETECTOR_S, fs)


def readouts(S):
    return {"glue": float(-S[K.S_METER])}


def boosts(S):
    """The upward compression's latest boost, dB (positive: raised)."""
    return {"glue": float(S[K.S_UMETER])}
