"""The session's facade: the one lock, the revision counter, the emit that
tells every subscriber and feed, and the whole state at one revision. The
topics (one file each) hold their own rules; they all change the session
under this lock and end in _emit."""
from __future__ import annotations

import logging
import math
import threading
import time

from dsp import params

from ..platforms import PLATFORMS
from ..sink import Sink
from .bindings import BindingsTopic
from .changes import Change, Feed, Snapshot, Step
from .listening import ListeningTopic
from .presets import PresetsTopic
from .proposals import ProposalsTopic
from .snapshots import MORPH_DEFAULT_MS, SLOTS, SnapshotsTopic
from .target import TargetTopic
from .values import ValuesTopic

log = logging.getLogger("masterbox.session")


class Session(ValuesTopic, SnapshotsTopic, ListeningTopic, ProposalsTopic, PresetsTopic,
              TargetTopic, BindingsTopic):
    def __init__(self, sink: Sink | None = None, values: dict | None = None, target: str = "streaming",
                 preset: str | None = None, clock=time.monotonic):
        self.sink = sink
        self._clock = clock
        self._lock = threading.RLock()
        self._notifying = False
        base = sink.values if sink is not None and values is None else (values or {})
        self._values = params.check_values(base)
        if sink is not None and values is not None:
            sink.set_checked(self._values)
        self._revision = 0
        self._undo: list[Step] = []
        self._redo: list[Step] = []
        self._snapshots = [Snapshot() for _ in SLOTS]
        self._active_slot: int | None = None
        self._recalled_at = -1e9
        self._listen = ("processed", 0.0)
        self._solo = "stereo"           # what is heard after compare; never saved
        self._references: list = []     # dsp.references.Reference, by slot order; never saved
        self._ghosts: dict[str, tuple[float, str]] = {}   # the assistant's proposal: pid -> (value, why)
        self._ghost_slot: int | None = None   # a proposal for a snapshot: accepted moves go there
        self._lift_started = False            # its slot already holds an accepted move
        self._readings = None           # a vague request's readings, offered: (word, [Offered]); never saved
        self._proposal_info = None      # what the assistant said with its proposal; never saved
        self._recall_mode = "compare"
        self._morph_ms = MORPH_DEFAULT_MS
        self._audition: float | None = None   # while a proposal is auditioned: the offset it is matched to
        self._delivery = None           # the DELIVERY plan heard (firmware/delivery_preview.py); never saved
        self._platform = None           # (platform, gain dB) previewed (firmware/platforms.py); never saved
        self._ref_at: int | None = None  # the selected one's index in _references
        self._contexts: list = []       # dsp.contexts.Context, by slot order; never saved
        self._ctx_at: int | None = None  # the one heard through, index in _contexts
        self._codec = None              # (codec, view) of the live codec preview heard; never saved
        self._codec_worker = None       # its worker (firmware/codec_preview.py), kept between uses
        self._target = self._check_target(target)
        self._preset = preset
        self._preset_values = dict(self._values) if preset else None
        self._subscribers: list = []
        self._feeds: list[Feed] = []
        self._bindings: dict = {}       # MIDI bindings: kept and saved with the session

    @property
    def values(self) -> dict[str, float]:
        """A copy of the current parameter values."""
        with self._lock:
            return dict(self._values)

    def value(self, pid: str) -> float:
        return self._values[pid]

    @property
    def revision(self) -> int:
        return self._revision

    def state(self) -> dict:
        """The whole state as plain data (what autosave writes and a remote
        surface starts from), at one revision."""
        with self._lock:
            return {"revision": self._revision, "values": dict(self._values),
                    "snapshots": [{"slot": SLOTS[i], "values": None if s.values is None else dict(s.values),
                                   "offset_db": s.offset_db} for i, s in enumerate(self._snapshots)],
                    "active_slot": self._active_slot, "target": self._target,
                    "listen": {"mode": self._listen[0], "ref_db": self._listen[1]},
                    "solo": self._solo,
                    "platform": None if self._platform is None else {
                        "key": self._platform[0], "name": PLATFORMS[self._platform[0]].name,
                        "gain_db": self._platform[1] if math.isfinite(self._platform[1]) else None,
                        "reported": PLATFORMS[self._platform[0]].reported,
                        "on": "delivery" if self._delivery is not None else "master"},
                    "references": [{"name": r.name, "lufs": r.lufs, "seconds": r.seconds,
                                    "true_peak_dbtp": r.true_peak_dbtp} for r in self._references],
                    "reference": self._ref_at,
                    "codec": self._codec_reading(),
                    "contexts": [{"name": c.name, "seconds": c.seconds, "delay_ms": 1000 * c.delay_s}
                                 for c in self._contexts],
                    "context": self._ctx_at,
                    "proposal": {pid: {"to": v, "reason": why} for pid, (v, why) in self._ghosts.items()},
                    "proposal_slot": self._ghost_slot,
                    "proposal_info": self._proposal_info,
                    "readings": None if self._readings is None else {
                        "word": self._readings[0],
                        "items": [{"word": r.word, "says": r.says, "moves": len(r.moves)}
                                  for r in self._readings[1]]},
                    "recall": {"mode": self._recall_mode, "morph_ms": self._morph_ms},
                    "preset": self._preset, "modified": self.modified,
                    "preset_values": None if self._preset_values is None else dict(self._preset_values),
                    "bindings": dict(self._bindings)}

    def codec_reading(self) -> dict | None:
        """The codec preview heard and what it measures (its decoded true
        peak, how late it ran), or None: for the page's meters."""
        with self._lock:
            return self._codec_reading()

    def _codec_reading(self) -> dict | None:
        if self._codec is None:
            return None
        w = self._codec_worker
        tp = w.true_peak_dbtp()
        return {"name": self._codec[0], "view": self._codec[1], "delay_ms": 1000 * w.delay_s,
                "true_peak_dbtp": tp if math.isfinite(tp) else None,
                "late_ms": 1000 * w.late_frames() / w.fs, "error": w.error}

    def attach(self, sink) -> None:
        """Make ``sink`` the one that sounds: it takes the session's values and
        listening mode (the command line builds a session first, then the
        engine or chain from its values)."""
        with self._lock:
            self._guard()
            sink.set_checked(self._values)
            if self._ref_at is not None:
                sink.set_reference(self._references[self._ref_at].selector)
            sink.set_monitor(*self._listen)
            if self._ctx_at is not None:
                sink.set_context(self._contexts[self._ctx_at].selector)
            if self._solo != "stereo":
                sink.set_solo(self._solo)
            self.sink = sink

    def subscribe(self, fn):
        """Call ``fn(change)`` after every revision, in order, with the session
        locked (so quickly, and without changing the session). Returns a
        function that unsubscribes."""
        with self._lock:
            self._subscribers.append(fn)
        return lambda: self._drop(fn)

    def feed(self, maxlen: int = 256) -> Feed:
        """A Feed of every change from now on, for a reader on another thread."""
        f = Feed(maxlen)
        with self._lock:
            self._feeds.append(f)
        return f

    def unfeed(self, f: Feed) -> None:
        with self._lock:
            if f in self._feeds:
                self._feeds.remove(f)

    def _drop(self, fn) -> None:
        with self._lock:
            if fn in self._subscribers:
                self._subscribers.remove(fn)

    def _guard(self) -> None:
        if self._notifying:
            raise RuntimeError("a session subscriber tried to change the session "
                               "(subscribers only read; a hand changes it)")

    def _emit(self, source: str, kind: str, values: dict, detail: dict) -> Change:
        self._revision += 1
        ch = Change(self._revision, source, kind, values, detail, time.time())
        self._notifying = True
        try:
            for fn in list(self._subscribers):
                try:
                    fn(ch)
                except Exception:
                    log.exception("session subscriber %r failed; dropped", fn)
                    self._subscribers.remove(fn)
            for f in self._feeds:
                f.put(ch)
        finally:
            self._notifying = False
        return ch
