"""Playback contexts: what is heard, played through a measured playback system
(a phone's speaker, earbuds, a car), last on the monitor path: the speaker is
the last thing between the master and a listener's ears.

Convolution, uniformly partitioned, overlap-save: the impulse response is cut
into partitions of B frames, each held as the spectrum of a 2B-point
transform (dsp/contexts.py computes them off the audio thread); every B
frames of input make one forward transform (left and right packed into one
complex signal, kernels/fft.py), which enters a frequency-domain delay line
(FDL) of the last P input spectra; the output block is the inverse transform
of sum_p FDL[now - p] x H[p]. Its last B points are the convolution of the
last B input frames: exact, no approximation beyond rounding. The terms
p >= 1 meet only past inputs, so they are summed a share at a time in the
callbacks before the block completes; the one that completes it has the
newest partition and the two transforms left, whatever the IR's length. The memory
(IR spectra and the FDL, float32) is a region of the sink's reference memory
R; the transform's scratch and the output ring are in S.

What comes out is matched in loudness to what went in (BS.1770 K-weighted,
over a sliding 3 s window, like compare): a context changes the sound, not
the level, so it stacks on any monitor source (on the platform preview it
keeps the platform's gain). Until the first 100 ms block is measured the
gain is the IR's own estimate (G0, from its response to pink noise). The
matched signal goes through the monitor's true-peak safety limiter
(kernels/safety.py), which looks ahead in the output ring: the context is
heard DELAY frames late (B + the safety's window and look), stated on screen.
Switching a context on or off cross-fades in ~20 ms; another context fades
out first, then in. Nothing here allocates.
"""
import math

from numba import njit

from . import fft, safety
from .common import FAST, JIT, close_window_slot, flush_denormals, gain_of, glide
from .lanes import k_powers
from .layout import Layout

B = 256                    # partition and block length, frames
M = 2 * B                  # the transform's length
K = B + 1                  # bins kept of a real signal's spectrum
RING = 1024                # output ring per channel: >= DELAY + safety.HALF + B at 192 kHz
SLOTS = 30                 # the loudness tracker's 3 s window, in 100 ms blocks
QUIET = 1e-7               # below ~ -70 LUFS: hold the matching gain
HOLD_DB = 24.0

_T = Layout()
H0, P, FDL0, G0_DB, DELAY = _T.each(5)   # the selected IR: its spectra's first float32
                                          # in R, partitions (0: none); the FDL's first
                                          # float32; G0, dB; the heard delay, frames
COS = _T.take(M - 1)       # the transform's tables (fft.tables)
SIN = _T.take(M - 1)
REV = _T.take(M)
T_SIZE = _T.size

_S = Layout()
S_ACTIVE = _S.take()       # H0 of the IR that runs, -1 for none
S_X, S_G = _S.each(2)      # cross-fade (1 = the context heard), smoothed matching gain
S_IN_N, S_POS, S_HEAD = _S.each(3)   # frames in the open block, ring position, newest FDL slot
S_AGE = _S.take()          # frames since the context started (its first DELAY are silence)
S_BN, S_SLOT, S_FILLED, S_ACC_I, S_ACC_O, S_D = _S.each(6)   # the loudness tracker
S_SAFE = _S.take(safety.S_SIZE)
S_KF = _S.take(32)         # K-filter states: lanes in L, in R, out L, out R
S_SL_I = _S.take(SLOTS)
S_SL_O = _S.take(SLOTS)
S_XL = _S.take(M)          # the last M input frames, oldest first
S_XR = _S.take(M)
S_RE = _S.take(M)          # the transform's scratch
S_IM = _S.take(M)
S_ACC = _S.take(4 * K)     # the output spectra being summed: left re, im, right re, im
                           # (K values each; the IR spectra and the FDL are laid out so too)
S_NEXT = _S.take(4 * K)    # the next block's sum over partitions 1.. (past inputs only),
S_PDONE = _S.take()        # built up between blocks: how many of them are in it
S_OL = _S.take(2 * RING)   # the convolved signal, each frame written at p and p + RING
S_OR = _S.take(2 * RING)   # (so the safety reads any window contiguously)
S_KX = _S.take(4 * 128)    # the tracker's four signals of a chunk, frame-major
S_SIZE = _S.size


def delay_frames(w: int) -> int:
    """How late the context is heard: a block, then the safety limiter's look
    (W - 1 frames ahead plus its filter's HALF + 1)."""
    return B + w + safety.HALF + 1


@njit(**JIT)
def reset(S):
    for i in range(S_SIZE):
        S[i] = 0.0
    S[S_ACTIVE] = -1.0
    S[S_G] = 1.0


@njit(**JIT)
def _start(T, S, R, w):
    """Begin the selected IR from silence: its FDL partitions, the input, the
    ring, the tracker and the safety limiter emptied."""
    p = int(T[P])
    f0 = int(T[FDL0])
    for i in range(f0, f0 + 4 * K * p):
        R[i] = 0.0
    for i in range(S_BN, S_SIZE):
        S[i] = 0.0
    S[S_IN_N] = 0.0
    S[S_POS] = 0.0
    S[S_HEAD] = 0.0
    S[S_AGE] = 0.0
    g0 = gain_of(T[G0_DB])
    S[S_G] = g0
    S[S_D] = T[G0_DB]
    safety.reset(S, S_SAFE, w)
    S[S_ACTIVE] = T[H0]


@njit(inline="always", **FAST)
def _mac(acc, X, H):
    """acc += X x H, bin by bin, both channels: each a block of K real parts
    then K imaginary ones, so the loop runs over contiguous memory in SIMD."""
    for c in range(2):
        a = 2 * c * K
        for k in range(K):
            xr = X[a + k]
            xi = X[a + K + k]
            hr = H[a + k]
            hi = H[a + K + k]
            acc[a + k] += xr * hr - xi * hi
            acc[a + K + k] += xr * hi + xi * hr


@njit(**JIT)
def _block(T, S, R):
    """One block of B input frames (the last B of S_XL/S_XR) through the
    convolution; the B output frames go to the ring, ending at S_POS."""
    re = S[S_RE:S_RE + M]
    im = S[S_IM:S_IM + M]
    for i in range(M):
        re[i] = S[S_XL + i]
        im[i] = S[S_XR + i]
    cs = T[COS:COS + M - 1]
    sn = T[SIN:SIN + M - 1]
    rev = T[REV:REV + M]
    fft.transform(re, im, M, cs, sn, rev, False)
    parts = int(T[P])               # the FDL runs as a ring of the IR's partitions
    _spread(T, S, R, parts - 1)     # (what the callbacks since the last block left)
    head = (int(S[S_HEAD]) + 1) % parts
    S[S_HEAD] = head
    f0 = int(T[FDL0])
    h0 = int(T[H0])
    base = f0 + head * 4 * K
    for k in range(K):
        lr, li, rr, ri = fft.split(re, im, M, k)
        R[base + k] = lr
        R[base + K + k] = li
        R[base + 2 * K + k] = rr
        R[base + 3 * K + k] = ri
    acc = S[S_ACC:S_ACC + 4 * K]
    nxt = S[S_NEXT:S_NEXT + 4 * K]
    for i in range(4 * K):
        acc[i] = nxt[i]
        nxt[i] = 0.0
    S[S_PDONE] = 0.0
    _mac(acc, R[base:base + 4 * K], R[h0:h0 + 4 * K])
    for k in range(K):
        fft.join(re, im, M, k, acc[k], acc[K + k], acc[2 * K + k], acc[3 * K + k])
    fft.transform(re, im, M, cs, sn, rev, True)
    pos = int(S[S_POS])
    scale = 1.0 / M
    for j in range(B):
        o = (pos - B + 1 + j) & (RING - 1)
        vl = re[B + j] * scale
        vr = im[B + j] * scale
        S[S_OL + o] = vl
        S[S_OL + o + RING] = vl
        S[S_OR + o] = vr
        S[S_OR + o + RING] = vr
    for i in range(B):
        S[S_XL + i] = S[S_XL + B + i]
        S[S_XR + i] = S[S_XR + B + i]


@njit(**JIT)
def _spread(T, S, R, upto):
    """Add partitions to the next block's sum until ``upto`` of its P - 1
    past-input partitions are in: partition p (>= 1) meets the spectrum of
    the block p - 1 before the newest. Called after every callback for the
    share of the block's frames that have come, so a block's convolution is
    spread over the callbacks that fill it; its own input's partition and
    the two transforms stay with the callback that completes it."""
    parts = int(T[P])
    done = int(S[S_PDONE])
    upto = min(upto, parts - 1)
    if done >= upto:
        return
    head = int(S[S_HEAD])           # the newest block's slot
    f0 = int(T[FDL0])
    h0 = int(T[H0])
    nxt = S[S_NEXT:S_NEXT + 4 * K]
    for d in range(done, upto):
        p = d + 1
        q = head + 1 - p
        if q < 0:
            q += parts
        _mac(nxt, R[f0 + q * 4 * K:f0 + (q + 1) * 4 * K], R[h0 + p * 4 * K:h0 + (p + 1) * 4 * K])
    S[S_PDONE] = upto


@njit(**JIT)
def _close_block(S, hop):
    pi, po, filled = close_window_slot(S, S_SLOT, S_FILLED, S_ACC_I, S_ACC_O, S_SL_I, S_SL_O, SLOTS)
    n = filled * hop
    if pi > QUIET * n and po > QUIET * n:
        S[S_D] = min(max(10.0 * math.log10(pi / po), -HOLD_DB), HOLD_DB)


@njit(**JIT)
def process(buf, n, T, S, R, ceil, w, hop, xk, gk, tsa, tsb, tph, kl):
    """Play buf's first two columns (what is heard so far) through the
    selected context, in place. The rest are the monitor's: its ceiling and
    safety window, the 100 ms hop, the cross-fade and gain coefficients, the
    safety's detector taps and the K-weighting."""
    sel = T[H0] if T[P] > 0.0 else -1.0
    if T[H0] + 4 * K * T[P] > R.shape[0] or T[FDL0] + 4 * K * T[P] > R.shape[0]:
        sel = -1.0                           # (a selector for other memory is never published)
    x = S[S_X]
    if S[S_ACTIVE] != sel and x == 0.0:
        if sel >= 0.0:
            _start(T, S, R, w)
        else:
            S[S_ACTIVE] = -1.0
    act = S[S_ACTIVE]
    if act < 0.0 and x == 0.0:
        return
    tx = 1.0 if act == sel and sel >= 0.0 else 0.0
    d = int(T[DELAY])
    pos = int(S[S_POS])
    in_n = int(S[S_IN_N])
    age = S[S_AGE]
    g = S[S_G]
    tg = gain_of(S[S_D])
    ol = S[S_OL:S_OL + 2 * RING]
    orr = S[S_OR:S_OR + 2 * RING]
    kx = S[S_KX:S_KX + 4 * n]
    counted = 0
    for i in range(n):
        pl = buf[i, 0]
        pr = buf[i, 1]
        S[S_XL + B + in_n] = pl
        S[S_XR + B + in_n] = pr
        in_n += 1
        pos = (pos + 1) & (RING - 1)
        if in_n == B:
            S[S_POS] = pos
            _block(T, S, R)
            in_n = 0
        x = glide(x, tx, xk)
        g += gk * (tg - g)
        rd = (pos - d) & (RING - 1)
        gplan = max(g, tg)
        look = (rd + w - 1 - safety.HALF) & (RING - 1)
        # (the frames up to the next block's are in the ring already)
        pk = safety.peak_ahead(ol, orr, look, B - in_n, tsa, tsb, tph, S, S_SAFE)
        h = safety.step(S, S_SAFE, safety.need(pk, gplan, ceil), w) * g
        cl = ol[rd]
        cr = orr[rd]
        buf[i, 0] = (1.0 - x) * pl + x * h * cl
        buf[i, 1] = (1.0 - x) * pr + x * h * cr
        if age >= d:
            kx[4 * counted] = pl
            kx[4 * counted + 1] = pr
            kx[4 * counted + 2] = cl
            kx[4 * counted + 3] = cr
            counted += 1
        else:
            age += 1.0
    S[S_POS] = pos
    S[S_IN_N] = in_n
    S[S_AGE] = age
    _spread(T, S, R, (int(T[P]) - 1) * in_n // B)
    S[S_G] = g
    S[S_X] = x
    if counted > 0:
        ai, ao = k_powers(kx, counted, kl, S[S_KF:S_KF + 32])
        S[S_ACC_I] += ai
        S[S_ACC_O] += ao
        S[S_BN] += counted
        if S[S_BN] >= hop:
            S[S_BN] -= hop
            _close_block(S, hop)
    flush_denormals(S, S_KF, 32)
