"""masterbox DSP: parameter schema, coefficient design, numba kernels, the chain.

Imports only numpy, numba and (in coefficient design, off the audio thread) scipy.
No I/O, no threads, no hardware.
"""
