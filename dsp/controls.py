"""What a sink offers the session, once for both sinks: the offline Chain
(dsp/chain.py) and the real-time Engine (firmware/engine/engine.py). Both
keep a Designer in ``self._design`` and publish a designed set their own
way (the Chain in place, the Engine through its double buffer), in
``_publish(values, listen, morph_s)``; everything else is here.

firmware/sink.py states the same as a typing.Protocol for the session's
side."""
from __future__ import annotations

import numpy as np

from . import params
from .errors import DspError


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

    def set(self, changes: dict, morph_s: float | None = None) -> tuple[str, ...]:
        """Validate parameter changes, redesign the modules they touch and
        publish them (the kernel ramps to them in ~20 ms, or along a straight
        line over ``morph_s`` seconds); returns the modules redesigned."""
        new = dict(self.values)
        for pid, val in changes.items():
            new[pid] = params.check_value(pid, val)
        return self._publish(new, None, morph_s)

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

    def _listen(self, listen: tuple) -> None:
        try:
            self._publish(self.values, listen)
        except DspError as e:
            raise self.error(str(e)) from None

    def _publish(self, values: dict, listen, morph_s: float | None = None) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def reference_memory(self) -> np.ndarray:
        """The reference tracks' float32 memory (dsp/references.py)."""
        raise NotImplementedError
