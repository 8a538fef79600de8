"""The real-time engine: engine.py (the Engine: arena, publishing, readouts),
callback.py (the @cfunc callback and its contract), portaudio.py (every
PortAudio call), realtime.py (memory locking, SCHED_FIFO, CPU pinning)."""
from .callback import compile_callback, compile_passthrough  # noqa: F401
from .engine import BLOCKS, RATES, Engine  # noqa: F401
from .realtime import lock_memory  # noqa: F401
