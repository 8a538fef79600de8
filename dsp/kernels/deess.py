"""De-esser kernel: one dynamic band (kernels/dynband.py) whose detector is a
high-pass at the sibilant frequency, cutting a high shelf there (split) or
the whole signal (wide). With ``tap`` the monitor hears what it removes: its
input minus its output, this stage alone."""
from numba import njit

from . import dynband as B
from .common import JIT, ramp_frame, smooth

T_SIZE = N_SMOOTH = B.T_BAND
S_SIZE = N_SMOOTH + B.S_BAND
S_METER = N_SMOOTH + B.S_METER


@njit(**JIT)
def process(buf, n, T, S, ramp, k, tap):
    if B.resting(T, S, 0, N_SMOOTH):
        # off and silent: nothing to glide, not even during a ramp
        B.sleep(S, N_SMOOTH)
        smooth(T, 0, S, 0, N_SMOOTH, 0.0, True)
        return
    how = B.TAP_REMOVED if tap else B.NO_TAP
    i0 = min(max(ramp, 0), n)
    for i in range(i0):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        B.run(buf, i, i + 1, T, S, 0, N_SMOOTH, how)
    B.run(buf, i0, n, T, S, 0, N_SMOOTH, how)
    B.flush(S, N_SMOOTH)
