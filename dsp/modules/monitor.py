"""The monitor stage (kernels/monitor.py): what is heard, after everything
else. Loudness-matched compare against the input, snapshots lowered to a
common loudness, a reference track at the programme's loudness, or the
delivery (the processed output at the gain a target render applies); then the
listening mode (stereo, mono, mid, side, delta; or a dynamic band's
detector, or what the de-esser removes). Never part of a render's
result. Its true-peak safety limiter holds the limiter's ceiling, so it reads
the limiter's values too."""
import math

import numpy as np

from ..bs1770 import k_weighting
from ..errors import DspError
from ..kernels import context as C
from ..kernels import fft
from ..kernels import monitor as K
from ..kernels import safety
from ..truepeak import precise_filter
from . import limiter
from .common import alpha, gain

STAGE = "monitor"
READS = ("limiter",)
MODES = ("processed", "bypass", "matched", "reference", "delivery", "platform", "platform limited",
         "codec", "codec difference")
# the one platform limiter published (Spotify's loud setting): engages at -1 dB
# sample values, 5 ms attack, 100 ms decay (firmware/platforms.py's source)
PLATFORM_LIMIT_DBFS, PLATFORM_ATTACK_S, PLATFORM_RELEASE_S = -1.0, 0.005, 0.1
NO_REFERENCE = (0, 0, 0.0)  # (first frame, frames, integrated LUFS) of the selected reference
NO_CONTEXT = (0, 0, 0, 0.0)  # (spectra's first float32 in R, partitions, FDL's first, G0 dB)
NO_CODEC_RING = (0, 0, 0, 0, 0, 0)   # (processed, decoded L, R, stamps: first float32 in R;
                                     # ring frames N, 0 for none; delay frames): dsp/codec_ring.py
# listening, after compare; from TAP0 on a signal inside the chain (the taps)
SOLOS = ("stereo", "mono", "mid", "side", "delta", "dyn1", "dyn2", "deess")
TAPS = SOLOS[K.TAP0:]
# the switches that must be on for a tap to carry anything
TAP_SWITCHES = {"dyn1": ("dyneq.on", "dyneq.b1_on"), "dyn2": ("dyneq.on", "dyneq.b2_on"),
                "deess": ("deess.on",)}
MATCH_TAU_S = 0.3          # the matching gain follows the short-term offset this slowly
CROSSFADE_TAU_S = 0.004    # compare switches: ~99 % within 20 ms


def check(mode: str, ref_db: float, solo: str = "stereo", reference: tuple = NO_REFERENCE,
          context: tuple = NO_CONTEXT, codec_ring: tuple = NO_CODEC_RING) -> None:
    if solo not in SOLOS:
        raise DspError(f"listening mode {solo!r}: use one of {', '.join(SOLOS)}")
    if mode not in MODES:
        raise DspError(f"monitor mode {mode!r}: use one of {', '.join(MODES)}")
    if not (math.isfinite(ref_db) and abs(ref_db) <= K.HOLD_DB):
        raise DspError(f"monitor reference {ref_db!r} LU is out of range "
                       f"-{K.HOLD_DB:g}..{K.HOLD_DB:g} LU")
    off, n, lufs = reference
    if mode == "reference" and n <= 0:
        raise DspError("no reference track is loaded to play")
    if off < 0 or n < 0 or not math.isfinite(lufs):
        raise DspError(f"reference {reference!r}: frames must be >= 0 and the loudness finite")
    h0, parts, fdl0, g0 = context
    if min(h0, parts, fdl0) < 0 or not (math.isfinite(g0) and abs(g0) <= C.HOLD_DB):
        raise DspError(f"context {context!r}: offsets must be >= 0 and the gain within "
                       f"+-{C.HOLD_DB:g} dB")
    if min(codec_ring) < 0 or len(codec_ring) != 6:
        raise DspError(f"codec memory {codec_ring!r}: six offsets and sizes >= 0")
    if mode in ("codec", "codec difference") and codec_ring[4] == 0:
        raise DspError("this sink has no memory for the codec preview")


def safety_taps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The safety limiter's detectors (kernels/safety.py): the limiter's own two
    halfbands, stage 1's even taps (reversed) and stage 2's odd ones, doubled; and the
    precise true-peak filter's branches."""
    a, b = limiter.detector_stages()
    return 2.0 * a[0::2][::-1].copy(), 2.0 * b[1::2], precise_filter().astype(np.float64)


def design(v, fs, T, mode="processed", ref_db=0.0, solo="stereo", reference=NO_REFERENCE,
           context=NO_CONTEXT, codec_ring=NO_CODEC_RING):
    from . import latency_frames

    check(mode, ref_db, solo, reference, context, codec_ring)
    T[K.MODE] = MODES.index(mode)
    T[K.SOLO] = SOLOS.index(solo)
    T[K.REF_DB] = ref_db
    T[K.LAT] = latency_frames(fs)
    T[K.HOP] = round(fs / 10)
    # the safety limiter aims as far under the ceiling as the limiter does
    T[K.CEIL] = gain((v["limiter.ceiling_dbtp"] if v["limiter.on"] else 0.0) - limiter.MARGIN_DB)
    T[K.WIN] = safety.window_frames(fs, latency_frames(fs))
    T[K.R_OFF], T[K.R_N], T[K.R_LU] = reference
    a, b, h = safety_taps()
    T[K.TSA:K.TSA + safety.A_N], T[K.TSB:K.TSB + safety.B_N] = a, b
    T[K.TPH:K.TPH + safety.PHASES * safety.TAPS] = h.ravel()
    T[K.GAIN_K] = 1.0 - alpha(MATCH_TAU_S, fs)
    T[K.PL_THR] = gain(PLATFORM_LIMIT_DBFS)
    T[K.PL_ATT] = alpha(PLATFORM_ATTACK_S, fs)
    T[K.PL_REL] = alpha(PLATFORM_RELEASE_S, fs)
    T[K.XF_K] = 1.0 - alpha(CROSSFADE_TAU_S, fs)
    shelf, hp = k_weighting(fs)
    T[K.KL:K.KL + 40] = np.repeat(np.array([shelf, hp]).ravel(), 4)   # [section][coef][lane]
    T[K.CD_P0], T[K.CD_L0], T[K.CD_R0], T[K.CD_ST0], T[K.CD_N], T[K.CD_DELAY] = codec_ring
    c = T[K.CX:K.CX + C.T_SIZE]
    c[C.H0], c[C.P], c[C.FDL0], c[C.G0_DB] = context
    c[C.DELAY] = C.delay_frames(int(T[K.WIN]))
    c[C.COS:C.COS + C.M - 1], c[C.SIN:C.SIN + C.M - 1], c[C.REV:C.REV + C.M] = fft.tables(C.M)


def context_delay_s(fs: float) -> float:
    """How late a playback context is heard (kernels/context.py), seconds."""
    from . import latency_frames

    return C.delay_frames(safety.window_frames(fs, latency_frames(fs))) / fs

