"""The audio callback: the whole chain compiled as a numba @cfunc with
PortAudio's PaStreamCallback signature. It runs no Python and takes no GIL.

Real-time contract (read this before touching it):
- It is compiled machine code. It never takes the GIL, allocates nothing,
  takes no lock, makes no system call and logs nothing; it always fills the
  whole output buffer.
- Everything it touches is in one float64 arena reached through the stream's
  userdata pointer (layout: Arena below): two coefficient sets (double
  buffer), the chain's state, a work buffer, the meter's state, counters.
- It reads the active coefficient set's index once per block. A set carries
  its sequence number at its head and its tail; a block whose two differ is
  counted as torn (the tests hammer publishing and expect none).
- Non-finite input is silenced and counted by the chain kernel; the output is
  always finite and, with the limiter on, never above its ceiling. PortAudio's
  status flags (under/overflows) are counted as xruns.
- Meters run on the output; the UI copies their state without a lock.
- It clocks itself: CLOCK_MONOTONIC on entry and exit (clock_gettime is served
  by the vDSO on x86-64 and arm64 Linux: no system call) into a histogram of
  1 us bins in the arena.
- Reference tracks (dsp/references.py) are float32 frames in the arena's
  last region, written by the control thread into a slot that is not playing;
  the playback contexts' IR spectra (dsp/contexts.py) follow them, and the
  convolution's delay line after those, which the callback writes.
- It copies every input frame into a capture ring (float32, the last few
  minutes) that the assistant listens to from the control thread.
- Loop-cable measurement: when armed, it takes its input from a stimulus in
  the arena and records the real input beside it, sample-aligned with what it
  plays; the control thread fills both before arming and reads them after the
  callback marks the run done.
"""
from __future__ import annotations

import math

import numpy as np
from numba import types

from dsp.kernels import chain as K
from dsp.kernels import meters as MK
from dsp.kernels.layout import Layout, f32_words
from dsp.references import memory_array

# arena header (float64 words)
_H = Layout()
H_CALLBACKS, H_XRUNS, H_ACTIVE, H_TORN, H_FRAMES, H_THREAD = _H.each(6)
H_SIZE = _H.take()       # the arena's length (the callback sizes its view from it)
H_MEAS, H_MPOS, H_MLEN = _H.each(3)   # loop-cable measurement: idle/armed/done, position, length
H_TS = _H.take(2)        # a timespec the clock writes into
H_DMAX = _H.take()       # the longest callback, ns
H_R0, H_RN = _H.each(2)  # the reference tracks' memory: first word, words (float32 inside)
H_C0, H_CN, H_CPOS = _H.each(3)   # the capture ring: first word, frames, next frame to write
_H.take(24 - _H.size)    # spare: the coefficient sets start 192 bytes in
HEADER = _H.size
MEAS_IDLE, MEAS_ARMED, MEAS_DONE = 0.0, 1.0, 2.0
# callback durations: a histogram of 1 us bins (the last bin holds the rest)
DUR_BINS = 10000


class Arena:
    """Offsets of everything in the arena after its header."""

    def __init__(self, measure_frames: int = 0, reference_bytes: int = 0, capture_frames: int = 0,
                 context_values: int = 0):
        a = Layout(HEADER)
        self.t_len = K.T_TOTAL + 1                 # + the sequence number's tail copy
        self.t0 = a.take(self.t_len)
        self.t1 = a.take(self.t_len)
        self.s = a.take(K.S_TOTAL)
        self.w = a.take(K.CHUNK * K.W_COLS)
        self.mt = a.take(MK.MT_SIZE)
        self.ms = a.take(MK.MS_SIZE)
        self.dur = a.take(DUR_BINS)
        self.meas = a.take(4 * measure_frames)     # stimulus (n x 2) then recording (n x 2)
        self.measure_frames = measure_frames
        # the monitor's float32 memory: the reference tracks, then the
        # playback contexts (dsp/contexts.py), one array for the kernel
        self.ref_values = len(memory_array(reference_bytes))
        self.ref = a.take(f32_words(self.ref_values + context_values))
        self.ref_words = a.size - self.ref
        self.cap = a.take(f32_words(2 * capture_frames))
        self.capture_frames = capture_frames
        self.size = a.size


_CALLBACK = None
_PASSTHROUGH = None

# The two libc calls the callback makes, as external symbols resolved when the
# code is linked. Module globals, not names inside compile_callback: numba
# hashes a closure's variables into its cache key, and these objects pickle
# differently in every process, so as closure variables they made every start
# compile the callback afresh (~5 s) instead of loading it.
# pthread_self reads the thread pointer; it is not a system call.
pthread_self = types.ExternalFunction("pthread_self", types.uint64())
# int clock_gettime(clockid_t, struct timespec *): the pointer passed as an
# integer address (the arena's H_TS words), which keeps the code cacheable
clock_gettime = types.ExternalFunction("clock_gettime", types.int32(types.int32, types.intp))


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

    L = Arena()
    T_N, S_N, TL = K.T_TOTAL, K.S_TOTAL, L.t_len
    T0, T1, S0, W0 = L.t0, L.t1, L.s, L.w
    MT0, MS0, D0, MEAS0 = L.mt, L.ms, L.dur, L.meas
    CH, WC = K.CHUNK, K.W_COLS
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
        cn = int(A[H_CN])
        if cn > 0:
            # what the box hears, for the assistant: the input into the capture ring
            c0 = int(A[H_C0])
            C = A[c0:c0 + cn].view(np.float32)
            pos = int(A[H_CPOS])
            for i in range(frames):
                C[2 * pos] = x[i, 0]
                C[2 * pos + 1] = x[i, 1]
                pos += 1
                if pos >= cn:
                    pos = 0
            A[H_CPOS] = pos
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
        base = T0 if act == 0 else T1
        T = A[base:base + T_N]
        head = T[K.T_SEQ]
        r0 = int(A[H_R0])
        R = A[r0:r0 + int(A[H_RN])].view(np.float32)
        K.process(src, y, frames, T, A[S0:S0 + S_N], A[W0:W0 + CH * WC].reshape((CH, WC)), R)
        if head != A[base + TL - 1] or head != T[K.T_SEQ]:
            A[H_TORN] += 1.0
        MK.process(y, frames, A[MT0:MT0 + MT_N], A[MS0:MS0 + MS_N])
        if status != 0:
            A[H_XRUNS] += 1.0
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
