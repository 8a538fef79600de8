"""The assistant's proposals: moves on the box's own controls, each with the
measurement that asks for it, checked by rendering before they are shown.

    p = propose(x, fs, values, reference=ref, words=("warmer",), amount=50)
    p.moves        # [Move(param, old, new, reason)], nothing applied
    p.values(values)   # what the session would hold after accepting them all

The programme is heard as the box makes it now: its loudest 30 s rendered
through the chain with the current settings. Against a reference (its own
loudest 30 s, as mastered), the tonal balance of mid and side is matched by
EQ bands fitted by least squares (fit.py), the width by the side-to-mid level
above 150 Hz, the loudness by limiter drive (or the delivery target's
loudness without a reference). Every move is scaled by Amount. Then the
capture is rendered through the real chain with the moves, re-measured, the
EQ gains corrected once, and rendered again: what is shown is what the chain
does, with the residual against the reference in dB.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from dsp import params

from ..errors import UserError
from ..targets import TARGETS
from . import fit as F
from . import range_match, ranges
from .analysis import CENTRES, MIN_VALID_S, Analysis, analyse, loudest_stretch
from . import ASPECTS
from .plan import (Proposal, _EqBook, _free_bands, _measured, _Plan, _render, loud_part_gr,
                   render_with_gr)
from .words import (Add, DeEss, Eq, Glue, Harsh, HoldBassSide, Louder, Set, ToTarget, Upward,
                    check as check_word)

WIDTH_MIN, WIDTH_MAX = 80.0, 130.0
WIDTH_LO, WIDTH_HI = 200.0, 10000.0   # where width is judged: above the mono-ish bass
NOTHING_DB = 0.5                  # differences under this everywhere: nothing to do
LOUDNESS_STEP_LU = 0.5
GLUE_GR_TOL = 0.25


def propose(x: np.ndarray, fs: int, values: dict, reference: np.ndarray | None = None,
            ref_fs: int | None = None, words=(), target: str = "streaming", amount: float = 50.0,
            aspects=ASPECTS, profile: tuple | None = None, to_target: bool = False) -> Proposal:
    """Listen to x (its loudest 30 s, as the chain makes it with ``values``)
    and propose moves; see the module's doc. Applies nothing. ``profile``:
    (name, Analysis) from profiles.load, matched like a reference; or a
    built-in profile (ranges.RangeProfile): only the bands outside its range
    get moves (range_match.py), and the loudness is said, not proposed.

    The loudness moves only when it is asked for: by a loudness word
    ("louder", "more dynamic", the chorus lift), by matching a reference or
    a profile (aspect "dynamics"), or by ``to_target`` (the target's
    loudness). A word about tone, width or compression never brings a
    loudness decision with it; the target's ceiling is kept safe always."""
    t0 = time.monotonic()
    if not 0.0 <= amount <= 100.0:
        raise UserError(f"amount {amount:g} %: out of range 0..100 %")
    for a in aspects:
        if a not in ASPECTS:
            raise UserError(f"aspect {a!r}: use {', '.join(ASPECTS)}")
    if target not in TARGETS:
        raise UserError(f"target {target!r}: unknown (known: {', '.join(TARGETS)})")
    tgt = TARGETS[target]
    word_list = [(w, check_word(w)) for w in words]
    to_target = to_target or any(isinstance(m, ToTarget) for _, wd in word_list for m in wd.moves)
    snapshot = any(wd.snapshot for _, wd in word_list)
    if snapshot and (len(word_list) > 1 or reference is not None or profile is not None):
        raise UserError("'chorus lift' proposes a snapshot of its own: ask for it alone "
                        "(no other word, reference or profile)")
    k = amount / 100.0
    values = params.check_values(values)
    capture = np.ascontiguousarray(loudest_stretch(np.asarray(x, np.float32), fs))
    y0, gr0 = render_with_gr(fs, values, capture)
    a0 = analyse(y0, fs)
    a0.loud_part_gr_db = {k: round(v, 2) for k, v in gr0.items()}
    notes: list[str] = []
    if reference is not None and profile is not None:
        raise UserError("match a reference or a profile, not both")
    against = "the reference"
    ref_a = None if reference is None else analyse(loudest_stretch(_at_rate(reference, ref_fs, fs), fs), fs)
    ranged = profile if isinstance(profile, ranges.RangeProfile) else None
    if ranged is not None:
        profile = None
    if profile is not None:
        against = f"the '{profile[0]}' profile"
        ref_a = profile[1]
    if a0.valid_seconds < MIN_VALID_S:
        notes.append(f"too little audio to judge: {a0.valid_seconds:.1f} s above the loudness gates "
                     f"({MIN_VALID_S:g} s needed); nothing proposed")
        return Proposal(a0.summary(), ref_a.summary() if ref_a else None, [], None, None, notes,
                        time.monotonic() - t0)
    plan = _Plan(values)
    book = _EqBook(values)
    d_mid = d_side = None
    if ref_a is not None:
        d_mid = ref_a.tonal_mid - a0.tonal_mid
        d_side = ref_a.tonal_side - a0.tonal_side
        d_side_eq = _match_width(plan, ref_a, a0, d_side, k, against) if "width" in aspects else d_side
        w = F.weights()
        if all(np.max(np.abs((d - np.sum(d * w) / w.sum()) * w)) < NOTHING_DB for d in (d_mid, d_side_eq)):
            notes.append(f"the tonal balance is within 0.5 dB of {against} in every band: no EQ needed")
        elif "tone" in aspects:
            _match_tone(plan, book, d_mid, d_side, d_side_eq, k, fs, capture, a0, against)
    position = None
    if ranged is not None:
        position = {"before": range_match.match(plan, book, ranged, k, fs, capture, notes)}
    loudness_word = _words(plan, book, word_list, k, tgt, fs, capture, d_mid, notes, against)
    book.place(plan)
    lift = [m.lu for _, wd in word_list for m in wd.moves if isinstance(m, Louder)]
    if lift:
        loudness_word = True
        _loudness(plan, fs, capture, a0.integrated_lufs + lift[0] * k, 1.0, tgt,
                  f"the lift's +{lift[0] * k:.2g} LU over the current sound", min_step=0.05)
    if not loudness_word and ref_a is not None and "dynamics" in aspects:
        _loudness(plan, fs, capture, ref_a.integrated_lufs, k, tgt, against)
    elif not loudness_word and to_target:
        _loudness(plan, fs, capture, tgt.lufs, k, tgt, f"the {tgt.name} target")
    elif not loudness_word and abs(a0.integrated_lufs - tgt.lufs) >= LOUDNESS_STEP_LU:
        off = a0.integrated_lufs - tgt.lufs
        notes.append(f"{a0.integrated_lufs:.1f} LUFS: {abs(off):.1f} LU {'over' if off > 0 else 'under'} "
                     f"the {tgt.name} target; no loudness move unless asked (louder, or to target)")
    # what the chain does with all of it, measured
    y1, _ = _render(fs, plan.now, capture)
    a1 = analyse(y1, fs)
    if a1.true_peak_dbtp > tgt.ceiling_dbtp and plan.now["limiter.on"] == 0.0:
        plan.set("limiter.on", 1.0, f"the moves would peak at {a1.true_peak_dbtp:+.1f} dBTP, over "
                 f"{tgt.name}'s {tgt.ceiling_dbtp:g} dBTP ceiling")
        plan.set("limiter.ceiling_dbtp", tgt.ceiling_dbtp, f"{tgt.name}'s ceiling")
        y1, _ = _render(fs, plan.now, capture)
        a1 = analyse(y1, fs)
    residual = before = None
    if ref_a is not None:
        before, residual = _both(ref_a, a0), _both(ref_a, a1)
    if position is not None:
        position["after"] = range_match.after(plan, ranged, fs, capture, position["before"], notes)
    moves = plan.moves()
    if not moves:
        notes.append("nothing to propose: the programme already meets what was asked")
    elif snapshot:
        notes.append(f"a snapshot, {a1.integrated_lufs - a0.integrated_lufs:+.1f} LU over the current "
                     "sound: store it, then recall it by hand at the chorus (recall mode perform, "
                     "morph 50-500 ms)")
    return Proposal(a0.summary(), ref_a.summary() if ref_a else None, moves,
                    None if residual is None else round(residual, 2),
                    None if before is None else round(before, 2), notes, time.monotonic() - t0,
                    snapshot, position)


def _at_rate(x: np.ndarray, fs_in: int | None, fs: int) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if fs_in is None or fs_in == fs:
        return x
    from dsp.resample import Resampler
    r = Resampler(fs_in, fs, x.shape[1])
    return np.concatenate([r.process(x), r.finish()])


def _match_width(plan: _Plan, ref: Analysis, a0: Analysis, d_side: np.ndarray, k: float,
                 against: str) -> np.ndarray:
    """Width toward the reference's side-to-mid level, per band over 200 Hz -
    10 kHz (a stereo EQ move leaves that as it is), within 80-130 %. Returns
    the side's difference with the width move's share taken out."""
    span = (CENTRES >= WIDTH_LO) & (CENTRES <= WIDTH_HI)
    dw = float(np.median((ref.side_to_mid - a0.side_to_mid)[span]))
    cur = plan.now["stereo.width_pct"]
    if abs(dw) < NOTHING_DB:
        return d_side
    full = min(max(cur * 10 ** (dw / 20), min(cur, WIDTH_MIN)), max(cur, WIDTH_MAX))
    new = round(cur + k * (full - cur))
    plan.set("stereo.width_pct", new, f"side {abs(dw):.1f} dB {'below' if dw > 0 else 'above'} "
             f"{against} over 200 Hz-10 kHz -> width {cur:.0f} -> {new:.0f} %")
    plan.set("stereo.on", 1.0, "the stereo stage carries the width move")
    return d_side - 20 * np.log10(full / cur)


def _match_tone(plan: _Plan, book: _EqBook, d_mid, d_side, d_side_eq, k, fs, capture, a0,
                against: str) -> None:
    """EQ bands fitted to the reference's tonal balance (mid by stereo bands,
    what is left in the side by side bands), scaled by Amount; then rendered
    through the chain and the gains corrected once toward what it fell short of."""
    free = _free_bands(plan.now)
    stereo = F.fit(d_mid, free, "stereo")
    rest = tuple(b for b in free if b.startswith("bell") and b not in {s.band for s in stereo})
    side = F.fit(d_side_eq - F.total(stereo), rest, "side") if rest else []
    for b in stereo + side:
        g = round(b.gain_db * k, 1)
        if abs(g) >= 0.1:
            book.add(b.band, b.freq_hz, b.q, b.mode,
                     _measured(b.band, b.freq_hz, b.mode, d_side if b.mode == "side" else d_mid,
                               against), g, from_fit=True)
    if not book.shape:
        return
    trial = _Plan(plan.now)
    book.place(trial)
    y1, _ = _render(fs, trial.now, capture)
    a1 = analyse(y1, fs)
    w = F.weights()
    for mode, short in (("stereo", k * d_mid - (a1.tonal_mid - a0.tonal_mid)),
                        ("side", k * d_side_eq - (a1.tonal_side - a0.tonal_side))):
        group = [b for b in book.bands(fitted_only=True) if b.mode == mode]
        if not group:
            continue
        cols = [F.response(F.Band(b.band, b.freq_hz, F.UNIT_DB, b.q, b.mode)) / F.UNIT_DB for b in group]
        dg, _ = F.lstsq(cols, short, w)
        for b, g in zip(group, dg):
            book.parts[b.band][0][1] += float(g)


def _words(plan, book, word_list, k, tgt, fs, capture, d_mid, notes, against) -> bool:
    """Each word's moves, scaled by Amount and adapted to the analysis.
    Returns whether a word moved the loudness (then it is not matched too)."""
    loudness_word = False
    for word, wd in word_list:
        for m in wd.moves:
            if isinstance(m, Eq):
                _word_eq(book, word, wd, m, k, d_mid, notes, against)
            elif isinstance(m, Add):
                if m.param == "limiter.drive_db":
                    loudness_word = True
                    plan.set("limiter.on", 1.0, f"'{word}': the limiter holds the ceiling")
                    plan.set("limiter.ceiling_dbtp", tgt.ceiling_dbtp, f"'{word}': {tgt.name}'s ceiling")
                cur = plan.now[m.param]
                new = cur + m.delta * k
                if m.param == "stereo.width_pct":
                    new = min(max(new, min(cur, WIDTH_MIN)), max(cur, WIDTH_MAX))
                plan.set(m.param, new, f"'{word}': {wd.why} -> {params.get(m.param).label} "
                         f"{cur:g} -> {new:g}")
            elif isinstance(m, Set):
                plan.set(m.param, m.value, f"'{word}': {wd.why}")
            elif isinstance(m, Glue):
                _word_glue(plan, word, wd, m, k, fs, capture)
            elif isinstance(m, Upward):
                _word_upward(plan, word, wd, m, k, fs, capture)
            elif isinstance(m, (Harsh, DeEss)):
                from . import dynamic_words as dyn      # scipy: only when such a word is asked
                if isinstance(m, DeEss):
                    dyn.deess(plan, word, wd, k, fs, capture, notes)
                    continue
                cut = m.cut

                def static(f, why, cut=cut, word=word, wd=wd):
                    _word_eq(book, word, replace(wd, why=why), replace(cut, freq_hz=f), k, d_mid,
                             notes, against)
                dyn.harsh(plan, word, wd, m, k, fs, capture, notes, static)
            elif isinstance(m, HoldBassSide):
                _hold_bass_side(plan, book, word, m.below_hz)
    return loudness_word


def _hold_bass_side(plan, book, word: str, below_hz: float) -> None:
    """A width move widens every frequency; a low shelf on the side takes the
    bass's side back to where it was, so the low end is not widened."""
    cur, new = plan.base["stereo.width_pct"], plan.now["stereo.width_pct"]
    if new <= cur or cur <= 0.0:
        return
    if book.in_use("low_shelf"):
        if not plan.now["stereo.mono_bass_on"]:
            why = f"'{word}': the low shelf is in use; mono below {below_hz:g} Hz keeps the low end from widening"
            plan.set("stereo.mono_bass_on", 1.0, why)
            plan.set("stereo.mono_bass_hz", below_hz, why)
        return
    book.add("low_shelf", below_hz, F.SHELF_Q, "side",
             f"'{word}': keep the side below {below_hz:g} Hz where it was", -20 * math.log10(new / cur))


def _both(ref: Analysis, a: Analysis) -> float:
    """RMS tonal difference over mid and side together, dB."""
    w = F.weights()
    return math.sqrt(0.5 * (F.rms(ref.tonal_mid - a.tonal_mid, w) ** 2
                            + F.rms(ref.tonal_side - a.tonal_side, w) ** 2))


def _word_eq(book: _EqBook, word: str, wd, m: Eq, k: float, d_mid, notes, against: str) -> None:
    kind, gain, freq, q, why = m.kind, m.gain_db, m.freq_hz, m.q, wd.why
    if word == "warmer" and d_mid is not None and kind == "bell":
        sel = (CENTRES >= 150) & (CENTRES <= 500)
        w = F.weights()
        heavy = -(float(np.mean(d_mid[sel])) - float(np.sum(d_mid * w) / w.sum()))
        if heavy > 1.0:
            # already heavy down there: warm it by taking top away instead
            kind, gain, freq, q = "high_shelf", -1.0, 8000.0, F.SHELF_Q
            why = (f"warm, but the mix is already {heavy:.1f} dB heavier at 150-500 Hz than "
                   f"{against}: less top instead")
    band = _band_for(book, kind, freq)
    if band is None:
        notes.append(f"'{word}': no free EQ band for its {kind.replace('_', ' ')} move")
        return
    book.add(band, freq, q, "stereo", f"'{word}': {why}", gain * k)


def _band_for(book: _EqBook, kind: str, freq: float) -> str | None:
    """A band for a word's move: one of its kind already moving near the
    frequency (within half an octave), else a free one."""
    names = ("bell1", "bell2", "bell3") if kind == "bell" else (kind,)
    for b in names:
        if b in book.shape and abs(math.log2(book.shape[b][0] / freq)) <= 0.5:
            return b
        v = book.values
        if (b not in book.shape and v[f"eq.{b}_gain_db"] != 0.0
                and abs(math.log2(v[f"eq.{b}_freq_hz"] / freq)) <= 0.5):
            # a band the engineer set near there: the move goes on it, where it is
            book.shape[b] = (v[f"eq.{b}_freq_hz"], v[f"eq.{b}_q"],
                             ("stereo", "mid", "side")[int(v[f"eq.{b}_mode"])])
            return b
    return next((b for b in names if not book.in_use(b)), None)
def _word_glue(plan: _Plan, word: str, wd, m: Glue, k: float, fs: int, capture: np.ndarray) -> None:
    """Glue to reach m.gr_db x Amount of gain reduction on the loud part: the
    threshold found by rendering the capture (bisection over the threshold's
    range, at most six renders)."""
    want = m.gr_db * k
    if want < 0.1:
        return
    trial = dict(plan.now, **{"glue.on": 1.0, "glue.ratio": max(plan.now["glue.ratio"], m.ratio),
                              "glue.attack_ms": m.attack_ms})
    part = capture
    lo, hi = -40.0, 0.0                   # threshold: lower means more reduction
    thr, gr = trial["glue.threshold_db"], 0.0
    for _ in range(6):
        thr = 0.5 * (lo + hi)
        gr = loud_part_gr(fs, dict(trial, **{"glue.threshold_db": thr}), part)
        if abs(gr - want) <= GLUE_GR_TOL:
            break
        if gr < want:
            hi = thr
        else:
            lo = thr
    reason = f"'{word}': {wd.why} -> {gr:.1f} dB on the loud part"
    trial["glue.threshold_db"] = round(thr, 1)
    # compression is judged at the same loudness: the makeup gives back what
    # the reduction took, so the word brings no loudness decision with it
    from dsp.meters import measure
    before = measure(_render(fs, plan.now, capture)[0], fs)["integrated_lufs"]
    after = measure(_render(fs, trial, capture)[0], fs)["integrated_lufs"]
    makeup = trial["glue.makeup_db"]
    if math.isfinite(before) and math.isfinite(after):
        makeup = round(min(max(makeup + before - after, 0.0), 24.0), 1)
    plan.set("glue.on", 1.0, reason)
    plan.set("glue.ratio", trial["glue.ratio"], reason)
    plan.set("glue.attack_ms", m.attack_ms, reason)
    plan.set("glue.threshold_db", trial["glue.threshold_db"], reason)
    plan.set("glue.makeup_db", makeup, f"'{word}': makeup {makeup - trial['glue.makeup_db']:+.1f} dB "
             "gives back the loudness the reduction took (judged at the same loudness)")


def _word_upward(plan: _Plan, word: str, wd, m: Upward, k: float, fs: int, capture: np.ndarray) -> None:
    """Upward compression with its threshold m.below_lu under the programme's
    loudness as the chain makes it now, its ratio and maximum gain scaled by
    Amount (the ratio toward 1:1, the gain toward 0)."""
    from dsp.meters import measure
    lufs = measure(_render(fs, plan.now, capture)[0], fs)["integrated_lufs"]
    if not math.isfinite(lufs) or k <= 0.0:
        return
    thr = round(min(max(lufs - m.below_lu, -70.0), -10.0), 1)
    ratio = round(1.0 + k * (m.ratio - 1.0), 2)
    most = round(k * m.max_db, 1)
    reason = (f"'{word}': {wd.why} -> below {thr:g} dB ({m.below_lu:g} LU under the programme's "
              f"{lufs:.1f} LUFS) raised at {ratio:g}:1, at most +{most:g} dB")
    plan.set("glue.on", 1.0, reason)
    plan.set("glue.up_on", 1.0, reason)
    plan.set("glue.up_threshold_db", thr, reason)
    plan.set("glue.up_ratio", ratio, reason)
    plan.set("glue.up_max_db", most, reason)


def _loudness(plan: _Plan, fs: int, capture: np.ndarray, goal: float, k: float, tgt, against: str,
              min_step: float = LOUDNESS_STEP_LU) -> None:
    """Limiter drive toward ``goal`` LUFS (a Amount's share of the way), the
    limiter on at the target's ceiling; measured on renders, not assumed."""
    y, _ = _render(fs, plan.now, capture)
    from dsp.meters import measure
    now = measure(y, fs)["integrated_lufs"]
    want = now + k * (goal - now)
    if not math.isfinite(now) or abs(want - now) < min_step:
        return
    drive0 = plan.now["limiter.drive_db"]
    if want < now and drive0 == 0.0:
        trim = plan.now["output.trim_db"] + (want - now)
        plan.set("output.trim_db", trim, f"{now:.1f} LUFS, {now - goal:.1f} LU above {against} -> "
                 f"output trim {trim:+.1f} dB")
        return
    plan.set("limiter.on", 1.0, f"the limiter holds {tgt.name}'s {tgt.ceiling_dbtp:g} dBTP ceiling")
    plan.set("limiter.ceiling_dbtp", tgt.ceiling_dbtp, f"{tgt.name}'s ceiling")
    drive = drive0 + (want - now)
    for _ in range(2):
        plan.set("limiter.drive_db", drive, "")
        y, _ = _render(fs, plan.now, capture)
        got = measure(y, fs)["integrated_lufs"]
        if abs(got - want) < 0.2:
            break
        drive = min(max(drive + (want - got), 0.0), 24.0)
    plan.set("limiter.drive_db", round(drive, 1), f"{now:.1f} LUFS, {abs(goal - now):.1f} LU "
             f"{'under' if goal > now else 'over'} {against} ({goal:.1f}) -> limiter drive "
             f"{drive0:g} -> {round(drive, 1):g} dB")
