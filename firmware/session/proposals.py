"""The assistant's proposal as ghosts: held, never applied, until a hand
accepts a move (or a module's moves) or turns a control to its ghost;
audition plays it loudness-matched and applies nothing. A vague request
("bigger") is first answered with its readings, offered: nothing becomes a
ghost until a hand chooses one."""
from __future__ import annotations

from dataclasses import dataclass

from dsp import params

from ..errors import UserError
from .changes import Change, Snapshot
from .listening import HOLD_LU


@dataclass(frozen=True)
class Offered:
    word: str            # the concrete word the reading proposes
    says: str            # its one line
    moves: tuple         # (pid, value, reason), checked


class ProposalsTopic:
    @property
    def readings(self) -> tuple[str, list[Offered]] | None:
        """A vague request's readings on offer: (the request, [Offered]), or None."""
        with self._lock:
            return None if self._readings is None else (self._readings[0], list(self._readings[1]))

    def offer_readings(self, word: str, readings, source: str = "assistant") -> Change:
        """Offer the readings of a vague request: ``readings`` are (word,
        says, moves), each already proposed. The last proposal's ghosts go;
        none come until choose_reading()."""
        offered = [Offered(w, says, tuple((pid, params.check_value(pid, v), why) for pid, v, why in moves))
                   for w, says, moves in readings]
        with self._lock:
            self._guard()
            self._end_audition()
            self._ghosts, self._ghost_slot, self._proposal_info = {}, None, None
            self._readings = (word, offered)
            return self._emit(source, "proposal", {}, {"readings": len(offered), "word": word})

    def choose_reading(self, index: int, source: str) -> Change:
        """The hand's choice: reading ``index``'s moves become the ghosts."""
        with self._lock:
            self._guard()
            if self._readings is None:
                raise UserError("no readings on offer (ask the assistant a word that asks back)")
            word, offered = self._readings
            if not 0 <= index < len(offered):
                raise UserError(f"reading {index + 1}: '{word}' has readings 1..{len(offered)}")
            return self.propose(offered[index].moves, source)

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
    def auditioning(self) -> bool:
        return self._audition is not None

    @property
    def proposal_info(self) -> dict | None:
        """What the assistant said with its proposal (a built-in profile's
        position, band by band), or None."""
        with self._lock:
            return self._proposal_info

    def propose(self, moves, source: str = "assistant", slot: int | None = None,
                info: dict | None = None) -> Change:
        """Hold the assistant's proposal as ghosts: ``moves`` are (pid, value,
        reason). Nothing is applied: values change only through accept() or a
        hand turning a control there. A new proposal replaces the last. With
        ``slot`` the proposal is a snapshot (a chorus lift): accepting stores
        its moves, over the current values, in that slot, and the current
        sound stays as it is. ``info``: what the assistant measured to say
        with it (plain JSON data), kept until the next proposal."""
        if slot is not None:
            self._check_slot(slot)
        with self._lock:
            self._guard()
            ghosts = {pid: (params.check_value(pid, v), why) for pid, v, why in moves}
            self._end_audition()
            self._ghosts = {pid: g for pid, g in ghosts.items() if g[0] != self._values[pid]}
            self._ghost_slot = slot if self._ghosts else None
            self._lift_started = False
            self._readings = None
            self._proposal_info = info
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
            if pids is None and self._readings is not None:
                self._readings = None
                return self._emit(source, "proposal", {}, {"rejected": gone, "readings": 0})
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
            self.sink.set_checked({pid: v for pid, (v, _) in self._ghosts.items()})
            self.sink.set_monitor("matched", min(max(offset, -HOLD_LU), HOLD_LU))
            self._audition = offset
            return self._emit(source, "listen", {}, {"audition": True})

    def _end_audition(self) -> None:
        if self._audition is None:
            return
        self._audition = None
        if self.sink is not None:
            self.sink.set_checked({**self._values,
                                   **(self._delivery.overrides() if self._delivery is not None else {})})
            self.sink.set_monitor(*self._listen)
