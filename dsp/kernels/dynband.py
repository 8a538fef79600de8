"""Dynamic bands: a filter whose gain follows the level in its own region.
The dynamic EQ (kernels/dyneq.py, two bands) and the de-esser
(kernels/deess.py, one) are stages of these.

A band listens to its detector: the programme through two biquads (a band-pass
for a bell, a low-pass or high-pass for a shelf, a high-pass for the
de-esser), on L and R linked toward the louder (stereo), on the mid or on the
side. Its level is the mean square over DET_TAU_S, read as the level of the
sine that has it (+3.01 dB), so a steady tone's gain is its static curve with
no ripple of the waveform. Above the threshold the gain change is
(level - threshold)(1 - 1/ratio) dB, at most the range, a cut or a boost by
the range's sign (hard knee); the change moves away from 0 with the attack and
back with the release, true time constants.

The filter: a table of NT biquads designed off the audio thread at gain changes
0, range/(NT-1), ..., range (the static EQ's own designs, dsp/filter_design.py),
and per sample the two neighbours of the present change blended linearly. The
stability region of a biquad's (a1, a2) is convex, so every blend is stable;
at a grid point it is the static design exactly. A band of kind WIDE applies
the change as a broadband gain instead (the de-esser's wide mode).

At rest (no change, empty filter state) a band leaves the samples untouched,
bit for bit: only its detector runs. A change that has decayed below SNAP_DB
with nothing above the threshold ends exactly there, its filter emptied.
"""
import math

from numba import njit

from .common import BIQ, JIT, biquad_step, coefs, db_of, flush_denormals, gain_of
from .layout import Layout

NT = 25                       # table entries: 1 dB apart at a 24 dB range
DET_TAU_S = 0.0025            # the detector's mean square
SNAP_DB = 1e-6                # a change this small with no target ends (-140 dB)
SINE_DB = 10.0 * math.log10(2.0)
FILTER, WIDE = 0, 1           # KIND
STEREO, MID, SIDE = 0, 1, 2   # MODE: what the detector hears and the filter works on

# One band's coefficients (all smoothed by the stage's ramp; KIND and MODE are
# read from the targets, never from the smoothed copy). ON 0..1; THR dB;
# SLOPE 1 - 1/ratio; RANGE |range| dB; SIGN -1 cut / +1 boost; ATT, REL and MSK
# one-pole coefficients; WM, WS how much of the filtered mid and side is used
# (stereo 1, 1; mid 1, 0; side 0, 1).
_B = Layout()
ON, THR, SLOPE, RANGE, SIGN, ATT, REL, MSK, WM, WS, KIND, MODE = _B.each(12)
TABLE = _B.take(NT * BIQ)
DET = _B.take(2 * BIQ)
T_BAND = _B.size
# One band's state
_SB = Layout()
S_MS = _SB.take(2)            # detector mean square, per detector channel
S_DET = _SB.take(2 * 2 * 2)   # detector biquads: channel x section x 2 words
S_FLT = _SB.take(2 * 2)       # the filter on mid and side, 2 words each
S_G = _SB.take()              # the change's size now, dB (>= 0)
S_METER = _SB.take()          # the change now, signed dB: negative a cut
S_BAND = _SB.size


@njit(inline="always", **JIT)
def resting(T, S, t, s):
    """Off, faded out, no change held and the filter empty: nothing to do."""
    return (T[t + ON] == 0.0 and S[t + ON] == 0.0 and S[s + S_G] == 0.0
            and S[s + S_FLT] == 0.0 and S[s + S_FLT + 1] == 0.0
            and S[s + S_FLT + 2] == 0.0 and S[s + S_FLT + 3] == 0.0)


@njit(inline="always", **JIT)
def sleep(S, s):
    """A resting band's detector forgets, so switching it on starts from silence."""
    for j in range(S_MS, S_MS + 2 + 8):
        S[s + j] = 0.0
    S[s + S_METER] = 0.0


NO_TAP, TAP_DETECTOR, TAP_REMOVED = 0, 1, 2


@njit(**JIT)
def run(buf, i0, i1, T, S, t, s, tap):
    """Frames i0 .. i1-1 of buf through the band whose working coefficients
    start at S[t] (targets at T[t]) and whose state starts at S[s], those
    coefficients held. Its state lives in local variables meanwhile (through
    the array, every sample would wait on a store and a reload). ``tap``
    TAP_DETECTOR: the detector's signal to the monitor's tap columns
    buf[:, 3:5]; TAP_REMOVED: the band's input minus its output there."""
    mode = int(T[t + MODE])
    wide = int(T[t + KIND]) == WIDE
    dc = coefs(S, t + DET)
    ec = coefs(S, t + DET + BIQ)
    msk, thr, slope, rng = S[t + MSK], S[t + THR], S[t + SLOPE], S[t + RANGE]
    on, sign, att, rel, wm, ws = S[t + ON], S[t + SIGN], S[t + ATT], S[t + REL], S[t + WM], S[t + WS]
    scale = (NT - 1) / max(rng, 1e-9)
    o = s + S_DET
    p1, p2, q1, q2 = S[o], S[o + 1], S[o + 2], S[o + 3]
    u1, u2, v1, v2 = S[o + 4], S[o + 5], S[o + 6], S[o + 7]
    ms0, ms1 = S[s + S_MS], S[s + S_MS + 1]
    fm1, fm2, fs1, fs2 = S[s + S_FLT], S[s + S_FLT + 1], S[s + S_FLT + 2], S[s + S_FLT + 3]
    cur = S[s + S_G]
    for i in range(i0, i1):
        l = buf[i, 0]
        r = buf[i, 1]
        x0 = l if mode == STEREO else (0.5 * (l + r) if mode == MID else 0.5 * (l - r))
        y, p1, p2 = biquad_step(x0, dc, p1, p2)
        z0, q1, q2 = biquad_step(y, ec, q1, q2)
        ms0 = z0 * z0 + msk * (ms0 - z0 * z0)
        ms = ms0
        z1 = z0
        if mode == STEREO:
            y, u1, u2 = biquad_step(r, dc, u1, u2)
            z1, v1, v2 = biquad_step(y, ec, v1, v2)
            ms1 = z1 * z1 + msk * (ms1 - z1 * z1)
            ms = max(ms0, ms1)
        if tap == TAP_DETECTOR:
            buf[i, 3] = z0
            buf[i, 4] = z1
        level = 0.5 * db_of(ms + 1e-30) + SINE_DB
        target = min(max((level - thr) * slope, 0.0), rng) * on
        k = att if target > cur else rel
        cur = target + k * (cur - target)
        if target == 0.0 and cur < SNAP_DB:
            cur = 0.0
            fm1 = fm2 = fs1 = fs2 = 0.0
        if cur == 0.0:
            continue                       # at rest: the frame as it came
        m = 0.5 * (l + r)
        d = 0.5 * (l - r)
        if wide:
            g = gain_of(cur * sign)
            fm = m * g
            fd = d * g
        else:
            pos = min(cur * scale, NT - 1.0)
            j = min(int(pos), NT - 2)
            f = pos - j
            a = t + TABLE + j * BIQ
            b = a + BIQ
            h = 1.0 - f
            c = (h * S[a] + f * S[b], h * S[a + 1] + f * S[b + 1], h * S[a + 2] + f * S[b + 2],
                 h * S[a + 3] + f * S[b + 3], h * S[a + 4] + f * S[b + 4])
            fm, fm1, fm2 = biquad_step(m, c, fm1, fm2)
            fd, fs1, fs2 = biquad_step(d, c, fs1, fs2)
        m += wm * (fm - m)
        d += ws * (fd - d)
        buf[i, 0] = m + d
        buf[i, 1] = m - d
        if tap == TAP_REMOVED:
            buf[i, 3] = l - (m + d)
            buf[i, 4] = r - (m - d)
    S[o], S[o + 1], S[o + 2], S[o + 3] = p1, p2, q1, q2
    S[o + 4], S[o + 5], S[o + 6], S[o + 7] = u1, u2, v1, v2
    S[s + S_MS], S[s + S_MS + 1] = ms0, ms1
    S[s + S_FLT], S[s + S_FLT + 1], S[s + S_FLT + 2], S[s + S_FLT + 3] = fm1, fm2, fs1, fs2
    S[s + S_G] = cur
    S[s + S_METER] = cur * sign


@njit(inline="always", **JIT)
def flush(S, s):
    flush_denormals(S, s + S_DET, 8)
    flush_denormals(S, s + S_FLT, 4)
