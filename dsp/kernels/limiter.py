"""True-peak limiter kernel: lookahead gain computer that never lets the
reconstructed (inter-sample) peak pass the ceiling.

Detector: what a DAC reconstructs, so the driven input is interpolated 4x by
a low-pass flat to 0.49 fs (full-band material, noise and clipped masters,
holds energy right up to Nyquist, which a detector flat only to 0.45 fs
misses). Two halfband stages make it cheap: 1x->2x with a long halfband (the
sharp 0.49-0.51 fs transition; every other tap is zero and one output in two
is a pure delay), then 2x->4x with a short one. At each local maximum of the
interpolated magnitude a parabola through the point and its neighbours refines
the peak between grid points (a 4x grid alone under-reads by up to 0.66 dB at
0.49 fs). The BS.1770 Annex 2 interpolator's own grid points are computed from
the same history too: its filter has +0.15 dB of ripple near 0.4 fs, so a
meter built on it can read slightly above a flat reconstruction, and the
limiter must satisfy both. p[j] is the peak of the interval [j, j+1), both
channels linked.

Gain: h[j] = min(1, ceiling / max(p[j-1], p[j], |x[j]|)). The reconstruction of
a peak at j weighs the samples around it too, so the gain must already be down
to h[j] on the SPREAD samples either side, not just at j. A sliding minimum over
W + 2 SPREAD samples (a monotonic deque), a release one-pole that may only rise
slowly, and a W-sample moving average give the applied gain: every average
applied within SPREAD samples of j contains a hold that saw h[j], so g <= h[j]
on all of them. The minimum's window reaches HOLD samples further back: a gain
is held that long before it may rise, so every peak of a steady tone down to
20 Hz sees one static gain (no ripple, no intermodulation). The audio is
delayed by DETECT_DELAY (detector) + W - 1 + SPREAD samples: the reported
lookahead.
"""

import numpy as np
from numba import njit

from .common import FAST, JIT, fir, ramp_frame
from .layout import Layout, f32_words

TP_PHASES = 4
# stage 1, 1x -> 2x: a halfband of A_LEN = 4k + 3 taps (centre on an odd index):
# even-index taps make one output, the other is the input delayed by A_HALF
A_LEN = 291
A_C = (A_LEN - 1) // 2         # 145: its delay at 2x
A_TAPS = (A_LEN + 1) // 2      # the even-index taps
A_HALF = (A_C - 1) // 2
# stage 2, 2x -> 4x: a halfband of B_LEN = 4k + 1 taps (centre on an even index):
# the even output is the input delayed by B_C / 2, the odd one the odd taps
B_LEN = 29
B_C = (B_LEN - 1) // 2         # 14: its delay at 4x
B_TAPS = B_LEN // 2            # the odd-index taps
DETECT_POINTS = 2 * A_C + B_C  # 304 = the detector's delay in 4x points: 76 samples
DELAY = DETECT_POINTS // TP_PHASES
ANNEX_TAPS = 12                # BS.1770 Annex 2: 48 taps, 4 phases, centred 23.5 points in
ANNEX_AT = A_TAPS - 1 - DELAY - 5   # where its 12-sample window sits in ours: its points
                               # then fall in the same interval as ours (1/8 sample later)
DETECT_DELAY = DELAY + 1       # 1 more for the parabola's look at the next point
SPREAD = 8                     # samples either side of a peak held at its gain
RING = 256                     # delay lines: >= the lookahead (238 at 192 kHz)
DQ_RING = 8192                 # the sliding minimum: >= its window (hold included) at 192 kHz
# (both powers of two: a position wraps with a mask, not a division)

_T = Layout()
# T, smoothed
MIX, DRIVE, CEIL, REL, AUTO, REL_FAST, REL_SLOW, AVG = _T.each(8)
N_SMOOTH = _T.size
# T, constant
WIN = _T.take()                # W, as a float
HOLD = _T.take()               # samples a gain is held before it may rise
# The detector computes in float32 (its filters twice as wide per vector; 1e-7
# is nothing against the ceiling's margin): its taps and buffers are float32
# arrays packed two to a float64 word, read through .view(np.float32).
A_UP = _T.take(f32_words(A_TAPS))       # 2 x stage 1's even taps, reversed (oldest first)
B_UP = _T.take(f32_words(B_TAPS))       # 2 x stage 2's odd taps, reversed
ANNEX = _T.take(f32_words(TP_PHASES * ANNEX_TAPS))   # 4 phases x ANNEX_TAPS, reversed
T_SIZE = _T.size
# S
# The detector's inputs, per channel linear buffers with their filter's
# history at their heads. A pass of up to MAXN frames first computes every
# interpolated point of the pass (independent dot products the CPU overlaps),
# then runs the sequential peak and gain logic over them.
MAXN = 32                      # a multiple of 8 (see _detect)
HX = A_TAPS - 1                # stage 1's input history
X_LEN = HX + MAXN
HU = B_TAPS - 1                # stage 2's input history (>= B_C / 2, its delay branch)
U_LEN = HU + 2 * MAXN
M_LEN = TP_PHASES * MAXN + 2
_S = Layout(N_SMOOTH)
S_X = _S.take(f32_words(2 * X_LEN))   # float32, per channel: the driven input, history first
S_U = _S.take(f32_words(2 * U_LEN))   # float32, per channel: the 2x signal, history first
S_ACC = _S.take(f32_words(2 * MAXN))  # float32: one stage's filter outputs
S_QA32 = _S.take(f32_words(TP_PHASES * MAXN))   # float32: one channel's Annex 2 points
S_DETECT_END = _S.size
S_A1, S_A2 = _S.each(2)        # previous two interpolated magnitudes, left
S_E1, S_E2 = _S.each(2)        # and right
S_PCUR = _S.take()             # running peak of the newest interval
S_PLAST = _S.take()            # the last finalised interval
S_DQV = _S.take(DQ_RING)       # deque values
S_DQI = _S.take(DQ_RING)       # deque sample indices
S_DQH, S_DQT = _S.each(2)      # deque head and tail
S_T = _S.take()                # sample counter
S_R = _S.take()                # released gain
S_AVG = _S.take()              # slow average of the released gain (auto release)
S_BOX = _S.take(RING)          # moving-average ring
S_BSUM, S_BP = _S.each(2)
S_DLY = _S.take(2 * RING)      # driven audio, 2 ch
S_DRY = _S.take(2 * RING)      # undriven audio, 2 ch
S_DP = _S.take()
S_GAIN = _S.take()             # the applied gain (meter)
S_R1 = _S.take()               # first stage of the release
S_ASLEEP = _S.take()           # 1 while off: only the delay lines run
# scratch, rewritten every pass: the largest Annex 2 point of each frame (4
# phases x 2 ch), and the smoothed parameters per frame while a ramp runs
S_QMAX = _S.take(MAXN)
S_SNAP = _S.take(N_SMOOTH * MAXN)
# and the peak of each interval: per channel the interpolated magnitudes in time
# order (the previous pass's last two first) and their refined values, then the
# linked peak of every interval that becomes final in the pass
S_MAG = _S.take(2 * M_LEN)
S_REF = _S.take(2 * M_LEN)
S_FIN = _S.take(MAXN)
S_SIZE = _S.size


@njit(inline="always", **JIT)
def _f32(A, start, count):
    """A float32 array of ``count`` packed from word ``start`` of A."""
    return A[start:start + (count + 1) // 2].view(np.float32)[:count]


@njit(**FAST)
def _detect(T, S, m):
    """Every interpolated point of the pass, from the driven input buffers, stage
    by stage over the pass (common.fir), written straight where _peaks reads
    them: per channel the magnitudes in time order (MAG[2 + 4i + p] is the point
    at time i - DELAY + p/4 of the pass's frame i), and per frame the largest
    Annex 2 point of both channels (QMAX)."""
    acc = _f32(S, S_ACC, 2 * MAXN)
    a_up = _f32(T, A_UP, A_TAPS)
    b_up = _f32(T, B_UP, B_TAPS)
    annex = _f32(T, ANNEX, TP_PHASES * ANNEX_TAPS)
    qa = _f32(S, S_QA32, TP_PHASES * MAXN)
    xs = _f32(S, S_X, 2 * X_LEN)
    us = _f32(S, S_U, 2 * U_LEN)
    # Whole blocks of 8 outputs only: fir's tail loop may round differently
    # from its blocks, and a point must not depend on where a pass split the
    # audio. The buffers have room (MAXN is a multiple of 8); the extra points
    # read stale input and are never used.
    m8 = (m + 7) // 8 * 8
    for ch in range(2):
        xb = xs[ch * X_LEN:(ch + 1) * X_LEN]
        ub = us[ch * U_LEN:(ch + 1) * U_LEN]
        # 1x -> 2x: u[2n] from the even taps, u[2n+1] = x[n - A_HALF]
        fir(a_up, xb, acc, m8)
        for i in range(m):
            ub[HU + 2 * i] = acc[i]
            ub[HU + 2 * i + 1] = xb[HX + i - A_HALF]
        # 2x -> 4x: w[2k] = u[k - B_C/2], w[2k+1] from the odd taps
        fir(b_up, ub, acc, 2 * m8)
        mag = S[S_MAG + ch * M_LEN + 2:S_MAG + ch * M_LEN + 2 + TP_PHASES * m]
        for i in range(m):
            mag[4 * i] = abs(ub[HU + 2 * i - B_C // 2])
            mag[4 * i + 1] = abs(acc[2 * i])
            mag[4 * i + 2] = abs(ub[HU + 2 * i + 1 - B_C // 2])
            mag[4 * i + 3] = abs(acc[2 * i + 1])
        ha = xb[ANNEX_AT:]
        for q in range(TP_PHASES):
            fir(annex[q * ANNEX_TAPS:(q + 1) * ANNEX_TAPS], ha, qa[q * MAXN:(q + 1) * MAXN], m8)
        qmax = S[S_QMAX:S_QMAX + m]
        for i in range(m):
            a = max(max(abs(qa[i]), abs(qa[MAXN + i])), max(abs(qa[2 * MAXN + i]), abs(qa[3 * MAXN + i])))
            qmax[i] = a if ch == 0 else max(qmax[i], a)
        # slide the newest history to the head
        for t in range(HX):
            xb[t] = xb[m + t]
        for t in range(HU):
            ub[t] = ub[2 * m + t]


@njit(**JIT)
def _peaks(S, m):
    """The peak of every interval that becomes final in this pass, both channels
    linked (_detect has filled the magnitudes): FIN[i] is interval i-1's (the one before frame i), which needs frame
    i's first point to refine its last. Each point is refined by the parabola
    through it and its neighbours where it is a local maximum; none of this
    depends on the gain, so it runs over the pass with no branch (the refinement
    of the pass's very last point waits for the next pass, in S_PCUR)."""
    n4 = TP_PHASES * m
    fin = S[S_FIN:S_FIN + m]
    for ch in range(2):
        mag = S[S_MAG + ch * M_LEN:S_MAG + (ch + 1) * M_LEN]
        ref = S[S_REF + ch * M_LEN:S_REF + (ch + 1) * M_LEN]
        mag[0] = S[S_A2 if ch == 0 else S_E2]
        mag[1] = S[S_A1 if ch == 0 else S_E1]
        for j in range(1, n4 + 1):
            ym = mag[j - 1]
            y0 = mag[j]
            yp = mag[j + 1]
            den = 2.0 * y0 - ym - yp
            d = yp - ym
            vx = y0 + d * d / (8.0 * max(den, 1e-300))
            ref[j] = vx if (y0 >= ym and y0 >= yp and den > 0.0) else y0
        S[S_A2 if ch == 0 else S_E2] = mag[n4]
        S[S_A1 if ch == 0 else S_E1] = mag[n4 + 1]
    rl = S[S_REF:S_REF + M_LEN]
    rr = S[S_REF + M_LEN:S_REF + 2 * M_LEN]
    fin[0] = max(S[S_PCUR], max(rl[1], rr[1]))
    for i in range(m):
        b = 2 + TP_PHASES * i
        p = max(max(rl[b], rr[b]), max(rl[b + 1], rr[b + 1]))
        p = max(p, max(rl[b + 2], rr[b + 2]))
        p = max(p, S[S_QMAX + i])
        if i + 1 < m:
            fin[i + 1] = max(p, max(rl[b + 3], rr[b + 3]))
        else:
            # the last point's refinement needs the next pass's first point
            S[S_PCUR] = max(p, max(S[S_MAG + n4 + 1], S[S_MAG + M_LEN + n4 + 1]))


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    if T[MIX] == 0.0 and S[MIX] == 0.0 and ramp <= 0:
        _sleep(buf, n, T, S)
        return
    S[S_ASLEEP] = 0.0
    c0 = 0
    while c0 < n:
        m = min(MAXN, n - c0)
        _pass(buf, c0, m, T, S, ramp - c0, k)
        c0 += m


@njit(**JIT)
def _pass(buf, o0, m, T, S, ramp, k):
    xs = _f32(S, S_X, 2 * X_LEN)
    # 1. the driven input into the detector's buffers, smoothing as we go (the
    # values per frame are kept for step 3 while a ramp runs)
    for i in range(m):
        if ramp_frame(T, S, N_SMOOTH, ramp, i, k):
            for j in range(N_SMOOTH):
                S[S_SNAP + j * MAXN + i] = S[j]
        drive = S[DRIVE]
        xs[HX + i] = buf[o0 + i, 0] * drive
        xs[X_LEN + HX + i] = buf[o0 + i, 1] * drive
    # 2. every interpolated point, and the peak of every interval
    _detect(T, S, m)
    _peaks(S, m)
    # 3. gain and output, frame by frame
    W = int(T[WIN])
    WH = W + 2 * SPREAD + int(T[HOLD])
    lookahead = W + DETECT_DELAY - 1 + SPREAD
    plast = S[S_PLAST]
    dqh = int(S[S_DQH])
    dqt = int(S[S_DQT])
    t = S[S_T]
    r = S[S_R]
    r1 = S[S_R1]
    avg = S[S_AVG]
    bsum = S[S_BSUM]
    bp = int(S[S_BP])
    dp = int(S[S_DP])
    g = S[S_GAIN]
    for i in range(m):
        if i < ramp:                 # this frame's values, kept by step 1
            for j in range(N_SMOOTH):
                S[j] = S[S_SNAP + j * MAXN + i]
        drive = S[DRIVE]
        xl = buf[o0 + i, 0]
        xr = buf[o0 + i, 1]
        # delay lines
        S[S_DLY + dp] = xl * drive
        S[S_DLY + RING + dp] = xr * drive
        S[S_DRY + dp] = xl
        S[S_DRY + RING + dp] = xr
        # the interval before this frame (time n-17) is final now
        prev = plast
        fin = S[S_FIN + i]
        plast = fin
        # the raw sample of that interval, from the delay line
        jr = (dp - DETECT_DELAY) & (RING - 1)
        raw = max(abs(S[S_DLY + jr]), abs(S[S_DLY + RING + jr]))
        peak = max(max(prev, fin), raw)
        h = 1.0
        c = S[CEIL]
        if peak > c:
            h = c / peak
        # sliding minimum over WH samples (monotonic deque)
        while dqt != dqh:
            last = (dqt - 1) & (DQ_RING - 1)
            if S[S_DQV + last] >= h:
                dqt = last
            else:
                break
        S[S_DQV + dqt] = h
        S[S_DQI + dqt] = t
        dqt = (dqt + 1) & (DQ_RING - 1)
        while S[S_DQI + dqh] <= t - WH:
            dqh = (dqh + 1) & (DQ_RING - 1)
        hold = S[S_DQV + dqh]
        # release: instant down, up through two one-poles in cascade. A single
        # pole starts rising with a kink in slope, and that kink modulates the
        # audio broadband enough to make inter-sample overs at fast release
        # times; the second-order rise has none. Both stages can only be at or
        # below the hold.
        kr = S[REL]
        au = S[AUTO]
        if au != 0.0:
            ka = S[REL_FAST] if r < avg else S[REL_SLOW]
            kr += au * (ka - kr)
        if hold < r1:
            r1 = hold
        else:
            r1 += kr * (hold - r1)
        if r1 < r:
            r = r1
        else:
            r += kr * (r1 - r)
        avg += S[AVG] * (r - avg)
        # W-sample moving average, re-summed exactly once per lap
        bsum += r - S[S_BOX + bp]
        S[S_BOX + bp] = r
        bp += 1
        if bp >= W:
            bp = 0
            bsum = 0.0
            for j in range(W):
                bsum += S[S_BOX + j]
        g = bsum / W
        t += 1.0
        # output: the sample the gain was computed for
        od = (dp - lookahead) & (RING - 1)
        mix = S[MIX]
        c = S[CEIL]
        yl = S[S_DLY + od] * g
        yr = S[S_DLY + RING + od] * g
        if mix == 1.0:
            # guard: the sample values can never pass the ceiling
            yl = min(max(yl, -c), c)
            yr = min(max(yr, -c), c)
        buf[o0 + i, 0] = mix * yl + (1.0 - mix) * S[S_DRY + od]
        buf[o0 + i, 1] = mix * yr + (1.0 - mix) * S[S_DRY + RING + od]
        dp = (dp + 1) & (RING - 1)
    S[S_PLAST] = plast
    S[S_DQH] = dqh
    S[S_DQT] = dqt
    S[S_T] = t
    S[S_R] = r
    S[S_R1] = r1
    S[S_AVG] = avg
    S[S_BSUM] = bsum
    S[S_BP] = bp
    S[S_DP] = dp
    S[S_GAIN] = g


@njit(**JIT)
def _sleep(buf, n, T, S):
    """Off and not ramping: the output is the dry audio delayed by the
    lookahead, exactly what the full pass gives at mix 0, without the detector.
    Falling asleep empties the detector and sets the gain to unity, so a wake
    (whose mix ramps up from 0) starts from silence, not from stale audio."""
    if S[S_ASLEEP] == 0.0:
        S[S_ASLEEP] = 1.0
        for j in range(S_X, S_DETECT_END):
            S[j] = 0.0
        for j in (S_A1, S_A2, S_E1, S_E2, S_PCUR, S_PLAST, S_DQH, S_DQT, S_BP):
            S[j] = 0.0
        for j in (S_R, S_R1, S_AVG, S_GAIN):
            S[j] = 1.0
        for j in range(RING):
            S[S_BOX + j] = 1.0
        S[S_BSUM] = T[WIN]
    lookahead = int(T[WIN]) + DETECT_DELAY - 1 + SPREAD
    drive = S[DRIVE]
    dp = int(S[S_DP])
    for i in range(n):
        xl = buf[i, 0]
        xr = buf[i, 1]
        S[S_DLY + dp] = xl * drive
        S[S_DLY + RING + dp] = xr * drive
        S[S_DRY + dp] = xl
        S[S_DRY + RING + dp] = xr
        od = (dp - lookahead) & (RING - 1)
        buf[i, 0] = S[S_DRY + od]
        buf[i, 1] = S[S_DRY + RING + od]
        dp = (dp + 1) & (RING - 1)
    S[S_DP] = dp
