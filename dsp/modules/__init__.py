"""The chain's modules, one slice each: everything about a module except its
numba kernel (dsp/kernels) and the generic page that draws it (ui/screens.py).

A slice declares:
  NAME      the module id, the prefix of its parameter ids ("glue")
  TITLE     its name on the screen
  PARAMS    its controls (dsp/schema.py builders), in page order
  STAGE     the kernel stage whose coefficients it designs (kernels/chain.STAGES)
  design(v, fs, T)   writes its fields of that stage's coefficients T from the
            validated values v, reading only its own module's values unless it
            lists others in READS
  readouts(S)        (optional) what the screen shows from the stage's state:
            gain reduction in dB, positive = reduction

Adding a module: a slice here, a kernel in dsp/kernels (called in order by
kernels/chain.py), and its name in ALL below.
"""
from . import clipper, deess, dyneq, eq, glue, input, limiter, multiband, output, saturation, stereo
from . import monitor, oversampled

ALL = (input, eq, dyneq, deess, glue, multiband, saturation, stereo, clipper, limiter, output)
# stages designed from several modules' values: the 4x section shared by
# saturation, stereo and clipper, and the monitor stage (compare), which also
# takes the listening mode
SHARED = (oversampled, monitor)


def latency_frames(fs: float) -> int:
    """The chain's input-to-output delay in frames, the same whatever is
    engaged: the 4x section's linear-phase filters and the limiter's lookahead."""
    from ..kernels.oversampled import LATENCY

    return LATENCY + limiter.lookahead(fs)
