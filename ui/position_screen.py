"""The profile page: where the programme sits in a built-in profile's usual
range, nine bands low to high, the mid above and the side below. Each band
is a column: the range (first to third quartile) as a hollow bar, the
programme as a solid block; a block beyond the drawn window (the median
+-WINDOW_DB) sits on its edge with a notch, so "far outside" still reads."""
from __future__ import annotations

from .draw import TITLE_H, _title, text
from .views import PositionView

WINDOW_DB = 8.0
LABEL_W = 8
COL_W = 13


def _strip(d, rows, y0: int, h: int, label: str) -> None:
    text(d, (0, y0 + h // 2 - 4), label)
    for i, (q1, med, q3, v) in enumerate(rows):
        x = LABEL_W + i * COL_W + 3
        y = lambda db: y0 + h - 3 - round((min(max(db - med, -WINDOW_DB), WINDOW_DB) + WINDOW_DB)  # noqa: E731
                                          / (2 * WINDOW_DB) * (h - 5))
        d.rectangle((x, y(q3), x + 4, y(q1)), outline=1, fill=0)
        yv = y(v)
        d.rectangle((x + 6, yv - 1, x + 9, yv + 1), fill=1)
        if abs(v - med) > WINDOW_DB:
            d.line((x + 5, yv, x + 10, yv), fill=1)


def draw_position(img, d, v: PositionView, badge) -> None:
    _title(d, img, v.profile.upper(), f" {v.outside} out" if v.outside else " all in")
    h = (img.height - TITLE_H - 2) // 2
    _strip(d, v.mid, TITLE_H + 1, h, "M")
    _strip(d, v.side, TITLE_H + 2 + h, h, "S")
