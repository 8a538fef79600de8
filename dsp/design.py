"""Coefficient sets (``T``, what the kernels read), redesigned module by
module, and the controls a sink offers over them.

Runs off the audio thread: it may allocate and call scipy. A Designer keeps the
coefficient set of one sample rate and the values it was designed from; an
update redesigns only the modules whose values changed (and the shared stages
that read them), so a compressor move does not redo the EQ's least-squares
fits. The kernels only ever see the finished array, published whole by the
caller (dsp/chain.py for files, firmware's engine for the callback).

    d = Designer(48000, values)
    d.update(new_values)          # -> ("glue",): what was redesigned
    d.T                           # the complete set; its T_SEQ is the caller's

Controls is what a sink offers the session, once for both sinks: the offline
Chain (dsp/chain.py) and the real-time Engine (firmware/engine/engine.py).
Both keep a Designer in ``self._design`` and hand a finished set on their own
way in ``_store()`` (the Chain reads it in place, the Engine copies it into
the buffer the callback is not using); firmware/sink.py states the same as a
typing.Protocol for the session's side.
"""
from __future__ import annotations

import math

import numpy as np

from . import modules, params
from .errors import DspError
from .kernels import chain as K
from .kernels import monitor as monitor_kernel
from .kernels.common import LINEAR
from .modules.common import SMOOTH_TAU_S, alpha

RAMP_TAUS = 14             # after 14 time constants (residual 8e-7) the ramp snaps
MORPH_MAX_S = 2.0          # the longest straight-line morph a set may ask for
LISTEN_DEFAULT = ("processed", 0.0, "stereo", modules.monitor.NO_REFERENCE,
                  modules.monitor.NO_CONTEXT, modules.monitor.NO_CODEC_RING)


def _full(listen: tuple, current: tuple) -> tuple:
    """(compare mode, reference LU, listening mode, reference track, playback
    context, codec memory): the fields not given are kept from ``current``."""
    listen = tuple(listen)
    return listen + tuple(current[len(listen):])


def _view(T: np.ndarray, stage: str) -> np.ndarray:
    kern = dict(K.STAGES)[stage]
    b = K.T_BASE[stage]
    return T[b:b + kern.T_SIZE]


class Designer:
    def __init__(self, fs: float, values: dict[str, float], listen: tuple = LISTEN_DEFAULT):
        """``values`` must be complete and validated (params.check_values)."""
        self.fs = float(fs)
        self.T = np.zeros(K.T_TOTAL)
        self._ramp = (1.0 - alpha(SMOOTH_TAU_S, fs), math.ceil(RAMP_TAUS * SMOOTH_TAU_S * fs))
        self.T[K.T_K], self.T[K.T_RAMPN] = self._ramp
        self.T[K.T_FS] = fs
        self.T[K.T_MONITOR] = 1.0
        listen = _full(listen, LISTEN_DEFAULT)
        modules.monitor.check(*listen)
        self.values = dict(values)
        self.listen = listen
        for m in modules.ALL + modules.SHARED:
            self._design(m)

    def _design(self, m) -> None:
        T = _view(self.T, m.STAGE)
        if m is modules.monitor:
            m.design(self.values, self.fs, T, *self.listen)
        else:
            m.design(self.values, self.fs, T)

    def update(self, values: dict[str, float], listen: tuple | None = None,
               morph_s: float | None = None) -> tuple[str, ...]:
        """Bring the set up to ``values`` (complete, validated) and ``listen``
        (monitor mode, reference LU[, listening mode[, reference track[,
        context[, codec memory]]]]: the fields left out stay). Returns the names of what was redesigned, in
        chain order. A bad mode raises before anything changes. ``morph_s``:
        the kernels reach this set along a straight line over that many
        seconds (a snapshot's morph) instead of the usual ~20 ms glide."""
        listen = self.listen if listen is None else _full(listen, self.listen)
        modules.monitor.check(*listen)
        if morph_s is not None and not 0.0 < morph_s <= MORPH_MAX_S:
            raise DspError(f"morph time {morph_s:g} s: out of range (0, {MORPH_MAX_S:g}] s")
        changed = {pid.split(".", 1)[0] for pid, v in values.items() if self.values.get(pid) != v}
        relisten = listen != self.listen
        self.values = dict(values)
        self.listen = listen
        done = []
        for m in modules.ALL:
            if m.NAME in changed:
                self._design(m)
                done.append(m.NAME)
        for m in modules.SHARED:
            if changed.intersection(m.READS) or (m is modules.monitor and relisten):
                self._design(m)
                done.append(m.STAGE)
        if done:
            # the ramp belongs to this set: a call that redesigns nothing publishes
            # nothing, and must not touch a morph the kernels are running
            self.T[K.T_K], self.T[K.T_RAMPN] = (self._ramp if morph_s is None
                                                else (LINEAR, max(1, round(morph_s * self.fs))))
        return tuple(done)


def build(values: dict[str, float], fs: float, seq: int = 0,
          listen: tuple = LISTEN_DEFAULT) -> np.ndarray:
    """A complete coefficient set designed from scratch (tests compare the
    incremental Designer with it)."""
    T = Designer(fs, values, listen).T
    T[K.T_SEQ] = seq
    return T


def initial_state(T: np.ndarray) -> np.ndarray:
    """A fresh state for coefficient set T (the kernel that the callback also
    uses after a fault): working coefficients at their targets, filters empty,
    limiter gain at unity."""
    S = np.zeros(K.S_TOTAL)
    K.reset_state(T, S)
    return S


latency_frames = modules.latency_frames


class Controls:
    error = DspError            # what a bad monitor choice raises at this sink's boundary

    @property
    def values(self) -> dict[str, float]:
        return self._design.values

    @property
    def monitor(self) -> tuple[str, float]:
        """(mode, reference LU) of the monitor stage (dsp/kernels/monitor.py)."""
        return self._design.listen[:2]

    @property
    def solo(self) -> str:
        """The listening mode: stereo, mono, mid, side or delta."""
        return self._design.listen[2]

    @property
    def reference(self) -> tuple:
        """The selected reference track's selector (dsp/references.py)."""
        return self._design.listen[3]

    @property
    def context(self) -> tuple:
        """The selected playback context's selector (dsp/contexts.py)."""
        return self._design.listen[4]

    def set(self, changes: dict, morph_s: float | None = None) -> tuple[str, ...]:
        """Check parameter changes (each may be text, a number or a bool),
        then set_checked() them; returns the modules redesigned."""
        return self.set_checked({pid: params.check_value(pid, v) for pid, v in changes.items()},
                                morph_s)

    def set_checked(self, changes: dict[str, float], morph_s: float | None = None) -> tuple[str, ...]:
        """Redesign the modules that values already checked by the caller (the
        session checks every hand's value once) touch, and publish them: the
        kernel ramps to them in ~20 ms, or along a straight line over
        ``morph_s`` seconds. Returns the modules redesigned."""
        return self._publish({**self.values, **changes}, None, morph_s)

    def set_monitor(self, mode: str, ref_db: float = 0.0) -> None:
        """What is heard (kernels/monitor.py): processed, bypass (the input
        matched to the processed loudness), matched (processed, lowered to
        ``ref_db`` LU over the input), reference, or delivery (processed at
        ``ref_db`` dB). Cross-fades in ~20 ms."""
        self._listen((mode, float(ref_db)))

    def set_solo(self, solo: str) -> None:
        """The listening mode after compare: stereo, mono, mid, side or delta."""
        self._listen((*self.monitor, solo))

    def set_reference(self, selector: tuple) -> None:
        """Which reference track the "reference" monitor mode plays."""
        self._listen((*self.monitor, self.solo, tuple(selector)))

    def set_context(self, selector: tuple) -> None:
        """Which playback context the monitor plays through (NO_CONTEXT: none)."""
        self._listen((*self.monitor, self.solo, self.reference, tuple(selector)))

    def _listen(self, listen: tuple) -> None:
        try:
            self._publish(self.values, listen)
        except DspError as e:
            raise self.error(str(e)) from None

    def _publish(self, values: dict, listen, morph_s: float | None = None) -> tuple[str, ...]:
        self._before_design()
        done = self._design.update(values, listen, morph_s)     # may raise: nothing published
        if done:
            self._store()
        return done

    def _before_design(self) -> None:
        """Wait until the set about to be redesigned is free (the Engine)."""

    def _store(self) -> None:
        """Hand the redesigned set (``self._design.T``) to the kernels."""
        raise NotImplementedError

    @property
    def reference_memory(self) -> np.ndarray:
        """The reference tracks' float32 memory (dsp/references.py)."""
        raise NotImplementedError

    def _attach_previews(self, regions: dict) -> None:
        """Keep the previews' memory regions (dsp/monitor_memory.py) and tell
        the monitor where the codec preview's rings are."""
        self._regions = regions
        view, first = regions["codec"]
        if len(view):
            from .codec_ring import CodecRing
            self._listen(self._design.listen[:5] + (CodecRing(view, first, int(self.fs)).selector,))

    @property
    def context_memory(self) -> tuple[np.ndarray, int]:
        """The playback contexts' float32 region (dsp/contexts.py) and its
        first value's index in the monitor's memory; an empty region where
        the sink has none."""
        return self._regions["contexts"]

    @property
    def codec_memory(self) -> tuple[np.ndarray, int]:
        """The codec preview's float32 region (dsp/codec_ring.py) and its
        first value's index; empty where the sink has none."""
        return self._regions["codec"]

    @property
    def codec_position(self) -> int:
        """Processed frames written to the codec memory so far (the worker
        encodes up to here)."""
        return int(self._monitor_state()[monitor_kernel.S_CD_POS])

    @property
    def codec_late_frames(self) -> int:
        """Decoded frames the monitor played as silence because they were late."""
        return int(self._monitor_state()[monitor_kernel.S_CD_LATE])

    def _monitor_state(self) -> np.ndarray:
        """The monitor stage's state (its counters are read, never written)."""
        raise NotImplementedError
