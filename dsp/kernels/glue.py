"""Glue (bus) compressor kernel: feed-forward, sidechain high-pass, stereo link,
soft knee, attack/release or program-dependent auto release, parallel mix, make-up.

Detector: the instantaneous magnitude of the high-passed sidechain, per channel,
linked by ``link`` toward the louder channel; the gain computer works on its dB
value and the ballistics smooth the resulting gain change (see dynamics.py).
Auto release: a slow average of the gain change marks the sustained level;
reduction deeper than it (a transient) recovers with a fast 50 ms constant,
the rest with a slow 600 ms one.

Upward compression (issue #30): below its own threshold a quiet passage is
raised, by (threshold - level) (1 - 1/ratio) dB up to a maximum gain, and a
loud one is left alone. Its detector is the mean square of the same linked
sidechain over 10 ms, read as the level of the sine that has it (+3.01 dB),
so a steady tone's boost is its static curve with no ripple of the waveform;
its ballistics are its own: the boost falls with the attack (the level
rose), rises with the release. Off (UP = 0 and no boost held), both paths
skip it (its detector rests) and the output is what it was before it existed.
"""

import math

from numba import njit

from .common import BIQ, FAST, JIT, biquad, biquad_step, coefs, db_of, flush_denormals, gain_of, ramp_frame
from .dynamics import ballistics, gain_computer
from .layout import Layout

SINE_DB = 10.0 * math.log10(2.0)   # a sine's peak over its RMS

# T, all smoothed
_T = Layout()
(MIX, THR, SLOPE, KNEE, MAKEUP, PMIX, LINK, ATT, REL, AUTO, REL_FAST, REL_SLOW,
 AVG) = _T.each(13)
# upward: on (0/1), threshold dB, 1 - 1/ratio, maximum gain dB, attack and
# release coefficients, the detector's mean-square coefficient
UP, UTHR, USLOPE, UMAX, UATT, UREL, UMS = _T.each(7)
SC = _T.take(BIQ)             # sidechain high-pass biquad
N_SMOOTH = T_SIZE = _T.size
# S
_S = Layout(N_SMOOTH)
S_SC = _S.take(4)             # 2 channels x 2 words
S_GR = _S.take(2)             # smoothed gain change, dB, per channel
S_AVG = _S.take(2)            # slow average of the gain change, per channel
S_METER = _S.take()           # the latest gain change of the louder channel, dB
S_UMS = _S.take(2)            # upward: the detector's mean square, per channel
S_UP = _S.take(2)             # upward: the boost, dB, per channel
S_UMETER = _S.take()          # upward: the latest boost of the channel raised most, dB
# scratch, rewritten every pass of at most MAXN frames: per channel the
# detector level's target, then the gain change, then the gain
MAXN = 64
S_WORK = _S.take(2 * MAXN)
S_UWORK = _S.take(2 * MAXN)   # the upward boosts of the pass
S_SIZE = _S.size


@njit(inline="always", **JIT)
def _levels(l, r, S):
    """The linked sidechain levels of one frame (the high-pass is a recurrence)."""
    al = abs(biquad(l, S, SC, S, S_SC))
    ar = abs(biquad(r, S, SC, S, S_SC + 2))
    link = S[LINK]
    mx = max(al, ar)
    return al + link * (mx - al), ar + link * (mx - ar)


@njit(inline="always", **JIT)
def _target(a, S):
    return gain_computer(db_of(a + 1e-30), S[THR], S[SLOPE], S[KNEE])


@njit(inline="always", **JIT)
def _step(target, ch, S):
    """One step of a channel's ballistics and auto release; the new gain change."""
    cur = S[S_GR + ch]
    avg = S[S_AVG + ch]
    rel = S[REL]
    auto = S[AUTO]
    if auto != 0.0:
        auto_rel = S[REL_FAST] if cur < avg else S[REL_SLOW]
        rel += auto * (auto_rel - rel)
    cur = ballistics(target, cur, S[ATT], rel)
    S[S_GR + ch] = cur
    S[S_AVG + ch] = avg + S[AVG] * (cur - avg)
    return cur


@njit(inline="always", **JIT)
def _boost(a, ch, S):
    """One step of a channel's upward compression on its linked level a: the
    new boost, dB (0 when off: the mean square still follows)."""
    ms = a * a + S[UMS] * (S[S_UMS + ch] - a * a)
    S[S_UMS + ch] = ms
    level = 10.0 * math.log10(ms + 1e-30) + SINE_DB
    target = min(max((S[UTHR] - level) * S[USLOPE], 0.0), S[UMAX]) * S[UP]
    cur = ballistics(target, S[S_UP + ch], S[UATT], S[UREL])
    S[S_UP + ch] = cur
    return cur


@njit(inline="always", **JIT)
def _out(x, gr, S):
    """The frame's output sample for a channel with gain change gr (dB)."""
    return _mix(x, gain_of(gr) * S[MAKEUP], S[PMIX], S[MIX])


@njit(inline="always", **JIT)
def _mix(x, g, p, mix):
    """x through gain g, mixed in parallel (p) and by the module's mix."""
    w = p * (x * g) + (1.0 - p) * x
    return mix * w + (1.0 - mix) * x


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    c0 = 0
    while c0 < n:
        m = min(MAXN, n - c0)
        if ramp - c0 > 0:
            _ramping(buf, c0, m, T, S, ramp - c0, k)
        else:
            _steady(buf, c0, m, S)
        c0 += m
    flush_denormals(S, S_SC, 4)


@njit(**JIT)
def _ramping(buf, c0, m, T, S, ramp, k):
    """While a ramp runs: one frame at a time, its values smoothed first."""
    for i in range(m):
        ramp_frame(T, S, N_SMOOTH, ramp, i, k)
        l = buf[c0 + i, 0]
        r = buf[c0 + i, 1]
        al, ar = _levels(l, r, S)
        gl = _step(_target(al, S), 0, S)
        gr = _step(_target(ar, S), 1, S)
        S[S_METER] = min(min(gl, gr), 0.0)
        if S[UP] != 0.0 or S[S_UP] != 0.0 or S[S_UP + 1] != 0.0:
            ul = _boost(al, 0, S)
            ur = _boost(ar, 1, S)
            S[S_UMETER] = max(ul, ur)
            gl += ul
            gr += ur
        buf[c0 + i, 0] = _out(l, gl, S)
        buf[c0 + i, 1] = _out(r, gr, S)


@njit(**FAST)
def _steady(buf, c0, m, S):
    """No ramp: the same arithmetic stage by stage over the pass, so the dB
    conversions, gain computers and gains (independent per frame) vectorise and
    only the sidechain filter and the ballistics run frame by frame."""
    wl = S[S_WORK:S_WORK + m]
    wr = S[S_WORK + MAXN:S_WORK + MAXN + m]
    ul = S[S_UWORK:S_UWORK + m]
    ur = S[S_UWORK + MAXN:S_UWORK + MAXN + m]
    upward = S[UP] != 0.0 or S[S_UP] != 0.0 or S[S_UP + 1] != 0.0
    # the sidechain high-pass: both channels' recurrences in registers
    sc = coefs(S, SC)
    p1, p2, q1, q2 = S[S_SC], S[S_SC + 1], S[S_SC + 2], S[S_SC + 3]
    link = S[LINK]
    for i in range(m):
        yl, p1, p2 = biquad_step(buf[c0 + i, 0], sc, p1, p2)
        yr, q1, q2 = biquad_step(buf[c0 + i, 1], sc, q1, q2)
        al = abs(yl)
        ar = abs(yr)
        mx = max(al, ar)
        wl[i] = al + link * (mx - al)
        wr[i] = ar + link * (mx - ar)
    S[S_SC], S[S_SC + 1], S[S_SC + 2], S[S_SC + 3] = p1, p2, q1, q2
    if upward:
        for i in range(m):
            ul[i] = _boost(wl[i], 0, S)
            ur[i] = _boost(wr[i], 1, S)
        S[S_UMETER] = max(ul[m - 1], ur[m - 1])
    # (the values read once: the loops write into S's scratch, which the
    # compiler cannot tell apart from them, and would not vectorise)
    thr, slope, knee = S[THR], S[SLOPE], S[KNEE]
    for i in range(m):
        wl[i] = gain_computer(db_of(wl[i] + 1e-30), thr, slope, knee)
        wr[i] = gain_computer(db_of(wr[i] + 1e-30), thr, slope, knee)
    # the ballistics and auto release (_step), both channels in registers
    att = S[ATT]
    rel0 = S[REL]
    auto = S[AUTO]
    fast = S[REL_FAST]
    slow = S[REL_SLOW]
    k_avg = S[AVG]
    cl, cr = S[S_GR], S[S_GR + 1]
    vl, vr = S[S_AVG], S[S_AVG + 1]
    # auto release: the release each side of the average, computed once
    # (the same arithmetic as _step's, off the recurrence)
    rel_fast = rel0 + auto * (fast - rel0) if auto != 0.0 else rel0
    rel_slow = rel0 + auto * (slow - rel0) if auto != 0.0 else rel0
    for i in range(m):
        rl = rel_fast if cl < vl else rel_slow
        rr = rel_fast if cr < vr else rel_slow
        cl = ballistics(wl[i], cl, att, rl)
        cr = ballistics(wr[i], cr, att, rr)
        vl = vl + k_avg * (cl - vl)
        vr = vr + k_avg * (cr - vr)
        wl[i] = cl
        wr[i] = cr
    S[S_GR], S[S_GR + 1] = cl, cr
    S[S_AVG], S[S_AVG + 1] = vl, vr
    S[S_METER] = min(min(wl[m - 1], wr[m - 1]), 0.0)
    if upward:
        for i in range(m):
            wl[i] += ul[i]
            wr[i] += ur[i]
    # the gains over the scratch first (contiguous: the loop vectorises; the
    # work buffer's columns are strided), then the mixes
    makeup, pmix, mix = S[MAKEUP], S[PMIX], S[MIX]
    for i in range(m):
        wl[i] = gain_of(wl[i]) * makeup
        wr[i] = gain_of(wr[i]) * makeup
    for i in range(m):
        buf[c0 + i, 0] = _mix(buf[c0 + i, 0], wl[i], pmix, mix)
        buf[c0 + i, 1] = _mix(buf[c0 + i, 1], wr[i], pmix, mix)
