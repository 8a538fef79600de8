"""Offline render: a file through the chain, streamed block by block.

The output is aligned with the input (the chain's latency is dropped at the
start and flushed at the end), has the input's length, and is written to a
temporary name that is renamed only when everything succeeded.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from dsp import params
from dsp.chain import Chain

from ..errors import UserError
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
        self.on = hasattr(stream, "isatty") and stream.isatty()
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


def render_array(x: np.ndarray, fs: int, values: dict, block: int = DEFAULT_BLOCK) -> tuple[np.ndarray, Chain]:
    """Render float32 (n, 2) audio, aligned and complete (latency removed)."""
    chain = Chain(fs, values)
    L = chain.latency
    y = np.empty_like(x)
    n = len(x)
    pos = 0
    out_pos = 0
    pad = np.zeros((L, 2), np.float32)
    src = np.concatenate([x, pad]) if L else x
    while pos < len(src):
        b = src[pos:pos + block]
        o = chain.process(b)
        start = max(0, L - pos)
        keep = o[start:]
        take = min(len(keep), n - out_pos)
        y[out_pos:out_pos + take] = keep[:take]
        out_pos += take
        pos += len(b)
    return y, chain


def render_file(in_path: str, out_path: str, values: dict, block: int = DEFAULT_BLOCK,
                bits: str | None = None, progress: bool = True) -> dict:
    if not 1 <= block <= 1 << 20:
        raise UserError(f"--block {block}: out of range 1..{1 << 20} frames")
    info = audiofile.check_input(in_path)
    fs, ch = info.samplerate, info.channels
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
    if ch == 1 and not _mono_safe(values):
        notes.append("mono input: stereo-only settings (width, balance, swap, mid/side EQ) "
                     "act on identical channels; the left channel is written")
    chain = Chain(fs, values)
    L = chain.latency
    writer = audiofile.Writer(out_path, fs, ch, bits)
    bar = Progress(info.frames, "render", sys.stderr if progress else False)
    t0 = time.perf_counter()
    peak_in = 0.0
    peak_out = 0.0
    written = 0
    try:
        skip = L
        def emit(o):
            nonlocal skip, written, peak_out
            if skip:
                cut = min(skip, len(o))
                o = o[cut:]
                skip -= cut
            o = o[: info.frames - written]
            if len(o):
                peak_out = max(peak_out, float(np.max(np.abs(o))))
                writer.write(o if ch == 2 else o[:, :1])
                written += len(o)
        done = 0
        for b in audiofile.blocks(in_path, block):
            x = b if ch == 2 else np.repeat(b, 2, axis=1)
            finite = np.isfinite(x)
            if finite.any():
                peak_in = max(peak_in, float(np.max(np.abs(np.where(finite, x, 0.0)))))
            emit(chain.process(x))
            done += len(b)
            bar.update(done)
        tail = L
        while tail > 0:
            z = np.zeros((min(block, tail), 2), np.float32)
            emit(chain.process(z))
            tail -= len(z)
        writer.commit()
    except BaseException as e:
        writer.abort(e)
        raise
    finally:
        bar.close()
    dt = time.perf_counter() - t0
    nonfinite = chain.nonfinite_samples // (2 if ch == 1 else 1)
    return {
        "input": in_path, "output": out_path, "sample_rate": fs, "channels": ch,
        "frames": written, "seconds": written / fs, "bits": bits, "block": block,
        "latency_frames": L, "latency_ms": 1000.0 * L / fs,
        "peak_in_dbfs": _db(peak_in), "peak_out_dbfs": _db(peak_out),
        "nonfinite_samples_replaced": int(nonfinite),
        "render_seconds": dt, "realtime_factor": (written / fs) / dt if dt > 0 else float("inf"),
        "notes": notes,
    }


def _mono_safe(v) -> bool:
    return (v["stereo.width_pct"] == 100.0 and v["stereo.balance_db"] == 0.0 and not v["input.swap"]
            and v["input.invert_l"] == v["input.invert_r"]
            and all(v[f"eq.{b}_mode"] == 0 for b in ("low_shelf", "bell1", "bell2", "bell3",
                                                      "high_shelf")))


def _db(x: float) -> float:
    return 20 * np.log10(x) if x > 0 else float("-inf")
