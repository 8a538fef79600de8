"""masterbox firmware: wires dsp and ui to files, audio devices and the panel.

The only layer that touches files, devices, threads and (later) PortAudio.
"""


class UserError(Exception):
    """Bad input from a person or a file: reported as one clear line, exit code 2."""
