"""A true-peak safety limiter for what the monitor stage plays instead of the
chain's output: the input raised to the processed loudness (compare) and the
reference tracks. Raising a raw mix or a reference by the matching offset can
ask for more than the limiter's ceiling; a sample clamp would leave the
intersample peaks above it (and distort), so this limits in true peak.

Both sources are known ahead of the moment they are heard: the input sits in
the monitor's delay line for the chain's whole latency, and a reference is in
memory. So the limiter looks ahead without adding delay:

- frame_peak(): the peak of one frame interval [t, t+1), from the 4x points of
  the precise true-peak filter (dsp/truepeak.py) and a sinusoid through each
  crest (oversample.crest), the same method as the delivery checks.
- step(): the gain each frame needs, h = min(1, ceiling / (gain x peak)), goes
  through a sliding minimum over W frames and then a moving average over the
  same W frames. The average of W minima that each cover frame t - (W-1)
  cannot exceed the gain that frame needs, so the output, delayed by W - 1
  frames against the frame just measured, never passes the ceiling; and the
  gain moves in ramps of W frames, never in steps (no clicks).

State layout for one limiter: S_* offsets from a base the caller passes.
No allocation; runs inside the callback.
"""
from numba import njit

from .common import FAST, JIT
from .layout import Layout
from .oversample import crest

PHASES = 4
TAPS = 33             # per branch: the precise filter's (truepeak.TAPS + 1)
HALF = TAPS // 2      # a frame's points need HALF frames either side
DQ = 1024             # the sliding minimum's ring: >= W at 192 kHz (2 ms = 384)

_S = Layout()
S_T, S_HEAD, S_TAIL, S_BP, S_SUM, S_GAIN = _S.each(6)
S_CARRY = _S.take(2)           # the last 4x point of the previous frame, per channel
S_DQV = _S.take(DQ)            # deque values
S_DQI = _S.take(DQ)            # deque frame numbers
S_BOX = _S.take(DQ)            # the moving average's ring
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
def _points(X, j0, H):
    """|x| at t and the three 4x points after it, t = j0 + HALF: contiguous
    dot products, which vectorise."""
    q1 = 0.0
    q2 = 0.0
    q3 = 0.0
    for k in range(TAPS):
        v = X[j0 + k]
        q1 += H[1, k] * v
        q2 += H[2, k] * v
        q3 += H[3, k] * v
    return abs(X[j0 + HALF]), abs(q1), abs(q2), abs(q3)


@njit(**FAST)
def frame_peak(XL, XR, j0, H, S, o):
    """The peak over frame interval [t, t+1), t = j0 + HALF, of two channels
    (XL, XR: contiguous) interpolated 4x: X[j0 .. j0 + 2 HALF + 1] must exist.
    H is (PHASES, TAPS), reversed branches; branch p over the window ending at
    frame t + HALF gives the point t + p/4 (branch 0 is the sample itself)."""
    peak = 0.0
    for c in range(2):
        X = XL if c == 0 else XR
        q0, q1, q2, q3 = _points(X, j0, H)
        q4 = abs(X[j0 + HALF + 1])
        qm = S[o + S_CARRY + c]
        S[o + S_CARRY + c] = q3
        p = max(max(q0, q1), max(q2, q3))
        # a crest between points: the sinusoid through the largest and its neighbours
        if q0 >= qm and q0 >= q1 and q0 > 0.0:
            p = max(p, crest(qm, q0, q1))
        if q1 >= q0 and q1 >= q2 and q1 > 0.0:
            p = max(p, crest(q0, q1, q2))
        if q2 >= q1 and q2 >= q3 and q2 > 0.0:
            p = max(p, crest(q1, q2, q3))
        if q3 >= q2 and q3 >= q4 and q3 > 0.0:
            p = max(p, crest(q2, q3, q4))
        peak = max(peak, p)
    return peak


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
