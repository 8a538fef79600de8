"""Stereo: width (M/S), mono bass below a corner, balance; 4x oversampled in
kernels/oversampled.py with saturation and clipper."""
from .. import filter_design as fd
from ..kernels import oversampled as K
from ..schema import db, hz, pct, switch
from .common import gain, put

NAME = "stereo"
TITLE = "Stereo"
STAGE = "oversampled"
PARAMS = (
    switch("stereo.on", "Stereo", 1),
    pct("stereo.width_pct", "Width", 0.0, 200.0, 100.0),
    switch("stereo.mono_bass_on", "Mono bass"),
    hz("stereo.mono_bass_hz", "Mono below", 40.0, 300.0, 120.0),
    db("stereo.balance_db", "Balance", -6.0, 6.0, doc="positive: right louder"),
)


def is_neutral(v) -> bool:
    return (not v["stereo.on"] or (v["stereo.width_pct"] == 100.0 and not v["stereo.mono_bass_on"]
                                   and v["stereo.balance_db"] == 0.0))


def design(v, fs, T):
    # neutral, it is left out of the 4x section's work (its mid/side round
    # trip would only round the samples it returns)
    T[K.ST_MIX] = 0.0 if is_neutral(v) else 1.0
    T[K.ST_SIDE] = v["stereo.width_pct"] / 100.0
    b = v["stereo.balance_db"]
    T[K.ST_GL] = gain(-b / 2)
    T[K.ST_GR] = gain(b / 2)
    T[K.ST_MONO] = v["stereo.mono_bass_on"]
    put(T, K.ST_HP, fd.highpass(K.FACTOR * fs, v["stereo.mono_bass_hz"], fd.LR_Q))
