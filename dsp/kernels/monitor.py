"""Monitor stage kernel: loudness-matched compare, after everything else.

The box's signature. Two loudness trackers run all the time, whatever is heard:
one on the input (the "dry" signal, delayed by the chain's latency so it lines up
with the output sample for sample), one on the processed output ("wet"). Both
are BS.1770 K-weighted, summed over the two channels and integrated over a
sliding 3 s window in 100 ms steps: EBU short-term loudness. Their difference
``D = L_wet - L_dry`` (LU) is what the processing adds.

Modes (a T field, set by the control thread):
  0  processed: the output is the chain's output, unchanged (bit for bit).
  1  bypass, matched: the delayed input, raised or lowered by D, so it plays as
     loud as the processed signal would. Clamped at CLAMP (the limiter's ceiling
     when the limiter is on, else 0 dBFS): raising a raw mix to master level can
     ask for more than its headroom, and the DAC would clip there anyway.
  2  processed, matched to a reference offset REF (LU over the input): the
     output is lowered by D - REF, never raised, so snapshots with different
     loudness are heard at one loudness (the caller passes the quietest one's
     offset as REF).

Listening (SOLO, after compare; the engineer's solo buttons):
  0  stereo: as it is.
  1  mono: (L + R) / 2 on both speakers.
  2  mid: the mid, (L + R) / 2, on both (the same signal as mono; the M/S
     pair reads mid and side as a pair).
  3  side: the side, (L - R) / 2, on both.
  4  delta: the chain's output minus the latency-aligned input, both
     channels: only what the processing adds, at its own level.

Switching cross-fades over ~20 ms between two time-aligned signals, so it
cannot click; the matching gain itself moves slowly (GAIN_K, ~0.3 s) so the
100 ms updates of D are not heard as steps. Runs inside the callback: no
allocation, no locks; the ring, filters and windows live in S.
"""
import math

from numba import njit

from .common import FAST, JIT, flush_denormals, gain_of
from .lanes import k_weight4
from .layout import Layout

RING = 512            # dry delay line per channel; > latency (239 at 192 kHz) + CHUNK
SLOTS = 30            # 30 x 100 ms = the 3 s short-term window
HOLD_DB = 24.0        # the matching offset is kept within +-HOLD_DB
QUIET = 1e-7          # below ~ -70 LUFS the input is too quiet to match against: hold D
KX_N = 128            # frames of scratch for the K-filters (CHUNK at most)

_T = Layout()
MODE, REF_DB, LAT, HOP, CLAMP, GAIN_K, XF_K, SOLO = _T.each(8)
KL = _T.take(40)      # K-weighting, shelf then high-pass, laid out for lanes.k_weight4:
                      # [section][b0 b1 b2 a1 a2][lane] (2 x 5 x 4)
T_SIZE = _T.size
N_SMOOTH = 0          # (the chain's parameter ramp does not apply here)

_S = Layout()
S_POS = _S.take()     # ring write position
S_N = _S.take()       # samples in the current 100 ms block
S_ACC_D, S_ACC_W = _S.each(2)
S_SLOT = _S.take()    # next slot to write
S_FILLED = _S.take()
S_D = _S.take()       # latest offset D, LU
S_GD, S_GW, S_XF = _S.each(3)  # smoothed dry gain, wet gain, cross-fade (1 = dry)
S_SOLO_FROM, S_SOLO_TO, S_SOLO_X = _S.each(3)   # listening: from, to, cross-fade (1 = done)
S_KF = _S.take(32)    # K-filter states, lanes dry L, dry R, wet L, wet R: 2 sections x 4 words x 4
S_SLOTS_D = _S.take(SLOTS)
S_SLOTS_W = _S.take(SLOTS)
S_RING = _S.take(2 * RING)
S_KX = _S.take(4 * KX_N)   # scratch: a segment's four signals frame-major
S_SIZE = _S.size


@njit(**JIT)
def reset(T, S):
    for i in range(S_SIZE):
        S[i] = 0.0
    S[S_GD] = 1.0
    S[S_GW] = 1.0
    S[S_XF] = 1.0 if int(T[MODE]) == 1 else 0.0
    S[S_SOLO_FROM] = T[SOLO]
    S[S_SOLO_TO] = T[SOLO]
    S[S_SOLO_X] = 1.0


@njit(inline="always", **JIT)
def _solo(mode, l, r, dl, dr):
    """One listening mode of a frame: (l, r) as compare left it, (dl, dr) the
    chain's output minus the aligned input."""
    if mode == 1 or mode == 2:
        m = 0.5 * (l + r)
        return m, m
    if mode == 3:
        sd = 0.5 * (l - r)
        return sd, sd
    if mode == 4:
        return dl, dr
    return l, r


@njit(**JIT)
def push_dry(buf, n, S):
    """Store the chunk's input (before any module touches it) in the delay line."""
    pos = int(S[S_POS])
    for i in range(n):
        S[S_RING + 2 * pos] = buf[i, 0]
        S[S_RING + 2 * pos + 1] = buf[i, 1]
        pos = (pos + 1) % RING
    # the write position is advanced by process(), after it has read this chunk


@njit(**JIT)
def _close_block(T, S):
    slot = int(S[S_SLOT])
    S[S_SLOTS_D + slot] = S[S_ACC_D]
    S[S_SLOTS_W + slot] = S[S_ACC_W]
    S[S_ACC_D] = 0.0
    S[S_ACC_W] = 0.0
    S[S_N] = 0.0
    S[S_SLOT] = (slot + 1) % SLOTS
    filled = min(S[S_FILLED] + 1.0, SLOTS)
    S[S_FILLED] = filled
    pd = 0.0
    pw = 0.0
    for j in range(SLOTS):
        pd += S[S_SLOTS_D + j]
        pw += S[S_SLOTS_W + j]
    n = filled * T[HOP]
    if pd > QUIET * n and pw > 0.0:
        d = 10.0 * math.log10(pw / pd)
        S[S_D] = min(max(d, -HOLD_DB), HOLD_DB)


@njit(inline="always", **JIT)
def _targets(T, S, mode):
    """(dry gain, wet gain) targets for the current offset D. D changes only
    when a 100 ms block closes, so these two exps are not taken per sample.
    The dry gain always tracks D, so it is ready the moment compare is pressed."""
    d = S[S_D]
    td = gain_of(d)
    tw = gain_of(min(T[REF_DB] - d, 0.0)) if mode == 2 else 1.0
    return td, tw


@njit(**FAST)
def _k_block(buf, i0, seg, pos0, lat, T, S):
    """K-weighted power of the dry (delayed input) and wet signals over frames
    i0 .. i0+seg-1, added to the open block's sums: the four signals side by
    side in SIMD lanes through the K-filters (lanes.k_weight4)."""
    c0 = 0
    while c0 < seg:
        m = min(KX_N, seg - c0)
        kx = S[S_KX:S_KX + 4 * m]
        for i in range(m):
            rd = (pos0 + i0 + c0 + i - lat) & (RING - 1)
            kx[4 * i] = S[S_RING + 2 * rd]
            kx[4 * i + 1] = S[S_RING + 2 * rd + 1]
            kx[4 * i + 2] = buf[i0 + c0 + i, 0]
            kx[4 * i + 3] = buf[i0 + c0 + i, 1]
        k_weight4(kx, kx, m, T[KL:KL + 40], S[S_KF:S_KF + 32])
        acc_d = 0.0
        acc_w = 0.0
        for i in range(m):
            acc_d += kx[4 * i] * kx[4 * i] + kx[4 * i + 1] * kx[4 * i + 1]
            acc_w += kx[4 * i + 2] * kx[4 * i + 2] + kx[4 * i + 3] * kx[4 * i + 3]
        S[S_ACC_D] += acc_d
        S[S_ACC_W] += acc_w
        c0 += m


@njit(**JIT)
def process(buf, n, T, S):
    mode = int(T[MODE])
    lat = int(T[LAT])
    hop = int(T[HOP])
    clamp = T[CLAMP]
    gk = T[GAIN_K]
    xk = T[XF_K]
    pos0 = int(S[S_POS])
    td, tw = _targets(T, S, mode)
    tx = 1.0 if mode == 1 else 0.0
    gd = S[S_GD]
    gw = S[S_GW]
    xf = S[S_XF]
    sto = int(T[SOLO])
    if sto != int(S[S_SOLO_TO]):
        # a new listening mode: fade from the one heard (the nearer end of a
        # fade still running) to it
        S[S_SOLO_FROM] = S[S_SOLO_TO] if S[S_SOLO_X] >= 0.5 else S[S_SOLO_FROM]
        S[S_SOLO_TO] = sto
        S[S_SOLO_X] = 0.0
    sfrom = int(S[S_SOLO_FROM])
    sx = S[S_SOLO_X]
    i0 = 0
    while i0 < n:
        # up to the end of the open 100 ms block: the trackers first, then the
        # gains and the output frame by frame
        cnt = int(S[S_N])
        seg = min(n - i0, hop - cnt)
        _k_block(buf, i0, seg, pos0, lat, T, S)
        for i in range(i0, i0 + seg):
            gd += gk * (td - gd)
            gw += gk * (tw - gw)
            if abs(gw - tw) < 1e-7:
                gw = tw                      # snap, so idle means exactly unity
            xf += xk * (tx - xf)
            if abs(xf - tx) < 1e-7:
                xf = tx
            plain = xf == 0.0 and gw == 1.0
            if plain and sto == 0 and sx == 1.0:
                continue                     # processed, unmatched, stereo: untouched
            rd = (pos0 + i - lat) & (RING - 1)
            wl = buf[i, 0]
            wr = buf[i, 1]
            ol = wl
            orr = wr
            if not plain:
                bl = min(max(S[S_RING + 2 * rd] * gd, -clamp), clamp)
                br = min(max(S[S_RING + 2 * rd + 1] * gd, -clamp), clamp)
                ol = (1.0 - xf) * wl * gw + xf * bl
                orr = (1.0 - xf) * wr * gw + xf * br
            if sto != 0 or sx != 1.0:
                dl = wl - S[S_RING + 2 * rd]
                dr = wr - S[S_RING + 2 * rd + 1]
                nl, nr = _solo(sto, ol, orr, dl, dr)
                if sx != 1.0:
                    sx += xk * (1.0 - sx)
                    if 1.0 - sx < 1e-7:
                        sx = 1.0
                    pl, pr = _solo(sfrom, ol, orr, dl, dr)
                    nl = (1.0 - sx) * pl + sx * nl
                    nr = (1.0 - sx) * pr + sx * nr
                ol = nl
                orr = nr
            buf[i, 0] = ol
            buf[i, 1] = orr
        S[S_N] = cnt + seg
        if cnt + seg >= hop:
            _close_block(T, S)
            td, tw = _targets(T, S, mode)
        i0 += seg
    S[S_GD] = gd
    S[S_GW] = gw
    S[S_XF] = xf
    S[S_SOLO_X] = sx
    if sx == 1.0:
        S[S_SOLO_FROM] = sto
    S[S_POS] = (pos0 + n) % RING
    flush_denormals(S, S_KF, 32)
