"""Glue (bus) compressor: threshold, ratio (turns stop at 1.5, 2, 4 and 10),
attack, release or program-dependent auto release, soft knee, sidechain
high-pass, stereo link, parallel mix, make-up. The kernel is kernels/glue.py."""
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
)
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


def readouts(S):
    return {"glue": float(-S[K.S_METER])}
