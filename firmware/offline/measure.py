"""masterbox measure: standard-true figures for files, as text, JSON or a plot.

JSON keys (one object per file; LUFS, LU, dBTP and dBFS; null where a figure
does not exist, e.g. the integrated loudness of silence, which is below the gate):
  file, sample_rate, channels, seconds,
  integrated_lufs, loudness_range_lu, lra_stable (false for programmes under 60 s),
  max_momentary_lufs, max_short_term_lufs, momentary_lufs, short_term_lufs (at the end),
  true_peak_dbtp (BS.1770 Annex 2, 4x, the file's last samples included and
  never below the sample peak), true_peak_precise_dbtp (with --precise: dsp.truepeak, the meter `check` uses),
  sample_peak_dbfs, plr_lu (true peak - integrated), psr_lu (recent true peak -
  short-term, at the end), correlation (-1..1, the whole file),
  correlation_recent (the last ~0.4 s, as the box's meter shows it),
  balance_db (right vs left, the whole file)
"""
from __future__ import annotations

import math

import numpy as np

from dsp.meters import Meter
from dsp.truepeak import PreciseTruePeak

from ..errors import UserError
from . import audiofile
from .render import Progress


def measure_file(path: str, precise: bool = False, block: int = 1 << 15) -> tuple[dict, np.ndarray]:
    info = audiofile.check_input(path)
    m = Meter(info.samplerate, info.channels)
    rows = []
    bar = Progress(info.frames, f"measure {path}")
    done = 0
    tp = PreciseTruePeak(info.channels) if precise else None
    try:
        for b in audiofile.blocks(path, block):
            b = np.where(np.isfinite(b), b, 0.0).astype(np.float32)
            m.process(b)
            rows.append(m.series())
            if tp is not None:
                tp.process(b)
            done += len(b)
            bar.update(done)
    finally:
        bar.close()
    r = {"file": path, "sample_rate": info.samplerate, "channels": info.channels}
    r.update(m.results())
    if tp is not None:
        r["true_peak_precise_dbtp"] = tp.dbtp()
    series = np.concatenate(rows) if rows else np.zeros((0, 3))
    return _clean(r), series


def _clean(r: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}


def fmt(v, unit="", spec="{:+.1f}"):
    return "below gate" if v is None else spec.format(v) + (" " + unit if unit else "")


def text(r: dict) -> str:
    lines = [f"{r['file']}: {r['seconds']:.1f} s, {r['sample_rate']} Hz, {r['channels']} ch",
             f"  integrated   {fmt(r['integrated_lufs'], 'LUFS')}",
             f"  LRA          {fmt(r['loudness_range_lu'], 'LU', '{:.1f}')}"
             + ("" if r["lra_stable"] else "  (under 60 s: not yet stable)"),
             f"  max M / S    {fmt(r['max_momentary_lufs'])} / {fmt(r['max_short_term_lufs'], 'LUFS')}",
             f"  true peak    {fmt(r['true_peak_dbtp'], 'dBTP')}"
             + (f"   (precise: {fmt(r['true_peak_precise_dbtp'], 'dBTP', '{:+.2f}')})"
                if "true_peak_precise_dbtp" in r else ""),
             f"  sample peak  {fmt(r['sample_peak_dbfs'], 'dBFS')}",
             f"  PLR          {fmt(r['plr_lu'], 'LU', '{:.1f}')}"]
    if "correlation" in r:
        lines.append(f"  correlation  {fmt(r['correlation'], '', '{:+.2f}')}")
    return "\n".join(lines)


def plot(r: dict, series: np.ndarray, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..store.atomic import atomic_path

    t = (np.arange(len(series)) + 1) * 0.1
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 5), dpi=100, sharex=True,
                                 gridspec_kw={"height_ratios": [2, 1]})
    with np.errstate(invalid="ignore"):
        a1.plot(t, np.where(np.isfinite(series[:, 0]), series[:, 0], np.nan), lw=0.8,
                color="#9ecae1", label="momentary (400 ms)")
        a1.plot(t, np.where(np.isfinite(series[:, 1]), series[:, 1], np.nan), lw=1.8,
                color="#08519c", label="short-term (3 s)")
    if r["integrated_lufs"] is not None:
        a1.axhline(r["integrated_lufs"], color="#e6550d", ls="--", lw=1.2,
                   label=f"integrated {r['integrated_lufs']:.1f} LUFS")
    a1.set_ylabel("LUFS")
    finite = series[:, :2][np.isfinite(series[:, :2])]
    if finite.size:
        a1.set_ylim(max(finite.min() - 3, -70), finite.max() + 3)
    a1.legend(loc="lower right", fontsize=8)
    a1.grid(alpha=0.3)
    a1.set_title(f"{r['file']}  (LRA {r['loudness_range_lu']:.1f} LU)")
    with np.errstate(invalid="ignore"):
        a2.plot(t, np.where(np.isfinite(series[:, 2]), series[:, 2], np.nan), lw=1.0,
                color="#a50f15", label="true peak per 100 ms")
    a2.axhline(-1.0, color="grey", ls=":", lw=1, label="-1 dBTP")
    a2.set_ylabel("dBTP")
    a2.set_xlabel("time (s)")
    a2.legend(loc="lower right", fontsize=8)
    a2.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def check_plot_args(files, plot_path):
    if plot_path and len(files) != 1:
        raise UserError("--plot draws one file: give exactly one FILE with it")
    if plot_path and not plot_path.lower().endswith(".png"):
        raise UserError(f"{plot_path}: the plot is written as PNG; name it .png")
