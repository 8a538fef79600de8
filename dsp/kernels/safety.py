"""A true-peak safety limiter for what the monitor stage plays instead of the
chain's output: the input raised to the processed loudness (compare) and the
reference tracks. Raising a raw mix or a reference by the matching offset can
ask for more than the limiter's ceiling; a sample clamp would leave the
intersample peaks above it (and distort), so this limits in true peak.

Both sources are known ahead of the moment they are heard: the input sits in
the monitor's delay line for the chain's whole latency, and a reference is in
memory. So the limiter looks ahead without adding delay:

- frame_peak(): the peak of one frame interval [t, t+1), from its 4x points
  and a sinusoid through each crest (oversample.crest). The 4x points come
  from the limiter's own detector filters (dsp/modules/limiter.py): a long
  halfband to 2x, flat to 0.49 fs, then a short one to 4x. Full-band
  material (a raw mix with energy up to Nyquist, raised by compare) is then
  read as a DAC reconstructs it; a filter flat only to 0.45 fs under-read such
  a mix by 0.2 dB and let compare pass the ceiling. The points of the precise
  true-peak filter (dsp/truepeak.py, what the meters read: its transition
  lets a little of the images near fs/2 through, so it can read such a mix
  slightly higher) are taken too, and the larger of the two is the peak, so
  the sound stays under the ceiling on both, as the limiter's output does.
- step(): the gain each frame needs, h = min(1, ceiling / (gain x peak)), goes
  through a sliding minimum over W frames and then a moving average over the
  same W frames. The average of W minima that each cover frame t - (W-1)
  cannot exceed the gain that frame needs, so the output, delayed by W - 1
  frames against the frame just measured, never passes the ceiling; and the
  gain moves in ramps of W frames, never in steps (no clicks).

Two ways to get the peaks. frame_peak() measures one frame per call.
peak_ahead() measures up to AHEAD consecutive frames at once, as many as
the caller says are already in its ring, and hands them out one call at a
time: per frame the work is then a few FIR outputs (common.fir, vectorised
over the frames) instead of eight short dot products, a third to a quarter
of the cost. Compare and the playback contexts read float64 rings and use
it; the codec preview's decoded frames are float32 (in the reference
memory), which the FIR kernel does not mix with float64 taps, so it measures
frame by frame.

State layout for one limiter: S_* offsets from a base the caller passes.
No allocation; runs inside the callback.
"""
from numba import njit

from .common import FAST, JIT, dot, fir
from .layout import Layout
from .oversample import crest, crest_at

# stage 1, 1x -> 2x: the midpoint t + 1/2 is 2 sum_i a[i] x[t + A_AHEAD - i] over
# the A_N even taps of the limiter's long halfband (its A_LEN taps at 2x); the
# kernel holds them reversed, so the dot product reads x forward
A_N = 146
A_AHEAD = A_N // 2            # 73: frames it reads ahead of t
# stage 2, 2x -> 4x: the point between 2x samples p and p + 1 is
# 2 sum_i b[i] z[p + B_AHEAD - i] over the B_N odd taps of the short one
B_N = 14
B_AHEAD = B_N // 2            # 7 2x samples
Y_BACK = (B_AHEAD + 1) // 2 - 1   # 3: the 2x midpoints a frame's points need before
Y_KEEP = 2 * Y_BACK + 1           # and after it, t - 3 + 1/2 .. t + 3 + 1/2
HALF = A_AHEAD + Y_BACK       # 76: a frame's points read this many frames ahead
PHASES = 4
TAPS = 33                     # per branch of the precise filter (truepeak.TAPS + 1)
P_HALF = TAPS // 2
DQ = 1024             # the sliding minimum's ring: >= W at 192 kHz (2 ms = 384)

_S = Layout()
S_T, S_HEAD, S_TAIL, S_BP, S_SUM, S_GAIN = _S.each(6)
S_CARRY = _S.take(2)           # the last 4x point of the previous frame, per channel
S_PCARRY = _S.take(2)          # and the precise filter's
S_Y = _S.take(2 * Y_KEEP)      # the 2x midpoints around the frame, per channel, oldest first
S_DQV = _S.take(DQ)            # deque values
S_DQI = _S.take(DQ)            # deque frame numbers
S_BOX = _S.take(DQ)            # the moving average's ring
# peak_ahead(): the measured frames not yet handed out, and the block's scratch
AHEAD = 64
S_PKN, S_PKI = _S.each(2)      # frames left in the cache, the next one's index
S_PK = _S.take(AHEAD)
S_YA = _S.take(Y_KEEP - 1 + AHEAD)   # one channel's midpoints over the block, oldest first
S_QA = _S.take(AHEAD)          # its 4x points t + 1/4
S_QB = _S.take(AHEAD)          # and t + 3/4
S_R = _S.take(3 * AHEAD)       # the precise filter's three points
S_Z = _S.take(4 * AHEAD + 2)   # a channel's 4x magnitudes in time order, with a neighbour each side
S_ZR = _S.take(4 * AHEAD)      # and each refined where it is a crest
S_SIZE = _S.size


@njit(**JIT)
def reset(S, o, w):
    for i in range(S_SIZE):
        S[o + i] = 0.0
    for i in range(w):
        S[o + S_BOX + i] = 1.0
    S[o + S_SUM] = float(w)
    S[o + S_GAIN] = 1.0


@njit(inline="always", **FAST)
def _mid(X, t, Ar):
    """The 2x point t + 1/2 of X (frames; X[t - A_AHEAD + 1 .. t + A_AHEAD]
    exist); Ar: the even taps reversed. (A view from index 0 for the dot
    product: indexed at an offset, each index might be negative to numba and
    the loop would not vectorise.)"""
    base = t - A_AHEAD + 1
    return dot(Ar, X[base:base + A_N])


@njit(inline="always", **FAST)
def _quarters(X, Y, t, B):
    """The 4x points t + 1/4 and t + 3/4: the 2x sequence around t is X[n] at
    2n and Y[n - t + Y_BACK] (the kept midpoints) at 2n + 1, so each point's
    taps alternate between the two, with no branch."""
    a = 0.0
    b = 0.0
    for m in range(B_AHEAD):
        a += B[2 * m] * Y[2 * Y_BACK - m] + B[2 * m + 1] * X[t + Y_BACK - m]
        b += B[2 * m] * X[t + Y_BACK + 1 - m] + B[2 * m + 1] * Y[2 * Y_BACK - m]
    return a, b


@njit(inline="always", **FAST)
def _precise(X, t, H):
    """The three 4x points after t by the precise filter's branches, as magnitudes."""
    x = X[t - P_HALF:t - P_HALF + TAPS]
    return abs(dot(H[1], x)), abs(dot(H[2], x)), abs(dot(H[3], x))


@njit(inline="always", **JIT)
def _crests(qm, q0, q1, q2, q3, q4):
    """The peak over [t, t+1) from its 4x points q0..q3 (qm the one before,
    q4 the next frame's sample): the largest point, or a sinusoid through
    a crest and its neighbours."""
    p = max(max(q0, q1), max(q2, q3))
    if q0 >= qm and q0 >= q1 and q0 > 0.0:
        p = max(p, crest(qm, q0, q1))
    if q1 >= q0 and q1 >= q2 and q1 > 0.0:
        p = max(p, crest(q0, q1, q2))
    if q2 >= q1 and q2 >= q3 and q2 > 0.0:
        p = max(p, crest(q1, q2, q3))
    if q3 >= q2 and q3 >= q4 and q3 > 0.0:
        p = max(p, crest(q2, q3, q4))
    return p


@njit(**FAST)
def fill(XL, XR, j0, A, S, o):
    """Before the first frame_peak at j0 (or after a jump): the midpoints
    before it, which the frames before would have left."""
    t = j0 + HALF
    for c in range(2):
        X = XL if c == 0 else XR
        for k in range(Y_KEEP - 1):
            S[o + S_Y + c * Y_KEEP + k + 1] = _mid(X, t - Y_BACK + k, A)
        S[o + S_CARRY + c] = 0.0
        S[o + S_PCARRY + c] = 0.0


@njit(**FAST)
def frame_peak(XL, XR, j0, A, B, H, S, o):
    """The peak over frame interval [t, t+1), t = j0 + HALF, of two channels
    (XL, XR: contiguous) interpolated 4x: X[j0 .. j0 + 2 HALF + 1] must exist,
    and the calls come for consecutive frames (fill() before the first). A:
    stage 1's even taps, B: stage 2's odd taps, each doubled (the
    interpolation's gain); H: the precise filter's branches, reversed."""
    t = j0 + HALF
    peak = 0.0
    for c in range(2):
        X = XL if c == 0 else XR
        y = S[o + S_Y + c * Y_KEEP:o + S_Y + (c + 1) * Y_KEEP]
        for k in range(Y_KEEP - 1):
            y[k] = y[k + 1]
        y[Y_KEEP - 1] = _mid(X, t + Y_BACK, A)
        q1, q3 = _quarters(X, y, t, B)
        q0 = abs(X[t])
        q1 = abs(q1)
        q2 = abs(y[Y_BACK])
        q3 = abs(q3)
        q4 = abs(X[t + 1])
        p = _crests(S[o + S_CARRY + c], q0, q1, q2, q3, q4)
        S[o + S_CARRY + c] = q3
        r1, r2, r3 = _precise(X, t, H)
        p = max(p, _crests(S[o + S_PCARRY + c], q0, r1, r2, r3, q4))
        S[o + S_PCARRY + c] = r3
        peak = max(peak, p)
    return peak


@njit(**FAST)
def fill_ahead(XL, XR, j0, A, S, o):
    """fill() for peak_ahead(): the midpoints before frame j0 + HALF by the
    block path's FIR (float64 rings)."""
    for c in range(2):
        X = XL if c == 0 else XR
        y = S[o + S_Y + c * Y_KEEP + 1:o + S_Y + (c + 1) * Y_KEEP]
        fir(A, X[j0 + HALF - Y_BACK - A_AHEAD + 1:], y, Y_KEEP - 1)
        S[o + S_CARRY + c] = 0.0
        S[o + S_PCARRY + c] = 0.0
    S[o + S_PKN] = 0.0


@njit(**FAST)
def _measure(XL, XR, j0, count, A, B, H, S, o):
    """The peaks of frames j0 + HALF .. + count - 1 into the cache: for each
    channel its new midpoints, 4x points and precise points over the block
    (FIRs and loops across frames), then the crests frame by frame."""
    pk = S[o + S_PK:o + S_PK + count]
    for i in range(count):
        pk[i] = 0.0
    for c in range(2):
        X = XL if c == 0 else XR
        sy = S[o + S_Y + c * Y_KEEP:o + S_Y + (c + 1) * Y_KEEP]
        ya = S[o + S_YA:o + S_YA + Y_KEEP - 1 + count]   # ya[k]: the midpoint t0 - Y_BACK + k + 1/2
        for k in range(Y_KEEP - 1):
            ya[k] = sy[k + 1]
        fir(A, X[j0 + HALF + Y_BACK - A_AHEAD + 1:], ya[Y_KEEP - 1:], count)
        # the 4x points between: 2x samples alternate between X and the midpoints
        xb = X[j0 + HALF - Y_BACK:j0 + HALF - Y_BACK + count + Y_KEEP + 1]   # xb[k]: frame t0 - Y_BACK + k
        qa = S[o + S_QA:o + S_QA + count]
        qb = S[o + S_QB:o + S_QB + count]
        for i in range(count):
            qa[i] = 0.0
            qb[i] = 0.0
        for m in range(B_AHEAD):
            b0 = B[2 * m]
            b1 = B[2 * m + 1]
            for i in range(count):
                qa[i] += b0 * ya[i + 2 * Y_BACK - m] + b1 * xb[i + 2 * Y_BACK - m]
                qb[i] += b0 * xb[i + 2 * Y_BACK + 1 - m] + b1 * ya[i + 2 * Y_BACK - m]
        r = S[o + S_R:o + S_R + 3 * AHEAD]
        for p in range(3):
            fir(H[p + 1], X[j0 + HALF - P_HALF:], r[p * AHEAD:p * AHEAD + count], count)
        # the crests (as _crests), of the 4x points and then of the precise
        # filter's, over the whole block: each point with its neighbours
        z = S[o + S_Z:o + S_Z + 4 * count + 2]
        zr = S[o + S_ZR:o + S_ZR + 4 * count]
        for seq in range(2):
            z[0] = S[o + (S_CARRY if seq == 0 else S_PCARRY) + c]
            for i in range(count):
                z[1 + 4 * i] = abs(xb[i + Y_BACK])
                if seq == 0:
                    z[2 + 4 * i] = abs(qa[i])
                    z[3 + 4 * i] = abs(ya[i + Y_BACK])
                    z[4 + 4 * i] = abs(qb[i])
                else:
                    z[2 + 4 * i] = abs(r[i])
                    z[3 + 4 * i] = abs(r[AHEAD + i])
                    z[4 + 4 * i] = abs(r[2 * AHEAD + i])
            z[4 * count + 1] = abs(xb[count + Y_BACK])
            for j in range(4 * count):
                zr[j] = crest_at(z[j], z[j + 1], z[j + 2])
            for i in range(count):
                pk[i] = max(pk[i], max(max(zr[4 * i], zr[4 * i + 1]), max(zr[4 * i + 2], zr[4 * i + 3])))
            S[o + (S_CARRY if seq == 0 else S_PCARRY) + c] = z[4 * count]
        for k in range(Y_KEEP):
            sy[k] = ya[count - 1 + k]


@njit(**JIT)
def peak_ahead(XL, XR, j0, avail, A, B, H, S, o):
    """frame_peak() for float64 rings: the peak over frame interval [t, t+1),
    t = j0 + HALF, for calls on consecutive frames (fill_ahead() before the
    first). ``avail``: how many frames from this one on are already in the
    rings (X[j0 .. j0 + avail + 2 HALF] exist); up to AHEAD of them are
    measured now and the next calls take them from the cache."""
    left = int(S[o + S_PKN])
    if left == 0:
        count = min(max(avail, 1), AHEAD)
        _measure(XL, XR, j0, count, A, B, H, S, o)
        S[o + S_PKI] = 0.0
        left = count
    i = int(S[o + S_PKI])
    S[o + S_PKI] = i + 1.0
    S[o + S_PKN] = left - 1.0
    return S[o + S_PK + i]


@njit(**JIT)
def need(peak, gain, ceiling):
    """The gain a frame of this peak needs, played at ``gain``, to stay under ``ceiling``."""
    lvl = peak * gain
    return ceiling / lvl if lvl > ceiling else 1.0


@njit(**JIT)
def step(S, o, h, w):
    """Push one frame's needed gain; return the gain for the frame W - 1 before it."""
    t = S[o + S_T]
    head = int(S[o + S_HEAD])
    tail = int(S[o + S_TAIL])
    while tail > head and S[o + S_DQV + (tail - 1) % DQ] >= h:
        tail -= 1
    S[o + S_DQV + tail % DQ] = h
    S[o + S_DQI + tail % DQ] = t
    tail += 1
    if S[o + S_DQI + head % DQ] <= t - w:
        head += 1
    if head >= DQ:                     # keep the counters small
        head -= DQ
        tail -= DQ
    m = S[o + S_DQV + head % DQ]
    bp = int(S[o + S_BP])
    s = S[o + S_SUM] + m - S[o + S_BOX + bp]
    S[o + S_BOX + bp] = m
    bp += 1
    if bp >= w:
        # once round the ring, sum it afresh: rounding cannot creep upward
        bp = 0
        s = 0.0
        for i in range(w):
            s += S[o + S_BOX + i]
    S[o + S_BP] = bp
    S[o + S_SUM] = s
    S[o + S_HEAD] = head
    S[o + S_TAIL] = tail
    S[o + S_T] = t + 1.0
    g = min(s / w, 1.0)
    S[o + S_GAIN] = g
    return g


def window_frames(fs: float, latency: int) -> int:
    """W: ~2 ms, and short enough that the look W - 1 frames ahead plus the
    filter's HALF frames fits in the chain's latency (the input's lookahead)."""
    return max(2, min(round(0.002 * fs), latency - HALF - 2, DQ))
