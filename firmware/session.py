"""The session: one home for the box's whole state, and one way to change it.

Everything the box is lives here, off the audio thread: parameter values,
snapshots A-D with their loudness offsets and how they are recalled,
undo/redo, the delivery target, the listening mode, the active preset and
whether it was modified since it was loaded. Every hand (panel, laptop keys,
command line, presets, MIDI, OSC, the browser page, the assistant's accept)
changes it through the same path:

    hand -> Session.apply(changes, source) -> validate (schema) -> diff
         -> the sink redesigns the changed modules only and publishes them
         -> revision += 1 -> every subscriber is told, in order

Changes are serialised by one lock: several hands at once never lose or
reorder a change. Subscribers are called in revision order with the lock held,
so they must be quick and must not change the session themselves (a screen
marks itself dirty, autosave notes the time); a thread that does slow work (a
network client) takes a Feed instead: a bounded queue that, when its reader
falls behind, drops what it holds and says so, and the reader resyncs from
``state()``. Nothing a subscriber does can stall the control loop or the audio.

The sink is what makes the sound: a dsp Chain (files, the laptop mode) or the
real-time Engine; it offers ``set(changes)``, ``set_monitor(mode, ref_db)``,
``set_solo(mode)`` and ``match_offset_db``. Without a sink (the command line before a render) the
session only keeps and checks the values.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field

from dsp import params
from dsp.modules.monitor import SOLOS

from .errors import UserError

log = logging.getLogger("masterbox.session")

SLOTS = ("A", "B", "C", "D")
UNDO_MERGE_S = 1.0        # turns of one control within this are one undo step
UNDO_DEPTH = 500
SETTLE_S = 3.5            # a snapshot's offset is trusted once a 3 s window holds only it
HOLD_LU = 24.0            # the monitor stage's matching range
# Recall modes: "compare" hears a snapshot loudness-matched and at once (judging
# sound, not level); "perform" plays it as stored, morphing over morph_ms (a lift
# recalled by hand at the chorus must be heard louder, and must not jump).
RECALL_MODES = ("compare", "perform")
MORPH_MS = (50.0, 500.0)
MORPH_DEFAULT_MS = 200.0


def check_recall(mode, morph_ms) -> tuple[str, float]:
    """(mode, morph ms) checked: a recall mode and a morph time in range."""
    if mode not in RECALL_MODES:
        raise UserError(f"recall mode {mode!r}: use {' or '.join(RECALL_MODES)}")
    if isinstance(morph_ms, bool) or not isinstance(morph_ms, (int, float)) \
            or not MORPH_MS[0] <= morph_ms <= MORPH_MS[1]:
        raise UserError(f"morph time {morph_ms!r} ms: out of range {MORPH_MS[0]:g}..{MORPH_MS[1]:g} ms")
    return mode, float(morph_ms)


@dataclass(frozen=True)
class Change:
    """What one revision changed. ``values`` maps each changed parameter id to
    (old, new); ``detail`` says what else moved (slot, target, listening mode,
    preset name); ``time`` is the wall clock."""
    revision: int
    source: str
    kind: str          # values | undo | redo | preset | recall | store | target | listen
                       # | restore | preset-saved | preset-renamed | proposal | recall-mode
    values: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)
    time: float = 0.0


@dataclass
class Snapshot:
    values: dict | None = None
    offset_db: float | None = None      # its loudness over the input, LU, when known


@dataclass
class _Step:
    changes: dict        # pid -> (old, new)
    gesture: str | None
    time: float


class Feed:
    """A bounded, thread-safe queue of Changes for one slow reader. When it is
    full the queue is emptied and ``overflowed`` set: the reader lost changes
    and resyncs from Session.state() rather than replaying a backlog."""

    def __init__(self, maxlen: int):
        self._q = collections.deque()
        self._max = maxlen
        self._cv = threading.Condition()
        self.overflowed = False

    def put(self, change: Change) -> None:
        with self._cv:
            if len(self._q) >= self._max:
                self._q.clear()
                self.overflowed = True
            self._q.append(change)
            self._cv.notify()

    def get(self, timeout: float | None = None) -> Change | None:
        with self._cv:
            if not self._q:
                self._cv.wait(timeout)
            return self._q.popleft() if self._q else None

    def take_overflow(self) -> bool:
        with self._cv:
            o, self.overflowed = self.overflowed, False
            return o


class Session:
    def __init__(self, sink=None, values: dict | None = None, target: str = "streaming",
                 preset: str | None = None, clock=time.monotonic):
        from .offline.targets import TARGETS

        self._targets = TARGETS
        self.sink = sink
        self._clock = clock
        self._lock = threading.RLock()
        self._notifying = False
        base = sink.values if sink is not None and values is None else (values or {})
        self._values = params.check_values(base)
        if sink is not None and values is not None:
            sink.set(self._values)
        self._revision = 0
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        self._snapshots = [Snapshot() for _ in SLOTS]
        self._active_slot: int | None = None
        self._recalled_at = -1e9
        self._listen = ("processed", 0.0)
        self._solo = "stereo"           # what is heard after compare; never saved
        self._references: list = []     # dsp.references.Reference, by slot order; never saved
        self._ghosts: dict[str, tuple[float, str]] = {}   # the assistant's proposal: pid -> (value, why)
        self._ghost_slot: int | None = None   # a proposal for a snapshot: accepted moves go there
        self._lift_started = False            # its slot already holds an accepted move
        self._recall_mode = "compare"
        self._morph_ms = MORPH_DEFAULT_MS
        self._audition: float | None = None   # while a proposal is auditioned: the offset it is matched to
        self._delivery = None           # the DELIVERY plan heard (firmware/delivery_preview.py); never saved
        self._ref_at: int | None = None  # the selected one's index in _references
        self._target = self._check_target(target)
        self._preset = preset
        self._preset_values = dict(self._values) if preset else None
        self._subscribers: list = []
        self._feeds: list[Feed] = []
        self.bindings: dict = {}        # MIDI bindings: kept and saved with the session

    # ------------------------------------------------------------ reading
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

    @property
    def target(self) -> str:
        return self._target

    @property
    def listening(self) -> tuple[str, float]:
        """(mode, reference LU): processed, bypass (compare), matched (a
        snapshot), reference (a reference track) or delivery (what a target
        render would write; the LU is its plain gain)."""
        return self._listen

    @property
    def delivery(self):
        """The DELIVERY plan being heard, or None."""
        return self._delivery

    @property
    def solo(self) -> str:
        """The listening mode after compare: stereo, mono, mid, side or delta."""
        return self._solo

    @property
    def references(self) -> list:
        """The loaded reference tracks (dsp.references.Reference)."""
        with self._lock:
            return list(self._references)

    @property
    def reference_index(self) -> int | None:
        """Which of ``references`` the reference button plays."""
        return self._ref_at

    @property
    def ghosts(self) -> dict[str, tuple[float, str]]:
        """The assistant's proposal, not applied: pid -> (proposed value, reason)."""
        with self._lock:
            return dict(self._ghosts)

    @property
    def proposal_slot(self) -> int | None:
        """The snapshot slot the proposal is for (a lift), or None: the
        proposal is for the current settings."""
        return self._ghost_slot

    @property
    def recall_mode(self) -> tuple[str, float]:
        """(mode, morph time in ms): how a snapshot recall is heard."""
        return self._recall_mode, self._morph_ms

    @property
    def auditioning(self) -> bool:
        return self._audition is not None

    @property
    def preset(self) -> str | None:
        return self._preset

    @property
    def modified(self) -> bool:
        """The values differ from the active preset's as it was loaded."""
        return self._preset_values is not None and self._preset_values != self._values

    @property
    def active_slot(self) -> int | None:
        return self._active_slot

    def snapshots(self) -> list[Snapshot]:
        with self._lock:
            return [Snapshot(None if s.values is None else dict(s.values), s.offset_db)
                    for s in self._snapshots]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

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
                    "references": [{"name": r.name, "lufs": r.lufs, "seconds": r.seconds,
                                    "true_peak_dbtp": r.true_peak_dbtp} for r in self._references],
                    "reference": self._ref_at,
                    "proposal": {pid: {"to": v, "reason": why} for pid, (v, why) in self._ghosts.items()},
                    "proposal_slot": self._ghost_slot,
                    "recall": {"mode": self._recall_mode, "morph_ms": self._morph_ms},
                    "preset": self._preset, "modified": self.modified,
                    "preset_values": None if self._preset_values is None else dict(self._preset_values),
                    "bindings": dict(self.bindings)}

    def attach(self, sink) -> None:
        """Make ``sink`` the one that sounds: it takes the session's values and
        listening mode (the command line builds a session first, then the
        engine or chain from its values)."""
        with self._lock:
            self._guard()
            sink.set(self._values)
            if self._ref_at is not None:
                sink.set_reference(self._references[self._ref_at].selector)
            sink.set_monitor(*self._listen)
            if self._solo != "stereo":
                sink.set_solo(self._solo)
            self.sink = sink

    # ------------------------------------------------------------ subscribing
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

    # ------------------------------------------------------------ changing
    def apply(self, changes: dict, source: str, gesture: str | None = None) -> Change | None:
        """Set parameter values. Every value is checked first (a bad one raises
        ParamError and nothing changes); values equal to the current ones are
        left out; nothing left means no revision. ``gesture`` (a control's id)
        merges quick successive moves of one control into one undo step. A
        parameter move returns listening to plain processed, so the move is
        heard at its true level."""
        with self._lock:
            self._guard()
            checked = {pid: params.check_value(pid, v) for pid, v in changes.items()}
            self._end_audition()
            diff = {pid: (self._values[pid], v) for pid, v in checked.items() if self._values[pid] != v}
            if not diff:
                return None
            now = self._clock()
            self._commit_values(diff)
            last = self._undo[-1] if self._undo else None
            if (gesture is not None and last is not None and last.gesture == gesture
                    and now - last.time < UNDO_MERGE_S and set(last.changes) == set(diff)):
                last.changes = {pid: (last.changes[pid][0], new) for pid, (_, new) in diff.items()}
                last.time = now
            else:
                self._push_undo(_Step(diff, gesture, now))
            self._redo.clear()
            detail = self._back_to_processed()
            return self._emit(source, "values", diff, detail)

    def undo(self, source: str) -> Change | None:
        with self._lock:
            self._guard()
            if not self._undo:
                return None
            self._end_audition()
            step = self._undo.pop()
            diff = {pid: (new, old) for pid, (old, new) in step.changes.items()}
            self._commit_values(diff)
            self._redo.append(step)
            return self._emit(source, "undo", diff, self._back_to_processed())

    def redo(self, source: str) -> Change | None:
        with self._lock:
            self._guard()
            if not self._redo:
                return None
            self._end_audition()
            step = self._redo.pop()
            self._commit_values(step.changes)
            step.gesture = None                 # a redone step never merges with a new move
            self._push_undo(step)
            return self._emit(source, "redo", dict(step.changes), self._back_to_processed())

    def load_preset(self, name: str, values: dict, source: str = "preset") -> Change:
        """Load a preset's complete values as one undoable step; it becomes the
        active preset, unmodified."""
        if not name:
            raise UserError("a preset needs a name")
        with self._lock:
            self._guard()
            full = params.check_values(values)
            self._end_audition()
            diff = {pid: (self._values[pid], v) for pid, v in full.items() if self._values[pid] != v}
            if diff:
                self._commit_values(diff)
                self._push_undo(_Step(diff, None, self._clock()))
                self._redo.clear()
            self._preset = name
            self._preset_values = dict(self._values)
            return self._emit(source, "preset", diff, {"preset": name, **self._back_to_processed()})

    def restore(self, state: dict, source: str = "restore") -> Change:
        """Become a saved state (store/state.py's shape): values, snapshots with
        their offsets, target, active preset as loaded (so its modified mark
        is right), MIDI bindings. Listening goes back to plain processed; the
        undo history starts afresh."""
        with self._lock:
            self._guard()
            full = params.check_values(state["values"])
            self._end_audition()
            self._ghosts.clear()
            self._ghost_slot = None
            diff = {pid: (self._values[pid], v) for pid, v in full.items() if self._values[pid] != v}
            if diff:
                self._commit_values(diff)
            self._undo.clear()
            self._redo.clear()
            self._snapshots = [Snapshot(None if s["values"] is None else params.check_values(s["values"]),
                                        s["offset_db"]) for s in state["snapshots"]]
            self._active_slot = None
            self._target = self._check_target(state["target"])
            self._preset = state.get("preset")
            pv = state.get("preset_values")
            self._preset_values = (dict(params.check_values(pv)) if pv is not None
                                   else (dict(self._values) if self._preset else None))
            self.bindings = dict(state.get("bindings") or {})
            rec = state.get("recall") or {}
            self._recall_mode, self._morph_ms = check_recall(rec.get("mode", "compare"),
                                                             rec.get("morph_ms", MORPH_DEFAULT_MS))
            detail = self._back_to_processed()
            return self._emit(source, "restore", diff, {"preset": self._preset, **detail})

    def saved_as_preset(self, name: str, source: str) -> Change:
        """The current values were just saved as preset ``name``: it becomes
        the active preset, unmodified."""
        with self._lock:
            self._guard()
            self._preset = name
            self._preset_values = dict(self._values)
            return self._emit(source, "preset-saved", {}, {"preset": name})

    def preset_renamed(self, old: str, new: str, source: str) -> Change | None:
        """A preset's file was renamed: if it is the active one, its name follows."""
        with self._lock:
            self._guard()
            if self._preset != old:
                return None
            self._preset = new
            return self._emit(source, "preset-renamed", {}, {"preset": new, "from": old})

    def store(self, slot: int, source: str) -> Change:
        """Store the current values in snapshot ``slot`` (0-3), with the loudness
        offset the processing adds right now (when a sink measures it)."""
        self._check_slot(slot)
        with self._lock:
            self._guard()
            off = self.sink.match_offset_db if self.sink is not None else None
            self._snapshots[slot] = Snapshot(dict(self._values), off)
            self._active_slot = slot
            return self._emit(source, "store", {}, {"slot": slot, "offset_db": off})

    def recall(self, slot: int, source: str, mode: str | None = None) -> Change | None:
        """Recall snapshot ``slot`` as one undo step, heard the way ``mode``
        (default: the session's recall mode) says. "compare": at once and
        loudness-matched, lowered to the loudness of the quietest stored
        snapshot, so switching between them compares sound, not level.
        "perform": as stored (its level is part of it), every value moving
        along a straight line over the morph time. None if the slot is empty."""
        self._check_slot(slot)
        mode, _ = check_recall(self._recall_mode if mode is None else mode, self._morph_ms)
        with self._lock:
            self._guard()
            snap = self._snapshots[slot]
            if snap.values is None:
                return None
            self._end_audition()
            if mode == "perform":
                self._set_listen("processed", 0.0)    # first: a later publish would end the morph
            diff = {pid: (self._values[pid], v) for pid, v in snap.values.items()
                    if self._values[pid] != v}
            if diff:
                self._commit_values(diff, self._morph_ms / 1000.0 if mode == "perform" else None)
                self._push_undo(_Step(diff, None, self._clock()))
                self._redo.clear()
            self._active_slot = slot
            self._recalled_at = self._clock()
            if mode == "perform":
                return self._emit(source, "recall", diff, {"slot": slot, "listen": "processed",
                                                           "morph_ms": self._morph_ms})
            offs = [s.offset_db for s in self._snapshots if s.values is not None and s.offset_db is not None]
            ref = min(offs) if offs else (self.sink.match_offset_db if self.sink is not None else 0.0)
            self._set_listen("matched", min(max(ref, -HOLD_LU), HOLD_LU))
            return self._emit(source, "recall", diff, {"slot": slot, "listen": "matched"})

    def set_recall_mode(self, mode: str | None, morph_ms: float | None, source: str) -> Change | None:
        """How recalls are heard: ``mode`` compare or perform, ``morph_ms``
        50-500 (None keeps either). Saved with the session."""
        with self._lock:
            self._guard()
            new = check_recall(self._recall_mode if mode is None else mode,
                               self._morph_ms if morph_ms is None else morph_ms)
            if new == (self._recall_mode, self._morph_ms):
                return None
            self._recall_mode, self._morph_ms = new
            return self._emit(source, "recall-mode", {}, {"mode": new[0], "morph_ms": new[1]})

    def set_target(self, name: str, source: str) -> Change | None:
        with self._lock:
            self._guard()
            name = self._check_target(name)
            if name == self._target:
                return None
            old, self._target = self._target, name
            detail = self._back_to_processed() if self._listen[0] == "delivery" else {}
            return self._emit(source, "target", {}, {"target": name, "from": old, **detail})

    def hear_delivery(self, plan, source: str) -> Change:
        """Hear what `render --target` would write (a DeliveryPlan, made from
        the programme heard so far with the current values and target): the
        processed output at its plain gain, or the chain with the limiter's
        drive and ceiling the render used. A monitor source like compare:
        never saved, and the next parameter move, target change or other
        source ends it."""
        with self._lock:
            self._guard()
            if plan.target != self._target:
                raise UserError(f"DELIVERY plan for {plan.target}, but the target is {self._target}")
            if abs(plan.monitor_gain_db) > HOLD_LU:
                raise UserError(f"DELIVERY turns the programme by {plan.monitor_gain_db:+.1f} dB: "
                                f"more than the monitor's {HOLD_LU:g} dB")
            over = {pid: params.check_value(pid, v) for pid, v in plan.overrides().items()}
            self._end_audition()
            if self.sink is not None:
                old = self._delivery.overrides() if self._delivery is not None else {}
                self.sink.set({**{pid: self._values[pid] for pid in old}, **over})
            self._delivery = plan
            self._set_listen("delivery", plan.monitor_gain_db)
            return self._emit(source, "listen", {}, {"listen": "delivery", "delivery": plan.describe()})

    def listen(self, mode: str, source: str) -> Change | None:
        """Switch what is heard: processed, or bypass (the input at the
        processed loudness). Snapshots are heard matched through recall."""
        if mode not in ("processed", "bypass"):
            raise UserError(f"listening mode {mode!r}: use processed or bypass "
                            "(snapshots are heard matched through recall)")
        with self._lock:
            self._guard()
            if self._listen[0] == mode and self._audition is None:
                return None
            self._end_audition()
            self._set_listen(mode, 0.0)
            return self._emit(source, "listen", {}, {"listen": mode})

    def set_solo(self, mode: str, source: str) -> Change | None:
        """Switch the listening mode (after compare): stereo, mono, mid, side
        or delta. A monitoring choice like compare: never saved, never sent
        to a render."""
        if mode not in SOLOS:
            raise UserError(f"listening mode {mode!r}: use one of {', '.join(SOLOS)}")
        with self._lock:
            self._guard()
            if self._solo == mode:
                return None
            if self.sink is not None:
                self.sink.set_solo(mode)
            old, self._solo = self._solo, mode
            return self._emit(source, "listen", {}, {"solo": mode, "from": old})

    def cycle_solo(self, source: str) -> Change | None:
        """The next listening mode in SOLOS' order (the solo button)."""
        return self.set_solo(SOLOS[(SOLOS.index(self._solo) + 1) % len(SOLOS)], source)

    def add_reference(self, ref, source: str) -> Change:
        """A reference track was placed in the sink's memory (firmware/
        references.py): list it (replacing the one that had its slot) and, if
        none is chosen yet, choose it. A monitoring choice: never saved."""
        with self._lock:
            self._guard()
            at = next((i for i, r in enumerate(self._references) if r.slot == ref.slot), None)
            if at is not None and at == self._ref_at and self._listen[0] == "reference":
                raise UserError(f"reference slot {ref.slot + 1} is playing; stop it before replacing it")
            if at is None:
                self._references.append(ref)
                at = len(self._references) - 1
            else:
                self._references[at] = ref
            if self._ref_at is None or self._ref_at == at:
                if self.sink is not None:
                    self.sink.set_reference(ref.selector)
                self._ref_at = at
            return self._emit(source, "listen", {}, {"reference_added": ref.name})

    def toggle_reference(self, source: str) -> Change:
        """The REF action: the selected reference track (at the programme's
        loudness) or back to the programme."""
        with self._lock:
            self._guard()
            self._end_audition()
            if self._listen[0] == "reference":
                self._set_listen("processed", 0.0)
                return self._emit(source, "listen", {}, {"listen": "processed"})
            if self._ref_at is None:
                raise UserError("no reference tracks loaded (reference folder or --reference FILE)")
            self._set_listen("reference", 0.0)
            return self._emit(source, "listen", {}, {"listen": "reference",
                                                     "reference": self._references[self._ref_at].name})

    def select_reference(self, index: int, source: str) -> Change | None:
        """Choose the reference the REF action plays (heard at once if one plays)."""
        with self._lock:
            self._guard()
            if not (isinstance(index, int) and 0 <= index < len(self._references)):
                raise UserError(f"reference {index!r}: {len(self._references)} loaded "
                                f"(use 0..{len(self._references) - 1})")
            if index == self._ref_at:
                return None
            ref = self._references[index]
            if self.sink is not None:
                self.sink.set_reference(ref.selector)
            self._ref_at = index
            return self._emit(source, "listen", {}, {"reference": ref.name})

    def step_reference(self, steps: int, source: str) -> Change | None:
        """The next (or previous) reference, round the list."""
        with self._lock:
            if not self._references:
                raise UserError("no reference tracks loaded (reference folder or --reference FILE)")
            at = 0 if self._ref_at is None else self._ref_at
            return self.select_reference((at + steps) % len(self._references), source)

    # ------------------------------------------------------------ the assistant's proposal
    def propose(self, moves, source: str = "assistant", slot: int | None = None) -> Change:
        """Hold the assistant's proposal as ghosts: ``moves`` are (pid, value,
        reason). Nothing is applied: values change only through accept() or a
        hand turning a control there. A new proposal replaces the last. With
        ``slot`` the proposal is a snapshot (a chorus lift): accepting stores
        its moves, over the current values, in that slot, and the current
        sound stays as it is."""
        if slot is not None:
            self._check_slot(slot)
        with self._lock:
            self._guard()
            ghosts = {pid: (params.check_value(pid, v), why) for pid, v, why in moves}
            self._end_audition()
            self._ghosts = {pid: g for pid, g in ghosts.items() if g[0] != self._values[pid]}
            self._ghost_slot = slot if self._ghosts else None
            self._lift_started = False
            detail = {"proposal": len(self._ghosts)}
            if slot is not None:
                detail["slot"] = slot
            return self._emit(source, "proposal", {}, detail)

    def accept(self, pids, source: str) -> Change | None:
        """Apply these ghosts' values as one undo step (one move, or a whole
        module's with a long push); the accepted ghosts go. A snapshot
        proposal's accepted moves go into its slot instead (the first accept
        starts it from the current values)."""
        with self._lock:
            self._guard()
            pick = {pid: self._ghosts[pid][0] for pid in pids if pid in self._ghosts}
            if not pick:
                return None
            slot = self._ghost_slot
            if slot is None:
                ch = self.apply(pick, source)
            else:
                self._end_audition()
                snap = self._snapshots[slot]
                base = snap.values if snap.values is not None and self._lift_started else self._values
                self._snapshots[slot] = Snapshot(dict(base, **pick), None)
                self._lift_started = True
            for pid in pick:
                self._ghosts.pop(pid, None)
            if slot is not None:
                if not self._ghosts:
                    self._ghost_slot = None
                ch = self._emit(source, "store", {}, {"slot": slot, "offset_db": None,
                                                      "accepted": sorted(pick)})
            return ch

    def reject(self, pids, source: str) -> Change | None:
        """Drop ghosts (all of them with ``pids`` None); nothing else changes."""
        with self._lock:
            self._guard()
            gone = [p for p in (list(self._ghosts) if pids is None else pids) if p in self._ghosts]
            if not gone:
                return None
            self._end_audition()
            for pid in gone:
                del self._ghosts[pid]
            if not self._ghosts:
                self._ghost_slot = None
            return self._emit(source, "proposal", {}, {"rejected": gone})

    def audition(self, on: bool, source: str) -> Change | None:
        """Hear the proposal (every ghost) in place of the current settings,
        loudness-matched: lowered to the current settings' loudness, like a
        snapshot. The session's values do not change; any hand's move, or
        ``on`` False, returns to them."""
        with self._lock:
            self._guard()
            if on == (self._audition is not None):
                return None
            if not on:
                self._end_audition()
                return self._emit(source, "listen", {}, {"audition": False})
            if not self._ghosts:
                raise UserError("no proposal to audition (ask the assistant first)")
            if self.sink is None:
                raise UserError("nothing to audition on: no audio running")
            if self._listen[0] == "delivery":
                self._set_listen("processed", 0.0)      # a proposal is judged against the heard sound
            offset = self.sink.match_offset_db
            self.sink.set({pid: v for pid, (v, _) in self._ghosts.items()})
            self.sink.set_monitor("matched", min(max(offset, -HOLD_LU), HOLD_LU))
            self._audition = offset
            return self._emit(source, "listen", {}, {"audition": True})

    def _end_audition(self) -> None:
        if self._audition is None:
            return
        self._audition = None
        if self.sink is not None:
            self.sink.set({**self._values,
                           **(self._delivery.overrides() if self._delivery is not None else {})})
            self.sink.set_monitor(*self._listen)

    def tick(self, now: float | None = None) -> None:
        """Keep the playing snapshot's measured offset current once its 3 s
        window holds only it (a measurement, not a change: no revision)."""
        now = self._clock() if now is None else now
        with self._lock:
            if (self._listen[0] == "matched" and self._active_slot is not None
                    and self.sink is not None and now - self._recalled_at >= SETTLE_S):
                s = self._snapshots[self._active_slot]
                if s.values is not None:
                    s.offset_db = self.sink.match_offset_db

    # ------------------------------------------------------------ internals
    def _commit_values(self, diff: dict, morph_s: float | None = None) -> None:
        """Publish first: if the sink refuses (an engine whose callback stopped),
        the session keeps its old values and the error goes to the caller."""
        if self.sink is not None:
            changes = {pid: new for pid, (_, new) in diff.items()}
            if morph_s is None:
                self.sink.set(changes)
            else:
                self.sink.set(changes, morph_s=morph_s)
        for pid, (_, new) in diff.items():
            self._values[pid] = new
            if pid in self._ghosts and self._ghosts[pid][0] == new and self._ghost_slot is None:
                del self._ghosts[pid]           # a hand took the control to its ghost

    def _push_undo(self, step: _Step) -> None:
        self._undo.append(step)
        if len(self._undo) > UNDO_DEPTH:
            del self._undo[0]

    def _set_listen(self, mode: str, ref_db: float) -> None:
        if mode != "delivery" and self._delivery is not None:
            # the chain back to the engineer's own values
            if self.sink is not None and self._delivery.overrides():
                self.sink.set({pid: self._values[pid] for pid in self._delivery.overrides()})
            self._delivery = None
        if self.sink is not None:
            self.sink.set_monitor(mode, ref_db)
        self._listen = (mode, ref_db)

    def _back_to_processed(self) -> dict:
        if self._listen[0] == "processed":
            return {}
        self._set_listen("processed", 0.0)
        return {"listen": "processed"}

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

    def _check_slot(self, slot: int) -> None:
        if not (isinstance(slot, int) and 0 <= slot < len(SLOTS)):
            raise UserError(f"snapshot slot {slot!r}: use 0..{len(SLOTS) - 1} (A-D)")

    def _check_target(self, name: str) -> str:
        if name not in self._targets:
            raise UserError(f"target {name!r}: unknown (known: {', '.join(self._targets)})")
        return name
