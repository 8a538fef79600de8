"""Input stage: trim, polarity per channel, L/R swap, DC blocker."""
from .. import filter_design as fd
from ..kernels import input_stage as K
from ..schema import db, switch
from .common import gain, put

NAME = "input"
TITLE = "Input"
STAGE = "input"
PARAMS = (
    switch("input.on", "Input", 1),
    db("input.trim_db", "Trim", -24.0, 24.0),
    switch("input.invert_l", "Polarity L"),
    switch("input.invert_r", "Polarity R"),
    switch("input.swap", "Swap L/R"),
    switch("input.dc_block", "DC block", 0, doc="first-order high-pass at 5 Hz"),
)


def design(v, fs, T):
    T[K.MIX] = v["input.on"]
    g = gain(v["input.trim_db"])
    T[K.GAIN_L] = -g if v["input.invert_l"] else g
    T[K.GAIN_R] = -g if v["input.invert_r"] else g
    T[K.SWAP] = v["input.swap"]
    T[K.DC_MIX] = v["input.dc_block"]
    put(T, K.DC_COEF, fd.highpass1(fs, 5.0))
