"""The real-time engine: a full-duplex stereo PortAudio stream whose callback is
a numba @cfunc. The audio thread runs no Python.

Real-time contract of the callback (read this before touching it):
- It is compiled machine code with PortAudio's PaStreamCallback signature. It
  never takes the GIL, allocates nothing, takes no lock, makes no system call
  and logs nothing; it always fills the whole output buffer.
- Everything it touches is in one float64 arena owned by this object, reached
  through the stream's userdata pointer: two coefficient sets (double buffer),
  the chain's state, a work buffer, the meter's state and the counters.
- New settings are built off the audio thread into the coefficient set the
  callback is not using, then published by flipping one index. The callback
  reads the index once per block. A coefficient set carries its sequence number
  at its head and its tail; the callback counts any block whose two differ
  ("torn"), which the tests hammer and expect to stay zero.
- Non-finite input samples are silenced and counted by the chain kernel; the
  output is always finite and, with the limiter on, never above its ceiling.
  PortAudio's status flags (under/overflows) are counted as xruns.
- Meters run on the output inside the callback; the UI reads their rings and
  counters at its own pace (a copy, never a lock).

sounddevice is the binding: its cffi handle (``sounddevice._lib`` / ``_ffi``)
gives Pa_OpenStream, which takes our C function pointer. That handle is a
private API, so pyproject pins sounddevice to the 0.5 series.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np

from dsp import coefficients, params
from dsp.kernels import chain as K
from dsp.kernels import meters as MK
from dsp.kernels import monitor as MON
from dsp.meters import Meter

from . import UserError

log = logging.getLogger("masterbox.engine")

RATES = (44100, 48000, 88200, 96000)
BLOCKS = (64, 128, 256, 512)

# arena header (float64 words)
H_CALLBACKS, H_XRUNS, H_ACTIVE, H_INUSE, H_TORN, H_FRAMES, H_FLAGS, H_THREAD = range(8)
HEADER = 8
SCHED_FIFO = 1


def _libc():
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def lock_memory() -> str:
    """mlockall(MCL_CURRENT | MCL_FUTURE): no page of the process is ever swapped
    out under the callback. Returns "locked" or why not (a warning, not an error)."""
    import ctypes
    import os

    libc = _libc()
    if libc.mlockall(3) == 0:
        return "locked"
    why = os.strerror(ctypes.get_errno())
    log.warning("memory not locked (%s): audio may glitch under memory pressure", why)
    return f"not locked: {why}"


def set_thread_fifo(thread_id: int, priority: int) -> str:
    """Raise one thread (a pthread_t) to SCHED_FIFO at ``priority``."""
    import ctypes
    import os

    class SchedParam(ctypes.Structure):
        _fields_ = [("sched_priority", ctypes.c_int)]

    libc = _libc()
    err = libc.pthread_setschedparam(ctypes.c_ulong(thread_id), SCHED_FIFO,
                                     ctypes.byref(SchedParam(priority)))
    if err == 0:
        return f"SCHED_FIFO {priority}"
    why = os.strerror(err)
    log.warning("audio thread stays at normal priority (SCHED_FIFO %d: %s); "
                "the service grants it with LimitRTPRIO", priority, why)
    return f"normal priority: {why}"


def thread_policy(thread_id: int) -> tuple[int, int]:
    """(policy, priority) of a thread, for tests and status."""
    import ctypes

    class SchedParam(ctypes.Structure):
        _fields_ = [("sched_priority", ctypes.c_int)]

    libc = _libc()
    pol = ctypes.c_int()
    sp = SchedParam()
    libc.pthread_getschedparam(ctypes.c_ulong(thread_id), ctypes.byref(pol), ctypes.byref(sp))
    return pol.value, sp.sched_priority


class Layout:
    """Offsets of everything in the arena."""

    def __init__(self):
        self.t_len = K.T_TOTAL + 1                 # + the sequence number's tail copy
        self.t0 = HEADER
        self.t1 = self.t0 + self.t_len
        self.s = self.t1 + self.t_len
        self.w = self.s + K.S_TOTAL
        self.mt = self.w + K.CHUNK * 3
        self.ms = self.mt + MK.MT_SIZE
        self.size = self.ms + MK.MS_SIZE


_CALLBACK = None
_PASSTHROUGH = None


def compile_passthrough():
    """A tiny callback (copy in to out, count) that compiles in a moment: it keeps
    audio flowing while the full chain compiles. It takes no GIL either, so the
    compiler thread cannot starve it."""
    global _PASSTHROUGH
    if _PASSTHROUGH is not None:
        return _PASSTHROUGH
    from numba import carray, cfunc, types

    sig = types.int32(types.voidptr, types.voidptr, types.uint64, types.voidptr, types.uint64,
                      types.voidptr)

    @cfunc(sig, nopython=True, cache=True)
    def passthrough(inp, out, frames, time_info, status, user):
        A = carray(user, (HEADER,), dtype=np.float64)
        x = carray(inp, (frames, 2), dtype=np.float32)
        y = carray(out, (frames, 2), dtype=np.float32)
        for i in range(frames):
            for c in range(2):
                v = x[i, c]
                y[i, c] = v if math.isfinite(v) else 0.0
        if status != 0:
            A[H_XRUNS] += 1.0
        A[H_FRAMES] += float(frames)
        A[H_CALLBACKS] += 1.0
        return 0

    _PASSTHROUGH = passthrough
    return passthrough


def compile_callback():
    """Compile (or load from numba's cache) the @cfunc callback."""
    global _CALLBACK
    if _CALLBACK is not None:
        return _CALLBACK
    from numba import carray, cfunc, types

    # pthread_self reads the thread pointer; it is not a system call. Declared as
    # an external symbol (resolved from libc when the code is linked), so the
    # compiled callback stays cacheable.
    pthread_self = types.ExternalFunction("pthread_self", types.uint64())
    L = Layout()
    T_N, S_N, TL = K.T_TOTAL, K.S_TOTAL, L.t_len
    T0, T1, S0, W0 = L.t0, L.t1, L.s, L.w
    MT0, MS0, N = L.mt, L.ms, L.size
    CH = K.CHUNK
    MT_N, MS_N = MK.MT_SIZE, MK.MS_SIZE
    sig = types.int32(types.voidptr, types.voidptr, types.uint64, types.voidptr, types.uint64,
                      types.voidptr)

    @cfunc(sig, nopython=True, cache=True)
    def callback(inp, out, frames, time_info, status, user):
        A = carray(user, (N,), dtype=np.float64)
        if A[H_THREAD] == 0.0:
            # who am I: the control thread raises exactly this thread's priority
            A[H_THREAD] = float(pthread_self())
        x = carray(inp, (frames, 2), dtype=np.float32)
        y = carray(out, (frames, 2), dtype=np.float32)
        act = int(A[H_ACTIVE])
        A[H_INUSE] = act
        base = T0 if act == 0 else T1
        T = A[base:base + T_N]
        head = T[K.T_SEQ]
        K.process(x, y, frames, T, A[S0:S0 + S_N], A[W0:W0 + CH * 3].reshape((CH, 3)))
        if head != A[base + TL - 1] or head != T[K.T_SEQ]:
            A[H_TORN] += 1.0
        MK.process(y, frames, A[MT0:MT0 + MT_N], A[MS0:MS0 + MS_N])
        if status != 0:
            A[H_XRUNS] += 1.0
            A[H_FLAGS] = float(status)
        A[H_FRAMES] += float(frames)
        A[H_CALLBACKS] += 1.0
        return 0  # paContinue

    _CALLBACK = callback
    return callback


class Engine:
    def __init__(self, fs: int = 48000, block: int = 128, device=None, values: dict | None = None,
                 rt_priority: int = 70):
        if fs not in RATES:
            raise UserError(f"sample rate {fs} Hz: the box runs at {', '.join(map(str, RATES))} Hz")
        if block not in BLOCKS:
            raise UserError(f"block size {block}: use one of {', '.join(map(str, BLOCKS))}")
        if not 0 <= rt_priority <= 99:
            raise UserError(f"real-time priority {rt_priority}: out of range 0..99 (0 = off)")
        self.fs, self.block, self.device = fs, block, device
        self.rt_priority = rt_priority
        self.rt_status = "not started"
        self.values = params.check_values(values or {})
        self.monitor = ("processed", 0.0)
        self.L = Layout()
        self.arena = np.zeros(self.L.size)
        self._seq = 1
        self._flip_at = -1.0
        # both coefficient sets start equal; state and meters start fresh
        T = coefficients.build(self.values, fs, self._seq)
        for b in (self.L.t0, self.L.t1):
            self.arena[b:b + K.T_TOTAL] = T
            self.arena[b + self.L.t_len - 1] = self._seq
        self.arena[self.L.s:self.L.s + K.S_TOTAL] = coefficients.initial_state(T)
        meter = Meter(fs, 2)
        self.arena[self.L.mt:self.L.mt + MK.MT_SIZE] = meter.MT
        self.arena[self.L.ms:self.L.ms + MK.MS_SIZE] = meter.MS
        self._stream = None
        self._cb = None
        self.mode = "closed"

    # ------------------------------------------------------------------ stream
    def boot(self, on_passthrough=None) -> tuple[float, float]:
        """Start as fast as possible: audio passes through untouched while the
        chain is compiled (or loaded from numba's cache), then the chain takes
        over (the stream is reopened: a gap of a few blocks). Returns seconds to
        passthrough and to the full chain."""
        t0 = time.monotonic()
        self.open(passthrough=True)
        self.start()
        self._wait_callbacks(1)
        t_pass = time.monotonic() - t0
        if on_passthrough is not None:
            on_passthrough()
        compile_callback()
        self.stop()
        self.open()
        self.start()
        self._wait_callbacks(int(self.arena[H_CALLBACKS]) + 1)
        return t_pass, time.monotonic() - t0

    def _wait_callbacks(self, n: int, timeout: float = 5.0) -> None:
        t_end = time.monotonic() + timeout
        while self.arena[H_CALLBACKS] < n:
            if time.monotonic() > t_end:
                raise UserError("the audio callback does not run (device silent or stuck)")
            time.sleep(0.002)

    def open(self, passthrough: bool = False) -> None:
        import sounddevice as sd

        ffi, lib = sd._ffi, sd._lib
        dev = self._device_index(sd)
        self._cb = compile_passthrough() if passthrough else compile_callback()
        self.mode = "passthrough" if passthrough else "chain"
        p_in = ffi.new("PaStreamParameters*", dict(
            device=dev, channelCount=2, sampleFormat=lib.paFloat32,
            suggestedLatency=sd.query_devices(dev)["default_low_input_latency"],
            hostApiSpecificStreamInfo=ffi.NULL))
        p_out = ffi.new("PaStreamParameters*", dict(
            device=dev, channelCount=2, sampleFormat=lib.paFloat32,
            suggestedLatency=sd.query_devices(dev)["default_low_output_latency"],
            hostApiSpecificStreamInfo=ffi.NULL))
        stream = ffi.new("PaStream**")
        self._pa_cb = ffi.cast("PaStreamCallback*", self._cb.address)
        err = lib.Pa_OpenStream(stream, p_in, p_out, float(self.fs), self.block, lib.paNoFlag,
                                self._pa_cb, ffi.cast("void*", self.arena.ctypes.data))
        if err != 0:
            raise UserError(f"audio device {self.device!r}: cannot open a stereo stream at "
                            f"{self.fs} Hz ({ffi.string(lib.Pa_GetErrorText(err)).decode()})")
        self._stream = stream[0]
        self._sd = sd

    def _device_index(self, sd) -> int:
        devs = sd.query_devices()
        if self.device is None:
            for i, d in enumerate(devs):
                if d["max_input_channels"] >= 2 and d["max_output_channels"] >= 2:
                    return i
            raise UserError("no audio device with 2 inputs and 2 outputs (see masterbox devices)")
        if isinstance(self.device, int) or str(self.device).isdigit():
            i = int(self.device)
            if not 0 <= i < len(devs):
                raise UserError(f"audio device {i}: no such device (0..{len(devs) - 1})")
            return i
        for i, d in enumerate(devs):
            if str(self.device).lower() in d["name"].lower():
                return i
        raise UserError(f"audio device '{self.device}': not found "
                        f"(have: {', '.join(d['name'] for d in devs)})")

    def start(self) -> None:
        if self._stream is None:
            self.open()
        lib = self._sd._lib
        err = lib.Pa_StartStream(self._stream)
        if err != 0:
            raise UserError(f"cannot start the stream ({self._sd._ffi.string(lib.Pa_GetErrorText(err)).decode()})")
        if self.rt_priority and self.mode == "chain":
            self.arena[H_THREAD] = 0.0           # a reopened stream has a new thread
            t_end = time.monotonic() + 2.0
            while self.arena[H_THREAD] == 0.0 and time.monotonic() < t_end:
                time.sleep(0.005)
            tid = int(self.arena[H_THREAD])
            self.rt_status = set_thread_fifo(tid, self.rt_priority) if tid else "no callback yet"
        elif not self.rt_priority:
            self.rt_status = "off"

    @property
    def callback_thread(self) -> int:
        """The pthread_t of the audio callback (0 before the first callback)."""
        return int(self.arena[H_THREAD])

    def stop(self) -> None:
        if self._stream is not None:
            lib = self._sd._lib
            lib.Pa_StopStream(self._stream)
            lib.Pa_CloseStream(self._stream)
            self._stream = None

    def reopen(self) -> None:
        """After a lost device (unplugged card, restarted sound server): close,
        re-initialise PortAudio so it enumerates devices afresh, reopen with the
        full chain. The chain's state and settings are kept."""
        self.stop()
        sd = self._sd
        sd._terminate()
        sd._initialize()
        self.open()
        self.start()

    def stream_latency(self) -> tuple[float, float]:
        """PortAudio's reported (input, output) latency of the open stream, seconds."""
        info = self._sd._lib.Pa_GetStreamInfo(self._stream)
        return float(info.inputLatency), float(info.outputLatency)

    # ------------------------------------------------------------------ control
    @property
    def latency(self) -> int:
        """The chain's latency in frames (the host's buffers come on top)."""
        return coefficients.latency_frames(self.fs)

    def set(self, changes: dict, timeout: float = 1.0) -> None:
        """Validate changes, build the new coefficient set into the buffer the
        callback is not using, then publish it with one store."""
        new = dict(self.values)
        for pid, v in changes.items():
            new[pid] = params.check_value(pid, v)
        self._publish(new, self.monitor, timeout)

    def set_monitor(self, mode: str, ref_db: float = 0.0, timeout: float = 1.0) -> None:
        """Compare: "processed", "bypass" (loudness-matched) or "matched"
        (processed, lowered to ``ref_db`` LU over the input); see kernels/monitor.py."""
        try:
            self._publish(self.values, (mode, float(ref_db)), timeout)
        except ValueError as e:
            raise UserError(str(e)) from None

    def _publish(self, new: dict, monitor: tuple, timeout: float) -> None:
        A = self.arena
        # the buffer we are about to overwrite was active before the last flip:
        # wait until the callback has begun a block after that flip
        if self._stream is not None and self._flip_at >= 0:
            t_end = time.monotonic() + timeout
            while A[H_CALLBACKS] < self._flip_at + 2:
                if time.monotonic() > t_end:
                    raise UserError("audio callback is not running; cannot publish settings")
                time.sleep(self.block / self.fs / 4)
        active = int(A[H_ACTIVE])
        target = 1 - active
        base = self.L.t0 if target == 0 else self.L.t1
        T = A[base:base + K.T_TOTAL]
        A[base + self.L.t_len - 1] = -1.0            # mark "being written"
        coefficients.build(new, self.fs, self._seq + 1, T, *monitor)   # may raise: nothing published
        self._seq += 1
        A[base + self.L.t_len - 1] = self._seq       # tail last: the set is whole
        A[H_ACTIVE] = float(target)                  # publish
        self._flip_at = A[H_CALLBACKS]
        self.values = new
        self.monitor = monitor

    @property
    def match_offset_db(self) -> float:
        """Short-term loudness the processing adds (LU): what compare removes."""
        return float(self.arena[self.L.s + K.SB_MON + MON.S_D])

    # ------------------------------------------------------------------ readouts
    def counters(self) -> dict:
        A = self.arena
        S = A[self.L.s:self.L.s + K.S_TOTAL]
        return {"callbacks": int(A[H_CALLBACKS]), "xruns": int(A[H_XRUNS]),
                "torn": int(A[H_TORN]), "frames": int(A[H_FRAMES]),
                "nonfinite": int(S[K.S_NONFINITE]), "faults": int(S[K.S_FAULTS])}

    def gain_reduction_db(self) -> dict[str, float]:
        from dsp.chain import gain_reduction_db

        return gain_reduction_db(self.arena[self.L.s:self.L.s + K.S_TOTAL])

    def meter_state(self) -> np.ndarray:
        """A copy of the meter's state (read without a lock: a display may see a
        value one block old, never a blocked callback)."""
        return self.arena[self.L.ms:self.L.ms + MK.MS_SIZE].copy()
