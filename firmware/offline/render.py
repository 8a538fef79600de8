"""Offline render: a file through the chain, streamed block by block.

The output is aligned with the input (the chain's latency is dropped at the
start and flushed at the end), has the input's length, and is written to a
temporary name that is renamed only when everything succeeded.
"""
from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

from dsp import params
from dsp.chain import Chain

from ..errors import UserError
from ..store.atomic import check_writable
from . import audiofile

DEFAULT_BLOCK = 4096


def default_bits(subtype: str, fmt: str) -> str:
    if subtype == "PCM_16":
        return "16"
    if subtype in ("PCM_24",) or fmt == "FLAC":
        return "24"
    return "32f"


class Progress:
    """A one-line progress bar on a terminal; silent elsewhere (logs, CI)."""

    def __init__(self, total: int, label: str, stream=None):
        self.total = max(total, 1)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.on = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = -1

    def update(self, done: int) -> None:
        if not self.on:
            return
        pct = min(100, int(100 * done / self.total))
        if pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            self.stream.write(f"\r{self.label} [{bar}] {pct:3d}%")
            self.stream.flush()

    def close(self) -> None:
        if self.on:
            self.stream.write("\n")


def rendered(path: str, chain: Chain, block: int, seen=None):
    """Yield ``chain``'s output for the file at ``path``, stereo, aligned with
    the input (the latency dropped at the start and flushed at the end) and of
    its length. ``seen(x, frames_read)`` is told of every input block (mono
    already made stereo) before it is processed."""
    L = chain.latency
    skip = L
    read = out = 0

    def aligned(o):
        nonlocal skip, out
        if skip:
            cut = min(skip, len(o))
            o = o[cut:]
            skip -= cut
        o = o[: read - out]
        out += len(o)
        return o
    for b in audiofile.blocks(path, block):
        x = b if b.shape[1] == 2 else np.repeat(b, 2, axis=1)
        read += len(b)
        if seen is not None:
            seen(x, read)
        o = aligned(chain.process(x))
        if len(o):
            yield o
    tail = L
    while tail > 0:
        z = np.zeros((min(block, tail), 2), np.float32)
        tail -= len(z)
        o = aligned(chain.process(z))
        if len(o):
            yield o


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: through symlinks, hard links and '..'."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def refuse_overwriting_input(inputs, output: str) -> None:
    for i in inputs:
        if same_file(i, output):
            raise UserError(f"{output}: output would overwrite the input {i}")


def compile_chain(fs: int, values: dict, stream=None) -> float:
    """Compile the chain kernel now (or load it from numba's cache), saying so
    when that takes a while, so a render's speed is the render's. Returns the
    seconds it took."""
    from dsp.kernels import chain as K

    stream = sys.stderr if stream is None else stream
    if K.process.signatures:
        return 0.0
    t0 = time.perf_counter()
    done = threading.Event()

    def tell():
        if not done.wait(1.0):
            stream.write("compiling the chain (once; numba caches it for next time)...\n")
            stream.flush()
    t = threading.Thread(target=tell, daemon=True)
    t.start()
    Chain(fs, values).process(np.zeros((1, 2), np.float32))
    done.set()
    t.join()
    return time.perf_counter() - t0


def output_settings(info, out_path: str, bits: str | None, values: dict) -> tuple[str, dict, list[str]]:
    """The output's word length (asked for, or the input's: 16-bit stays 16,
    24-bit and FLAC 24, float stays float) and the values with the dither's
    word length matched to it; with notes on what was changed."""
    fmt, _ = audiofile.output_format(out_path, bits or "24")
    bits = bits or default_bits(info.subtype, fmt)
    audiofile.output_format(out_path, bits)
    values = params.check_values(values)
    notes = []
    if bits in ("16", "24"):
        want = 0.0 if bits == "16" else 1.0
        if values["output.bits"] != want and values["output.dither"]:
            notes.append(f"output.bits set to {bits} to match --bits {bits}")
        values["output.bits"] = want
    elif values["output.dither"]:
        notes.append(f"dither quantises to {24 if values['output.bits'] else 16} bits "
                     "inside a 32-bit float file")
    return bits, values, notes


def render_file(in_path: str, out_path: str, values: dict, block: int = DEFAULT_BLOCK,
                bits: str | None = None, progress: bool = True) -> dict:
    if not 1 <= block <= 1 << 20:
        raise UserError(f"--block {block}: out of range 1..{1 << 20} frames")
    info = audiofile.check_input(in_path)
    fs, ch = info.samplerate, info.channels
    refuse_overwriting_input([in_path], out_path)
    bits, values, notes = output_settings(info, out_path, bits, values)
    check_writable(out_path)
    if ch == 1 and not _mono_safe(values):
        notes.append("mono input: stereo-only settings (width, balance, swap, mid/side EQ) "
                     "act on identical channels; the left channel is written")
    compile_s = compile_chain(fs, values)
    chain = Chain(fs, values, monitor=False)
    L = chain.latency
    writer = audiofile.Writer(out_path, fs, ch, bits)
    bar = Progress(info.frames, "render", sys.stderr if progress else False)
    t0 = time.perf_counter()
    peak_in = 0.0
    read = 0

    def seen(x, total):
        nonlocal peak_in, read
        read = total
        finite = np.isfinite(x)
        if finite.any():
            peak_in = max(peak_in, float(np.max(np.abs(np.where(finite, x, 0.0)))))
        bar.update(total)
    try:
        for o in rendered(in_path, chain, block, seen):
            writer.write(o if ch == 2 else o[:, :1])
        writer.commit()
    except BaseException as e:
        writer.abort(e)
        raise
    finally:
        bar.close()
    dt = time.perf_counter() - t0
    written = writer.frames
    trunc = audiofile.truncation_note(in_path, audiofile.promised_frames(in_path, info), read)
    if trunc:
        notes.append(trunc)
    if writer.clipped:
        notes.append(f"{writer.clipped} samples were over full scale and clipped when "
                     f"quantised to {bits} bits; lower output.trim_db, engage the limiter, "
                     "or write --bits 32f")
    nonfinite = chain.nonfinite_samples // (2 if ch == 1 else 1)
    return {
        "input": in_path, "output": out_path, "sample_rate": fs, "channels": ch,
        "frames": written, "seconds": written / fs, "bits": bits, "block": block,
        "latency_frames": L, "latency_ms": 1000.0 * L / fs,
        "peak_in_dbfs": _db(peak_in), "peak_out_dbfs": _db(writer.peak),
        "clipped_samples": writer.clipped,
        "nonfinite_samples_replaced": int(nonfinite),
        "render_seconds": dt, "compile_seconds": compile_s,
        "realtime_factor": (written / fs) / dt if dt > 0 else None,
        "notes": notes,
    }


def _mono_safe(v) -> bool:
    return (v["stereo.width_pct"] == 100.0 and v["stereo.balance_db"] == 0.0 and not v["input.swap"]
            and v["input.invert_l"] == v["input.invert_r"]
            and all(v[f"eq.{b}_mode"] == 0 for b in ("low_shelf", "bell1", "bell2", "bell3",
                                                      "high_shelf")))


def _db(x: float) -> float | None:
    """dBFS of a peak; None for silence (JSON has no -inf)."""
    return float(20 * np.log10(x)) if x > 0 else None
