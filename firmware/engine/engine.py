"""The real-time engine: a full-duplex stereo PortAudio stream whose callback
is the chain compiled as a numba @cfunc (engine/callback.py: its real-time
contract). The audio thread runs no Python.

Settings are designed off the audio thread, module by module (dsp/design.py),
into the coefficient set the callback is not using, and published by flipping
one index. PortAudio is reached through engine/portaudio.py only; the Linux
real-time calls are in engine/realtime.py.
"""
from __future__ import annotations

import os
import time

import numpy as np

from dsp import params
from dsp.chain import gain_reduction_db, match_offset_db, reference_offset_db
from dsp.design import Controls, Designer, initial_state, latency_frames
from dsp.kernels import chain as K
from dsp.kernels import meters as MK
from dsp.kernels import monitor as MON
from dsp.meters import Meter
from dsp.monitor_memory import preview_words, regions

from ..errors import DeviceError, UserError
from . import portaudio
from .callback import (DUR_BINS, H_ACTIVE, H_C0, H_CALLBACKS, H_CN, H_CPOS, H_DMAX, H_FRAMES,
                       H_MEAS, H_MLEN, H_MPOS, H_R0, H_RN, H_SIZE, H_THREAD, H_TORN, H_XRUNS,
                       MEAS_ARMED, MEAS_DONE, MEAS_IDLE, Arena, compile_callback,
                       compile_passthrough)
from .realtime import set_thread_cpu, set_thread_fifo

RATES = (44100, 48000, 88200, 96000)
PUBLISH_TIMEOUT_S = 1.0    # a publish waits this long for the callback to leave the buffer
BLOCKS = (64, 128, 256, 512)


class Engine(Controls):
    error = UserError           # a bad monitor choice, at this boundary

    def __init__(self, fs: int = 48000, block: int = 128, device=None, values: dict | None = None,
                 rt_priority: int = 70, measure_seconds: float = 0.0, rt_cpu: int = -1,
                 reference_bytes: int = 0, capture_seconds: float = 0.0, previews: bool = False):
        if fs not in RATES:
            raise UserError(f"sample rate {fs} Hz: the box runs at {', '.join(map(str, RATES))} Hz")
        if block not in BLOCKS:
            raise UserError(f"block size {block}: use one of {', '.join(map(str, BLOCKS))}")
        if not 0 <= rt_priority <= 99:
            raise UserError(f"real-time priority {rt_priority}: out of range 0..99 (0 = off)")
        ncpu = os.cpu_count() or 1
        if not -1 <= rt_cpu < ncpu:
            raise UserError(f"audio thread CPU {rt_cpu}: this machine has CPUs 0..{ncpu - 1} (-1 = any)")
        if not 0.0 <= measure_seconds <= 60.0:
            raise UserError(f"measurement length {measure_seconds} s: out of range 0..60 s")
        self.fs, self.block, self.device = fs, block, device
        self.rt_priority = rt_priority
        self.rt_cpu = rt_cpu
        self.rt_status = "not started"
        if not 0.0 <= capture_seconds <= 600.0:
            raise UserError(f"capture length {capture_seconds} s: out of range 0..600 s")
        self.L = Arena(int(round(measure_seconds * fs)), reference_bytes,
                       int(round(capture_seconds * fs)), preview_words(fs) if previews else 0)
        self.arena = np.zeros(self.L.size)
        self.arena[H_SIZE] = self.L.size
        self.arena[H_R0] = self.L.ref
        self.arena[H_RN] = self.L.ref_words
        self.arena[H_C0] = self.L.cap
        self.arena[H_CN] = self.L.capture_frames
        # the callback writes the capture ring: touch its pages now, so it
        # never takes a page fault there
        self.arena[self.L.cap:self.L.cap + self.L.capture_frames].fill(0.0)
        self._design = Designer(fs, params.check_values(values or {}))
        self._seq = 1
        self._flip_at = -1.0
        # both coefficient sets start equal; state and meters start fresh
        T = self._design.T
        T[K.T_SEQ] = self._seq
        for b in (self.L.t0, self.L.t1):
            self.arena[b:b + K.T_TOTAL] = T
            self.arena[b + self.L.t_len - 1] = self._seq
        self.arena[self.L.s:self.L.s + K.S_TOTAL] = initial_state(T)
        meter = Meter(fs, 2)
        self.arena[self.L.mt:self.L.mt + MK.MT_SIZE] = meter.MT
        self.arena[self.L.ms:self.L.ms + MK.MS_SIZE] = meter.MS
        self._stream = None
        self.mode = "closed"
        self._attach_previews(regions(self._monitor_memory(), self.L.ref_values, fs))

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
                raise DeviceError("the audio callback does not run (device silent or stuck)")
            time.sleep(0.002)

    def open(self, passthrough: bool = False) -> None:
        dev = portaudio.find_device(self.device)
        cb = compile_passthrough() if passthrough else compile_callback()
        self._stream = portaudio.Stream(dev, self.fs, self.block, cb.address, self.arena.ctypes.data)
        self.mode = "passthrough" if passthrough else "chain"

    def start(self) -> None:
        if self._stream is None:
            self.open()
        self._stream.start()
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
            self._stream.close()
            self._stream = None

    def reopen(self) -> None:
        """After a lost device (unplugged card, restarted sound server): close,
        re-initialise PortAudio so it enumerates devices afresh, reopen with the
        full chain. The chain's state and settings are kept."""
        self.stop()
        portaudio.reinitialise()
        self.open()
        self.start()

    def cpu_load(self) -> float:
        """PortAudio's estimate of the callback's share of the period, 0..1."""
        return self._stream.cpu_load()

    def stream_latency(self) -> tuple[float, float]:
        """PortAudio's reported (input, output) latency of the open stream, seconds."""
        return self._stream.latency()

    # ------------------------------------------------------------------ control
    @property
    def latency(self) -> int:
        """The chain's latency in frames (the host's buffers come on top)."""
        return latency_frames(self.fs)

    @property
    def reference_memory(self) -> np.ndarray:
        """The reference tracks' float32 memory inside the arena (dsp/references.py)."""
        return self._monitor_memory()[:self.L.ref_values]

    def _monitor_memory(self) -> np.ndarray:
        return self.arena[self.L.ref:self.L.ref + self.L.ref_words].view(np.float32)

    def _monitor_state(self) -> np.ndarray:
        s = self.L.s + K.SB_MON
        return self.arena[s:s + MON.S_SIZE]

    @property
    def reference_offset_db(self) -> float:
        T = self._design.T
        return reference_offset_db(self.arena[self.L.s:self.L.s + K.S_TOTAL], T)

    def _before_design(self) -> None:
        # the buffer we are about to overwrite was active before the last flip:
        # wait until the callback has begun a block after that flip
        A = self.arena
        if self._stream is not None and self._flip_at >= 0:
            t_end = time.monotonic() + PUBLISH_TIMEOUT_S
            while A[H_CALLBACKS] < self._flip_at + 2:
                if time.monotonic() > t_end:
                    raise DeviceError("audio callback is not running; cannot publish settings")
                time.sleep(self.block / self.fs / 4)

    def _store(self) -> None:
        A = self.arena
        self._seq += 1
        T = self._design.T
        T[K.T_SEQ] = self._seq
        target = 1 - int(A[H_ACTIVE])
        base = self.L.t0 if target == 0 else self.L.t1
        A[base + self.L.t_len - 1] = -1.0            # mark "being written"
        A[base:base + K.T_TOTAL] = T
        A[base + self.L.t_len - 1] = self._seq       # tail last: the set is whole
        A[H_ACTIVE] = float(target)                  # publish
        self._flip_at = A[H_CALLBACKS]

    def capture(self) -> tuple[np.ndarray, int]:
        """What the box heard lately (the capture ring, oldest first, at most
        capture_seconds; only what was heard since it started), as (audio
        float32 frames x 2, rate). Read without a lock: the newest block may
        be half written, which a few minutes of listening does not notice."""
        n = self.L.capture_frames
        if n == 0:
            raise UserError("this engine keeps no capture (Engine(capture_seconds=...))")
        ring = self.arena[self.L.cap:self.L.cap + (2 * n + 1) // 2].view(np.float32)[:2 * n]
        ring = ring.reshape(n, 2)
        pos = int(self.arena[H_CPOS])
        heard = min(int(self.arena[H_FRAMES]), n)
        x = np.concatenate([ring[pos:], ring[:pos]])[n - heard:]
        return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), self.fs

    @property
    def match_offset_db(self) -> float:
        """Short-term loudness the processing adds (LU): what compare removes."""
        return match_offset_db(self.arena[self.L.s:self.L.s + K.S_TOTAL])

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
                raise DeviceError(f"measurement did not finish within {t_end - time.monotonic() + n / self.fs:.1f} s "
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
        return gain_reduction_db(self.arena[self.L.s:self.L.s + K.S_TOTAL])

    def boosts(self) -> dict[str, float]:
        return gain_reduction_db(self.arena[self.L.s:self.L.s + K.S_TOTAL], "boosts")

    def meter_state(self) -> np.ndarray:
        """A copy of the meter's state (read without a lock: a display may see a
        value one block old, never a blocked callback)."""
        return self.arena[self.L.ms:self.L.ms + MK.MS_SIZE].copy()
