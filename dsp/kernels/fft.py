"""An in-place radix-2 complex FFT for the callback (numba has no np.fft in
nopython code, and numpy's allocates). The tables are made once off the
audio thread (``tables``) and read from the caller's coefficient set.

Two real signals ride in one complex transform (the left channel as the real
part, the right as the imaginary): ``split`` separates their spectra after a
forward transform and ``join`` packs two spectra back before an inverse one.
So a stereo block costs one transform each way.
"""
import numpy as np
from numba import njit

from .common import JIT


def tables(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The twiddles stage by stage, (cos, -sin) of 2 pi k / size for k < size / 2
    at size = 2, 4, ..., m one after the other (m - 1 of each; the stage of
    size s starts at s / 2 - 1), so every stage reads its own contiguously;
    and the bit-reversal permutation of m."""
    if m < 2 or m & (m - 1):
        raise ValueError(f"FFT size {m}: must be a power of 2")
    k = np.concatenate([np.arange(size // 2) / size for size in 2 ** np.arange(1, m.bit_length())])
    bits = m.bit_length() - 1
    rev = np.array([int(format(i, f"0{bits}b")[::-1], 2) for i in range(m)], np.float64)
    return np.cos(2 * np.pi * k), -np.sin(2 * np.pi * k), rev


# Below this half-size a stage runs butterfly by butterfly across its groups;
# from it on, group by group with the butterflies of a group in one loop over
# contiguous memory, which vectorises.
GROUPED = 8


@njit(**JIT)
def transform(re, im, m, cs, sn, rev, inverse):
    """The DFT of (re, im), m points, in place: X[k] = sum x[n] e^(-2 pi i k n / m),
    or with ``inverse`` the conjugate transform, unscaled (the caller divides by m).
    cs, sn: tables(m)'s twiddles."""
    for i in range(m):
        j = int(rev[i])
        if j > i:
            t = re[i]
            re[i] = re[j]
            re[j] = t
            t = im[i]
            im[i] = im[j]
            im[j] = t
    sign = -1.0 if inverse else 1.0
    size = 2
    while size <= m:
        half = size >> 1
        w0 = half - 1
        if half < GROUPED:
            for k in range(half):
                c = cs[w0 + k]
                s = sign * sn[w0 + k]
                a = k
                while a < m:
                    b = a + half
                    tr = re[b] * c - im[b] * s
                    ti = re[b] * s + im[b] * c
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                    a += size
        else:
            c = cs[w0:w0 + half]
            sn_ = sn[w0:w0 + half]
            for g in range(0, m, size):
                ra = re[g:g + half]
                ia = im[g:g + half]
                rb = re[g + half:g + size]
                ib = im[g + half:g + size]
                for k in range(half):
                    s = sign * sn_[k]
                    tr = rb[k] * c[k] - ib[k] * s
                    ti = rb[k] * s + ib[k] * c[k]
                    rb[k] = ra[k] - tr
                    ib[k] = ia[k] - ti
                    ra[k] += tr
                    ia[k] += ti
        size <<= 1


@njit(inline="always", **JIT)
def split(re, im, m, k):
    """Bins k of the two real signals packed as (re, im), after a forward
    transform: (left re, left im, right re, right im)."""
    j = (m - k) & (m - 1)
    ar = re[k]
    ai = im[k]
    br = re[j]
    bi = -im[j]                    # conj(X[m - k])
    return 0.5 * (ar + br), 0.5 * (ai + bi), 0.5 * (ai - bi), -0.5 * (ar - br)


@njit(inline="always", **JIT)
def join(re, im, m, k, lr, li, rr, ri):
    """Place bin k (0 < k < m / 2 fills k and m - k) of two real signals'
    spectra, so the inverse transform returns left as re and right as im."""
    re[k] = lr - ri
    im[k] = li + rr
    if 0 < k < m // 2:
        re[m - k] = lr + ri
        im[m - k] = rr - li

