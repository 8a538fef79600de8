"""The oversampled section: saturation -> stereo -> clipper at 4x the base rate.

The three modules that follow each other in the chain share one 4x domain, so the
linear-phase up/down filters' latency (40 base samples) is paid once. The filters
run on every sample whether or not a module is engaged: constant CPU load, and
warm filter histories, so engaging a module never replays stale samples.

When none of the three modules does anything (designed off the thread), the
section crossfades to its dry path: the input delayed by exactly the filters'
latency, so a neutral chain stays bit-transparent.

Up: polyphase, u[4n+k] = sum_j 4 h[4j+k] x[n-j]; down: y[n] = sum_i h[i] w[4n-i];
h is a 161-tap Kaiser low-pass (see filter_design.oversampling_fir).
"""
import math

from numba import njit

from .common import BIQ, FAST, JIT, biquad, fast_tanh, ramp_step, smooth

FACTOR = 4
N_TAPS = 161
UP_TAPS = 41                      # taps per polyphase branch (161 padded to 164)
LATENCY = (N_TAPS - 1) // FACTOR  # base samples, up + down

# T, smoothed
SEC_MIX = 0
SAT_MIX, SAT_PRE, SAT_POST, SAT_TUBE, SAT_WET = 1, 2, 3, 4, 5
ST_MIX, ST_SIDE, ST_GL, ST_GR, ST_MONO = 6, 7, 8, 9, 10
ST_HP = 11                        # side high-pass at 4x (used twice: LR4)
CL_MIX, CL_CEIL, CL_THR = 16, 17, 18
N_SMOOTH = 19
# T, constant
TUBE_BIAS, TUBE_OFF, TUBE_NORM = 19, 20, 21
DC = 22                           # tube DC blocker at 4x (biquad)
UP = 27                           # 4 branches x UP_TAPS, reversed, x4
DOWN = UP + FACTOR * UP_TAPS      # N_TAPS, reversed
T_SIZE = DOWN + N_TAPS
# S
S_UPH = N_SMOOTH                  # 2 ch x 2*UP_TAPS (doubled ring)
S_UPP = S_UPH + 4 * UP_TAPS
S_DNH = S_UPP + 1                 # 2 ch x 2*N_TAPS
S_DNP = S_DNH + 4 * N_TAPS
DRY_RING = 64
S_DRY = S_DNP + 1                 # 2 ch x DRY_RING
S_DRYP = S_DRY + 2 * DRY_RING
S_MONO = S_DRYP + 1               # 2 sections x 2 words
S_DC = S_MONO + 4                 # 2 ch x 2 words
S_CLIP_GR = S_DC + 4              # clipper reduction meter, dB (decaying peak)
S_SIZE = S_CLIP_GR + 1


@njit(**FAST)
def _dot(a, b):
    """Dot product of two equal-length views. Indexing views from 0 (rather than
    array + offset) lets LLVM prove indices non-negative and vectorise: 6x faster."""
    acc = 0.0
    for j in range(a.shape[0]):
        acc += a[j] * b[j]
    return acc


@njit(inline="always", **JIT)
def _saturate(x, S, T, ch):
    d = S[SAT_PRE] * x
    tape = fast_tanh(d)
    tube = S[SAT_TUBE]
    curve = tape
    if tube != 0.0:
        tb = (fast_tanh(d + T[TUBE_BIAS]) - T[TUBE_OFF]) * T[TUBE_NORM]
        tb = biquad(tb, T, DC, S, S_DC + 2 * ch)
        curve = tape + tube * (tb - tape)
    wet = S[SAT_POST] * curve
    return x + S[SAT_WET] * (wet - x)


@njit(inline="always", **JIT)
def _clip(x, thr, ceil):
    a = abs(x)
    if a <= thr:
        return x
    span = ceil - thr
    if span <= 1e-12:
        y = ceil
    else:
        y = thr + span * fast_tanh((a - thr) / span)
    return y if x > 0.0 else -y


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    up_p = int(S[S_UPP])
    dn_p = int(S[S_DNP])
    dry_p = int(S[S_DRYP])
    clip_meter = S[S_CLIP_GR]
    for i in range(n):
        active, snap = ramp_step(ramp, i)
        if active:
            smooth(T, 0, S, 0, N_SMOOTH, k, snap)
        xl = buf[i, 0]
        xr = buf[i, 1]
        # dry path: the input delayed by LATENCY
        rd = (dry_p - LATENCY) % DRY_RING
        dl = S[S_DRY + rd]
        dr = S[S_DRY + DRY_RING + rd]
        S[S_DRY + dry_p] = xl
        S[S_DRY + DRY_RING + dry_p] = xr
        dry_p = (dry_p + 1) % DRY_RING
        # push into the up-sampler histories (doubled rings: contiguous windows)
        S[S_UPH + up_p] = xl
        S[S_UPH + up_p + UP_TAPS] = xl
        S[S_UPH + 2 * UP_TAPS + up_p] = xr
        S[S_UPH + 2 * UP_TAPS + up_p + UP_TAPS] = xr
        up_p += 1
        if up_p == UP_TAPS:
            up_p = 0
        sat_on = S[SAT_MIX] != 0.0 or active
        st_on = S[ST_MIX] != 0.0 or active
        cl_on = S[CL_MIX] != 0.0 or active
        yl = 0.0
        yr = 0.0
        for ph in range(FACTOR):
            hb = UP + ph * UP_TAPS
            ul = _dot(T[hb:hb + UP_TAPS], S[S_UPH + up_p:S_UPH + up_p + UP_TAPS])
            ur = _dot(T[hb:hb + UP_TAPS], S[S_UPH + 2 * UP_TAPS + up_p:S_UPH + 2 * UP_TAPS + up_p + UP_TAPS])
            if sat_on:
                m = S[SAT_MIX]
                ul += m * (_saturate(ul, S, T, 0) - ul)
                ur += m * (_saturate(ur, S, T, 1) - ur)
            if st_on:
                mid = 0.5 * (ul + ur)
                side = 0.5 * (ul - ur) * S[ST_SIDE]
                hp = biquad(biquad(side, S, ST_HP, S, S_MONO), S, ST_HP, S, S_MONO + 2)
                side += S[ST_MONO] * (hp - side)
                m = S[ST_MIX]
                ul += m * ((mid + side) * S[ST_GL] - ul)
                ur += m * ((mid - side) * S[ST_GR] - ur)
            if cl_on:
                m = S[CL_MIX]
                thr = S[CL_THR]
                ceil = S[CL_CEIL]
                cl = _clip(ul, thr, ceil)
                cr = _clip(ur, thr, ceil)
                red = max(abs(ul) - abs(cl), abs(ur) - abs(cr))
                if red > 0.0:
                    pk = max(abs(ul), abs(ur))
                    db = 20.0 * math.log10(pk / (pk - red))
                    if db > clip_meter:
                        clip_meter = db
                ul += m * (cl - ul)
                ur += m * (cr - ur)
            S[S_DNH + dn_p] = ul
            S[S_DNH + dn_p + N_TAPS] = ul
            S[S_DNH + 2 * N_TAPS + dn_p] = ur
            S[S_DNH + 2 * N_TAPS + dn_p + N_TAPS] = ur
            dn_p += 1
            if dn_p == N_TAPS:
                dn_p = 0
            if ph == 0:
                yl = _dot(T[DOWN:DOWN + N_TAPS], S[S_DNH + dn_p:S_DNH + dn_p + N_TAPS])
                yr = _dot(T[DOWN:DOWN + N_TAPS], S[S_DNH + 2 * N_TAPS + dn_p:S_DNH + 2 * N_TAPS + dn_p + N_TAPS])
        clip_meter *= 0.9998
        sm = S[SEC_MIX]
        buf[i, 0] = sm * yl + (1.0 - sm) * dl
        buf[i, 1] = sm * yr + (1.0 - sm) * dr
    S[S_UPP] = up_p
    S[S_DNP] = dn_p
    S[S_DRYP] = dry_p
    S[S_CLIP_GR] = clip_meter
