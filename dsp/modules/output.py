"""Output: trim (down only), then dither (TPDF or noise-shaped) and quantisation
to 16 or 24 bits; silent on digital silence (kernels/output_stage.py)."""
from ..kernels import output_stage as K
from ..schema import choice, db, switch
from .common import gain

NAME = "output"
TITLE = "Output"
STAGE = "output"
PARAMS = (
    switch("output.on", "Output", 1),
    db("output.trim_db", "Trim", -24.0, 0.0,
       doc="after the limiter, so it can only lower the level"),
    choice("output.dither", "Dither", ("off", "tpdf", "shaped"), 0),
    choice("output.bits", "Bits", ("16", "24"), 1),
)
SILENCE_HOLD_S = 1.0           # dither stops after this much digital silence in


def design(v, fs, T):
    T[K.MIX] = v["output.on"]
    T[K.TRIM] = gain(v["output.trim_db"])
    T[K.DITHER] = v["output.dither"]
    bits = 24 if v["output.bits"] else 16
    T[K.LSB] = 2.0 ** -(bits - 1)
    T[K.HOLD] = SILENCE_HOLD_S * fs
