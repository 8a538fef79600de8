"""The screen in a terminal: a 1-bit image as Unicode half blocks, two pixel rows
per text line (128x64 pixels in 128x32 cells), so the laptop shows exactly the
pixels the OLED would."""
from __future__ import annotations

import numpy as np

BLOCKS = {(0, 0): " ", (1, 0): "\u2580", (0, 1): "\u2584", (1, 1): "\u2588"}
BORDER_H, BORDER_V = "\u2500", "\u2502"


def image_to_text(img) -> list[str]:
    """Lines of half blocks for a mode-"1" (or any) image: lit pixels are ink."""
    a = (np.asarray(img.convert("L")) > 127).astype(np.uint8)
    if a.shape[0] % 2:
        a = np.vstack([a, np.zeros((1, a.shape[1]), np.uint8)])
    lines = []
    for y in range(0, a.shape[0], 2):
        top, bot = a[y], a[y + 1]
        lines.append("".join(BLOCKS[(int(t), int(b))] for t, b in zip(top, bot)))
    return lines


def text_to_bits(lines: list[str]) -> np.ndarray:
    """The inverse: half-block lines back to a (2 x lines, width) array of 0/1,
    so a test can read a terminal screen (tmux capture-pane) as pixels."""
    inv = {v: k for k, v in BLOCKS.items()}
    width = max(len(s) for s in lines)
    out = np.zeros((2 * len(lines), width), np.uint8)
    for r, s in enumerate(lines):
        for c, ch in enumerate(s):
            t, b = inv.get(ch, (0, 0))
            out[2 * r, c] = t
            out[2 * r + 1, c] = b
    return out


def framed(img, title: str = "") -> list[str]:
    """The screen with a thin border, as it is drawn in the terminal."""
    body = image_to_text(img)
    w = len(body[0])
    top = "\u250c" + (title[: w].center(w, BORDER_H) if title else BORDER_H * w) + "\u2510"
    return [top] + [BORDER_V + line + BORDER_V for line in body] + ["\u2514" + BORDER_H * w + "\u2518"]
