"""Pages drawn with PIL from view objects: 1-bit images for a 128x64 OLED (or
wider: the layouts stretch to a 256x64 SSD1322).

Text uses PIL's built-in bitmap font (6 px advance, caps 7 px high) so every
pixel is the same on every machine; main values use the same glyphs doubled
(12 x 22 px), readable at arm's length.

    img = render(Screen("meters", MeterView(...)))      # PIL.Image, mode "1"
"""
from __future__ import annotations

import math

from PIL import Image, ImageDraw

from .draw import (CHAR_W, H, LINE_H, TITLE_H, W, _title, big_text, fmt_gr, fmt_lufs, ghost_tick,
                   hbar, text, text_width)
from .draw import font  # noqa: F401  (the pages' font, for tests that draw the expected glyphs)
from .position_screen import draw_position
from .views import (AssistView, ConfirmView, LoudnessView, MenuView, MeterView, ModuleView, NameView,
                    PhaseView, PositionView, PresetsView, ProposalsView, ReductionView, ReferencesView,
                    RemoteView, Screen, SnapshotView, TargetView)


# the warning line of the listening modes that play a signal inside the chain
TAP_NAMES = {"dyn1": "LISTENING: DYN 1 DETECTOR", "dyn2": "LISTENING: DYN 2 DETECTOR",
             "deess": "LISTENING: DE-ESS REMOVED"}


class ScreenError(ValueError):
    pass


def _meters(img, d, v: MeterView, badge) -> None:
    # main value: short-term loudness, big
    text(d, (0, 0), "S")
    big_text(img, (8, 0), fmt_lufs(v.short_term))
    text(d, (70, 0), f"M{fmt_lufs(v.momentary)}")
    text(d, (70, 11), f"I{fmt_lufs(v.integrated)}")
    tp = "--.-" if not math.isfinite(v.true_peak) else f"{v.true_peak:+.1f}"
    text(d, (0, 22), f"TP{tp:>5}")
    lra = "--" if not math.isfinite(v.lra) else f"{v.lra:.1f}"
    text(d, (70, 22), f"LRA{lra:>4}")
    # gain reduction per stage as numbers, at rest too; a stage reducing
    # now is drawn inverted so activity stands out
    for i, (label, gr) in enumerate(v.gr[:6]):
        x, y = (i % 2) * 32, 33 + (i // 2) * 10
        t = f"{label[:1]}{fmt_gr(gr):>4}"
        if gr >= 0.05:                                 # reducing: inverted
            d.rectangle((x, y - 1, x + text_width(t), y + 8), fill=1)
        elif gr <= -0.05:                              # boosting: outlined
            d.rectangle((x, y - 1, x + text_width(t), y + 8), outline=1, fill=0)
        text(d, (x + 1, y), t, fill=0 if gr >= 0.05 else 1)
    # correlation: -1 .. +1, with the centre marked
    cx, cw = 68, img.width - 68
    text(d, (cx, 33), "corr")
    c = v.correlation
    d.rectangle((cx, 44, cx + cw - 1, 49), outline=1, fill=0)
    mid = cx + cw // 2
    d.line((mid, 42, mid, 51), fill=1)
    if c is not None and math.isfinite(c):
        px = cx + 1 + round((min(max(c, -1.0), 1.0) + 1) / 2 * (cw - 3))
        d.rectangle((px - 1, 45, px + 1, 48), fill=1)
        text(d, (img.width - 24, 33), f"{c:+.1f}")


def _columns(values: list[float], width: int) -> list[float]:
    """``values`` squeezed (or stretched) onto ``width`` columns, each the mean
    of the finite values it covers (nan where it covers none)."""
    n = len(values)
    out = []
    for x in range(width):
        part = [v for v in values[x * n // width:max((x + 1) * n // width, x * n // width + 1)]
                if math.isfinite(v)]
        out.append(sum(part) / len(part) if part else math.nan)
    return out


def _trace(d, columns: list[float], y_of) -> None:
    """A line through one value per column, broken where there is none (nan)."""
    prev = None
    for x, v in enumerate(columns):
        if not math.isfinite(v):
            prev = None
            continue
        y = y_of(v)
        d.line((x - 1 if prev is not None else x, prev if prev is not None else y, x, y), fill=1)
        prev = y


def _dashed(d, x0, x1, y, on=2, off=2) -> None:
    for x in range(x0, x1 + 1, on + off):
        d.line((x, y, min(x + on - 1, x1), y), fill=1)


def _loudness(img, d, v: LoudnessView, badge) -> None:
    _title(d, img, f"I{fmt_lufs(v.integrated).strip()} S{fmt_lufs(v.now).strip()}",
           f"T{v.target:.0f}")
    top, bottom = TITLE_H + 2, img.height - 2
    hi, lo = v.target + 6.0, v.target - 18.0          # 24 LU shown, the target near the top

    def y_of(lufs):
        f = (hi - min(max(lufs, lo), hi)) / (hi - lo)
        return top + round(f * (bottom - top))
    _dashed(d, 0, img.width - 1, y_of(v.target), 4, 2)
    if math.isfinite(v.integrated):
        _dashed(d, 0, img.width - 1, y_of(v.integrated), 1, 2)
    _trace(d, _columns(v.short_term, img.width), y_of)
    text(d, (0, bottom - 7), f"-{v.seconds}s")


def _reduction(img, d, v: ReductionView, badge) -> None:
    _title(d, img, "GAIN CHANGE", f"{v.seconds}s")
    x0 = 30
    full = 6.0                                         # dB at a strip's full height
    for i, (label, gr, hist) in enumerate(v.stages[:6]):
        y = TITLE_H + 2 + round(i * 8.6)
        text(d, (0, y), f"{label[:1]}{fmt_gr(gr):>4}")
        cols = hist[-(img.width - x0):]
        for j, g in enumerate(cols):
            h = min(math.ceil(abs(g) / full * 7), 7) if abs(g) >= 0.05 else 0
            if h and g > 0:                            # a reduction: solid, down from the top
                d.line((x0 + j, y, x0 + j, y + h - 1), fill=1)
            elif h and j % 2 == 0:                     # a boost: dotted columns, up from the bottom
                d.line((x0 + j, y + 6, x0 + j, y + 7 - h), fill=1)


def _phase(img, d, v: PhaseView, badge) -> None:
    c = v.correlation
    _title(d, img, "PHASE", "--" if c is None or not math.isfinite(c) else f"{c:+.2f}")
    top, bottom = TITLE_H + 4, 50

    def y_of(r):
        return top + round((1.0 - min(max(r, -1.0), 1.0)) / 2.0 * (bottom - top))
    _dashed(d, 0, img.width - 1, y_of(0.0), 2, 3)
    d.line((0, top, 2, top), fill=1)
    d.line((0, bottom, 2, bottom), fill=1)
    _trace(d, _columns(v.history, img.width), y_of)
    text(d, (img.width - 12, top - 2), "+1")
    text(d, (img.width - 12, bottom - 6), "-1")
    # balance: right vs left, +-6 dB across the bar between L and R
    b = v.balance_db
    text(d, (0, 55), "L")
    bx, bw = 8, img.width - 62
    d.rectangle((bx, 55, bx + bw - 1, 60), outline=1, fill=0)
    d.line((bx + bw // 2, 53, bx + bw // 2, 62), fill=1)
    if b is not None and math.isfinite(b):
        px = bx + 1 + round((min(max(b, -6.0), 6.0) + 6.0) / 12.0 * (bw - 3))
        d.rectangle((px - 1, 56, px + 1, 59), fill=1)
    text(d, (bx + bw + 2, 55), "R")
    bal = "--" if b is None or not math.isfinite(b) else f"{b:+.1f}dB"
    text(d, (img.width - text_width(bal), 55), bal)


def _module(img, d, v: ModuleView, badge) -> None:
    state = "" if v.on is None else ("ON" if v.on else "OFF")
    right = f"{v.page}/{v.pages} {state}".strip()
    _title(d, img, v.title.upper(), right, invert_right=(v.on is False))
    if v.focus is not None and 0 <= v.focus < len(v.params):
        # the value being turned, big, with its label and a bar
        p = v.params[v.focus]
        text(d, (0, 12), f"{v.focus + 1} {p.label}")
        num, _, unit = p.text.partition(" ")
        big_text(img, (0, 24), num[:10])
        if unit:
            text(d, (img.width - text_width(unit), 31), unit)
        hbar(d, 0, 52, img.width, 9, p.fraction, p.origin)
        if p.ghost is not None:
            ghost_tick(d, 0, 52, img.width, 9, p.ghost)
            g = f">{p.ghost_text.split(' ')[0]}"
            text(d, (img.width - text_width(g), 12), g)
        return
    for i, p in enumerate(v.params[:4]):
        y = 12 + i * 13
        text(d, (0, y), f"{i + 1}{p.short or p.label}")
        bx = img.width - 26
        val = p.text[: (bx - 50) // CHAR_W]
        text(d, (bx - 2 - text_width(val), y), val)
        hbar(d, bx, y + 1, 26, 7, p.fraction, p.origin)
        if p.ghost is not None:
            ghost_tick(d, bx, y + 1, 26, 7, p.ghost)


def _menu(img, d, v: MenuView, badge) -> None:
    _title(d, img, "MENU", f"{v.cursor + 1}/{len(v.items)}")
    rows = 4
    first = min(max(v.cursor - rows // 2, 0), max(len(v.items) - rows, 0))
    for r, i in enumerate(range(first, min(first + rows, len(v.items)))):
        y = 13 + r * 12
        if i == v.cursor:
            d.rectangle((0, y - 1, img.width - 1, y + 9), fill=1)
            text(d, (2, y), v.items[i], fill=0)
        else:
            text(d, (2, y), v.items[i])


def _target(img, d, v: TargetView, badge) -> None:
    _title(d, img, "TARGET", v.name[:12])
    if math.isfinite(v.integrated):
        diff = v.integrated - v.lufs
        big_text(img, (0, 13), f"{diff:+.1f}")
        text(d, (64, 20), "LU")
        ok = abs(diff) <= v.tolerance_lu
        text(d, (84, 20), "ok" if ok else ("loud" if diff > 0 else "quiet"))
    else:
        big_text(img, (0, 13), "--.-")
        text(d, (64, 20), "LU  wait")
    text(d, (0, 37), f"I{fmt_lufs(v.integrated)} of{v.lufs:6.1f}")
    tp = "--.-" if not math.isfinite(v.true_peak) else f"{v.true_peak:+.1f}"
    over = math.isfinite(v.true_peak) and v.true_peak > v.ceiling_dbtp
    text(d, (0, 46), f"TP{tp:>6} max{v.ceiling_dbtp:+.1f}{' OVER' if over else ''}")
    if v.delivery:
        # what a render to the target does to this sound; inverted while heard
        line = ("DELIV " if v.hearing else "render: ") + v.delivery
        if v.hearing:
            d.rectangle((0, 55, img.width - 1, img.height - 1), fill=1)
        text(d, (1, 56), line[: img.width // CHAR_W], fill=0 if v.hearing else 1)


def _snapshots(img, d, v: SnapshotView, badge) -> None:
    _title(d, img, "SNAPSHOTS", "compare" if v.morph_ms is None else f"morph {v.morph_ms:.0f}ms",
           invert_right=v.matched)
    for i, (name, stored, off) in enumerate(v.slots[:4]):
        y = 12 + i * 12
        line = f"{name} " + ((f"{off:+5.1f} LU" if off is not None else "stored")
                              if stored else "empty")
        if v.active == i:
            d.rectangle((0, y - 1, img.width - 1, y + 9), fill=1)
            text(d, (2, y), line, fill=0)
        else:
            text(d, (2, y), line)


def _references(img, d, v: ReferencesView, badge) -> None:
    n = len(v.items)
    _title(d, img, "REFERENCES")              # (the badge says what a playing one is raised by)
    if not n:
        text(d, (1, 13), "no reference tracks:")
        text(d, (1, 24), "put files in")
        text(d, (1, 35), (v.folder or "the reference folder")[-(img.width // CHAR_W):])
        return
    for i, (name, lufs, secs) in enumerate(v.items[:4]):
        y = 12 + i * 11
        mark = ">" if i == v.selected and v.playing else " "
        right = f"{lufs:5.1f}"
        label = f"{mark}{i + 1} {name}"[: (img.width - text_width(right) - 4) // CHAR_W]
        fill = 1
        if i == v.selected:
            d.rectangle((0, y - 1, img.width - 1, y + 9), fill=1)
            fill = 0
        text(d, (1, y), label, fill=fill)
        text(d, (img.width - text_width(right) - 1, y), right, fill=fill)
    if n < 4:
        _footer(img, d, "turn: choose push: play")


def _rows(img, d, items: list[str], cursor: int, y0: int, rows: int, step: int = 11) -> None:
    """A list with the cursor's row inverted, scrolled to keep it in view."""
    first = min(max(cursor - rows // 2, 0), max(len(items) - rows, 0))
    for r, i in enumerate(range(first, min(first + rows, len(items)))):
        y = y0 + r * step
        if i == cursor:
            d.rectangle((0, y - 1, img.width - 1, y + 8), fill=1)
        text(d, (1, y), items[i][: img.width // CHAR_W], fill=0 if i == cursor else 1)


def _wrap(s: str, width: int, lines: int) -> list[str]:
    out, cur = [], ""
    for w in s.split():
        if len(cur) + len(w) + (1 if cur else 0) > width:
            out.append(cur)
            cur = w[:width]
        else:
            cur = f"{cur} {w}".strip()
    out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "~"
    return out


def _assist(img, d, v: AssistView, badge) -> None:
    _title(d, img, "ASSISTANT", f"{v.cursor + 1}/{len(v.items)}" if v.items else "")
    _rows(img, d, v.items, v.cursor, 12, 3)
    _footer(img, d, "listening..." if v.busy else (v.note or "push: propose"))


def _proposals(img, d, v: ProposalsView, badge) -> None:
    n = len(v.rows)
    if v.asking:
        # a vague request: its readings, one chosen with encoder 1's push
        _title(d, img, f"{v.asking.upper()}?", f"{v.cursor + 1}/{n}")
        _rows(img, d, [f"{num}. {word}" for num, word, _ in v.rows], v.cursor, 12, 3, 10)
        d.line((0, 42, img.width - 1, 42), fill=1)
        for i, ln in enumerate(_wrap(v.reason, img.width // CHAR_W, 2)):
            text(d, (0, 44 + i * 10), ln)
        return
    _title(d, img, f"LIFT > {v.slot}" if v.slot else "PROPOSALS",
           "AUDITION" if v.auditioning else (f"{v.cursor + 1}/{n}" if n else ""),
           invert_right=v.auditioning)
    if not n:
        text(d, (1, 13), "none: ask the")
        text(d, (1, 24), "assistant first")
        return
    _rows(img, d, [f"{lab:7s} {a}>{b}" for lab, a, b in v.rows], v.cursor, 12, 3, 10)
    d.line((0, 42, img.width - 1, 42), fill=1)
    for i, ln in enumerate(_wrap(v.reason, img.width // CHAR_W, 2)):
        text(d, (0, 44 + i * 10), ln)


def _remote(img, d, v: RemoteView, badge) -> None:
    _title(d, img, "REMOTE")
    if v.code:
        text(d, (0, 13), "pairing code")
        big_text(img, (0, 24), v.code)
    for i, ln in enumerate((v.lines or ["all remote surfaces off"])[:2]):
        text(d, (0, 44 + i * 10) if v.code else (0, 13 + i * 11), ln[: img.width // CHAR_W])


def _footer(img, d, s: str) -> None:
    y = img.height - LINE_H + 2
    d.line((0, y - 2, img.width - 1, y - 2), fill=1)
    text(d, (0, y), s[: img.width // CHAR_W])


def _presets(img, d, v: PresetsView, badge) -> None:
    n = len(v.items)
    _title(d, img, "PRESETS", f"{v.cursor + 1}/{n}" if n else "")
    rows = 3
    first = min(max(v.cursor - rows // 2, 0), max(n - rows, 0))
    for r, i in enumerate(range(first, min(first + rows, n))):
        name, builtin = v.items[i]
        mark = "*" if name == v.active and not v.modified else ("+" if name == v.active else " ")
        right = "B" if builtin else ""
        y = 13 + r * 12
        label = (mark + name)[: (img.width - 10) // CHAR_W]
        if i == v.cursor:
            d.rectangle((0, y - 1, img.width - 1, y + 9), fill=1)
            text(d, (1, y), label, fill=0)
            text(d, (img.width - CHAR_W - 1, y), right, fill=0)
        else:
            text(d, (1, y), label)
            text(d, (img.width - CHAR_W - 1, y), right)
    if not n:
        text(d, (1, 13), "no presets")
    _footer(img, d, "1load 2new 3save 4del")


def _name(img, d, v: NameView, badge) -> None:
    _title(d, img, v.title[:21])
    # the name, a window of 21 characters around the one being chosen
    first = min(max(v.pos - 10, 0), max(len(v.text) - 21, 0))
    shown = v.text[first:first + 21]
    text(d, (0, 13), shown)
    cx = (v.pos - first) * CHAR_W
    d.rectangle((cx - 1, 12, cx + CHAR_W - 1, 21), fill=1)
    text(d, (cx, 13), v.text[v.pos], fill=0)
    # the wheel: the chosen character big, its neighbours either side
    c = max(v.wheel.find(v.text[v.pos]), 0)
    for k in range(-4, 5):
        ch = v.wheel[(c + k) % len(v.wheel)]
        x = img.width // 2 - 6 + k * 14
        if k == 0:
            d.rectangle((x - 2, 25, x + 13, 46), outline=1, fill=0)
        big_text(img, (x, 28), "_" if ch == " " else ch)
    _footer(img, d, "push=next  hold=done")


def _confirm(img, d, v: ConfirmView, badge) -> None:
    _title(d, img, "CONFIRM")
    words, lines, cur = v.question.split(), [], ""
    for w in words:
        if len(cur) + len(w) + (1 if cur else 0) > img.width // CHAR_W:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    for i, ln in enumerate(lines[:3]):
        text(d, (0, 14 + i * 11), ln)
    _footer(img, d, "push: yes   back: no")


PAGES = {"meters": (_meters, MeterView), "module": (_module, ModuleView),
         "menu": (_menu, MenuView), "target": (_target, TargetView),
         "snapshots": (_snapshots, SnapshotView), "presets": (_presets, PresetsView),
         "references": (_references, ReferencesView), "loudness": (_loudness, LoudnessView),
         "assist": (_assist, AssistView), "proposals": (_proposals, ProposalsView),
         "remote": (_remote, RemoteView),
         "reduction": (_reduction, ReductionView), "phase": (_phase, PhaseView),
         "name": (_name, NameView), "confirm": (_confirm, ConfirmView),
         "position": (draw_position, PositionView)}


def render(screen: Screen, size: tuple[int, int] = (W, H)) -> Image.Image:
    if screen.page not in PAGES:
        raise ScreenError(f"page {screen.page!r}: known pages are {', '.join(PAGES)}")
    draw_page, kind = PAGES[screen.page]
    if not isinstance(screen.body, kind):
        raise ScreenError(f"page {screen.page!r} draws a {kind.__name__}, "
                          f"got {type(screen.body).__name__}")
    img = Image.new("1", size, 0)
    d = ImageDraw.Draw(img)
    draw_page(img, d, screen.body, screen.badge)
    b = screen.badge
    if b.mode != "processed":
        label = (b.label if b.label else
                 {"bypass": "BYP", "matched": "MCH", "reference": "REF"}[b.mode] + f"{b.offset_db:+.1f}")
        x = img.width - text_width(label) - 1
        d.rectangle((x - 1, 0, img.width - 1, TITLE_H - 1), fill=1)
        text(d, (x, 0), label, fill=0)
    line = screen.status if screen.status and screen.alert else b.note
    if not line and b.mode == "reference" and b.reference is not None:
        num, name, lufs = b.reference                 # which reference, and how loud it is
        line = f"R{num} {name[:8]} {lufs:.1f}LUFS"
        if b.listen != "stereo":
            line = f"R{num} {b.listen.upper()} {name[:14]}"
    if not line and b.listen != "stereo":
        # people forget that delta, or a band's detector, is on
        line = TAP_NAMES.get(b.listen) or f"LISTENING: {b.listen.upper()}"
        if b.context:
            line = f"{b.listen.upper()} THRU {b.context.upper()}"
    if not line and b.context:
        line = f"THROUGH {b.context.upper()}"      # a speaker, not the master, is heard
    if line:
        # faults, xruns, errors, a listening mode: an inverted line over the
        # bottom of any page
        y = img.height - LINE_H + 1
        d.rectangle((0, y - 1, img.width - 1, img.height - 1), fill=1)
        text(d, (1, y), line[: img.width // CHAR_W], fill=0)
    return img
