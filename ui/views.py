"""Plain view objects: what a screen shows, filled in by firmware.

Screens draw only these; they know nothing of the chain, the schema or the
meters. Numbers are already formatted where the schema formats them (a value
with its unit), raw where the screen draws them (loudness, bars).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParamView:
    id: str
    label: str
    text: str               # formatted value with unit, e.g. "-18.0 dB"
    fraction: float         # position along the control's taper, 0..1
    origin: float = 0.0     # where the bar starts (the default's position)
    short: str = ""         # the label in at most 7 characters (dsp/schema.py), for lists
    ghost: float | None = None     # the assistant's proposed position along the taper, 0..1
    ghost_text: str = ""           # and its value, formatted


@dataclass
class ModuleView:
    module: str
    title: str
    page: int               # 1-based sub-page
    pages: int
    on: bool | None         # the module's on switch (None: it has none)
    params: list[ParamView]  # up to 4, one per encoder
    focus: int | None = None       # the encoder touched last (its value drawn big)


@dataclass
class MeterView:
    momentary: float        # LUFS (may be -inf)
    short_term: float
    integrated: float
    true_peak: float        # dBTP, maximum so far
    lra: float
    correlation: float | None
    gr: list[tuple[str, float]] = field(default_factory=list)   # (label, dB reduction)


@dataclass
class LoudnessView:
    """The last minute of short-term loudness against the target."""
    short_term: list[float]      # LUFS, oldest first, evenly spaced (nan: nothing measured)
    now: float                   # short-term loudness now
    integrated: float
    target: float                # the delivery target, LUFS
    seconds: int = 60            # what the graph spans


@dataclass
class ReductionView:
    """Gain reduction per dynamics stage: now and the last seconds."""
    stages: list[tuple[str, float, list[float]]]   # (label, dB now, history oldest first)
    seconds: int = 10


@dataclass
class PhaseView:
    """Correlation now and over the last seconds, and left/right balance."""
    correlation: float | None
    history: list[float]         # oldest first (nan: nothing measured)
    balance_db: float | None     # right vs left, recent
    seconds: int = 10


@dataclass
class TargetView:
    name: str
    lufs: float
    ceiling_dbtp: float
    integrated: float
    true_peak: float
    tolerance_lu: float = 1.0
    delivery: str = ""          # what a render to it would do (plain gain, added drive)
    hearing: bool = False       # DELIVERY is what is heard


@dataclass
class MenuView:
    items: list[str]
    cursor: int


@dataclass
class SnapshotView:
    slots: list[tuple[str, bool, float | None]]   # (name, stored, offset LU over input)
    active: int | None
    matched: bool
    morph_ms: float | None = None       # None: recalls compare (matched); else perform, morphing


@dataclass
class PresetsView:
    items: list[tuple[str, bool]]       # (name, built in?)
    cursor: int
    active: str | None                  # the loaded preset's name
    modified: bool                      # moved since it was loaded


@dataclass
class NameView:
    title: str                          # NEW PRESET, RENAME, SNAPSHOT A AS
    text: str
    pos: int                            # the character being chosen
    wheel: str                          # the characters a turn walks through


@dataclass
class ReferencesView:
    items: list[tuple[str, float, float]]   # (name, integrated LUFS, seconds)
    selected: int | None                # the one the REF action plays
    playing: bool                       # a reference is heard now (the badge: by how much it is raised)
    folder: str = ""                    # where the box looks for files


@dataclass
class AssistView:
    items: list[str]                    # what the assistant can be asked
    cursor: int
    busy: bool = False                  # listening and rendering: a proposal is on its way
    note: str = ""                      # the last answer, in a line


@dataclass
class PositionView:
    """Where the programme sits in a built-in profile's usual range, band by
    band (low to high): per band (q1, median, q3, value), dB."""
    profile: str
    mid: list[tuple[float, float, float, float]]
    side: list[tuple[float, float, float, float]]
    outside: int                        # bands outside the range, mid and side


@dataclass
class ProposalsView:
    rows: list[tuple[str, str, str]]    # (label, from, to), formatted
    cursor: int
    reason: str                         # the chosen move's reason
    auditioning: bool = False
    slot: str = ""                      # a snapshot proposal (a lift): the slot it goes into
    asking: str = ""                    # a vague request asked back: rows are its readings


@dataclass
class RemoteView:
    lines: list[str]                    # one per surface: what it listens on, who is paired
    code: str = ""                      # the pairing code to type on the remote side


@dataclass
class ConfirmView:
    question: str


@dataclass
class Badge:
    """The compare state, drawn top right on every page."""
    mode: str = "processed"      # processed | bypass | matched | reference | delivery | platform...
    offset_db: float = 0.0       # the loudness difference removed (added, for a reference)
    listen: str = "stereo"       # the listening mode (SOLOS): shown when not stereo
    reference: tuple | None = None   # (number, name, LUFS) of the reference playing
    label: str = ""              # a source that names itself: DELIV-5.3, DELIV+8.8dr, SPOT-4.2
    context: str = ""            # the playback context everything is heard through, if any
    note: str = ""               # a monitor source's warning: a codec's peak over the ceiling, late


@dataclass
class Screen:
    page: str                    # meters | module | menu | target | snapshots | presets |
                                 # references | assist | proposals | remote | name | confirm
    body: object
    status: str = ""             # faults, xruns, messages
    alert: bool = False          # status drawn inverted, on every page
    badge: Badge = field(default_factory=Badge)
