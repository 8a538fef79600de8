"""The live codec preview: the processed output through a real lossy encoder
and decoder while the engineer works, heard on the monitor a fixed
DELAY_S late (dsp/codec_ring.py; kernels/monitor.py modes "codec" and
"codec difference").

The audio thread writes the processed output into the codec memory; a feeder
thread here copies it into ffmpeg (its AAC encoder at 256 kb/s, LAME at
320 kb/s, libopus at 160 kb/s where the installed ffmpeg has it), piped into a
second ffmpeg that decodes; a reader thread puts the decoded frames back
into the memory at the number of the processed frame each one decodes (the
codec's own delay, measured once per codec and rate on a test burst through
the same two commands, taken off), and meters their true peak: the live
counterpart of ``check --codec-safe``. Nothing here runs on the audio thread;
ffmpeg is a child process and the GIL is never in the audio path.
"""
from __future__ import annotations

import functools
import os
import subprocess
import threading
import time

import numpy as np

from dsp.codec_ring import BLOCK, CodecRing
from dsp.truepeak import PreciseTruePeak

from .errors import UserError
from .offline.codecs import CODECS, Codec, ffmpeg

OPUS = Codec("opus", "libopus", 160, "ogg", "ogg", 48000)
ALL = (*CODECS, OPUS)
VIEWS = ("decoded", "difference")
FEED_FRAMES = 4096            # the most the feeder hands ffmpeg at once
READ_BYTES = 1 << 16
QUIET = ["-nostdin", "-hide_banner", "-loglevel", "error"]


@functools.lru_cache(maxsize=None)
def _encoders() -> frozenset:
    exe = ffmpeg()
    if exe is None:
        return frozenset()
    out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return frozenset(line.split()[1] for line in out.splitlines() if len(line.split()) > 1)


def available() -> tuple[Codec, ...]:
    """The codecs the installed ffmpeg encodes (none without ffmpeg)."""
    return tuple(c for c in ALL if c.encoder in _encoders())


def find(name: str) -> Codec:
    if ffmpeg() is None:
        raise UserError("codec preview: ffmpeg is not installed (scripts/install.sh --with-ffmpeg "
                        "on the box; apt install ffmpeg elsewhere)")
    for c in available():
        if c.name == name:
            return c
    raise UserError(f"codec {name!r}: this ffmpeg encodes {', '.join(c.name for c in available())}")


def commands(codec: Codec, fs: int) -> tuple[list[str], list[str]]:
    """(encoder, decoder) command lines: float32 stereo at fs in, the codec's
    stream between them, float32 stereo at fs out. Probing is kept to the
    minimum so ffmpeg starts on the first bytes."""
    exe = ffmpeg()
    rate = codec.max_rate if codec.name != "opus" else 48000
    resample = ["-ar", str(rate)] if fs > codec.max_rate or (codec.name == "opus" and fs != 48000) else []
    enc = [exe, *QUIET, "-f", "f32le", "-ar", str(fs), "-ac", "2", "-probesize", "32",
           "-analyzeduration", "0", "-i", "pipe:0", *resample, "-c:a", codec.encoder,
           "-b:a", f"{codec.kbps}k", "-f", codec.muxer, "-flush_packets", "1", "pipe:1"]
    dec = [exe, *QUIET, "-probesize", "32", "-analyzeduration", "0", "-f", codec.demuxer,
           "-i", "pipe:0", "-f", "f32le", "-ac", "2", "-ar", str(fs), "pipe:1"]
    return enc, dec


def _pipeline(codec: Codec, fs: int):
    enc_cmd, dec_cmd = commands(codec, fs)
    enc = subprocess.Popen(enc_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    dec = subprocess.Popen(dec_cmd, stdin=enc.stdout, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    enc.stdout.close()               # the decoder owns the pipe now
    return enc, dec


def through(codec: Codec, fs: int, x: np.ndarray) -> np.ndarray:
    """x (n, 2) through the preview's own two commands, whole: what comes out
    (its length is the codec's)."""
    enc, dec = _pipeline(codec, fs)
    out = []
    t = threading.Thread(target=lambda: out.append(dec.stdout.read()), daemon=True)
    t.start()
    enc.stdin.write(np.ascontiguousarray(x, np.float32).tobytes())
    enc.stdin.close()
    t.join(60)
    enc.wait(10)
    dec.wait(10)
    raw = out[0] if out else b""
    return np.frombuffer(raw[:len(raw) // 8 * 8], np.float32).reshape(-1, 2)


@functools.lru_cache(maxsize=None)
def codec_delay(name: str, fs: int) -> int:
    """Frames the decoded stream runs late against what went in (encoder
    priming, decoder delay, resampling), found on a noise burst."""
    codec = next(c for c in ALL if c.name == name)
    rng = np.random.default_rng(7)
    x = np.zeros((int(0.8 * fs), 2), np.float32)
    burst = int(0.05 * fs)
    x[int(0.2 * fs):int(0.2 * fs) + burst] = rng.standard_normal((burst, 2)) * 0.2
    y = through(codec, fs, x)
    n = min(len(y), len(x))
    if n < len(x) // 2:
        raise UserError(f"codec preview: ffmpeg returned {n} of {len(x)} frames for {codec.name.upper()}")
    a, b = x[:n, 0].astype(np.float64), y[:n, 0].astype(np.float64)
    size = 1 << (2 * n).bit_length()
    xc = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lag = int(np.argmax(xc[:int(0.2 * fs)]))
    return lag


class CodecPreview:
    """One codec preview at a time on a sink with codec memory."""

    def __init__(self, sink):
        view, first = sink.codec_memory
        if len(view) == 0:
            raise UserError("codec preview: this sink has no memory for it")
        self.sink = sink
        self.fs = int(sink.fs)
        self.ring = CodecRing(view, first, self.fs)
        self.codec: Codec | None = None
        self.error: str | None = None
        self._procs = ()
        self._threads = ()
        self._run = False
        self._tp = PreciseTruePeak(2)
        self._decoded = 0
        self._late0 = None
        self._a0 = 0

    @property
    def delay_s(self) -> float:
        return self.ring.delay / self.fs

    def start(self, codec: Codec) -> None:
        """Encode and decode from the next block on (stops a running one)."""
        self.stop()
        delay = codec_delay(codec.name, self.fs)     # before anything runs: may raise
        self.ring.clear()
        pos = self.sink.codec_position
        self._a0 = -(-pos // BLOCK) * BLOCK
        self._tp = PreciseTruePeak(2)
        self._decoded = 0
        self._late0 = None
        self.error = None
        enc, dec = _pipeline(codec, self.fs)
        self._procs = (enc, dec)
        self._run = True
        self.codec = codec
        self._threads = (threading.Thread(target=self._feed, args=(enc,), name="codec-feed", daemon=True),
                         threading.Thread(target=self._read, args=(dec, delay), name="codec-read",
                                          daemon=True))
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._run = False
        for p in self._procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for f in (p.stdin, p.stdout):
                if f is not None:
                    try:
                        f.close()
                    except OSError:
                        pass
        for t in self._threads:
            t.join(5)
        self._procs = ()
        self._threads = ()
        self.codec = None

    @property
    def running(self) -> bool:
        return self.codec is not None

    def true_peak_dbtp(self) -> float:
        """The decoded signal's true peak since the preview started (-inf before any)."""
        return self._tp.dbtp() if self._decoded else float("-inf")

    def late_frames(self) -> int:
        """Decoded frames the monitor had to play as silence since the preview
        was first heard (the first DELAY_S, before anything can be decoded,
        does not count)."""
        late = self.sink.codec_late_frames
        if self._late0 is None:
            if self.sink.codec_position < self._a0 + self.ring.delay + 2 * BLOCK:
                return 0
            self._late0 = late
        return late - self._late0

    # ------------------------------------------------------------ threads
    def _feed(self, enc) -> None:
        fed = self._a0
        try:
            while self._run:
                pos = self.sink.codec_position
                if pos - fed > self.ring.n - self.ring.delay or pos < fed - self.ring.n:
                    self.error = f"{self.codec.name.upper()} preview fell behind; heard as silence"
                    return
                if pos <= fed:
                    time.sleep(0.005)
                    continue
                count = min(pos - fed, FEED_FRAMES)
                enc.stdin.write(self.ring.processed(fed, count).tobytes())
                enc.stdin.flush()
                fed += count
        except (BrokenPipeError, ValueError, OSError):
            if self._run:
                self.error = f"{self.codec.name.upper()} encoder stopped"

    def _read(self, dec, skip: int) -> None:
        a = self._a0
        rest = b""
        fd = dec.stdout.fileno()
        try:
            while self._run:
                b = os.read(fd, READ_BYTES)
                if not b:
                    break
                b = rest + b
                whole = len(b) // 8 * 8
                rest = b[whole:]
                frames = np.frombuffer(b[:whole], np.float32).reshape(-1, 2)
                if skip:
                    k = min(skip, len(frames))
                    frames, skip = frames[k:], skip - k
                if len(frames):
                    self.ring.put(a, frames)
                    self._tp.process(frames)
                    self._decoded += len(frames)
                    a += len(frames)
        except (ValueError, OSError):
            pass


def badge(heard: tuple[str, str] | None, preview) -> str:
    """The screen's badge: the codec and its decoded true peak (AAC-0.6), or
    that its difference is heard (AACdif)."""
    if heard is None or preview is None:
        return ""
    name = heard[0].upper()
    if heard[1] == "difference":
        return name + "dif"
    tp = preview.true_peak_dbtp()
    return name + (f"{tp:+.1f}" if np.isfinite(tp) else "--")


def note(heard: tuple[str, str] | None, preview, ceiling_dbtp: float) -> str:
    """The warning line while a codec is heard: it stopped, it is late, or
    its decoded true peak is over the target's ceiling."""
    if heard is None or preview is None:
        return ""
    name = heard[0].upper()
    if preview.error:
        return preview.error
    late = preview.late_frames()
    if late:
        return f"{name} LATE {1000 * late / preview.fs:.0f} ms"
    tp = preview.true_peak_dbtp()
    if np.isfinite(tp) and tp > ceiling_dbtp:
        return f"{name} TP{tp:+.2f} OVER{ceiling_dbtp:+.1f}"
    return ""
