"""Matching a built-in profile (ranges.py): only the bands outside its usual
range get a move, back inside it, each move's reason naming the band, where
it sits and the range. The mid by stereo EQ bands, what is left in the side
by side-only bells, the side-to-mid level by width (over the six bands from
392 Hz to 12 kHz: a stereo EQ leaves it as it is)."""
from __future__ import annotations

import numpy as np

from . import fit as F
from . import ranges
from .analysis import CENTRES
from .bands import EDGES, NAMES, read
from .plan import _EqBook, _free_bands, _Plan, _render

WIDTH_BANDS = range(2, 8)
WIDTH_MIN, WIDTH_MAX = 80.0, 130.0


def band_of(f: float) -> int:
    return int(np.searchsorted(EDGES, f))


def to_thirds(goal: np.ndarray) -> np.ndarray:
    """A per-band goal spread over the third-octave centres in each band."""
    return np.array([goal[band_of(c)] for c in CENTRES])


def _asking(goal: np.ndarray, freq: float) -> int:
    """The out-of-range band nearest an EQ band's frequency: the one it serves."""
    want = [i for i in range(len(goal)) if goal[i] != 0.0]
    return min(want, key=lambda j: abs(j - band_of(freq)))


def _why(pos: dict, field: str, i: int, prof: str) -> str:
    r = pos[field][i]
    return (f"{ranges.FIELDS[field]} {NAMES[i]} Hz at {r['value']:+.1f} dB, {r['where']} "
            f"{prof}'s usual {r['q1']:+.1f}..{r['q3']:+.1f} dB")


def match(plan: _Plan, book: _EqBook, prof: ranges.RangeProfile, k: float, fs: int,
          capture: np.ndarray, notes: list[str]) -> dict:
    """Moves for the bands outside ``prof``'s range, scaled by Amount ``k``.
    Returns the position before the moves (ranges.position)."""
    y0, _ = _render(fs, plan.now, capture)
    pos = ranges.position(read(y0, fs), prof)
    g_mid, g_side = ranges.goals(pos, "mid_db"), ranges.goals(pos, "side_db")
    g_width = ranges.goals(pos, "side_to_mid_db")
    outside = [f"{ranges.FIELDS[f]} {NAMES[i]}" for f in ranges.FIELDS
               for i, r in enumerate(pos[f]) if r["where"] != "inside"]
    if not outside:
        notes.append(f"every band is inside {prof.name}'s usual range: nothing to move")
        return pos
    free = _free_bands(plan.now)
    w_goal = [g_width[i] for i in WIDTH_BANDS if g_width[i] != 0.0]
    width_db = 0.0
    if w_goal:
        cur = plan.now["stereo.width_pct"]
        dw = float(np.median(w_goal))
        full = min(max(cur * 10 ** (dw / 20), min(cur, WIDTH_MIN)), max(cur, WIDTH_MAX))
        new = round(cur + k * (full - cur))
        if new != cur:
            i = max(WIDTH_BANDS, key=lambda j: abs(g_width[j]))
            plan.set("stereo.width_pct", new, _why(pos, "side_to_mid_db", i, prof.name)
                     + f" -> width {cur:.0f} -> {new:.0f} %")
            plan.set("stereo.on", 1.0, "the stereo stage carries the width move")
            width_db = 20 * np.log10(new / cur)
    stereo = F.fit(to_thirds(g_mid), free, "stereo") if np.any(g_mid) else []
    rest = tuple(b for b in free if b.startswith("bell") and b not in {s.band for s in stereo})
    side_goal = to_thirds(g_side) - width_db
    side = F.fit(side_goal - F.total(stereo), rest, "side") if rest and np.any(g_side) else []
    for b in stereo + side:
        g = round(b.gain_db * k, 1)
        field, goal = ("side_db", g_side) if b.mode == "side" else ("mid_db", g_mid)
        i = _asking(goal, b.freq_hz)
        # a fit far from any music (a drum loop against a full mix) can bend a
        # band the other way to shape its neighbours: such a move is not shown
        if abs(g) >= 0.1 and g * goal[i] > 0:
            book.add(b.band, b.freq_hz, b.q, b.mode, _why(pos, field, i, prof.name), g, from_fit=True)
    for f, lu in (("integrated_lufs", "LUFS"), ("lra_lu", "LU of loudness range")):
        r = pos[f]
        if r["where"] != "inside":
            notes.append(f"{r['value']:.1f} {lu}: {r['where']} {prof.name}'s usual "
                         f"{r['q1']:g}..{r['q3']:g} (said, not proposed: loudness is your call)")
    return pos


BACK_OFF = 0.5           # a move nearest a band it pushed out keeps this share, a step at a time
BACK_OFF_STEPS = 8


def pushed_out(before: dict, after: dict) -> list[tuple[str, int]]:
    return [(f, i) for f in ranges.FIELDS for i, r in enumerate(after[f])
            if before[f][i]["where"] == "inside" and r["where"] != "inside"]


def _culprit(plan: _Plan, field: str, i: int, where: str) -> str | None:
    """The proposed move that pushes band i of ``field`` hardest the way it
    left the range (each EQ band's response averaged over the band, the
    width's side gain), or None."""
    sign = -1.0 if where == "below" else 1.0
    sel = np.array([band_of(c) == i for c in CENTRES])
    best, worst = None, 0.0
    for pid in plan.why:
        effect = 0.0
        if pid.startswith("eq.") and pid.endswith("_gain_db"):
            b = pid[3:-8]
            mode = ("stereo", "mid", "side")[int(plan.now[f"eq.{b}_mode"])]
            if field == "side_to_mid_db" or mode not in ("stereo", "mid" if field == "mid_db" else "side"):
                continue
            resp = F.response(F.Band(b, plan.now[f"eq.{b}_freq_hz"], plan.now[pid] - plan.base[pid],
                                     plan.now[f"eq.{b}_q"], mode))
            effect = float(np.mean(resp[sel]))
        elif pid == "stereo.width_pct" and field != "mid_db":
            effect = 20 * np.log10(plan.now[pid] / plan.base[pid])
        if effect * sign > worst:
            best, worst = pid, effect * sign
    return best


def anchor(before: dict) -> list[int]:
    """The mid bands inside the range before the moves (ranges.position)."""
    return [i for i, r in enumerate(before["mid_db"]) if r["where"] == "inside"]


def after(plan: _Plan, prof: ranges.RangeProfile, fs: int, capture: np.ndarray, before: dict,
          notes: list[str]) -> dict:
    """The position with the moves, rendered through the chain. A band that
    was inside must stay inside: when the moves for the others push one out
    (five EQ bands cannot shape nine bands of mid and side at once), the
    move pushing it hardest is halved, a step at a time, until none is.
    (A band that leaves without a move pushing it is said.)"""
    halved: dict[str, int] = {}
    for step in range(BACK_OFF_STEPS + 1):
        y1, _ = _render(fs, plan.now, capture)
        pos = ranges.position(read(y1, fs), prof, anchor(before))
        out = pushed_out(before, pos)
        if not out or step == BACK_OFF_STEPS:
            break
        f, i = out[0]
        pid = _culprit(plan, f, i, pos[f][i]["where"])
        if pid is None:
            break
        b = plan.base[pid]
        plan.set(pid, round(b + BACK_OFF * (plan.now[pid] - b), 1), plan.why[pid])
        halved[pid] = halved.get(pid, 0) + 1
    if halved:
        notes.append(f"halved {', '.join(sorted(halved))} so that no band inside the range left it"
                     + (f" (still out: {', '.join(f'{ranges.FIELDS[f]} {NAMES[i]}' for f, i in out)})"
                        if out else ""))
    return pos
