"""Array layouts of the kernels, declared once.

Every kernel keeps its coefficients (T) and its state (S) in flat float64
arrays at fixed offsets. A Layout hands those offsets out in order, so a field
is declared by its size and nothing is counted by hand:

    _T = Layout()
    MIX, THR, SLOPE = _T.each(3)      # one word each
    SC = _T.take(BIQ)                 # a biquad's five coefficients
    T_SIZE = _T.size

The results are plain ints at module level, which numba folds into the
compiled kernels as constants.
"""
from __future__ import annotations


class Layout:
    def __init__(self, start: int = 0):
        self.size = start

    def take(self, n: int = 1) -> int:
        """The offset of the next ``n`` words."""
        if n < 0:
            raise ValueError(f"layout: a field of {n} words")
        off = self.size
        self.size += n
        return off

    def each(self, count: int) -> range:
        """The offsets of the next ``count`` one-word fields, to unpack into names."""
        return range(self.take(count), self.size)


def f32_words(count: int) -> int:
    """float64 words that hold ``count`` float32 values (kernels read such a
    region through .view(np.float32))."""
    return (count + 1) // 2
