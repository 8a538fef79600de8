"""The oversampled section: saturation -> stereo -> clipper at 4x the base rate.

The three modules that follow each other in the chain share one 4x domain, so the
linear-phase filters' latency (47 base samples) is paid once. The filters run on
every sample whether or not a module is engaged: constant CPU load, and warm
filter histories, so engaging a module never replays stale samples.

When none of the three modules does anything (designed off the thread), the
section crossfades to its dry path: the input delayed by exactly the filters'
latency, so a neutral chain stays bit-transparent.

4x is two halfband stages, 1x<->2x (83 taps, A) and 2x<->4x (23 taps, B). A
halfband filter's taps at even distances from the centre are zero, so one of its
two polyphase branches is a pure delay: interpolation computes one dot product
per output pair, decimation one dot product plus one tap per output.
  up:   u[2n] = sum_j 2 hA[2j] x[n-j],      u[2n+1] = x[n - (cA-1)/2]
        w[2m] = sum_j 2 hB[2j] u[m-j],      w[2m+1] = u[m - (cB-1)/2]
  down: v[m]  = sum_j hB[2j] z[2m-2-2j] + z[2m-2-cB] / 2   (2 extra 4x samples of
        delay make the total a whole number of base samples)
        y[n]  = sum_j hA[2j] v[2n-2j] + v[2n-cA] / 2
"""
import math

from numba import njit

from .common import JIT, biquad, dot, fast_tanh, ramp_step, smooth

FACTOR = 4
A_LEN, B_LEN = 83, 23             # halfband lengths (4k + 3: centre on an odd index)
A_C, B_C = (A_LEN - 1) // 2, (B_LEN - 1) // 2
A_TAPS, B_TAPS = (A_LEN + 1) // 2, (B_LEN + 1) // 2   # the even-index taps
A_HALF, B_HALF = (A_C - 1) // 2, (B_C - 1) // 2        # pure-delay branch, in samples
A_ODD_BACK = (A_C + 1) // 2       # v[2n - A_C] is this many odd v's back
B_ODD_BACK = (B_C + 3) // 2       # z[2m - 2 - B_C] is this many odd z's back
LATENCY = A_C + (2 * B_C + 2) // 4   # base samples, up + down

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
A_UP = 27                         # 2 hA[2j], reversed (oldest first)
A_DN = A_UP + A_TAPS              # hA[2j], reversed
B_UP = A_DN + A_TAPS
B_DN = B_UP + B_TAPS
T_SIZE = B_DN + B_TAPS
# S: doubled rings (2L words per channel, the window of the last L is contiguous)
RX, RU, RZE, RZO, RVE, RVO = range(6)   # ring ids: x, u, z even, z odd, v even, v odd
RING_LEN = (A_TAPS, B_TAPS, B_TAPS + 1, B_ODD_BACK + 1, A_TAPS, A_ODD_BACK + 1)
_bases = []
_pos = N_SMOOTH
for _L in RING_LEN:
    _bases.append(_pos)
    _pos += 4 * _L                # 2 channels x 2L
RING_BASE = tuple(_bases)
S_RPOS = _pos                     # one write position per ring
DRY_RING = 64
S_DRY = S_RPOS + len(RING_LEN)    # 2 ch x DRY_RING
S_DRYP = S_DRY + 2 * DRY_RING
S_MONO = S_DRYP + 1               # 2 sections x 2 words
S_DC = S_MONO + 4                 # 2 ch x 2 words
S_CLIP_GR = S_DC + 4              # clipper reduction meter, dB (decaying peak)
S_SIZE = S_CLIP_GR + 1


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


@njit(inline="always", **JIT)
def _push(S, ring, ch, pos, v):
    L = RING_LEN[ring]
    b = RING_BASE[ring] + ch * 2 * L
    S[b + pos] = v
    S[b + pos + L] = v


@njit(inline="always", **JIT)
def _window(S, ring, ch, pos, count):
    """The oldest ``count`` of the ring's last L values, oldest first (pos = the
    write position after the push, i.e. the oldest)."""
    L = RING_LEN[ring]
    b = RING_BASE[ring] + ch * 2 * L + pos
    return S[b:b + count]


@njit(inline="always", **JIT)
def _back(S, ring, ch, pos, k):
    """The value k pushes before the newest."""
    L = RING_LEN[ring]
    return S[RING_BASE[ring] + ch * 2 * L + pos + L - 1 - k]


@njit(inline="always", **JIT)
def _step(pos, ring):
    pos += 1
    return 0 if pos == RING_LEN[ring] else pos


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    p_x = int(S[S_RPOS + RX])
    p_u = int(S[S_RPOS + RU])
    p_ze = int(S[S_RPOS + RZE])
    p_zo = int(S[S_RPOS + RZO])
    p_ve = int(S[S_RPOS + RVE])
    p_vo = int(S[S_RPOS + RVO])
    dry_p = int(S[S_DRYP])
    clip_peak = 1.0            # largest in/out ratio of the clipper in this block
    a_up = T[A_UP:A_UP + A_TAPS]
    a_dn = T[A_DN:A_DN + A_TAPS]
    b_up = T[B_UP:B_UP + B_TAPS]
    b_dn = T[B_DN:B_DN + B_TAPS]
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
        sat_on = S[SAT_MIX] != 0.0 or active
        st_on = S[ST_MIX] != 0.0 or active
        cl_on = S[CL_MIX] != 0.0 or active
        # stage A up: two 2x samples
        _push(S, RX, 0, p_x, xl)
        _push(S, RX, 1, p_x, xr)
        p_x = _step(p_x, RX)
        u0l = dot(a_up, _window(S, RX, 0, p_x, A_TAPS))
        u0r = dot(a_up, _window(S, RX, 1, p_x, A_TAPS))
        u1l = _back(S, RX, 0, p_x, A_HALF)
        u1r = _back(S, RX, 1, p_x, A_HALF)
        yl = 0.0
        yr = 0.0
        for half in range(2):
            ul = u0l if half == 0 else u1l
            ur = u0r if half == 0 else u1r
            # stage B up: two 4x samples
            _push(S, RU, 0, p_u, ul)
            _push(S, RU, 1, p_u, ur)
            p_u = _step(p_u, RU)
            w0l = dot(b_up, _window(S, RU, 0, p_u, B_TAPS))
            w0r = dot(b_up, _window(S, RU, 1, p_u, B_TAPS))
            w1l = _back(S, RU, 0, p_u, B_HALF)
            w1r = _back(S, RU, 1, p_u, B_HALF)
            for q in range(2):
                zl = w0l if q == 0 else w1l
                zr = w0r if q == 0 else w1r
                if sat_on:
                    m = S[SAT_MIX]
                    zl += m * (_saturate(zl, S, T, 0) - zl)
                    zr += m * (_saturate(zr, S, T, 1) - zr)
                if st_on:
                    mid = 0.5 * (zl + zr)
                    side = 0.5 * (zl - zr) * S[ST_SIDE]
                    hp = biquad(biquad(side, S, ST_HP, S, S_MONO), S, ST_HP, S, S_MONO + 2)
                    side += S[ST_MONO] * (hp - side)
                    m = S[ST_MIX]
                    zl += m * ((mid + side) * S[ST_GL] - zl)
                    zr += m * ((mid - side) * S[ST_GR] - zr)
                if cl_on:
                    m = S[CL_MIX]
                    thr = S[CL_THR]
                    ceil = S[CL_CEIL]
                    cl = _clip(zl, thr, ceil)
                    cr = _clip(zr, thr, ceil)
                    al = abs(zl)
                    if al > abs(cl) and abs(cl) > 0.0:
                        clip_peak = max(clip_peak, al / abs(cl))
                    ar = abs(zr)
                    if ar > abs(cr) and abs(cr) > 0.0:
                        clip_peak = max(clip_peak, ar / abs(cr))
                    zl += m * (cl - zl)
                    zr += m * (cr - zr)
                if q == 0:
                    _push(S, RZE, 0, p_ze, zl)
                    _push(S, RZE, 1, p_ze, zr)
                    p_ze = _step(p_ze, RZE)
                else:
                    _push(S, RZO, 0, p_zo, zl)
                    _push(S, RZO, 1, p_zo, zr)
                    p_zo = _step(p_zo, RZO)
            # stage B down: one 2x sample from the pair (skipping the newest even z)
            vl = dot(b_dn, _window(S, RZE, 0, p_ze, B_TAPS)) + 0.5 * _back(S, RZO, 0, p_zo, B_ODD_BACK)
            vr = dot(b_dn, _window(S, RZE, 1, p_ze, B_TAPS)) + 0.5 * _back(S, RZO, 1, p_zo, B_ODD_BACK)
            if half == 0:
                _push(S, RVE, 0, p_ve, vl)
                _push(S, RVE, 1, p_ve, vr)
                p_ve = _step(p_ve, RVE)
            else:
                _push(S, RVO, 0, p_vo, vl)
                _push(S, RVO, 1, p_vo, vr)
                p_vo = _step(p_vo, RVO)
        # stage A down: one base sample
        yl = dot(a_dn, _window(S, RVE, 0, p_ve, A_TAPS)) + 0.5 * _back(S, RVO, 0, p_vo, A_ODD_BACK)
        yr = dot(a_dn, _window(S, RVE, 1, p_ve, A_TAPS)) + 0.5 * _back(S, RVO, 1, p_vo, A_ODD_BACK)
        sm = S[SEC_MIX]
        buf[i, 0] = sm * yl + (1.0 - sm) * dl
        buf[i, 1] = sm * yr + (1.0 - sm) * dr
    S[S_RPOS + RX] = p_x
    S[S_RPOS + RU] = p_u
    S[S_RPOS + RZE] = p_ze
    S[S_RPOS + RZO] = p_zo
    S[S_RPOS + RVE] = p_ve
    S[S_RPOS + RVO] = p_vo
    S[S_DRYP] = dry_p
    # clipper meter: a peak that decays by ~0.5 dB per 128 samples
    db = 20.0 * math.log10(clip_peak)
    S[S_CLIP_GR] = max(db, S[S_CLIP_GR] * 0.98 ** (n / 128.0))
