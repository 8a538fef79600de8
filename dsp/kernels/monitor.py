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
     loud as the processed signal would.
  2  processed, matched to a reference offset REF (LU over the input): the
     output is lowered by D - REF, never raised, so snapshots with different
     loudness are heard at one loudness (the caller passes the quietest one's
     offset as REF).
  3  reference track: a file in memory (the R array: frames of float32 left,
     right and the frame's true peak, precomputed on load), looping, at the
     processed programme's short-term loudness: raised or lowered by
     L_wet - R_LU, its integrated loudness measured once on load (so the
     reference keeps its own verse-to-chorus contrast). It plays while heard
     and pauses where it was when not.
  4  delivery: the processed output times a fixed gain REF (dB): what
     `render --target` would write, where that is a plain gain (the control
     thread computes REF from the programme; where the delivery adds drive,
     it publishes the limiter's new drive and ceiling with REF = 0).
  5  platform: the processed output times REF (dB), the gain a streaming
     platform would apply (firmware/platforms.py): not matched, on purpose.
  6  platform, limited: the same through the platform's own limiter where it
     publishes one (Spotify's loud setting: sample peaks held at PL_THR, its
     attack and decay as one-pole coefficients PL_ATT, PL_REL; no lookahead,
     as described, so it lets a fast transient over as the platform would).
  7  codec: the processed output as a listener's decoder reconstructs it
     after a lossy codec (firmware/codec_preview.py encodes and decodes it
     with ffmpeg on a worker): this stage writes the processed output into
     the codec memory (dsp/codec_ring.py) and plays the decoded frame
     CD_DELAY frames back, through the true-peak safety limiter (a codec's
     overshoot is metered by the worker, not played past the ceiling); a
     block not decoded in time plays as silence and is counted (S_CD_LATE).
  8  codec difference: what the codec changes, the processed output minus
     the decoded signal, time-aligned, at its own level.

Raising the input or a reference can ask for more than the limiter's ceiling
(CEIL; 0 dBFS with the limiter off): both go through a true-peak safety limiter
(kernels/safety.py) that looks ahead into the delay line or the file, so they
stay under the ceiling in true peak, like the processed signal, with no delay
of their own.

Listening (SOLO, after compare; the engineer's solo buttons):
  0  stereo: as it is.
  1  mono: (L + R) / 2 on both speakers.
  2  mid: the mid, (L + R) / 2, on both (the same signal as mono; the M/S
     pair reads mid and side as a pair).
  3  side: the side, (L - R) / 2, on both.
  4  delta: the chain's output minus the latency-aligned input, both
     channels: only what the processing adds, at its own level.
  5, 6  a dynamic EQ band's detector (its sidechain), and
  7  what the de-esser removes: a signal inside the chain, which that stage
     writes to the work buffer's tap columns (tap_of says which) for the
     monitor to play instead of the output, at its own level.

Last, a playback context (kernels/context.py) plays whatever the above left
through a measured playback system, matched in loudness to it.

Switching cross-fades over ~20 ms between two time-aligned signals, so it
cannot click; the matching gain itself moves slowly (GAIN_K, ~0.3 s) so the
100 ms updates of D are not heard as steps. Runs inside the callback: no
allocation, no locks; the ring, filters and windows live in S.
"""
import math

from numba import njit

from . import context, safety
from .common import FAST, JIT, close_window_slot, flush_denormals, gain_of, glide
from .lanes import k_powers
from .layout import Layout

RING = 1024           # dry delay line per channel, a power of 2 >= latency (285 at
                      # 192 kHz) + the safety limiter's look (W + HALF) + CHUNK
SLOTS = 30            # 30 x 100 ms = the 3 s short-term window
HOLD_DB = 24.0        # the matching offset is kept within +-HOLD_DB
QUIET = 1e-7          # below ~ -70 LUFS the input is too quiet to match against: hold D
KX_N = 128            # frames of scratch for the K-filters (CHUNK at most)

_T = Layout()
MODE, REF_DB, LAT, HOP, CEIL, GAIN_K, XF_K, SOLO = _T.each(8)
PL_THR, PL_ATT, PL_REL = _T.each(3)   # mode 6's limiter
WIN = _T.take()       # the safety limiter's window W, frames
R_OFF, R_N, R_LU = _T.each(3)   # the selected reference: first frame in R, frames (0: none),
                                # integrated loudness, LUFS
TSA = _T.take(safety.A_N)    # the safety's detector: stage 1's even taps, doubled
TSB = _T.take(safety.B_N)    # and stage 2's odd taps, doubled
TPH = _T.take(safety.PHASES * safety.TAPS)   # the precise 4x filter's branches, reversed
KL = _T.take(40)      # K-weighting, shelf then high-pass, laid out for lanes.k_weight4:
                      # [section][b0 b1 b2 a1 a2][lane] (2 x 5 x 4)
CX = _T.take(context.T_SIZE)   # the playback context (kernels/context.py)
CD_P0, CD_L0, CD_R0, CD_ST0, CD_N, CD_DELAY = _T.each(6)   # the codec memory in R (dsp/
                              # codec_ring.py): processed, decoded left, right, stamps; N (0: none)
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
S_XR, S_GR = _S.each(2)       # reference: cross-fade (1 = heard), smoothed gain
S_PLG = _S.take()             # mode 6: the platform limiter's gain
S_LW = _S.take()              # the processed programme's short-term loudness, LUFS
S_RPOS, S_ROFF, S_RN = _S.each(3)   # reference play position, and which reference it is in
S_ON_D, S_ON_R = _S.each(2)   # 1 while a safety limiter runs (it is primed when it starts)
S_SAFE_D = _S.take(safety.S_SIZE)   # safety limiter on the raised input
S_SAFE_R = _S.take(safety.S_SIZE)   # and on the reference
S_KF = _S.take(32)    # K-filter states, lanes dry L, dry R, wet L, wet R: 2 sections x 4 words x 4
S_SLOTS_D = _S.take(SLOTS)
S_SLOTS_W = _S.take(SLOTS)
S_RINGL = _S.take(2 * RING)  # the left channel, written twice (at p and p + RING): any
S_RINGR = _S.take(2 * RING)  # window of up to RING frames reads contiguously; the right
S_KX = _S.take(4 * KX_N)   # scratch: a segment's four signals frame-major
S_CX = _S.take(context.S_SIZE)
S_CD_POS, S_CD_LATE = _S.each(2)   # frames written to the codec memory; decoded frames played late
S_XC, S_CV, S_ON_C = _S.each(3)    # codec: cross-fade (1 = heard), view (0 decoded, 1 difference),
                                   # its safety limiter running
S_SAFE_C = _S.take(safety.S_SIZE)
S_SIZE = _S.size


@njit(**JIT)
def reset(T, S):
    for i in range(S_SIZE):
        S[i] = 0.0
    S[S_GD] = 1.0
    S[S_GW] = 1.0
    S[S_GR] = 1.0
    S[S_PLG] = 1.0
    S[S_LW] = -70.0
    S[S_XR] = 1.0 if int(T[MODE]) == 3 else 0.0
    S[S_XF] = 1.0 if int(T[MODE]) == 1 else 0.0
    S[S_XC] = 1.0 if int(T[MODE]) >= 7 else 0.0
    S[S_CV] = 1.0 if int(T[MODE]) == 8 else 0.0
    S[S_SOLO_FROM] = T[SOLO]
    S[S_SOLO_TO] = T[SOLO]
    S[S_SOLO_X] = 1.0
    context.reset(S[S_CX:S_CX + context.S_SIZE])


TAP0 = 5              # the first listening mode that plays a tap
CODEC_BLOCK = 256     # dsp/codec_ring.py's BLOCK and STAMP_MOD
CODEC_STAMP_MOD = 1 << 22


@njit(inline="always", **JIT)
def tap_of(T, S):
    """Which tap the stages fill for this chunk: the listening mode's, or
    while a fade from a tap mode runs, that one's; -1 for none."""
    to = int(T[SOLO])
    if to >= TAP0:
        return to - TAP0
    frm = int(S[S_SOLO_FROM])
    x = S[S_SOLO_X]
    if int(S[S_SOLO_TO]) != to:          # the fade process() is about to start
        frm = int(S[S_SOLO_TO]) if x >= 0.5 else frm
        x = 0.0
    if x != 1.0 and frm >= TAP0:
        return frm - TAP0
    return -1


@njit(inline="always", **JIT)
def _solo(mode, l, r, dl, dr, tl, tr):
    """One listening mode of a frame: (l, r) as compare left it, (dl, dr) the
    chain's output minus the aligned input, (tl, tr) the tap."""
    if mode >= TAP0:
        return tl, tr
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
        S[S_RINGL + pos] = buf[i, 0]
        S[S_RINGL + pos + RING] = buf[i, 0]
        S[S_RINGR + pos] = buf[i, 1]
        S[S_RINGR + pos + RING] = buf[i, 1]
        pos = (pos + 1) % RING
    # the write position is advanced by process(), after it has read this chunk


@njit(**JIT)
def _close_block(T, S):
    S[S_N] = 0.0
    pd, pw, filled = close_window_slot(S, S_SLOT, S_FILLED, S_ACC_D, S_ACC_W, S_SLOTS_D, S_SLOTS_W, SLOTS)
    n = filled * T[HOP]
    if pd > QUIET * n and pw > 0.0:
        d = 10.0 * math.log10(pw / pd)
        S[S_D] = min(max(d, -HOLD_DB), HOLD_DB)
    if pw > QUIET * n:
        S[S_LW] = -0.691 + 10.0 * math.log10(pw / n)


@njit(inline="always", **JIT)
def _targets(T, S, mode):
    """(dry gain, wet gain) targets for the current offset D. D changes only
    when a 100 ms block closes, so these two exps are not taken per sample.
    The dry gain always tracks D, so it is ready the moment compare is pressed."""
    d = S[S_D]
    td = gain_of(d)
    tw = gain_of(min(T[REF_DB] - d, 0.0)) if mode == 2 else (gain_of(T[REF_DB]) if mode >= 4 else 1.0)
    tr = gain_of(reference_offset(T, S))
    return td, tw, tr


@njit(inline="always", **JIT)
def reference_offset(T, S):
    """What the reference is raised by to sound as loud as the programme, dB."""
    return min(max(S[S_LW] - T[R_LU], -HOLD_DB), HOLD_DB)


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
            kx[4 * i] = S[S_RINGL + rd]
            kx[4 * i + 1] = S[S_RINGR + rd]
            kx[4 * i + 2] = buf[i0 + c0 + i, 0]
            kx[4 * i + 3] = buf[i0 + c0 + i, 1]
        acc_d, acc_w = k_powers(kx, m, T[KL:KL + 40], S[S_KF:S_KF + 32])
        S[S_ACC_D] += acc_d
        S[S_ACC_W] += acc_w
        c0 += m


@njit(inline="always", **JIT)
def _prime(look0, count, gain, T, S, o, R, roff, rn):
    """Start a safety limiter: run it over the ``count`` frames from look0 (the
    dry delay line when rn == 0, else reference frames) so its window holds
    real minima before the first frame it scales is heard."""
    w = int(T[WIN])
    safety.reset(S, o, w)
    if rn == 0:
        safety.fill_ahead(S[S_RINGL:S_RINGL + 2 * RING], S[S_RINGR:S_RINGR + 2 * RING],
                          (look0 - safety.HALF) & (RING - 1), T[TSA:TSA + safety.A_N], S, o)
    ceil = T[CEIL]
    for j in range(count):
        safety.step(S, o, safety.need(_peak(look0 + j, count - j, T, S, o, R, roff, rn), gain, ceil), w)


@njit(inline="always", **JIT)
def _peak(look, avail, T, S, o, R, roff, rn):
    """The true peak of frame ``look``: measured from the delay line for the
    input (``avail`` frames from it on are in the line already: the chunk was
    stored before any of it is played), precomputed on load for a reference."""
    if rn == 0:
        return safety.peak_ahead(S[S_RINGL:S_RINGL + 2 * RING], S[S_RINGR:S_RINGR + 2 * RING],
                                 (look - safety.HALF) & (RING - 1), avail, T[TSA:TSA + safety.A_N],
                                 T[TSB:TSB + safety.B_N],
                                 T[TPH:TPH + safety.PHASES * safety.TAPS].reshape((safety.PHASES, safety.TAPS)),
                                 S, o)
    return R[3 * (roff + look % rn) + 2]


@njit(inline="always", **JIT)
def _stamped(T, R, a):
    """Whether decoded frame ``a`` (absolute) is in the codec memory."""
    b = a // CODEC_BLOCK
    nb = int(T[CD_N]) // CODEC_BLOCK
    return R[int(T[CD_ST0]) + b % nb] == float(b % CODEC_STAMP_MOD + 1)


@njit(inline="always", **JIT)
def _codec_peak(dl, dr, look, T, S, mask):
    return safety.frame_peak(dl, dr, (look - safety.HALF) & mask, T[TSA:TSA + safety.A_N],
                             T[TSB:TSB + safety.B_N],
                             T[TPH:TPH + safety.PHASES * safety.TAPS].reshape((safety.PHASES, safety.TAPS)),
                             S, S_SAFE_C)


@njit(inline="always", **JIT)
def _codec_frame(a, T, S, R, cv, ceil, w):
    """The codec's frame ``a`` (absolute, already CD_DELAY back): the decoded
    frame through the safety limiter, the difference, or between the two as
    the view fades; silence when it is not decoded yet."""
    cn = int(T[CD_N])
    mask = cn - 1
    if a - w - safety.HALF < 0 or not (_stamped(T, R, a - w - safety.HALF) and _stamped(T, R, a)
                                       and _stamped(T, R, a + w + safety.HALF + 1)):
        S[S_CD_LATE] += 1.0
        S[S_ON_C] = 0.0
        return 0.0, 0.0
    dl = R[int(T[CD_L0]):int(T[CD_L0]) + 2 * cn]
    dr = R[int(T[CD_R0]):int(T[CD_R0]) + 2 * cn]
    j = a & mask
    g = 1.0
    if cv < 1.0:
        if S[S_ON_C] == 0.0:
            safety.reset(S, S_SAFE_C, w)
            safety.fill(dl, dr, (a - w + 1 - safety.HALF) & mask, T[TSA:TSA + safety.A_N], S, S_SAFE_C)
            for k in range(2 * w - 2):
                safety.step(S, S_SAFE_C, safety.need(_codec_peak(dl, dr, a - w + 1 + k, T, S, mask),
                                                     1.0, ceil), w)
            S[S_ON_C] = 1.0
        g = safety.step(S, S_SAFE_C, safety.need(_codec_peak(dl, dr, a + w - 1, T, S, mask), 1.0, ceil), w)
    else:
        S[S_ON_C] = 0.0
    p = int(T[CD_P0]) + 2 * j
    cl = (1.0 - cv) * dl[j] * g + cv * (R[p] - dl[j])
    cr = (1.0 - cv) * dr[j] * g + cv * (R[p + 1] - dr[j])
    return cl, cr


@njit(**JIT)
def process(buf, n, T, S, R):
    """R: the reference frames (float32 left, right, peak), all loaded
    references one after the other; the selected one at R_OFF."""
    mode = int(T[MODE])
    lat = int(T[LAT])
    hop = int(T[HOP])
    ceil = T[CEIL]
    gk = T[GAIN_K]
    xk = T[XF_K]
    w = int(T[WIN])
    roff = int(T[R_OFF])
    rn = int(T[R_N])
    if rn > 0 and 3 * (roff + rn) > R.shape[0]:
        rn = 0                               # (a set that does not fit is never published)
    if roff != int(S[S_ROFF]) or rn != int(S[S_RN]):
        S[S_ROFF] = roff                     # another reference: from its start
        S[S_RN] = rn
        S[S_RPOS] = 0.0
        S[S_ON_R] = 0.0
    pos0 = int(S[S_POS])
    cn = int(T[CD_N])
    if cn > 0 and (int(T[CD_ST0]) + cn // CODEC_BLOCK > R.shape[0] or int(T[CD_P0]) + 2 * cn > R.shape[0]
                   or int(T[CD_L0]) + 2 * cn > R.shape[0] or int(T[CD_R0]) + 2 * cn > R.shape[0]):
        cn = 0                               # (memory that does not fit is never published)
    codec = mode >= 7 and cn > 0
    xc = S[S_XC]
    cv = S[S_CV]
    txc = 1.0 if codec else 0.0
    tcv = 1.0 if mode == 8 else (0.0 if mode == 7 else cv)
    cpos = int(S[S_CD_POS])
    writing = cn > 0 and (codec or xc > 0.0)
    if writing:
        # the processed output into the codec memory, for the worker to encode
        p0 = int(T[CD_P0])
        for i in range(n):
            q = p0 + 2 * ((cpos + i) & (cn - 1))
            R[q] = buf[i, 0]
            R[q + 1] = buf[i, 1]
    cdelay = int(T[CD_DELAY])
    td, tw, tr = _targets(T, S, mode)
    tx = 1.0 if mode == 1 else 0.0
    txr = 1.0 if mode == 3 and rn > 0 else 0.0
    gd = S[S_GD]
    gw = S[S_GW]
    gr = S[S_GR]
    pg = S[S_PLG]
    xf = S[S_XF]
    xr = S[S_XR]
    rpos = int(S[S_RPOS])
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
        if (xf == 0.0 and tx == 0.0 and xr == 0.0 and txr == 0.0 and xc == 0.0 and txc == 0.0
                and cv == tcv and gw == 1.0 and tw == 1.0 and sto == 0 and sx == 1.0):
            # settled on the processed output, heard as it is: every frame would
            # be left untouched and every glide stay where it is; only the
            # gains that track D (ready for compare and a reference) move on
            for i in range(seg):
                gd += gk * (td - gd)
                gr += gk * (tr - gr)
            seg_left = 0
        else:
            seg_left = seg
        for i in range(i0, i0 + seg_left):
            gd += gk * (td - gd)
            gw += gk * (tw - gw)
            gr += gk * (tr - gr)
            if abs(gw - tw) < 1e-7:
                gw = tw                      # snap, so idle means exactly unity
            xf = glide(xf, tx, xk)
            xr = glide(xr, txr, xk)
            xc = glide(xc, txc, xk)
            cv = glide(cv, tcv, xk)
            plain = xf == 0.0 and xr == 0.0 and xc == 0.0 and gw == 1.0
            if plain and sto == 0 and sx == 1.0:
                continue                     # processed, unmatched, stereo: untouched
            rd = (pos0 + i - lat) & (RING - 1)
            wl = buf[i, 0]
            wr = buf[i, 1]
            ol = wl
            orr = wr
            if not plain:
                ol = (1.0 - xf - xr - xc) * wl * gw
                orr = (1.0 - xf - xr - xc) * wr * gw
                if mode == 6:
                    pk = max(abs(ol), abs(orr))
                    tg = T[PL_THR] / pk if pk > T[PL_THR] else 1.0
                    c = T[PL_ATT] if tg < pg else T[PL_REL]
                    pg = tg + c * (pg - tg)
                    ol *= pg
                    orr *= pg
                if xf > 0.0:
                    # the input raised by D, limited in true peak W - 1 frames ahead;
                    # planned at the larger of the gain now and its target, since
                    # the gain moves toward the target meanwhile
                    gplan = max(gd, td)
                    if S[S_ON_D] == 0.0:
                        _prime(rd - w + 1, 2 * w - 2, gplan, T, S, S_SAFE_D, R, 0, 0)
                        S[S_ON_D] = 1.0
                    p = _peak(rd + w - 1, n - i, T, S, S_SAFE_D, R, 0, 0)
                    g = safety.step(S, S_SAFE_D, safety.need(p, gplan, ceil), w) * gd
                    ol += xf * S[S_RINGL + rd] * g
                    orr += xf * S[S_RINGR + rd] * g
                else:
                    S[S_ON_D] = 0.0
                if xr > 0.0 and rn > 0:
                    gplan = max(gr, tr)
                    if S[S_ON_R] == 0.0:
                        _prime(rpos - w + 1 + rn, 2 * w - 2, gplan, T, S, S_SAFE_R, R, roff, rn)
                        S[S_ON_R] = 1.0
                    p = _peak(rpos + w - 1, 1, T, S, S_SAFE_R, R, roff, rn)
                    g = safety.step(S, S_SAFE_R, safety.need(p, gplan, ceil), w) * gr
                    a = 3 * (roff + rpos)
                    ol += xr * R[a] * g
                    orr += xr * R[a + 1] * g
                    rpos += 1
                    if rpos >= rn:
                        rpos = 0
                else:
                    S[S_ON_R] = 0.0
                if xc > 0.0 and cn > 0:
                    cl, cr = _codec_frame(cpos + i - cdelay, T, S, R, cv, ceil, w)
                    ol += xc * cl
                    orr += xc * cr
                else:
                    S[S_ON_C] = 0.0
            if sto != 0 or sx != 1.0:
                dl = wl - S[S_RINGL + rd]
                dr = wr - S[S_RINGR + rd]
                tl = buf[i, 3]
                tr = buf[i, 4]
                nl, nr = _solo(sto, ol, orr, dl, dr, tl, tr)
                if sx != 1.0:
                    sx += xk * (1.0 - sx)
                    if 1.0 - sx < 1e-7:
                        sx = 1.0
                    pl, pr = _solo(sfrom, ol, orr, dl, dr, tl, tr)
                    nl = (1.0 - sx) * pl + sx * nl
                    nr = (1.0 - sx) * pr + sx * nr
                ol = nl
                orr = nr
            buf[i, 0] = ol
            buf[i, 1] = orr
        S[S_N] = cnt + seg
        if cnt + seg >= hop:
            _close_block(T, S)
            td, tw, tr = _targets(T, S, mode)
        i0 += seg
    S[S_GD] = gd
    S[S_GW] = gw
    S[S_GR] = gr
    S[S_PLG] = pg
    S[S_XF] = xf
    S[S_XR] = xr
    S[S_XC] = xc
    S[S_CV] = cv
    if writing:
        S[S_CD_POS] = cpos + n
    S[S_RPOS] = rpos
    S[S_SOLO_X] = sx
    if sx == 1.0:
        S[S_SOLO_FROM] = sto
    S[S_POS] = (pos0 + n) % RING
    flush_denormals(S, S_KF, 32)
    context.process(buf, n, T[CX:CX + context.T_SIZE], S[S_CX:S_CX + context.S_SIZE], R, ceil, w,
                    T[HOP], xk, gk, T[TSA:TSA + safety.A_N], T[TSB:TSB + safety.B_N],
                    T[TPH:TPH + safety.PHASES * safety.TAPS].reshape((safety.PHASES, safety.TAPS)),
                    T[KL:KL + 40])
