"""The seams between the session and what makes and measures the sound, as
typing.Protocols: the offline Chain (dsp/chain.py, and the laptop mode's
LockedChain) and the real-time Engine (firmware/engine) are both Sinks,
through one implementation (dsp/design.Controls); the Meter the panel and the
remote surfaces read is the engine's meter state or a dsp Meter."""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Sink(Protocol):
    """What the session publishes to and reads back from."""

    @property
    def values(self) -> dict[str, float]: ...

    @property
    def monitor(self) -> tuple[str, float]: ...

    @property
    def solo(self) -> str: ...

    @property
    def match_offset_db(self) -> float: ...

    @property
    def reference_offset_db(self) -> float: ...

    @property
    def reference_memory(self) -> np.ndarray: ...

    @property
    def context_memory(self) -> tuple[np.ndarray, int]: ...

    def set(self, changes: dict, morph_s: float | None = None) -> tuple[str, ...]: ...

    def set_checked(self, changes: dict[str, float],
                    morph_s: float | None = None) -> tuple[str, ...]: ...

    def set_monitor(self, mode: str, ref_db: float = 0.0) -> None: ...

    def set_solo(self, solo: str) -> None: ...

    def set_reference(self, selector: tuple) -> None: ...

    def set_context(self, selector: tuple) -> None: ...

    def gain_reduction_db(self) -> dict[str, float]: ...

    def boosts(self) -> dict[str, float]: ...


@runtime_checkable
class MeterReading(Protocol):
    """The meters as the screens and surfaces read them (dsp.meters.Meter's
    results(): momentary, short-term, integrated, LRA, true peak, correlation)."""

    def results(self) -> dict: ...
