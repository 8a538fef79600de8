"""Clipper: a soft clip below a ceiling, 4x oversampled in kernels/oversampled.py
with saturation and stereo."""
from ..kernels import oversampled as K
from ..schema import db, switch
from .common import gain

NAME = "clipper"
TITLE = "Clipper"
STAGE = "oversampled"
PARAMS = (
    switch("clipper.on", "Clipper", 0),
    db("clipper.ceiling_db", "Ceiling", -12.0, 0.0, 0.0),
    db("clipper.softness_db", "Softness", 0.0, 6.0, 2.0,
       doc="the curve leaves linear this far below the ceiling"),
)


def design(v, fs, T):
    T[K.CL_MIX] = v["clipper.on"]
    T[K.CL_CEIL] = gain(v["clipper.ceiling_db"])
    T[K.CL_THR] = gain(v["clipper.ceiling_db"] - v["clipper.softness_db"])


def readouts(S):
    return {"clipper": float(S[K.S_CLIP_GR])}
