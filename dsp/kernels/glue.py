"""Glue (bus) compressor kernel: feed-forward, sidechain high-pass, stereo link,
soft knee, attack/release or program-dependent auto release, parallel mix, make-up.

Detector: the instantaneous magnitude of the high-passed sidechain, per channel,
linked by ``link`` toward the louder channel; the gain computer works on its dB
value and the ballistics smooth the resulting gain change (see dynamics.py).
Auto release: a slow average of the gain change marks the sustained level;
reduction deeper than it (a transient) recovers with a fast 50 ms constant,
the rest with a slow 600 ms one.
"""
import math

from numba import njit

from .common import JIT, biquad, flush_denormals, gain_of, ramp_step, smooth
from .dynamics import ballistics, gain_computer

# T, all smoothed
(MIX, THR, SLOPE, KNEE, MAKEUP, PMIX, LINK, ATT, REL, AUTO, REL_FAST, REL_SLOW,
 AVG) = range(13)
SC = 13                       # sidechain high-pass biquad (5)
N_SMOOTH = 18
T_SIZE = N_SMOOTH
# S
S_SC = N_SMOOTH               # 2 channels x 2 words
S_GR = N_SMOOTH + 4           # smoothed gain change, dB, per channel
S_AVG = N_SMOOTH + 6          # slow average of the gain change, per channel
S_METER = N_SMOOTH + 8        # the latest gain change of the louder channel, dB
S_SIZE = N_SMOOTH + 9


@njit(**JIT)
def process(buf, n, T, S, ramp, k):
    for i in range(n):
        active, snap = ramp_step(ramp, i)
        if active:
            smooth(T, 0, S, 0, N_SMOOTH, k, snap)
        l = buf[i, 0]
        r = buf[i, 1]
        al = abs(biquad(l, S, SC, S, S_SC))
        ar = abs(biquad(r, S, SC, S, S_SC + 2))
        link = S[LINK]
        mx = max(al, ar)
        al += link * (mx - al)
        ar += link * (mx - ar)
        thr = S[THR]
        slope = S[SLOPE]
        knee = S[KNEE]
        att = S[ATT]
        auto = S[AUTO]
        worst = 0.0
        for ch in range(2):
            a = al if ch == 0 else ar
            target = gain_computer(20.0 * math.log10(a + 1e-30), thr, slope, knee)
            cur = S[S_GR + ch]
            avg = S[S_AVG + ch]
            rel = S[REL]
            if auto != 0.0:
                auto_rel = S[REL_FAST] if cur < avg else S[REL_SLOW]
                rel += auto * (auto_rel - rel)
            cur = ballistics(target, cur, att, rel)
            S[S_GR + ch] = cur
            S[S_AVG + ch] = avg + S[AVG] * (cur - avg)
            if cur < worst:
                worst = cur
        S[S_METER] = worst
        gl = gain_of(S[S_GR]) * S[MAKEUP]
        gr = gain_of(S[S_GR + 1]) * S[MAKEUP]
        p = S[PMIX]
        wl = p * (l * gl) + (1.0 - p) * l
        wr = p * (r * gr) + (1.0 - p) * r
        mix = S[MIX]
        buf[i, 0] = mix * wl + (1.0 - mix) * l
        buf[i, 1] = mix * wr + (1.0 - mix) * r
    flush_denormals(S, S_SC, 4)
