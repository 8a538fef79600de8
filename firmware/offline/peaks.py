"""What `check` judges a master by, streamed: the integrated loudness
(dsp.meters), the precise true peak (dsp.truepeak) at the master's rate and
after conversion to 44.1 kHz (dsp.resample), and with ``codecs`` the precise
true peak after each lossy codec (codecs.py).

`check` feeds a file through Figures; `render --target` feeds the samples it
is writing through the same class as it writes them, so a rendered master is
judged by exactly what `check` will compute, not by a second opinion.

The meters run on two threads beside the one that feeds them (the kernels
release the GIL): loudness and the native peak on one, the conversion and
its peak on the other; the codecs' ffmpeg processes run beside them.

    f = Figures(48000, 2)
    for block in blocks: f.feed(block)     # float32 (frames, channels)
    f.finish()  -> {integrated_lufs, true_peak_dbtp, true_peak_after_44k1_dbtp}
"""
from __future__ import annotations

import math
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dsp.meters import Meter
from dsp.resample import Resampler
from dsp.truepeak import PreciseTruePeak

from . import audiofile, codecs
from .render import Progress

CHECK_RATE = 44100          # the consumer format the conversion check converts to
BLOCK = 1 << 16
QUEUE_BLOCKS = 4            # blocks a meter thread may lag behind the feeder


def _clean(b: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(b), b, 0.0).astype(np.float32)


class Figures:
    """The figures `check` judges, from blocks fed one after another."""

    def __init__(self, fs: int, channels: int, native: bool = True):
        """``native`` False leaves out the true peak at the file's own rate
        (a delivery search's look at what the conversion adds)."""
        self.fs = fs
        self.channels = channels
        self._meter = Meter(fs, channels)
        self._native = PreciseTruePeak(channels) if native else None
        self._conv = None if fs == CHECK_RATE else (Resampler(fs, CHECK_RATE, channels),
                                                    PreciseTruePeak(channels))
        self._queues = []
        self._threads = []
        self._errors: list[BaseException] = []
        self._start(self._run_native)
        if self._conv is not None:
            self._start(self._run_conv)

    def _start(self, work) -> None:
        q = queue.Queue(QUEUE_BLOCKS)
        t = threading.Thread(target=self._guard, args=(work, q), daemon=True, name="peaks")
        self._queues.append(q)
        self._threads.append(t)
        t.start()

    def _guard(self, work, q) -> None:
        try:
            while (b := q.get()) is not None:
                work(b)
        except BaseException as e:             # raised in finish(), on the feeder's thread
            self._errors.append(e)
            while q.get() is not None:         # keep the feeder from blocking
                pass

    def _run_native(self, b: np.ndarray) -> None:
        self._meter.process(b)
        if self._native is not None:
            self._native.process(b)

    def _run_conv(self, b: np.ndarray) -> None:
        r, tp = self._conv
        tp.process(r.process(b))

    @property
    def meter(self) -> Meter:
        """The loudness meter (read it after finish())."""
        return self._meter

    def feed(self, b: np.ndarray) -> None:
        """A block of the master, in order. It is read later, on the meters'
        threads: the caller must not change it afterwards."""
        for q in self._queues:
            q.put(b)

    def _stop(self) -> None:
        for q in self._queues:
            q.put(None)
        for t in self._threads:
            t.join()
        self._queues = []

    def abort(self) -> None:
        if self._queues:
            self._stop()

    def finish(self) -> dict:
        self._stop()
        if self._errors:
            raise self._errors[0]
        conv = None
        if self._conv is not None:
            r, tp = self._conv
            tp.process(r.finish())
            conv = tp.dbtp()
        integ = self._meter.integrated()
        return {"integrated_lufs": integ if math.isfinite(integ) else None,
                "true_peak_dbtp": None if self._native is None else self._native.dbtp(),
                "true_peak_after_44k1_dbtp": conv}


def lossy(path: str, fs: int, channels: int, pool: ThreadPoolExecutor | None = None) -> dict:
    """{codecs: {name: {label, true_peak_dbtp}}}, or {codecs: None, codecs_note}
    when ffmpeg is missing. With a pool the codecs run on it and the result
    holds futures until resolved with lossy_result()."""
    if codecs.ffmpeg() is None:
        return {"codecs": None, "codecs_note": "ffmpeg is not installed: lossy peaks not measured"}
    run = pool.submit if pool is not None else (lambda f, *a: f(*a))
    return {"codecs": {c.name: (c, run(codecs.decoded_true_peak, path, fs, channels, c))
                       for c in codecs.CODECS}}


def lossy_result(d: dict, fs: int) -> dict:
    if not d.get("codecs"):
        return d
    return {"codecs": {name: {"label": codecs.label(c, fs),
                              "true_peak_dbtp": r.result() if hasattr(r, "result") else r}
                       for name, (c, r) in d["codecs"].items()}}


def measure(path: str, with_codecs: bool = False, progress: bool = True) -> dict:
    """The figures of a file: {integrated_lufs, true_peak_dbtp,
    true_peak_after_44k1_dbtp (None at 44.1 kHz)}, and with ``with_codecs``
    codecs: {name: {label, true_peak_dbtp}} (or None and codecs_note saying
    why they were skipped)."""
    info = audiofile.check_input(path)
    fs, ch = info.samplerate, info.channels
    bar = Progress(info.frames, f"check {path}", None if progress else False)
    with ThreadPoolExecutor(len(codecs.CODECS)) as pool:
        lossy_d = lossy(path, fs, ch, pool) if with_codecs else {}
        f = Figures(fs, ch)
        done = 0
        try:
            for b in audiofile.blocks(path, BLOCK):
                f.feed(_clean(b))
                done += len(b)
                bar.update(done)
        except BaseException:
            f.abort()
            raise
        finally:
            bar.close()
        out = f.finish()
        out.update(lossy_result(lossy_d, fs))
    return out
