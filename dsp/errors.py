"""The DSP layer's one error class.

Everything dsp/ refuses (an unknown parameter, a value out of range, a sample
rate it cannot run, a signal of the wrong shape) is a DspError: bad input from
whoever called it. firmware/ reports it to a person as a user error (one line,
exit code 2 on the command line). Anything else that escapes dsp/ is a bug.
"""


class DspError(ValueError):
    """A value, setting or signal the DSP layer refuses; the message names the
    thing, the value and the limit."""
