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
- It clocks itself: CLOCK_MONOTONIC on entry and exit (clock_gettime is served
  by the vDSO on x86-64 and arm64 Linux: no system call) into a histogram of
  1 us bins in the arena (``Engine.callback_durations``).
- Loop-cable measurement (``Engine.measure``): when armed, the callback takes
  its input from a stimulus in the arena and records the real input beside it,
  sample-aligned with what it plays; the control thread fills both before
  arming and reads them after the callback marks the run done.

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
# H_SIZE: the arena's length (the callback sizes its view from it);
# H_MEAS/H_MPOS/H_MLEN: the loop-cable measurement (idle, armed, done; position; length);
# H_TS: two words the clock writes a timespec into; H_DMAX: longest callback (ns)
H_SIZE, H_MEAS, H_MPOS, H_MLEN, H_TS, H_DMAX = 8, 9, 10, 11, 12, 14
HEADER = 16
MEAS_IDLE, MEAS_ARMED, MEAS_DONE = 0.0, 1.0, 2.0
# callback durations: a histogram of 1 us bins (the last bin holds the rest)
DUR_BINS = 10000
SCHED_FIFO = 1


def _libc():
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4


def lock_memory() -> str:
    """mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT): no page the process has
    touched is ever swapped out under the callback. ONFAULT (Linux 4.4) locks a
    page when it is first used instead of filling every mapping up front: without
    it each thread's 8 MB stack and every reserved heap arena become resident,
    and the box measured 595 MB instead of its ~200 MB. Falls back to the plain
    call on an older kernel. Returns "locked" or why not (a warning, not an error)."""
    import ctypes
    import os

    libc = _libc()
    if libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0:
        return "locked"
    if ctypes.get_errno() == 22 and libc.mlockall(MCL_CURRENT | MCL_FUTURE) == 0:   # EINVAL: no ONFAULT
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


def _cpu_set():
    import ctypes

    return (ctypes.c_ulong * 16)()           # a cpu_set_t: 1024 bits


def set_thread_cpu(thread_id: int, cpu: int) -> str:
    """Pin one thread (a pthread_t) to one CPU (an isolated core)."""
    import ctypes
    import os

    mask = _cpu_set()
    mask[cpu // 64] = 1 << (cpu % 64)
    err = _libc().pthread_setaffinity_np(ctypes.c_ulong(thread_id), ctypes.sizeof(mask), mask)
    if err == 0:
        return f"on CPU {cpu}"
    log.warning("audio thread not pinned to CPU %d (%s)", cpu, os.strerror(err))
    return f"not pinned: {os.strerror(err)}"


def thread_cpus(thread_id: int) -> list[int]:
    import ctypes

    mask = _cpu_set()
    _libc().pthread_getaffinity_np(ctypes.c_ulong(thread_id), ctypes.sizeof(mask), mask)
    return [c for c in range(1024) if mask[c // 64] >> (c % 64) & 1]


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

    def __init__(self, measure_frames: int = 0):
        self.t_len = K.T_TOTAL + 1                 # + the sequence number's tail copy
        self.t0 = HEADER
        self.t1 = self.t0 + self.t_len
        self.s = self.t1 + self.t_len
        self.w = self.s + K.S_TOTAL
        self.mt = self.w + K.CHUNK * 3
        self.ms = self.mt + MK.MT_SIZE
        self.dur = self.ms + MK.MS_SIZE
        self.meas = self.dur + DUR_BINS           # stimulus (n x 2) then recording (n x 2)
        self.measure_frames = measure_frames
        self.size = self.meas + 4 * measure_frames


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
    # int clock_gettime(clockid_t, struct timespec *): the pointer passed as an
    # integer address (the arena's H_TS words), which keeps the code cacheable
    clock_gettime = types.ExternalFunction("clock_gettime", types.int32(types.int32, types.intp))
    L = Layout()
    T_N, S_N, TL = K.T_TOTAL, K.S_TOTAL, L.t_len
    T0, T1, S0, W0 = L.t0, L.t1, L.s, L.w
    MT0, MS0, D0, MEAS0 = L.mt, L.ms, L.dur, L.meas
    CH = K.CHUNK
    MT_N, MS_N = MK.MT_SIZE, MK.MS_SIZE
    sig = types.int32(types.voidptr, types.voidptr, types.uint64, types.voidptr, types.uint64,
                      types.voidptr)

    @cfunc(sig, nopython=True, cache=True)
    def callback(inp, out, frames, time_info, status, user):
        H = carray(user, (HEADER,), dtype=np.float64)
        A = carray(user, (int(H[H_SIZE]),), dtype=np.float64)
        # CLOCK_MONOTONIC through the vDSO: a plain function call, no system call
        ts = A[H_TS:H_TS + 2].view(np.int64)
        clock_gettime(1, A[H_TS:H_TS + 2].ctypes.data)
        t_enter = ts[0] * 1000000000 + ts[1]
        if A[H_THREAD] == 0.0:
            # who am I: the control thread raises exactly this thread's priority
            A[H_THREAD] = float(pthread_self())
        x = carray(inp, (frames, 2), dtype=np.float32)
        y = carray(out, (frames, 2), dtype=np.float32)
        src = x
        if A[H_MEAS] == MEAS_ARMED:
            # loop-cable measurement: the stimulus replaces the input and the
            # input (the cable's return) is recorded, both from arena memory
            # the control thread filled before arming
            n = int(A[H_MLEN])
            pos = int(A[H_MPOS])
            stim = A[MEAS0:MEAS0 + 2 * n]
            rec = A[MEAS0 + 2 * n:MEAS0 + 4 * n]
            for i in range(frames):
                k = pos + i
                if k < n:
                    rec[2 * k] = x[i, 0]
                    rec[2 * k + 1] = x[i, 1]
                    y[i, 0] = stim[2 * k]
                    y[i, 1] = stim[2 * k + 1]
                else:
                    y[i, 0] = 0.0
                    y[i, 1] = 0.0
            A[H_MPOS] = pos + frames
            if pos + frames >= n:
                A[H_MEAS] = MEAS_DONE
            src = y      # the chain reads each chunk before it writes it: in place is safe
        act = int(A[H_ACTIVE])
        A[H_INUSE] = act
        base = T0 if act == 0 else T1
        T = A[base:base + T_N]
        head = T[K.T_SEQ]
        K.process(src, y, frames, T, A[S0:S0 + S_N], A[W0:W0 + CH * 3].reshape((CH, 3)))
        if head != A[base + TL - 1] or head != T[K.T_SEQ]:
            A[H_TORN] += 1.0
        MK.process(y, frames, A[MT0:MT0 + MT_N], A[MS0:MS0 + MS_N])
        if status != 0:
            A[H_XRUNS] += 1.0
            A[H_FLAGS] = float(status)
        A[H_FRAMES] += float(frames)
        A[H_CALLBACKS] += 1.0
        clock_gettime(1, A[H_TS:H_TS + 2].ctypes.data)
        d = ts[0] * 1000000000 + ts[1] - t_enter
        if d > A[H_DMAX]:
            A[H_DMAX] = d
        A[D0 + min(d // 1000, DUR_BINS - 1)] += 1.0
        return 0  # paContinue

    _CALLBACK = callback
    return callback


class Engine:
    def __init__(self, fs: int = 48000, block: int = 128, device=None, values: dict | None = None,
                 rt_priority: int = 70, measure_seconds: float = 0.0, rt_cpu: int = -1):
        if fs not in RATES:
            raise UserError(f"sample rate {fs} Hz: the box runs at {', '.join(map(str, RATES))} Hz")
        if block not in BLOCKS:
            raise UserError(f"block size {block}: use one of {', '.join(map(str, BLOCKS))}")
        if not 0 <= rt_priority <= 99:
            raise UserError(f"real-time priority {rt_priority}: out of range 0..99 (0 = off)")
        self.fs, self.block, self.device = fs, block, device
        self.rt_priority = rt_priority
        import os
        ncpu = os.cpu_count() or 1
        if not -1 <= rt_cpu < ncpu:
            raise UserError(f"audio thread CPU {rt_cpu}: this machine has CPUs 0..{ncpu - 1} (-1 = any)")
        self.rt_cpu = rt_cpu
        self.rt_status = "not started"
        self.values = params.check_values(values or {})
        self.monitor = ("processed", 0.0)
        if not 0.0 <= measure_seconds <= 60.0:
            raise UserError(f"measurement length {measure_seconds} s: out of range 0..60 s")
        self.L = Layout(int(round(measure_seconds * fs)))
        self.arena = np.zeros(self.L.size)
        self.arena[H_SIZE] = self.L.size
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
            if tid and self.rt_cpu >= 0:
                self.rt_status += ", " + set_thread_cpu(tid, self.rt_cpu)
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

    # ------------------------------------------------------------------ loop cable
    def measure(self, stimulus: np.ndarray, timeout: float | None = None) -> tuple[np.ndarray, int]:
        """Play ``stimulus`` (frames x 2) through the chain in place of the input
        and record the input meanwhile: with a cable from the outputs to the
        inputs this measures the whole loop (chain, converters, analog path).
        Sample k of the recording was captured in the same callback as sample k
        of the stimulus was played. Returns (recording float32, xruns during it)."""
        n = len(stimulus)
        if stimulus.ndim != 2 or stimulus.shape[1] != 2:
            raise UserError(f"measurement stimulus shape {stimulus.shape}: need (frames, 2)")
        if not 0 < n <= self.L.measure_frames:
            raise UserError(f"measurement of {n} frames: this engine holds 1..{self.L.measure_frames} "
                            f"(Engine(measure_seconds=...))")
        if self._stream is None or self.mode != "chain":
            raise UserError("measurement needs the running chain (open and start the engine first)")
        A = self.arena
        m0 = self.L.meas
        A[H_MEAS] = MEAS_IDLE                     # the callback ignores the region from here
        A[m0:m0 + 2 * n] = np.asarray(stimulus, np.float64).reshape(-1)
        A[m0 + 2 * n:m0 + 4 * n] = 0.0
        A[H_MLEN] = n
        A[H_MPOS] = 0.0
        x0 = A[H_XRUNS]
        A[H_MEAS] = MEAS_ARMED                    # last store: the callback starts at sample 0
        t_end = time.monotonic() + (timeout if timeout is not None else n / self.fs + 5.0)
        while A[H_MEAS] != MEAS_DONE:
            if time.monotonic() > t_end:
                A[H_MEAS] = MEAS_IDLE
                raise UserError(f"measurement did not finish within {t_end - time.monotonic() + n / self.fs:.1f} s "
                                "(is the audio callback running?)")
            time.sleep(0.01)
        A[H_MEAS] = MEAS_IDLE
        rec = A[m0 + 2 * n:m0 + 4 * n].reshape(n, 2).astype(np.float32)
        return rec, int(A[H_XRUNS] - x0)

    def reported_round_trip(self) -> int:
        """What the engine says a loop cable measures: the chain's latency plus
        PortAudio's input and output latency, in frames."""
        lat_in, lat_out = self.stream_latency()
        return self.latency + round((lat_in + lat_out) * self.fs)

    # ------------------------------------------------------------------ readouts
    def callback_durations(self, reset: bool = False) -> dict:
        """Percentiles of the callback's own duration (clock read on entry and
        exit inside the callback; 1 us resolution), and the longest one."""
        h = self.arena[self.L.dur:self.L.dur + DUR_BINS].copy()
        out = {"count": int(h.sum()), "max_us": float(self.arena[H_DMAX]) / 1000.0}
        if out["count"]:
            c = np.cumsum(h)
            for q in (50, 99, 99.9):
                out[f"p{q:g}_us"] = float(np.searchsorted(c, q / 100.0 * c[-1]) + 0.5)
        if reset:
            self.arena[self.L.dur:self.L.dur + DUR_BINS] = 0.0
            self.arena[H_DMAX] = 0.0
        return out

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
