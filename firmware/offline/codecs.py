"""Lossy delivery: a master's true peak after AAC and MP3, as a listener's
decoder reconstructs it. Lossy encoders overshoot (they drop and shift spectral
detail, and the waveform's peaks move): a master at -1 dBTP can decode above
0 dBTP.

ffmpeg encodes (its own AAC encoder at 256 kbps, LAME at 320 kbps) into a pipe
and a second ffmpeg decodes that stream to float; the decoded audio goes
through the precise true-peak meter block by block. No temporary file, memory
bounded for any length. Without ffmpeg on the PATH the codecs are skipped and
the report says so.
"""
from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from dsp.truepeak import PreciseTruePeak

from ..errors import UserError

READ_BYTES = 1 << 20


@dataclass(frozen=True)
class Codec:
    name: str              # the report's key
    encoder: str           # ffmpeg's encoder
    kbps: int
    muxer: str             # a streamable format for the pipe
    demuxer: str           # ffmpeg's name for reading it back
    max_rate: int          # the encoder's highest sample rate


CODECS = (Codec("aac", "aac", 256, "adts", "aac", 96000),
          Codec("mp3", "libmp3lame", 320, "mp3", "mp3", 48000))


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


@functools.lru_cache(maxsize=None)
def ffmpeg_version() -> str:
    out = subprocess.run([ffmpeg(), "-hide_banner", "-version"], capture_output=True, text=True)
    first = out.stdout.splitlines()[0] if out.stdout else "ffmpeg"
    parts = first.split()
    return parts[2] if len(parts) > 2 and parts[1] == "version" else first


def label(codec: Codec, fs: int) -> str:
    """What was measured, naming the encoder: 'AAC 256 kbps (ffmpeg 5.1.9, aac)'."""
    rate = "" if fs <= codec.max_rate else f", at {codec.max_rate // 1000} kHz"
    return (f"{codec.name.upper()} {codec.kbps} kbps (ffmpeg {ffmpeg_version()}, "
            f"{codec.encoder}{rate})")


def decoded_true_peak(path: str, fs: int, channels: int, codec: Codec) -> float:
    """The precise true peak (dBTP) of ``path`` encoded with ``codec`` and decoded."""
    exe = ffmpeg()
    if exe is None:
        raise UserError("ffmpeg is not installed: the lossy checks need it (scripts/setup.sh installs it)")
    quiet = [exe, "-nostdin", "-hide_banner", "-loglevel", "error"]
    rate = [] if fs <= codec.max_rate else ["-ar", str(codec.max_rate)]
    enc = subprocess.Popen(quiet + ["-i", path, *rate, "-c:a", codec.encoder,
                                    "-b:a", f"{codec.kbps}k", "-f", codec.muxer, "pipe:1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dec = subprocess.Popen(quiet + ["-f", codec.demuxer, "-i", "pipe:0", "-f", "f32le",
                                    "-ac", str(channels), "pipe:1"],
                           stdin=enc.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    enc.stdout.close()           # the decoder owns the pipe now
    tp = PreciseTruePeak(channels)
    frame = 4 * channels
    rest = b""
    try:
        while True:
            chunk = dec.stdout.read(READ_BYTES)
            if not chunk:
                break
            chunk = rest + chunk
            whole = len(chunk) // frame * frame
            rest = chunk[whole:]
            if whole:
                tp.process(np.frombuffer(chunk[:whole], np.float32).reshape(-1, channels))
        dec.wait()
        enc.wait()
    finally:
        for p in (dec, enc):
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, what in ((enc, "encode"), (dec, "decode")):
        if p.returncode != 0:
            err = p.stderr.read().decode(errors="replace").strip().splitlines()
            raise UserError(f"{path}: ffmpeg could not {what} {codec.name.upper()} "
                            f"({err[-1] if err else f'exit {p.returncode}'})")
    for p in (dec, enc):
        p.stderr.close()
    dec.stdout.close()
    return tp.dbtp()
