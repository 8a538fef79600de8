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

Switching cross-fades over ~20 ms between two time-aligned signals, so it
cannot click; the matching gain itself moves slowly (GAIN_K, ~0.3 s) so the
100 ms updates of D are not heard as steps. Runs inside the callback: no
allocation, no locks; the ring, filters and windows live in S.
"""
import math

from numba import njit

from .common import JIT, biquad, flush_denormals, gain_of

RING = 512            # dry delay line per channel; > latency (239 at 192 kHz) + CHUNK
SLOTS = 30            # 30 x 100 ms = the 3 s short-term window
HOLD_DB = 24.0        # the matching offset is kept within +-HOLD_DB
QUIET = 1e-7          # below ~ -70 LUFS the input is too quiet to match against: hold D

# T
MODE, REF_DB, LAT, HOP, CLAMP, GAIN_K, XF_K = range(7)
KW = 7                # K-weighting: shelf (5) then high-pass (5)
T_SIZE = KW + 10
N_SMOOTH = 0          # (the chain's parameter ramp does not apply here)

# S
S_POS = 0             # ring write position
S_N = 1               # samples in the current 100 ms block
S_ACC_D, S_ACC_W = 2, 3
S_SLOT = 4            # next slot to write
S_FILLED = 5
S_D = 6               # latest offset D, LU
S_GD, S_GW, S_XF = 7, 8, 9     # smoothed dry gain, wet gain, cross-fade (1 = dry)
S_KD = 10             # dry K-filter states: 2 channels x 2 biquads x 2
S_KW = S_KD + 8       # wet K-filter states
S_SLOTS_D = S_KW + 8
S_SLOTS_W = S_SLOTS_D + SLOTS
S_RING = S_SLOTS_W + SLOTS
S_SIZE = S_RING + 2 * RING


@njit(**JIT)
def reset(T, S):
    for i in range(S_SIZE):
        S[i] = 0.0
    S[S_GD] = 1.0
    S[S_GW] = 1.0
    S[S_XF] = 1.0 if int(T[MODE]) == 1 else 0.0


@njit(**JIT)
def push_dry(buf, n, S):
    """Store the chunk's input (before any module touches it) in the delay line."""
    pos = int(S[S_POS])
    for i in range(n):
        S[S_RING + 2 * pos] = buf[i, 0]
        S[S_RING + 2 * pos + 1] = buf[i, 1]
        pos = (pos + 1) % RING
    # the write position is advanced by process(), after it has read this chunk


@njit(inline="always", **JIT)
def _k_power(l, r, T, S, s0):
    kl = biquad(biquad(l, T, KW, S, s0), T, KW + 5, S, s0 + 2)
    kr = biquad(biquad(r, T, KW, S, s0 + 4), T, KW + 5, S, s0 + 6)
    return kl * kl + kr * kr


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


@njit(**JIT)
def process(buf, n, T, S):
    mode = int(T[MODE])
    lat = int(T[LAT])
    hop = T[HOP]
    clamp = T[CLAMP]
    gk = T[GAIN_K]
    xk = T[XF_K]
    pos0 = int(S[S_POS])
    td, tw = _targets(T, S, mode)
    tx = 1.0 if mode == 1 else 0.0
    for i in range(n):
        rd = (pos0 + i - lat) % RING
        dl = S[S_RING + 2 * rd]
        dr = S[S_RING + 2 * rd + 1]
        wl = buf[i, 0]
        wr = buf[i, 1]
        S[S_ACC_D] += _k_power(dl, dr, T, S, S_KD)
        S[S_ACC_W] += _k_power(wl, wr, T, S, S_KW)
        S[S_N] += 1.0
        if S[S_N] >= hop:
            _close_block(T, S)
            td, tw = _targets(T, S, mode)
        S[S_GD] += gk * (td - S[S_GD])
        gw = S[S_GW] + gk * (tw - S[S_GW])
        if abs(gw - tw) < 1e-7:
            gw = tw                      # snap, so idle means exactly unity
        S[S_GW] = gw
        xf = S[S_XF] + xk * (tx - S[S_XF])
        if abs(xf - tx) < 1e-7:
            xf = tx
        S[S_XF] = xf
        if xf == 0.0 and gw == 1.0:
            continue                     # processed, unmatched: untouched
        gd = S[S_GD]
        bl = min(max(dl * gd, -clamp), clamp)
        br = min(max(dr * gd, -clamp), clamp)
        buf[i, 0] = (1.0 - xf) * wl * gw + xf * bl
        buf[i, 1] = (1.0 - xf) * wr * gw + xf * br
    S[S_POS] = (pos0 + n) % RING
    flush_denormals(S, S_KD, 16)
