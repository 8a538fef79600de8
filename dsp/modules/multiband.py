"""Multiband compressor: three bands split by Linkwitz-Riley 4th-order
crossovers that sum flat; per band threshold, ratio, attack, release, gain,
bypass and solo. The kernel is kernels/multiband.py."""
from .. import filter_design as fd
from ..kernels import multiband as K
from ..schema import db, hz, ms, ratio, switch
from .common import alpha, gain, put

NAME = "multiband"
TITLE = "Multiband"
STAGE = "multiband"
BANDS = ("low", "mid", "high")


def _band(band, label, thr, att, rel):
    return (
        db(f"multiband.{band}_threshold_db", f"{label} thresh", -60.0, 0.0, thr),
        ratio(f"multiband.{band}_ratio", f"{label} ratio"),
        ms(f"multiband.{band}_attack_ms", f"{label} attack", 0.1, 100.0, att),
        ms(f"multiband.{band}_release_ms", f"{label} release", 10.0, 2000.0, rel),
        db(f"multiband.{band}_gain_db", f"{label} gain", -12.0, 12.0),
        switch(f"multiband.{band}_bypass", f"{label} bypass"),
        switch(f"multiband.{band}_solo", f"{label} solo"),
    )


PARAMS = (
    switch("multiband.on", "Multiband", 0),
    hz("multiband.xover_low_hz", "X-over lo", 40.0, 500.0, 200.0),
    hz("multiband.xover_high_hz", "X-over hi", 1000.0, 10000.0, 3000.0),
    *_band("low", "Lo", -20.0, 20.0, 250.0),
    *_band("mid", "Mid", -20.0, 10.0, 150.0),
    *_band("high", "Hi", -20.0, 5.0, 100.0),
)


def design(v, fs, T):
    T[K.MIX] = v["multiband.on"]
    f1, f2 = v["multiband.xover_low_hz"], v["multiband.xover_high_hz"]
    put(T, K.LP1, fd.lowpass(fs, f1, fd.LR_Q))
    put(T, K.HP1, fd.highpass(fs, f1, fd.LR_Q))
    put(T, K.LP2, fd.lowpass(fs, f2, fd.LR_Q))
    put(T, K.HP2, fd.highpass(fs, f2, fd.LR_Q))
    put(T, K.AP2, fd.allpass(fs, f2, fd.LR_Q))
    any_solo = any(v[f"multiband.{b}_solo"] for b in BANDS)
    for i, b in enumerate(BANDS):
        o = K.BAND + i * K.B_SIZE
        p = f"multiband.{b}_"
        T[o + K.B_THR] = v[p + "threshold_db"]
        T[o + K.B_SLOPE] = 1.0 / v[p + "ratio"] - 1.0
        T[o + K.B_ATT] = alpha(v[p + "attack_ms"] * 1e-3, fs)
        T[o + K.B_REL] = alpha(v[p + "release_ms"] * 1e-3, fs)
        T[o + K.B_GAIN] = gain(v[p + "gain_db"])
        T[o + K.B_ACTIVE] = 1.0 - v[p + "bypass"]
        T[o + K.B_AUDIBLE] = 1.0 if (not any_solo or v[p + "solo"]) else 0.0


def readouts(S):
    return {f"multiband.{b}": float(-S[K.S_GR + i]) for i, b in enumerate(BANDS)}
