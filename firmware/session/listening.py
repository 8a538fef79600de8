"""What is heard instead of the processed output (the monitor sources):
compare, snapshots heard matched, reference tracks, DELIVERY, a streaming
platform, a lossy codec; the listening mode after them (stereo, mono, mid, side, delta,
or a tap inside the chain); and last a playback context (a measured
speaker, earbuds, a car) that all of it is played through. None of it is
saved or reaches a render; a hand's move returns to plain processed (a
platform or codec preview, the listening mode and a context stay: they are where and
how it is heard, not a comparison)."""
from __future__ import annotations

import math

from dsp import params
from dsp.contexts import NO_CONTEXT
from dsp.modules.monitor import SOLOS, TAP_SWITCHES

from ..errors import UserError
from ..platforms import PLATFORMS, after
from .changes import Change

HOLD_LU = 24.0            # the monitor stage's matching range


class ListeningTopic:
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
                self.sink.set_checked({**{pid: self._values[pid] for pid in old}, **over})
            self._delivery = plan
            self._set_listen("delivery", plan.monitor_gain_db)
            return self._emit(source, "listen", {}, {"listen": "delivery", "delivery": plan.describe()})

    @property
    def platform(self) -> tuple[str, float] | None:
        """(platform key, gain dB) while a streaming platform is previewed:
        the processed output at the gain it would apply (firmware/
        platforms.py; the gain is nan until the programme is measured), or,
        while DELIVERY is heard, the delivered master at the gain it would
        apply to that render."""
        return self._platform

    def hear_platform(self, key: str | None, source: str) -> Change | None:
        """Play the processed output as platform ``key`` would; None or "off"
        back to processed. A monitor source like compare (never saved, never
        in a render), but not a comparison: it stays through the engineer's
        moves, which is how they hear what loudness buys there. Its gain comes
        from platform_preview.PlatformHand (set_platform_gain)."""
        if key in (None, "off"):
            with self._lock:
                self._guard()
                if self._platform is None:
                    return None
                if self._delivery is not None:           # back to the delivery alone
                    self._platform = None
                    self._monitor("delivery", self._delivery.monitor_gain_db)
                    return self._emit(source, "listen", {}, {"listen": "delivery"})
                self._set_listen("processed", 0.0)
                return self._emit(source, "listen", {}, {"listen": "processed"})
        if key not in PLATFORMS:
            raise UserError(f"platform {key!r}: use one of {', '.join(PLATFORMS)} or off")
        with self._lock:
            self._guard()
            self._end_audition()
            if self._delivery is not None:
                # DELIVERY heard: the platform plays the delivered master, at the
                # gain it would apply to that render (its loudness and peak)
                plan = self._delivery
                gain = PLATFORMS[key].gain_db(plan.delivered_lufs, plan.delivered_true_peak_dbtp)
                total = plan.monitor_gain_db + gain
                if abs(total) > HOLD_LU:
                    raise UserError(f"{PLATFORMS[key].name} on the delivered master turns the programme "
                                    f"by {total:+.1f} dB: more than the monitor's {HOLD_LU:g} dB")
                self._monitor(PLATFORMS[key].monitor_mode, total)
                self._platform = (key, gain)
                return self._emit(source, "listen", {}, {"listen": "platform", "platform": key,
                                                         "on": "delivery", "gain_db": gain})
            self._set_listen(PLATFORMS[key].monitor_mode, 0.0)
            self._platform = (key, math.nan)
            return self._emit(source, "listen", {}, {"listen": "platform", "platform": key})

    @property
    def codec(self) -> tuple[str, str] | None:
        """(codec, view) while the live codec preview is heard: view decoded
        (what a listener's decoder plays) or difference (what the codec changes)."""
        return self._codec

    @property
    def codec_preview(self):
        """The running preview (firmware/codec_preview.CodecPreview), or None."""
        return self._codec_worker if self._codec is not None else None

    def hear_codec(self, name: str | None, view: str = "decoded", source: str = "panel") -> Change | None:
        """Play the processed output through codec ``name`` (aac, mp3, opus),
        encoded and decoded live, heard DELAY_S late; None or "off" back to
        processed. A monitor source that stays through moves, like a platform;
        never saved, never in a render. Without ffmpeg, one line and nothing
        changes."""
        from .. import codec_preview

        if name in (None, "off"):
            with self._lock:
                self._guard()
                if self._codec is None:
                    return None
                self._set_listen("processed", 0.0)
                return self._emit(source, "listen", {}, {"listen": "processed"})
        if view not in codec_preview.VIEWS:
            raise UserError(f"codec view {view!r}: use {' or '.join(codec_preview.VIEWS)}")
        codec = codec_preview.find(name)
        with self._lock:
            self._guard()
            if self.sink is None:
                raise UserError("codec preview: nothing is playing")
            if self._codec == (name, view):
                return None
            if self._codec is not None and self._codec[0] == name:
                self._set_listen("codec" if view == "decoded" else "codec difference", 0.0)
                self._codec = (name, view)
                return self._emit(source, "listen", {}, {"listen": "codec", "codec": name, "view": view})
            if self._codec_worker is None or self._codec_worker.sink is not self.sink:
                self._codec_worker = codec_preview.CodecPreview(self.sink)
            self._end_audition()
            self._codec_worker.start(codec)
            self._set_listen("codec" if view == "decoded" else "codec difference", 0.0)
            self._codec = (name, view)
            return self._emit(source, "listen", {}, {"listen": "codec", "codec": name, "view": view})

    def step_codec(self, steps: int, source: str) -> Change | None:
        """The next (or previous) of off, each codec decoded, its difference, ..."""
        from .. import codec_preview

        ring = [None] + [(c.name, v) for c in codec_preview.available() for v in codec_preview.VIEWS]
        if len(ring) == 1:
            codec_preview.find("aac")                  # says why there is none
        at = ring.index(self._codec) if self._codec in ring else 0
        nxt = ring[(at + steps) % len(ring)]
        return self.hear_codec(None, source=source) if nxt is None else self.hear_codec(*nxt, source=source)

    def step_platform(self, steps: int, source: str) -> Change | None:
        """The next (or previous) platform, through off."""
        return self.hear_platform(after(self._platform[0] if self._platform else None, steps), source)

    def set_platform_gain(self, gain_db: float) -> Change | None:
        """The previewed platform's gain, measured (PlatformHand)."""
        with self._lock:
            if self._platform is None or not math.isfinite(gain_db) or self._delivery is not None:
                return None                 # (on the delivered master its gain is the plan's)
            key = self._platform[0]
            if self.sink is not None:
                self.sink.set_monitor(PLATFORMS[key].monitor_mode, gain_db)
            self._listen = (self._listen[0], gain_db)
            self._platform = (key, gain_db)
            return self._emit("meter", "listen", {}, {"platform": key, "gain_db": gain_db})

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
        """Switch the listening mode (after compare): stereo, mono, mid, side,
        delta, or a tap: a dynamic band's detector (dyn1, dyn2) or what the
        de-esser removes (deess). A monitoring choice like compare: never
        saved, never sent to a render."""
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
        """The next listening mode in SOLOS' order (the solo button), past
        the taps of dynamic bands and a de-esser that are off."""
        v = self._values
        order = [m for m in SOLOS if all(v[p] for p in TAP_SWITCHES.get(m, ()))]
        at = order.index(self._solo) if self._solo in order else -1
        return self.set_solo(order[(at + 1) % len(order)], source)

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

    @property
    def contexts(self) -> list:
        """The loaded playback contexts (dsp.contexts.Context), in slot order."""
        with self._lock:
            return list(self._contexts)

    @property
    def context_index(self) -> int | None:
        """Which of ``contexts`` everything is heard through, or None."""
        return self._ctx_at

    def add_context(self, ctx, source: str) -> Change:
        """A playback context was placed in the sink's memory (firmware/
        contexts.py): list it, replacing the one that had its slot."""
        with self._lock:
            self._guard()
            at = next((i for i, c in enumerate(self._contexts) if c.slot == ctx.slot), None)
            if at is not None and at == self._ctx_at:
                raise UserError(f"context slot {ctx.slot + 1} is playing; stop it before replacing it")
            if at is None:
                self._contexts.append(ctx)
            else:
                self._contexts[at] = ctx
            return self._emit(source, "listen", {}, {"context_added": ctx.name})

    def hear_context(self, index: int | None, source: str) -> Change | None:
        """Play everything heard through loaded context ``index`` (None: none).
        It stays through moves and other monitor sources, like the listening
        mode; never saved, never in a render."""
        with self._lock:
            self._guard()
            if index is not None and not (isinstance(index, int) and 0 <= index < len(self._contexts)):
                raise UserError(f"playback context {index!r}: {len(self._contexts)} loaded"
                                + (f" (use 0..{len(self._contexts) - 1}, or off)" if self._contexts
                                   else " (context folder or --context FILE)"))
            if index == self._ctx_at:
                return None
            if self.sink is not None:
                self.sink.set_context(NO_CONTEXT if index is None else self._contexts[index].selector)
            self._ctx_at = index
            name = None if index is None else self._contexts[index].name
            return self._emit(source, "listen", {}, {"context": name})

    def step_context(self, steps: int, source: str) -> Change | None:
        """The next (or previous) context, through none."""
        with self._lock:
            if not self._contexts:
                raise UserError("no playback contexts loaded (context folder or --context FILE)")
            ring = [None, *range(len(self._contexts))]
            return self.hear_context(ring[(ring.index(self._ctx_at) + steps) % len(ring)], source)

    def _set_listen(self, mode: str, ref_db: float) -> None:
        self._platform = None
        if not mode.startswith("codec") and self._codec is not None:
            self._codec = None
            self._codec_worker.stop()
        if mode != "delivery" and self._delivery is not None:
            # the chain back to the engineer's own values
            if self.sink is not None and self._delivery.overrides():
                self.sink.set_checked({pid: self._values[pid] for pid in self._delivery.overrides()})
            self._delivery = None
        if self.sink is not None:
            self.sink.set_monitor(mode, ref_db)
        self._listen = (mode, ref_db)

    def _monitor(self, mode: str, db: float) -> None:
        """What the monitor plays, the chain's values as they are (a platform
        on top of DELIVERY keeps the delivery's own)."""
        if self.sink is not None:
            self.sink.set_monitor(mode, db)
        self._listen = (mode, db)

    def _back_to_processed(self) -> dict:
        if self._listen[0] == "processed" or self._platform is not None or self._codec is not None:
            return {}
        self._set_listen("processed", 0.0)
        return {"listen": "processed"}
