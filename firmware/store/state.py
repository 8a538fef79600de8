"""The session on disk: what the box restores at boot.

Two generations in two slot files, ``state-a.toml`` and ``state-b.toml``. A
save writes the slot that does not hold the newest generation (temp file,
fsync, rename, fsync of the folder), so whatever instant the power goes, one
slot still holds a complete state: the old one or the new one, never a torn
one. Each file starts with a SHA-256 of the rest; a load takes the newest
slot whose checksum, schema and values all check out, says why it passed over
the other, and falls back to the config's preset when neither does. A state
file never stops the box from booting.

    checksum = "…"              (of every byte after this line)
    schema_version = 1
    generation = 42
    saved_at = "2026-12-02T07:00:00+00:00"
    target = "streaming"
    preset = "warm"             (absent: no preset loaded)
    [values.glue]               (as in a preset: only what differs from defaults)
    [preset_values.glue]        (the preset as loaded, for the modified mark)
    [snapshots.A]  offset_db = 1.5, then [snapshots.A.values.glue] ...
    [bindings]                  (MIDI bindings)
    [recall]  mode = "perform", morph_ms = 200.0   (how snapshots are recalled)

Listening modes are not saved: the box always boots into plain processed
listening.
"""
from __future__ import annotations

import datetime
import hashlib
import os
import re
from dataclasses import dataclass

import tomli_w

from dsp import params

from ..errors import UserError
from . import atomic, presets, tomlfile

SCHEMA_VERSION = 1
SLOTS = ("state-a.toml", "state-b.toml")
SNAPSHOT_SLOTS = ("A", "B", "C", "D")
_HEAD = re.compile(rb'^checksum = "([0-9a-f]{64})"\n')


def default_dir() -> str:
    """Where the state lives when nothing says otherwise: the service's
    StateDirectory (systemd sets $STATE_DIRECTORY), $MASTERBOX_STATE_DIR, else
    ~/.local/state/masterbox (XDG_STATE_HOME on a laptop)."""
    for var in ("MASTERBOX_STATE_DIR", "STATE_DIRECTORY"):
        if os.environ.get(var):
            return os.environ[var].split(":")[0]
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "masterbox")


@dataclass
class Loaded:
    """A state read from disk: the session's state() shape, where it came
    from, and what was passed over on the way (one line each)."""
    state: dict | None
    path: str | None
    generation: int
    notes: list[str]


# ---------------------------------------------------------------- document
def to_text(state: dict, generation: int) -> bytes:
    """The file's bytes for a session state (Session.state()) at a generation."""
    doc: dict = {"schema_version": SCHEMA_VERSION, "generation": generation,
                 "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                 "target": state["target"]}
    if state.get("preset"):
        doc["preset"] = state["preset"]
    doc["values"] = _values_table(state["values"])
    if state.get("preset_values") is not None:
        doc["preset_values"] = _values_table(state["preset_values"])
    snaps = {}
    for s in state["snapshots"]:
        if s["values"] is not None:
            entry = {"values": _values_table(s["values"])}
            if s["offset_db"] is not None:
                entry["offset_db"] = float(s["offset_db"])
            snaps[s["slot"]] = entry
    if snaps:
        doc["snapshots"] = snaps
    if state.get("bindings"):
        doc["bindings"] = state["bindings"]
    if state.get("recall"):
        doc["recall"] = {"mode": state["recall"]["mode"], "morph_ms": float(state["recall"]["morph_ms"])}
    body = tomli_w.dumps(doc).encode("utf-8")
    return b'checksum = "' + hashlib.sha256(body).hexdigest().encode() + b'"\n' + body


def _values_table(values: dict) -> dict:
    doc = presets.to_document(values)
    doc.pop("schema_version")
    return doc


def _values_from(table, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise UserError(f"{where}: should be a table of module tables")
    return params.check_values(presets.from_document(dict(table, schema_version=presets.SCHEMA_VERSION),
                                                      where))


def from_text(data: bytes, where: str) -> tuple[dict, int]:
    """(state, generation) from a file's bytes; a UserError names what is wrong
    (a torn or edited file fails its checksum)."""
    m = _HEAD.match(data)
    if not m:
        raise UserError(f"{where}: no checksum line (not a state file, or torn at its start)")
    body = data[m.end():]
    if hashlib.sha256(body).hexdigest() != m.group(1).decode():
        raise UserError(f"{where}: checksum does not match (a torn or changed file)")
    doc = tomlfile.parse(body, where)
    ver = doc.get("schema_version")
    if ver != SCHEMA_VERSION or isinstance(ver, bool):
        raise UserError(f"{where}: schema_version {ver!r} (this firmware reads {SCHEMA_VERSION})")
    gen = doc.get("generation")
    if isinstance(gen, bool) or not isinstance(gen, int) or gen < 0:
        raise UserError(f"{where}: generation {gen!r} is not a whole number")
    known = {"schema_version", "generation", "saved_at", "target", "preset", "values",
             "preset_values", "snapshots", "bindings", "recall"}
    unknown = set(doc) - known
    if unknown:
        raise UserError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    target = doc.get("target", "streaming")
    from ..targets import TARGETS

    if target not in TARGETS:
        raise UserError(f"{where}: target {target!r} is unknown")
    preset = doc.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise UserError(f"{where}: preset = {preset!r} should be text")
    snapshots = []
    raw_snaps = doc.get("snapshots", {})
    if not isinstance(raw_snaps, dict) or set(raw_snaps) - set(SNAPSHOT_SLOTS):
        raise UserError(f"{where}: snapshots must be tables A to D")
    for slot in SNAPSHOT_SLOTS:
        s = raw_snaps.get(slot)
        if s is None:
            snapshots.append({"slot": slot, "values": None, "offset_db": None})
            continue
        off = s.get("offset_db")
        if off is not None and (isinstance(off, bool) or not isinstance(off, (int, float))):
            raise UserError(f"{where}: snapshots.{slot}.offset_db = {off!r} should be a number")
        snapshots.append({"slot": slot, "values": _values_from(s.get("values", {}),
                                                               f"{where}: snapshot {slot}"),
                          "offset_db": None if off is None else float(off)})
    bindings = doc.get("bindings", {})
    if not isinstance(bindings, dict):
        raise UserError(f"{where}: bindings should be a table")
    recall = doc.get("recall", {})
    if not isinstance(recall, dict) or set(recall) - {"mode", "morph_ms"}:
        raise UserError(f"{where}: recall should be a table of mode and morph_ms")
    if recall:
        from ..session import MORPH_DEFAULT_MS, check_recall
        try:
            mode, ms = check_recall(recall.get("mode", "compare"), recall.get("morph_ms", MORPH_DEFAULT_MS))
        except UserError as e:
            raise UserError(f"{where}: {e}") from None
        recall = {"mode": mode, "morph_ms": ms}
    state = {"values": _values_from(doc.get("values", {}), f"{where}: values"),
             "preset": preset,
             "preset_values": (_values_from(doc["preset_values"], f"{where}: preset_values")
                               if "preset_values" in doc else None),
             "snapshots": snapshots, "target": target, "bindings": bindings,
             "recall": recall or None,
             "saved_at": doc.get("saved_at")}
    return state, gen


# ---------------------------------------------------------------- the folder
class StateStore:
    """The two slot files in one folder."""

    def __init__(self, folder: str):
        self.folder = folder
        self.generation = -1          # the newest good generation on disk, once known
        self._newest: int | None = None   # its slot: a save writes the other one
        self._known = False

    def _path(self, i: int) -> str:
        return os.path.join(self.folder, SLOTS[i])

    def load(self) -> Loaded:
        """The newest good state, and a note for every slot passed over."""
        found, notes = [], []
        for i in range(2):
            path = self._path(i)
            if not os.path.lexists(path):
                continue
            try:
                state, gen = from_text(tomlfile.read_bytes(path, "state"), f"state {path}")
                found.append((gen, i, state))
            except UserError as e:
                notes.append(str(e))
        found.sort(reverse=True)
        self._known = True
        if found:
            gen, i, state = found[0]
            self.generation, self._newest = gen, i
            if notes:
                notes.append(f"restored generation {gen} from {SLOTS[i]}, the previous save")
            return Loaded(state, self._path(i), gen, notes)
        self.generation, self._newest = -1, None
        return Loaded(None, None, -1, notes)

    def save(self, state: dict) -> str:
        """Write the next generation into the slot not holding the newest;
        returns the path. A UserError (disk full, read-only) leaves both slots
        as they were."""
        if not self._known:
            self.load()
        gen = self.generation + 1
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as e:
            from ..errors import file_error

            raise file_error(self.folder, e, "create the state folder") from None
        i = 1 - self._newest if self._newest is not None else 0
        path = self._path(i)
        atomic.write_bytes(path, to_text(state, gen))
        self.generation, self._newest = gen, i
        return path

    def reset(self) -> list[str]:
        """Move the saved state aside (kept, renamed with the time), so the next
        boot starts from the config's preset. Returns the new names."""
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        moved = []
        for i in range(2):
            p = self._path(i)
            if os.path.lexists(p):
                dst = f"{p}.reset-{stamp}"
                os.replace(p, dst)
                moved.append(dst)
        self.generation, self._newest, self._known = -1, None, True
        return moved
