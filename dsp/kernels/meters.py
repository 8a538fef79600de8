"""Loudness and peak meter kernel (BS.1770-4 / EBU Mode / Tech 3342), streaming.

One kernel serves the real-time path and offline files, so both give the same
numbers. State lives in the caller's arrays; nothing is allocated.

Signal flow per channel: K-weighting (two biquads), square, weight G_c, sum
over channels into the current sub-block. A sub-block is ~1 ms (SUB samples; D
of them make exactly 100 ms). Rings of sub-block energies give:
- momentary M: mean over the last 4D sub-blocks (400 ms), updated every sub-block;
- short-term S: mean over the last 30D sub-blocks (3 s), updated every sub-block;
- every 100 ms, the last 400 ms as a gating block for the integrated loudness,
  and S as a sample for the loudness range.
Integrated loudness and LRA keep histograms (0.01 LU bins, -70..+30 LUFS) of
block counts and block energies, so memory is bounded however long the meter
runs; the gates and percentiles are computed from them off the audio thread.
Blocks are only counted when complete, so an incomplete final block is dropped.

True peak: BS.1770 Annex 2, the 48-tap 4-phase interpolator, all channels.
"""
import math

from numba import njit

from .common import JIT, dot

MAX_CH = 6
RING = 3000              # sub-blocks in 3 s (D <= 100)
HIST_BINS = 10000        # 0.01 LU from -70 to +30
HIST_LO = -70.0
HIST_STEP = 0.01
SERIES = 256             # 100 ms rows of (M, S, true peak) for plots and the UI

# MT: configuration and coefficients (designed in dsp/meters.py)
C, SUB, D, CORR_K = 0, 1, 2, 3
G = 4                    # channel weights (MAX_CH)
K_SHELF = G + MAX_CH     # biquad
K_HP = K_SHELF + 5       # biquad
ANNEX = K_HP + 5         # 4 phases x 12, reversed
HSUM = ANNEX + 48        # the largest sum of |taps| over the phases
MT_SIZE = HSUM + 1

# MS: state
S_KF = 0                           # K filter states: MAX_CH x 2 sections x 2
S_ACC = S_KF + MAX_CH * 4          # energy of the current sub-block
S_ACCN = S_ACC + 1                 # samples in it
S_RING = S_ACCN + 1                # sub-block energies (sum of weighted squares)
S_RPOS = S_RING + RING
S_NSUB = S_RPOS + 1                # sub-blocks completed since reset
S_SUMM = S_NSUB + 1                # running sums over the M and S windows
S_SUMS = S_SUMM + 1
S_M = S_SUMS + 1                   # current momentary, short-term (LUFS)
S_S = S_M + 1
S_MAXM = S_S + 1
S_MAXS = S_MAXM + 1
S_HI_N = S_MAXS + 1                # gating-block histogram: counts
S_HI_E = S_HI_N + HIST_BINS        #                          energies
S_HL_N = S_HI_E + HIST_BINS        # short-term (LRA) histogram: counts
S_HL_E = S_HL_N + HIST_BINS        #                             energies
S_TPH = S_HL_E + HIST_BINS         # Annex 2 histories: MAX_CH x 24 (doubled ring of 12)
S_TPP = S_TPH + MAX_CH * 24
S_TP = S_TPP + 1                   # max true peak (linear) since reset
S_SP = S_TP + 1                    # max sample peak (linear) since reset
S_TPSLOT = S_SP + 1                # true peak of the current 100 ms slot
S_TPRING = S_TPSLOT + 1            # the last 30 slots' true peaks (for PSR)
S_CORR = S_TPRING + 30             # E[LR], E[LL], E[RR] (exponential)
S_SERIES = S_CORR + 3              # SERIES x 3
S_SERN = S_SERIES + 3 * SERIES     # rows written since reset
S_FRAMES = S_SERN + 1              # frames measured since reset
S_WMAX = S_FRAMES + 1              # largest |sample| in each channel's true-peak window
MS_SIZE = S_WMAX + MAX_CH

NEG_INF = -math.inf


@njit(inline="always", **JIT)
def _kbiquad(x, b0, b1, b2, a1, a2, s, si):
    """Transposed direct form II without a per-sample denormal guard: the meter
    flushes tiny states once per sub-block instead (_flush), keeping the
    recursion's critical path short. Coefficients come in as scalars the caller
    loaded once per block (the state array may alias the coefficient array, so
    LLVM would otherwise reload them after every state store)."""
    y = b0 * x + s[si]
    s[si] = b1 * x - a1 * y + s[si + 1]
    s[si + 1] = b2 * x - a2 * y
    return y


@njit(inline="always", **JIT)
def _flush(MS, nch):
    for j in range(4 * nch):
        if abs(MS[S_KF + j]) < 1e-30:
            MS[S_KF + j] = 0.0


@njit(inline="always", **JIT)
def _lufs(energy_mean):
    if energy_mean <= 0.0:
        return NEG_INF
    return -0.691 + 10.0 * math.log10(energy_mean)


@njit(inline="always", **JIT)
def _hist_add(MS, base_n, base_e, lufs, energy):
    if lufs > HIST_LO:
        b = int((lufs - HIST_LO) / HIST_STEP)
        if b >= HIST_BINS:
            b = HIST_BINS - 1
        MS[base_n + b] += 1.0
        MS[base_e + b] += energy


@njit(**JIT)
def process(x, n, MT, MS):
    """Meter n frames of x (n, channels) float32 or float64."""
    nch = int(MT[C])
    sub = int(MT[SUB])
    d = int(MT[D])
    wm = 4 * d
    ws = 30 * d
    ck = MT[CORR_K]
    acc = MS[S_ACC]
    accn = int(MS[S_ACCN])
    tpp = int(MS[S_TPP])
    tp_slot = MS[S_TPSLOT]
    sp = MS[S_SP]
    c_lr = MS[S_CORR]
    c_ll = MS[S_CORR + 1]
    c_rr = MS[S_CORR + 2]
    sb0, sb1, sb2, sa1, sa2 = MT[K_SHELF], MT[K_SHELF + 1], MT[K_SHELF + 2], MT[K_SHELF + 3], MT[K_SHELF + 4]
    hb0, hb1, hb2, ha1, ha2 = MT[K_HP], MT[K_HP + 1], MT[K_HP + 2], MT[K_HP + 3], MT[K_HP + 4]
    hsum = MT[HSUM]
    # the Annex 2 taps, loaded once per block (see _kbiquad on aliasing); the
    # 12-tap sums below are written out in full for the same reason
    h0 = MT[ANNEX + 0]
    h1 = MT[ANNEX + 1]
    h2 = MT[ANNEX + 2]
    h3 = MT[ANNEX + 3]
    h4 = MT[ANNEX + 4]
    h5 = MT[ANNEX + 5]
    h6 = MT[ANNEX + 6]
    h7 = MT[ANNEX + 7]
    h8 = MT[ANNEX + 8]
    h9 = MT[ANNEX + 9]
    h10 = MT[ANNEX + 10]
    h11 = MT[ANNEX + 11]
    h12 = MT[ANNEX + 12]
    h13 = MT[ANNEX + 13]
    h14 = MT[ANNEX + 14]
    h15 = MT[ANNEX + 15]
    h16 = MT[ANNEX + 16]
    h17 = MT[ANNEX + 17]
    h18 = MT[ANNEX + 18]
    h19 = MT[ANNEX + 19]
    h20 = MT[ANNEX + 20]
    h21 = MT[ANNEX + 21]
    h22 = MT[ANNEX + 22]
    h23 = MT[ANNEX + 23]
    h24 = MT[ANNEX + 24]
    h25 = MT[ANNEX + 25]
    h26 = MT[ANNEX + 26]
    h27 = MT[ANNEX + 27]
    h28 = MT[ANNEX + 28]
    h29 = MT[ANNEX + 29]
    h30 = MT[ANNEX + 30]
    h31 = MT[ANNEX + 31]
    h32 = MT[ANNEX + 32]
    h33 = MT[ANNEX + 33]
    h34 = MT[ANNEX + 34]
    h35 = MT[ANNEX + 35]
    h36 = MT[ANNEX + 36]
    h37 = MT[ANNEX + 37]
    h38 = MT[ANNEX + 38]
    h39 = MT[ANNEX + 39]
    h40 = MT[ANNEX + 40]
    h41 = MT[ANNEX + 41]
    h42 = MT[ANNEX + 42]
    h43 = MT[ANNEX + 43]
    h44 = MT[ANNEX + 44]
    h45 = MT[ANNEX + 45]
    h46 = MT[ANNEX + 46]
    h47 = MT[ANNEX + 47]
    for i in range(n):
        e = 0.0
        for c in range(nch):
            v = float(x[i, c])
            a = abs(v)
            if a > sp:
                sp = a
            y = _kbiquad(_kbiquad(v, sb0, sb1, sb2, sa1, sa2, MS, S_KF + 4 * c),
                         hb0, hb1, hb2, ha1, ha2, MS, S_KF + 4 * c + 2)
            e += MT[G + c] * y * y
            # true peak: push into the window, keeping its largest magnitude
            hb = S_TPH + 24 * c
            leaving = abs(MS[hb + tpp])
            MS[hb + tpp] = v
            MS[hb + tpp + 12] = v
            top = MS[S_WMAX + c]
            if a >= top:
                top = a
            elif leaving == top:
                top = 0.0                     # the maximum left: rescan (1 in 12, on average)
                for j in range(12):
                    top = max(top, abs(MS[hb + j]))
            MS[S_WMAX + c] = top
            # |interpolated| <= sum|h| * max|x| over the window: when even that
            # bound cannot beat the slot's peak, the 48 multiply-adds are skipped
            # (exact: the result is the same either way)
            if top * hsum > tp_slot:
                w0 = hb + tpp + 1             # the window, oldest first, just written
                u0 = MS[w0 + 0]
                u1 = MS[w0 + 1]
                u2 = MS[w0 + 2]
                u3 = MS[w0 + 3]
                u4 = MS[w0 + 4]
                u5 = MS[w0 + 5]
                u6 = MS[w0 + 6]
                u7 = MS[w0 + 7]
                u8 = MS[w0 + 8]
                u9 = MS[w0 + 9]
                u10 = MS[w0 + 10]
                u11 = MS[w0 + 11]
                a0 = (h0 * u0 + h1 * u1 + h2 * u2 + h3 * u3 + h4 * u4 + h5 * u5
                      + h6 * u6 + h7 * u7 + h8 * u8 + h9 * u9 + h10 * u10 + h11 * u11)
                a1 = (h12 * u0 + h13 * u1 + h14 * u2 + h15 * u3 + h16 * u4 + h17 * u5
                      + h18 * u6 + h19 * u7 + h20 * u8 + h21 * u9 + h22 * u10 + h23 * u11)
                a2 = (h24 * u0 + h25 * u1 + h26 * u2 + h27 * u3 + h28 * u4 + h29 * u5
                      + h30 * u6 + h31 * u7 + h32 * u8 + h33 * u9 + h34 * u10 + h35 * u11)
                a3 = (h36 * u0 + h37 * u1 + h38 * u2 + h39 * u3 + h40 * u4 + h41 * u5
                      + h42 * u6 + h43 * u7 + h44 * u8 + h45 * u9 + h46 * u10 + h47 * u11)
                u = max(max(abs(a0), abs(a1)), max(abs(a2), abs(a3)))
                if u > tp_slot:
                    tp_slot = u
        tpp += 1
        if tpp == 12:
            tpp = 0
        if nch >= 2:
            l = float(x[i, 0])
            r = float(x[i, 1])
            c_lr += ck * (l * r - c_lr)
            c_ll += ck * (l * l - c_ll)
            c_rr += ck * (r * r - c_rr)
        acc += e
        accn += 1
        if accn == sub:
            _flush(MS, nch)
            _sub_block_done(MS, acc, sub, d, wm, ws, tp_slot)
            if (int(MS[S_NSUB]) % d) == 0:
                tp_slot = 0.0
            acc = 0.0
            accn = 0
    MS[S_CORR] = c_lr
    MS[S_CORR + 1] = c_ll
    MS[S_CORR + 2] = c_rr
    MS[S_ACC] = acc
    MS[S_ACCN] = accn
    MS[S_TPP] = tpp
    MS[S_TPSLOT] = tp_slot
    MS[S_SP] = sp
    MS[S_FRAMES] += n


@njit(**JIT)
def _sub_block_done(MS, acc, sub, d, wm, ws, tp_slot):
    pos = int(MS[S_RPOS])
    nsub = int(MS[S_NSUB])
    # the values leaving the two windows
    old_m = MS[S_RING + (pos - wm) % ws] if nsub >= wm else 0.0
    old_s = MS[S_RING + pos] if nsub >= ws else 0.0
    MS[S_RING + pos] = acc
    pos += 1
    if pos == ws:
        pos = 0
    nsub += 1
    MS[S_RPOS] = pos
    MS[S_NSUB] = nsub
    sm = MS[S_SUMM] + acc - old_m
    ss = MS[S_SUMS] + acc - old_s
    if pos == 0:
        # re-sum exactly once per lap, so rounding never accumulates
        sm = 0.0
        ss = 0.0
        for j in range(ws):
            ss += MS[S_RING + j]
        for j in range(wm):
            sm += MS[S_RING + (ws - 1 - j)]
    MS[S_SUMM] = max(sm, 0.0)
    MS[S_SUMS] = max(ss, 0.0)
    m = _lufs(MS[S_SUMM] / (wm * sub))
    s = _lufs(MS[S_SUMS] / (ws * sub))
    MS[S_M] = m
    MS[S_S] = s
    if nsub >= wm and m > MS[S_MAXM]:
        MS[S_MAXM] = m
    if nsub >= ws and s > MS[S_MAXS]:
        MS[S_MAXS] = s
    if nsub % d == 0:
        k = nsub // d                   # 100 ms steps since reset
        if nsub >= wm:
            eb = MS[S_SUMM] / (wm * sub)
            _hist_add(MS, S_HI_N, S_HI_E, _lufs(eb), eb)
        if nsub >= ws:
            es = MS[S_SUMS] / (ws * sub)
            _hist_add(MS, S_HL_N, S_HL_E, _lufs(es), es)
        MS[S_TPRING + (k % 30)] = tp_slot
        row = int(MS[S_SERN]) % SERIES
        MS[S_SERIES + 3 * row] = m if nsub >= wm else NEG_INF
        MS[S_SERIES + 3 * row + 1] = s if nsub >= ws else NEG_INF
        MS[S_SERIES + 3 * row + 2] = tp_slot
        MS[S_SERN] += 1.0
        if tp_slot > MS[S_TP]:
            MS[S_TP] = tp_slot


@njit(**JIT)
def oversampled_peak(x, H):
    """Largest |value| of x interpolated by H.shape[0] (polyphase branches, each
    reversed, H.shape[1] taps): x is one channel, already padded with taps-1
    zeros in front and taps-1 behind. Offline only (it reads the whole signal)."""
    phases, taps = H.shape
    peak = 0.0
    for i in range(x.shape[0] - taps + 1):
        w = x[i:i + taps]
        for p in range(phases):
            v = abs(dot(H[p], w))
            if v > peak:
                peak = v
    return peak
