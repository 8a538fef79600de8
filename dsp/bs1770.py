"""ITU-R BS.1770-4 constants, in one place: the K-weighting filter (Annex 1) and
the true-peak interpolator (Annex 2). The meters, the monitor stage's loudness
matching and the limiter's Annex 2 check all read them from here.
"""
from __future__ import annotations

import math

import numpy as np

# K-weighting, the Recommendation's table for 48 kHz (b0 b1 b2 a1 a2)
K48_SHELF = (1.53512485958697, -2.69169618940638, 1.19839281085285,
             -1.69065929318241, 0.73248077421585)
K48_HP = (1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621)
# the analog prototypes behind that table (bilinear with prewarping reproduces it)
SHELF_F0, SHELF_GAIN_DB, SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
SHELF_VB_EXP = 0.4996667741545416
HP_F0, HP_Q = 38.13547087602444, 0.5003270373238773

# Annex 2: the 48-tap, 4-phase interpolator (phases 2 and 3 are phases 1 and 0
# reversed)
ANNEX2_PHASE0 = (0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
                 -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
                 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500)
ANNEX2_PHASE1 = (-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
                 -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
                 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375)


def k_weighting(fs: float) -> tuple[tuple, tuple]:
    """(shelf, high-pass) biquads: the standard's table at 48 kHz, the same
    analog response (bilinear transform prewarped at each corner) elsewhere."""
    if fs == 48000:
        return K48_SHELF, K48_HP
    K = math.tan(math.pi * SHELF_F0 / fs)
    Vh = 10 ** (SHELF_GAIN_DB / 20)
    Vb = Vh ** SHELF_VB_EXP
    a0 = 1 + K / SHELF_Q + K * K
    shelf = ((Vh + Vb * K / SHELF_Q + K * K) / a0, 2 * (K * K - Vh) / a0,
             (Vh - Vb * K / SHELF_Q + K * K) / a0, 2 * (K * K - 1) / a0,
             (1 - K / SHELF_Q + K * K) / a0)
    K = math.tan(math.pi * HP_F0 / fs)
    a0 = 1 + K / HP_Q + K * K
    hp = (1.0, -2.0, 1.0, 2 * (K * K - 1) / a0, (1 - K / HP_Q + K * K) / a0)
    return shelf, hp


def k_weighting_sos(fs: float) -> np.ndarray:
    """The two biquads as scipy second-order sections (b0 b1 b2 1 a1 a2),
    for the analyses that filter whole signals with scipy."""
    shelf, hp = k_weighting(fs)
    return np.array([[*shelf[:3], 1.0, *shelf[3:]], [*hp[:3], 1.0, *hp[3:]]])


def annex2_phases() -> np.ndarray:
    """The Annex 2 interpolator as a (4 phases, 12 taps) array."""
    p0, p1 = np.array(ANNEX2_PHASE0), np.array(ANNEX2_PHASE1)
    return np.stack([p0, p1, p1[::-1], p0[::-1]])
