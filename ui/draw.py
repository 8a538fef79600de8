"""Drawing on a 1-bit page: PIL's built-in bitmap font (6 px advance, caps
7 px high, the same pixels on every machine), the same glyphs doubled for
main values (12 x 22 px, readable at arm's length), bars, ticks, titles and
the number formats every page shares."""
from __future__ import annotations

import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

W, H = 128, 64
CHAR_W = 6            # the bitmap font's advance
LINE_H = 11
TITLE_H = 10
BAR_H = 5


@lru_cache(maxsize=1)
def font():
    loader = getattr(ImageFont, "load_default_imagefont", None)
    return loader() if loader else ImageFont.load_default()


def text(d: ImageDraw.ImageDraw, xy, s: str, fill=1) -> None:
    d.text((xy[0], xy[1] - 1), s, font=font(), fill=fill)


def text_width(s: str) -> int:
    return CHAR_W * len(s)


@lru_cache(maxsize=256)
def _big_glyphs(s: str) -> Image.Image:
    small = Image.new("1", (text_width(s), LINE_H), 0)
    ImageDraw.Draw(small).text((0, 0), s, font=font(), fill=1)
    return small.resize((small.width * 2, small.height * 2), Image.NEAREST)


def big_text(img: Image.Image, xy, s: str) -> None:
    """Text at twice the size (each pixel doubled), white on black."""
    g = _big_glyphs(s)
    img.paste(1, (xy[0], xy[1] - 2), mask=g)


def fmt_gr(db: float) -> str:
    """A gain change in at most 4 characters: a reduction 0.0 .. 9.9, then
    10 .. 99; a boost (negative) with its sign, +0.1 .. +9.9, then +10 .. +24."""
    if db <= -0.05:
        up = min(-db, 99.0)
        return f"+{up:.1f}" if up < 9.95 else f"+{up:.0f}"
    db = min(max(db, 0.0), 99.0) + 0.0             # (+ 0.0: no "-0.0")
    return f"{db:.1f}" if db < 9.95 else f"{db:.0f}"


def fmt_lufs(v: float, width: int = 5) -> str:
    if v is None or not math.isfinite(v):
        return "--.-".rjust(width)
    return f"{v:.1f}".rjust(width)


def hbar(d, x, y, w, h, frac, origin=0.0) -> None:
    """A horizontal bar: outline, filled between origin and frac (both 0..1)."""
    d.rectangle((x, y, x + w - 1, y + h - 1), outline=1, fill=0)
    inner = w - 2
    f = min(max(frac, 0.0), 1.0)
    o = min(max(origin, 0.0), 1.0)
    a, b = sorted((round(o * inner), round(f * inner)))
    if b > a:
        d.rectangle((x + 1 + a, y + 1, x + a + (b - a), y + h - 2), fill=1)
    elif 0 < o < 1:
        # at the origin: a one-pixel mark so the position is still visible
        d.line((x + 1 + a, y + 1, x + 1 + a, y + h - 2), fill=1)


def ghost_tick(d, x, y, w, h, frac) -> None:
    """The assistant's proposed position on a bar: a hollow tick a pixel taller
    than the bar either side, readable on its filled and its empty part."""
    inner = w - 2
    px = x + 1 + round(min(max(frac, 0.0), 1.0) * inner)
    px = min(max(px, x + 1), x + w - 2)
    d.rectangle((px - 1, y - 1, px + 1, y + h), fill=0, outline=1)


def _title(d, img, title: str, right: str = "", invert_right: bool = False) -> None:
    text(d, (0, 0), title[: (img.width - text_width(right) - 2) // CHAR_W])
    if right:
        x = img.width - text_width(right)
        if invert_right:
            d.rectangle((x - 1, 0, img.width - 1, TITLE_H - 1), fill=1)
            text(d, (x, 0), right, fill=0)
        else:
            text(d, (x, 0), right)
    d.line((0, TITLE_H, img.width - 1, TITLE_H), fill=1)


# ---------------------------------------------------------------- pages
