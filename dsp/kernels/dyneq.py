"""Dynamic EQ kernel: two dynamic bands (kernels/dynband.py) in order.

Off or resting, a band costs a comparison; with both resting the stage leaves
every sample as it is. ``tap`` (0 or 1, else -1) names the band whose
detector the monitor plays (the sidechain listen).
"""
from numba import njit

from . import dynband as B
from .common import JIT, ramp_frame, smooth

BANDS = 2
T_SIZE = N_SMOOTH = BANDS * B.T_BAND
S_SIZE = N_SMOOTH + BANDS * B.S_BAND
S_METERS = tuple(N_SMOOTH + b * B.S_BAND + B.S_METER for b in range(BANDS))


@njit(**JIT)
def process(buf, n, T, S, ramp, k, tap):
    awake = False
    for b in range(BANDS):
        if B.resting(T, S, b * B.T_BAND, N_SMOOTH + b * B.S_BAND):
            B.sleep(S, N_SMOOTH + b * B.S_BAND)
        else:
            awake = True
    if not awake:
        # off and silent: a ramp (any module's move) has nothing to glide
        # here, so the working values take their targets at once
        smooth(T, 0, S, 0, N_SMOOTH, 0.0, True)
        return
    # while a ramp runs, a frame at a time (its coefficients move every
    # frame); then each band over the rest of the chunk
    i0 = min(max(ramp, 0), n)
    for i in range(i0):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        for b in range(BANDS):
            _band(buf, i, i + 1, T, S, b, tap)
    for b in range(BANDS):
        _band(buf, i0, n, T, S, b, tap)
        B.flush(S, N_SMOOTH + b * B.S_BAND)


@njit(inline="always", **JIT)
def _band(buf, i0, i1, T, S, b, tap):
    t = b * B.T_BAND
    s = N_SMOOTH + b * B.S_BAND
    if i1 > i0 and (T[t + B.ON] != 0.0 or S[t + B.ON] != 0.0 or S[s + B.S_G] != 0.0):
        B.run(buf, i0, i1, T, S, t, s, B.TAP_DETECTOR if tap == b else B.NO_TAP)
