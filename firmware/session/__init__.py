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
real-time Engine (firmware/sink.py says what it offers). Without a sink (the
command line before a render) the session only keeps and checks the values.

One facade, one file per topic behind it:

    core.py        Session: the lock, the revision, _emit, subscribers and feeds, state()
    changes.py     Change, Snapshot, Step, Feed
    values.py      values and undo/redo: apply(), the one way a hand moves a control
    snapshots.py   snapshots A-D, recall modes and the morph
    listening.py   the monitor sources (compare, references, DELIVERY) and solo
    proposals.py   the assistant's ghosts, accept/reject, audition
    presets.py     the active preset, its modified mark, restoring a saved state
    target.py      the delivery target (the table is firmware/targets.py)
    bindings.py    MIDI bindings, learnt or from a map file
"""
from .changes import Change, Feed, Snapshot, Step
from .core import Session
from .listening import HOLD_LU
from .snapshots import MORPH_DEFAULT_MS, MORPH_MS, RECALL_MODES, SETTLE_S, SLOTS, check_recall
from .values import UNDO_DEPTH, UNDO_MERGE_S

__all__ = ["Change", "Feed", "Snapshot", "Step", "Session", "HOLD_LU", "MORPH_DEFAULT_MS",
           "MORPH_MS", "RECALL_MODES", "SETTLE_S", "SLOTS", "check_recall", "UNDO_DEPTH",
           "UNDO_MERGE_S"]
