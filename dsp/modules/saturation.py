"""Saturation: drive into a tape (symmetric) or tube (biased) curve, mix,
automatic level compensation; runs 4x oversampled (kernels/oversampled.py,
shared with stereo and clipper)."""
import math
from functools import lru_cache

import numpy as np

from ..kernels import oversampled as K
from ..schema import choice, db, pct, switch
from .common import gain

NAME = "saturation"
TITLE = "Saturation"
STAGE = "oversampled"
PARAMS = (
    switch("saturation.on", "Saturation", 0),
    db("saturation.drive_db", "Drive", 0.0, 24.0, 0.0),
    choice("saturation.character", "Character", ("tape", "tube"), 0,
           doc="tape: symmetric soft curve (odd harmonics); tube: biased curve (even too)"),
    pct("saturation.mix_pct", "Mix", 0.0, 100.0, 100.0),
    switch("saturation.auto_gain", "Auto gain", 1,
           doc="keeps a -12 dBFS sine at its level whatever the drive"),
)
TUBE_BIAS = 0.4
REF_LEVEL = 10 ** (-12 / 20)   # auto gain keeps a -12 dBFS sine's level


def curve(x, drive_db, tube):
    """The static curve the kernel applies (tube without its DC blocker)."""
    d = gain(drive_db) * x
    tape = np.tanh(d)
    tb = (np.tanh(d + TUBE_BIAS) - math.tanh(TUBE_BIAS)) / (1 - math.tanh(TUBE_BIAS) ** 2)
    tb = tb - tb.mean()
    return tape + tube * (tb - tape)


@lru_cache(maxsize=512)
def auto_gain(drive_db: float, tube: float) -> float:
    ph = np.arange(4096) * 2 * np.pi / 4096
    s = REF_LEVEL * np.sin(ph)
    y = curve(s, drive_db, tube)
    return float(np.sqrt(np.mean(s * s)) / np.sqrt(np.mean(y * y)))


def design(v, fs, T):
    T[K.SAT_MIX] = v["saturation.on"]
    T[K.SAT_PRE] = gain(v["saturation.drive_db"])
    tube = float(v["saturation.character"])
    T[K.SAT_TUBE] = tube
    T[K.SAT_WET] = v["saturation.mix_pct"] / 100.0
    T[K.SAT_POST] = auto_gain(v["saturation.drive_db"], tube) if v["saturation.auto_gain"] else 1.0
    T[K.TUBE_BIAS] = TUBE_BIAS
    T[K.TUBE_OFF] = math.tanh(TUBE_BIAS)
    T[K.TUBE_NORM] = 1.0 / (1.0 - math.tanh(TUBE_BIAS) ** 2)
