"""The panel's hands on the session, and the screen's view of it.

Named actions (from the encoders and buttons, the laptop's keys or a script)
go through ui/navigation.py, which says what they mean on the page at hand;
this module turns those commands into session operations (firmware/session.py)
and fills the view objects the screens draw from the session's state and the
meters. Nothing here runs on the audio thread, and nothing here holds state
the session should: undo, snapshots, target and listening mode live there.

Compare and snapshots are loudness-matched by the chain's monitor stage
(dsp/kernels/monitor.py); the session chooses what is heard.
"""
from __future__ import annotations

import collections
import math
import os

from dsp import modules, params
from ui.actions import Action
from ui.navigation import ModuleEntry, Navigator
from ui.navigation import NAME_CHARS
from ui.views import (AssistView, Badge, ConfirmView, LoudnessView, MenuView, MeterView, ModuleView,
                      NameView, ParamView, PhaseView, PresetsView, ProposalsView, ReductionView,
                      ReferencesView, RemoteView, Screen, SnapshotView, TargetView)

from .errors import UserError
from .history import LOUDNESS_S, STRIP_S, History, gain_changes, panel_stages
from .assistant_hand import AssistantHand, position_view, readings_view
from .delivery_preview import DeliveryHand
from .platform_preview import PlatformHand
from .codec_preview import badge as codec_badge
from .codec_preview import note as codec_note
from .platforms import platform_badge
from .sink import MeterReading
from .targets import TARGETS
from .verbs import Hands, dispatch
from .session import SLOTS, Session

# what a turn on the snapshots page walks through: compare, then perform morphs
RECALL_CHOICES = (("compare", None),) + tuple(("perform", float(ms)) for ms in (50, 100, 200, 300, 500))


def module_entries() -> list[ModuleEntry]:
    """One page set per module, straight from the schema: its on switch goes on
    the bypass button, the rest four to a page in schema order."""
    out = []
    for m in modules.ALL:
        ids = [p.id for p in m.PARAMS]
        on_id = f"{m.NAME}.on" if f"{m.NAME}.on" in ids else None
        rest = [i for i in ids if i != on_id]
        pages = [rest[i:i + 4] for i in range(0, len(rest), 4)]
        out.append(ModuleEntry(m.NAME, m.TITLE, on_id, pages))
    return out


def _title_of(filename: str) -> str:
    """A reference's file name without its extension: what fits on a line."""
    return os.path.splitext(filename)[0]


def param_view(pid: str, v: float, ghost: float | None = None) -> ParamView:
    p = params.get(pid)
    origin = p.fraction(0.0) if (p.unit == "dB" and p.min < 0 < p.max) else 0.0
    return ParamView(pid, p.label, p.format(v), p.fraction(v), origin, p.short,
                     None if ghost is None else p.fraction(ghost),
                     "" if ghost is None else p.format(ghost))


def _number(pid: str, v: float) -> str:
    """A value without its unit, for a row with two of them."""
    return params.get(pid).format(v).split(" ")[0]


class Controller:
    def __init__(self, session: Session, meter: MeterReading | None = None, source: str = "panel",
                 presets=None, reference_folder: str = "", capture=None, profile_folder: str = ""):
        """``presets``: the user's presets (store/presets.UserPresets), or None
        when the box has no state folder (the presets page then lists the
        built-ins and cannot save). ``reference_folder``: where the box reads
        reference tracks (shown when there are none). ``capture()``: what the
        assistant listens to, (audio, rate); ``profile_folder``: the profiles
        it can match (assist --learn-profile writes them)."""
        self.reference_folder = reference_folder
        self.history = History()
        self.assistant = AssistantHand(session, capture, profile_folder)
        self.delivery = DeliveryHand(session, capture)
        self.platforms = PlatformHand(session, capture)
        self.remote: list = []          # the remote surfaces running (firmware/remote), for their page
        self.midi = None                # the MIDI surface (firmware/remote/midi.py), when on
        self._remote_actions = collections.deque(maxlen=256)   # panel actions from other threads
        self.midi_learning: str | None = None
        self.session = session
        self.meter = meter
        self.source = source
        self.presets = presets
        self.nav = Navigator(module_entries())
        self.status = ""
        self.alert_until = -1e9
        self._preset_items: list[tuple[str, bool]] = []

    @property
    def sink(self):
        return self.session.sink

    # ------------------------------------------------------------ actions
    def handle(self, action: Action, now: float) -> list[tuple]:
        if self.nav.page == "presets":
            self._list_presets()
        # the lists' lengths as they are now (another hand may have changed them)
        readings = self.session.readings
        self.nav.proposal_count = len(self.session.ghosts) or (len(readings[1]) if readings else 0)
        self.nav.assist_count = len(self.assistant.items())
        cmds = self.nav.handle(action, now)
        for c in cmds:
            try:
                self.apply(c, now)
            except UserError as e:       # a name taken, a disk full: said, nothing changed
                self.flash(str(e), now, 4.0)
        if self.nav.page == "presets":
            self._list_presets()
        return cmds

    def act_later(self, action: Action) -> None:
        """A panel action from another thread (a MIDI controller's encoders and
        buttons): the UI loop handles it on its own thread, in order."""
        self._remote_actions.append(action)

    def take_actions(self) -> list[Action]:
        out = []
        while self._remote_actions:
            out.append(self._remote_actions.popleft())
        return out

    def _list_presets(self) -> list[tuple[str, bool]]:
        from .store.presets import builtin_names

        if self.presets is not None:
            self._preset_items = self.presets.all()
        else:
            self._preset_items = [(n, True) for n in builtin_names()]
        self.nav.preset_count = len(self._preset_items)
        return self._preset_items

    def _preset(self, i: int) -> tuple[str, bool]:
        return self._preset_items[i]

    def _user_presets(self):
        if self.presets is None:
            raise UserError("no preset folder (run with a state folder)")
        return self.presets

    def _apply_presets(self, c: tuple, now: float) -> None:
        """The presets page's commands, the name page's result, confirmations."""
        from .store.presets import load

        kind = c[0]
        s, src = self.session, self.source
        if kind == "preset_load":
            name, _ = self._preset(c[1])
            folder = self.presets.folder if self.presets is not None else None
            s.load_preset(name, load(name, folder), src)
            self.flash(f"loaded {name}", now)
        elif kind == "preset_overwrite":
            name, builtin = self._preset(c[1])
            if builtin:
                raise UserError(f"{name} is built in")
            self.nav.ask(f"Overwrite '{name}' with the current sound?", ("preset_save", name, True))
        elif kind == "preset_rename":
            name, builtin = self._preset(c[1])
            if builtin:
                raise UserError(f"{name} is built in")
            self.nav.begin_name("rename", name, name)
        elif kind == "preset_delete":
            name, builtin = self._preset(c[1])
            if builtin:
                raise UserError(f"{name} is built in")
            self.nav.ask(f"Delete preset '{name}'?", ("preset_delete_yes", name))
        elif kind == "preset_delete_yes":
            self._user_presets().delete(c[1])
            self.flash(f"deleted {c[1]}", now)
        elif kind == "snapshot_to_preset":
            if s.snapshots()[c[1]].values is None:
                raise UserError(f"{SLOTS[c[1]]} is empty")
            self.nav.begin_name("snapshot", "", c[1])
        elif kind == "preset_save":
            _, name, overwrite = c
            self._user_presets().save(name, s.values, overwrite=overwrite)
            s.saved_as_preset(name, src)
            self.flash(f"saved {name}", now)
        elif kind == "snapshot_save":
            _, name, slot, overwrite = c
            self._user_presets().save(name, s.snapshots()[slot].values, overwrite=overwrite)
            self.flash(f"{SLOTS[slot]} saved as {name}", now)
        elif kind == "name_done":
            self._named(c[1], c[2], c[3], now)

    def _named(self, mode: str, name: str, arg, now: float) -> None:
        from .store.presets import builtin_names, check_name

        up = self._user_presets()
        name = check_name(name)
        if name in builtin_names():
            raise UserError(f"{name} is built in")
        exists = name in up.names()
        if mode == "rename":
            up.rename(arg, name)
            self.session.preset_renamed(arg, name, self.source)
            self.flash(f"renamed to {name}", now)
            return
        save = ("preset_save", name, True) if mode == "new" else ("snapshot_save", name, arg, True)
        if exists:
            self.nav.ask(f"'{name}' exists. Overwrite it?", save)
            return
        self._apply_presets(save[:-1] + (False,), now)

    def apply(self, c: tuple, now: float) -> None:
        """A navigation command: the panel's gestures become verbs
        (firmware/verbs.py) where another surface has the same action; the
        rest (steps, cycles, pages, the assistant, presets by cursor) are the
        panel's own."""
        s = self.session
        kind = c[0]
        src = self.source
        hands = Hands(s, self.presets)
        if kind == "step":
            _, pid, steps, fine = c
            old = s.value(pid)
            new = params.get(pid).stepped(old, steps, fine)
            ghost = s.ghosts.get(pid) if s.proposal_slot is None else None
            if ghost is not None and min(old, new) < ghost[0] < max(old, new):
                new = ghost[0]                 # a turn stops at the proposal (and so accepts it)
            s.apply({pid: new}, src, gesture=pid)
        elif kind == "default":
            dispatch(hands, "set", [c[1], params.get(c[1]).default], src)
        elif kind == "toggle":
            dispatch(hands, "set", [c[1], 1.0 - s.value(c[1])], src)
        elif kind == "compare":
            dispatch(hands, "compare", [s.listening[0] != "bypass"], src)
        elif kind == "solo":
            s.cycle_solo(src)
        elif kind == "assist":
            self.assistant.ask(self.assistant.items()[c[1]], now)
        elif kind in ("accept", "accept_module", "reject", "reject_all", "audition", "audition_hold"):
            self._apply_proposal(c)
        elif kind == "learn":
            self.midi_learning = c[1]
            if self.midi is not None:
                self.midi.learn(c[1])
            self.flash(f"MIDI learn: move a control for {params.get(c[1]).label}"
                       if self.midi is not None else "MIDI is off (config midi_device)", now, 4.0)
        elif kind == "ref":
            dispatch(hands, "reference", {"on": s.listening[0] != "reference"}, src)
        elif kind == "ref_step":
            s.step_reference(c[1], src)
        elif kind in ("undo", "redo"):
            ch = dispatch(hands, kind, [], src)
            if ch is not None and ch.values:
                labels = sorted({params.get(pid).label for pid in ch.values})
                self.flash(f"{kind} {labels[0]}" + (f" +{len(labels) - 1}" if len(labels) > 1 else ""), now)
        elif kind == "store":
            dispatch(hands, "store", [c[1]], src)
            self.flash(f"stored {SLOTS[c[1]]}", now)
        elif kind == "recall_mode":
            mode, ms = s.recall_mode
            at = 0 if mode == "compare" else min(range(1, len(RECALL_CHOICES)),
                                                  key=lambda i: abs(RECALL_CHOICES[i][1] - ms))
            mode, ms = RECALL_CHOICES[min(max(at + c[1], 0), len(RECALL_CHOICES) - 1)]
            s.set_recall_mode(mode, ms, src)
            self.flash("recall: compare" if mode == "compare" else f"recall: morph {ms:g} ms", now)
        elif kind == "recall":
            if dispatch(hands, "recall", [c[1]], src) is None:
                self.flash(f"{SLOTS[c[1]]} is empty (long push stores)", now)
        elif kind == "target":
            names = list(TARGETS)
            dispatch(hands, "target", [names[(names.index(s.target) + c[1]) % len(names)]], src)
        elif kind == "platform":
            self.platforms.retry()
            dispatch(hands, "platform_step", [c[1]], src)
        elif kind == "context":
            dispatch(hands, "context_step", [c[1]], src)
        elif kind == "codec":
            dispatch(hands, "codec_step", [c[1]], src)
        elif kind == "delivery":
            if s.listening[0] == "delivery":
                s.listen("processed", src)
            else:
                self.delivery.ask()
                self.flash("DELIVERY: rendering what was heard...", now, 10.0)
        elif kind.startswith(("preset_", "snapshot_", "name_")):
            self._apply_presets(c, now)

    def _apply_proposal(self, c: tuple) -> None:
        s = self.session
        pids = list(s.ghosts)
        kind = c[0]
        if kind == "audition":
            s.audition(not s.auditioning, self.source)
        elif kind == "audition_hold":
            if c[1] and not s.ghosts:
                return                     # nothing to hear: the hold does nothing
            s.audition(c[1], self.source)
        elif kind == "reject_all":
            s.reject(None, self.source)
        elif s.readings is not None and not pids:
            if kind in ("accept", "accept_module"):
                s.choose_reading(c[1], self.source)     # the reading's moves become the ghosts
            else:
                s.reject(None, self.source)
        elif c[1] < len(pids):
            pid = pids[c[1]]
            if kind == "accept":
                s.accept([pid], "assistant-accept")
            elif kind == "accept_module":
                module = params.get(pid).module
                s.accept([p for p in pids if params.get(p).module == module], "assistant-accept")
            else:
                s.reject([pid], self.source)

    def _reference_offset(self) -> float:
        return self.sink.reference_offset_db if self.sink is not None else 0.0

    def flash(self, text: str, now: float, seconds: float = 2.0) -> None:
        self.status = text
        self.alert_until = now + seconds

    def tick(self, now: float) -> None:
        self.session.tick(now)
        if self.midi is not None and self.midi.learned:
            self.flash(self.midi.learned, now, 4.0)
            self.midi.learned = ""
            self.midi_learning = None
        self.platforms.tick(now)
        done = self.delivery.collect()
        if done is not None:
            plan, err = done
            if err is not None:
                self.flash(err, now, 4.0)
            elif plan.target == self.session.target:
                try:
                    self.session.hear_delivery(plan, self.source)
                    self.flash(f"DELIVERY {plan.target}: {plan.describe()}", now, 3.0)
                except UserError as e:
                    self.flash(str(e), now, 4.0)
        said = self.assistant.collect()
        if said is not None:
            self.flash(said, now, 4.0)
            info = self.session.proposal_info or {}
            if "profile_position" in info:
                self.nav.page = "position"     # where it sits first; a push shows the moves
            elif self.session.ghosts or self.session.readings:
                self.nav.page = "proposals"
                self.nav.proposal_cursor = 0
        self.history.sample(now, self._results(), self._gr())

    def _results(self) -> dict:
        return self.meter.results() if self.meter is not None else {}

    def _gr(self) -> dict:
        return gain_changes(self.sink)

    # ------------------------------------------------------------ views
    def meter_view(self) -> MeterView:
        r = self._results()
        gr = self._gr()
        return MeterView(r.get("momentary_lufs", -math.inf), r.get("short_term_lufs", -math.inf),
                         r.get("integrated_lufs", -math.inf), r.get("true_peak_dbtp", -math.inf),
                         r.get("loudness_range_lu", math.nan), r.get("correlation_recent"),
                         [(lab, gr.get(k, 0.0)) for k, lab in panel_stages(self.session.values, self.history)])

    def screen(self, now: float) -> Screen:
        nav = self.nav
        s = self.session
        v = s.values
        page = nav.page
        if page == "meters":
            body = self.meter_view()
        elif page == "loudness":
            r = self._results()
            body = LoudnessView(list(self.history.short_term), r.get("short_term_lufs", -math.inf),
                                r.get("integrated_lufs", -math.inf), TARGETS[s.target].lufs, LOUDNESS_S)
        elif page == "reduction":
            gr = self._gr()
            body = ReductionView([(lab, gr.get(k, 0.0), list(self.history.gr[k]))
                                  for k, lab in panel_stages(s.values, self.history)],
                                 STRIP_S)
        elif page == "phase":
            r = self._results()
            body = PhaseView(r.get("correlation_recent"), list(self.history.correlation),
                             r.get("balance_recent_db"), STRIP_S)
        elif page == "menu":
            body = MenuView(nav.items, nav.cursor)
        elif page == "module":
            e = nav.entry
            ghosts = s.ghosts
            body = ModuleView(e.key, e.title, nav.sub + 1, len(e.pages),
                              None if e.on_id is None else bool(v[e.on_id]),
                              [param_view(pid, v[pid], ghosts[pid][0] if pid in ghosts else None)
                               for pid in nav.params()],
                              nav.focused(now))
        elif page == "target":
            t = TARGETS[s.target]
            r = self.meter.results() if self.meter is not None else {}
            last = self.delivery.last
            plan = ("rendering..." if self.delivery.busy else
                    last.describe() if last is not None and last.target == t.name else "push: hear it")
            body = TargetView(t.name, t.lufs, t.ceiling_dbtp, r.get("integrated_lufs", -math.inf),
                              r.get("true_peak_dbtp", -math.inf), t.tolerance_lu, plan,
                              s.listening[0] == "delivery")
        elif page == "presets":
            items = self._list_presets()
            body = PresetsView(items, min(nav.preset_cursor, max(len(items) - 1, 0)), s.preset,
                               s.modified)
        elif page == "name":
            if nav.name_mode == "snapshot":
                title = f"SNAPSHOT {SLOTS[nav.name_arg]} AS"
            else:
                title = {"new": "NEW PRESET", "rename": "RENAME"}.get(nav.name_mode, "NAME")
            body = NameView(title, "".join(nav.name_text), nav.name_pos, NAME_CHARS)
        elif page == "confirm":
            body = ConfirmView(nav.question)
        elif page == "remote":
            body = RemoteView([ln for r in self.remote for ln in r.status()],
                              next((r.code for r in self.remote if r.code), ""))
        elif page == "assist":
            items = self.assistant.items()
            nav.assist_count = len(items)
            body = AssistView(items, min(nav.assist_cursor, max(len(items) - 1, 0)),
                              self.assistant.busy, self.assistant.note)
        elif page == "position":
            body = position_view((s.proposal_info or {}).get("profile_position"))
        elif page == "proposals" and s.readings is not None and not s.ghosts:
            body = readings_view(s.readings, nav)
        elif page == "proposals":
            ghosts = s.ghosts
            nav.proposal_count = len(ghosts)
            cur = min(nav.proposal_cursor, max(len(ghosts) - 1, 0))
            rows = [(params.get(pid).short, _number(pid, v[pid]), _number(pid, g))
                    for pid, (g, _) in ghosts.items()]
            why = list(ghosts.values())[cur][1] if ghosts else ""
            body = ProposalsView(rows, cur, why, s.auditioning,
                                 "" if s.proposal_slot is None else SLOTS[s.proposal_slot])
        elif page == "references":
            body = ReferencesView([(_title_of(r.name), r.lufs, r.seconds) for r in s.references],
                                  s.reference_index, s.listening[0] == "reference",
                                  self.reference_folder)
        else:
            body = SnapshotView([(SLOTS[i], snap.values is not None, snap.offset_db)
                                 for i, snap in enumerate(s.snapshots())],
                                s.active_slot, s.listening[0] == "matched",
                                None if s.recall_mode[0] == "compare" else s.recall_mode[1])
        mode, ref = s.listening
        offset = self.sink.match_offset_db if self.sink is not None else 0.0
        playing = None
        if mode == "reference":
            r = s.references[s.reference_index]
            playing = (s.reference_index + 1, _title_of(r.name), r.lufs)
        badge = Badge(mode, offset if mode == "bypass" else
                      (min(ref - offset, 0.0) if mode == "matched" else
                       (self._reference_offset() if mode == "reference" else 0.0)), s.solo, playing,
                      platform_badge(s.platform) or (s.delivery.label() if s.delivery is not None
                                                     else codec_badge(s.codec, s.codec_preview)),
                      "" if s.context_index is None else s.contexts[s.context_index].name,
                      "ON THE DELIVERY" if s.platform is not None and s.delivery is not None
                      else codec_note(s.codec, s.codec_preview, TARGETS[s.target].ceiling_dbtp))
        alert = now < self.alert_until
        return Screen(page, body, self.status if alert else "", alert, badge)
