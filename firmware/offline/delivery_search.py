"""The search of a delivery render's limit passes, on one curve.

The limiter is scale-invariant, so a pass at drive G and ceiling C is the
point (x, y) = (G - C, I - C) of one curve whatever the ceiling: x is how far
the peaks are driven over the ceiling, y the loudness over the ceiling. The
pre-render gives points without a pass: (x0, y0), where the chain's peaks
just reach the ceiling (below it no limiting, a plain gain's line of slope
1), and the engineer's own point when their limiter is on. The search never
goes below the engineer's x (less limiting than they chose is not the
target's to decide).

Above x0 the curve bends over: measured on music, its slope halves every 6
to 8 dB of drive, which y = y0 + k (1 - exp(-(x - x0) / k)) follows with k
near 10 (k fitted to the engineer's point when it is far enough past x0).
That model only places the first round; the passes decide.
"""
from __future__ import annotations

import math

K_DEFAULT = 10.0            # the model's bend, dB, when nothing measured says better
K_RANGE = (2.0, 60.0)
FIT_MIN_DB = 1.5            # a point this far past x0 says enough about the bend
BRACKET_DB = 1.0            # the first round's two drives: the model's guess +- this


def _bend(k: float, d: float) -> float:
    return k * (1.0 - math.exp(-d / k))


def fit_k(d: float, rise: float) -> float:
    """The k for which the model rises by ``rise`` over ``d`` dB of drive."""
    lo, hi = K_RANGE
    if rise >= _bend(hi, d):
        return hi
    if rise <= _bend(lo, d):
        return lo
    for _ in range(60):                 # _bend rises with k
        mid = 0.5 * (lo + hi)
        if _bend(mid, d) < rise:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


class Curve:
    def __init__(self, x0: float, y0: float, engineer: tuple[float, float] | None):
        self.x0, self.y0 = x0, y0
        self.start = engineer if engineer is not None else (x0, y0)
        self.x_lo = engineer[0] if engineer is not None else -math.inf
        self.pts = [(x0 - 1.0, y0 - 1.0), (x0, y0)]
        self.k = K_DEFAULT
        if engineer is not None:
            self.pts.append(engineer)
            d = engineer[0] - x0
            if d >= FIT_MIN_DB and math.isfinite(engineer[1]):
                self.k = fit_k(d, engineer[1] - y0)

    def add(self, x: float, y: float) -> None:
        self.pts.append((x, y))

    def guess(self, want: float, x_max: float) -> float:
        """Where the model puts ``want``, in [x_lo, x_max]."""
        d = want - self.y0
        if d <= 0:
            x = self.x0 + d
        elif d >= 0.999 * self.k:
            x = x_max
        else:
            x = self.x0 - self.k * math.log(1.0 - d / self.k)
        return max(min(x, x_max), self.x_lo)

    def next_drive(self, want: float, x_max: float) -> float | None:
        """The next x to try for loudness ``want`` (over the ceiling): the
        secant through the closest points either side of it (or the two
        closest when none brackets it), kept in [x_lo, x_max]. None when
        nothing new is left to try (a bound reached and still off)."""
        pts = sorted(q for q in self.pts if math.isfinite(q[1]))
        if not pts:
            return None
        below = [q for q in pts if q[1] < want]
        above = [q for q in pts if q[1] >= want]
        if below and above:
            (x0, y0), (x1, y1) = below[-1], above[0]
        else:
            (x0, y0), (x1, y1) = sorted(pts, key=lambda q: abs(q[1] - want))[:2]
        slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 1.0
        slope = min(max(slope, 0.02), 1.0)
        xc, yc = min(pts, key=lambda q: abs(q[1] - want))
        x = xc + (want - yc) / slope
        if below and above:
            x = min(max(x, below[-1][0]), above[0][0])
        x = max(min(x, x_max), self.x_lo)
        return None if round(x, 4) in {round(q[0], 4) for q in self.pts} else x

    def closest(self, want: float, x_max: float) -> float:
        """The x already tried whose loudness came closest (to render again at
        a new ceiling when the search has nothing new to try)."""
        pts = [q for q in self.pts if math.isfinite(q[1]) and self.x_lo <= q[0] <= x_max]
        return min(pts, key=lambda q: abs(q[1] - want))[0] if pts else max(min(0.0, x_max), self.x_lo)


def first_drives(curve: Curve, want: float, x_max: float, parallel: bool) -> tuple[list[float], bool]:
    """The first round's drives, and whether they are all exploratory. With a
    core to spare: two exploratory passes either side of the model's guess,
    so that the next (decisive) round interpolates between close points;
    otherwise one decisive pass at the guess."""
    x = curve.guess(want, x_max)
    if not parallel or x <= curve.x0:           # no limiting ahead: the line is exact
        return [x], False
    lo = max(x - BRACKET_DB, curve.x_lo)
    hi = min(x + BRACKET_DB, x_max)
    return ([lo, hi], True) if hi > lo else ([x], False)
