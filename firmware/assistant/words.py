"""Words an engineer hears from an artist, as moves on the box's own controls.

One table: each word is a list of relative moves at Amount 100 %, with the
source of its direction. Mastering moves are small: the crowd-sourced EQ data
behind "warm" and "bright" were gathered on single instruments, so the table
takes a third of their median gains or less. Moves are scaled by Amount and
adapted to the analysis where the analysis can tell (propose.py).

Sources:
- SAFE: Stables, Enderby, De Man, Fazekas, Reiss, "SAFE: a system for the
  extraction and retrieval of semantic audio descriptors", ISMIR 2014; the
  medians quoted in issue #17: "warm" a bell of +4.8 dB near 320 Hz (Q 0.7)
  and a high shelf of -1.5 dB at 8 kHz; "bright" +4.8 dB near 3.1 kHz, a
  +4 dB shelf at 6 kHz and a -2 dB low shelf at 140 Hz.
- Opposites ("darker", "narrower", "more dynamic") are the reverse moves.
- The rest are the common mastering reading of the word, named per word:
  harshness lives at 2-5 kHz (cut dynamically where it comes and goes),
  sibilance above 4 kHz in bursts (the de-esser), mud at 200-400 Hz, air above 10 kHz, a full
  low end is 60-200 Hz, "punch" is a compressor slow enough to let the
  attack through, "glue" is 1-2 dB of gentle bus compression, "detail" is
  gentle upward compression below the programme's quieter passages (all judged
  at the same loudness: the makeup gives back what the reduction takes).
- Loudness moves only when asked: "louder", "more dynamic", "to target"
  (and the chorus lift). No other word brings a loudness decision with it.
- "Bigger", "fuller", "more energy", "better" and "more professional" are
  ambiguous: the box asks back with their readings (VAGUE, below).
- "chorus lift" is a request over time, so it is not a move on the current
  sound but a snapshot to recall by hand at the chorus: issue #17's reading,
  +0.5-1 LU with a little more width and air than the current sound (at
  Amount 50 % / 100 %).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Eq:
    kind: str            # bell | low_shelf | high_shelf
    freq_hz: float
    gain_db: float
    q: float = 0.707


@dataclass(frozen=True)
class Set:
    param: str
    value: float         # an absolute value (a switch, a time)


@dataclass(frozen=True)
class Add:
    param: str
    delta: float         # a relative move


@dataclass(frozen=True)
class Glue:
    gr_db: float         # gain reduction to reach on the loud part
    ratio: float
    attack_ms: float


@dataclass(frozen=True)
class Upward:
    below_lu: float      # the threshold this far under the programme's loudness
    ratio: float
    max_db: float


@dataclass(frozen=True)
class Harsh:
    """A cut where the analysis finds the harshness: a dynamic EQ band if it
    comes and goes, else ``cut`` moved there (dynamic_words.py)."""
    cut: Eq


@dataclass(frozen=True)
class DeEss:
    """The de-esser, tuned to where the programme hisses (dynamic_words.py)."""


@dataclass(frozen=True)
class Louder:
    lu: float            # loudness to add over the current sound, measured on the render


@dataclass(frozen=True)
class ToTarget:
    """The delivery target's loudness: the one explicit request for loudness
    besides "louder" and "more dynamic"."""


@dataclass(frozen=True)
class HoldBassSide:
    below_hz: float      # after a width move: the side below this stays as it was


@dataclass(frozen=True)
class Word:
    moves: tuple
    why: str             # the one-line reading given as the reason
    source: str
    snapshot: bool = False   # proposed as a snapshot to recall, not as a move now


WORDS: dict[str, Word] = {
    "warmer": Word((Eq("bell", 315, 1.5, 0.7), Eq("high_shelf", 8000, -0.5)),
                   "warm: more 100-500 Hz, a little less above 1 kHz", "SAFE medians / 3"),
    "brighter": Word((Eq("bell", 3150, 1.5, 1.0), Eq("high_shelf", 6300, 1.3), Eq("low_shelf", 140, -0.7)),
                     "bright: more 2-8 kHz, less below 250 Hz", "SAFE medians / 3"),
    "darker": Word((Eq("high_shelf", 6300, -1.5), Eq("bell", 3150, -1.0, 1.0)),
                   "dark: less 2-8 kHz", "the reverse of bright"),
    "less harsh": Word((Harsh(Eq("bell", 3150, -1.5, 1.4)),),
                       "harshness lives at 2-5 kHz", "mastering practice"),
    "de-ess": Word((DeEss(),), "sibilance lives above 4 kHz, in bursts", "mastering practice"),
    "less sibilant": Word((DeEss(),), "sibilance lives above 4 kHz, in bursts", "mastering practice"),
    "clearer": Word((Eq("bell", 315, -1.0, 1.0), Eq("high_shelf", 8000, 0.7)),
                    "clarity: less low-mid mask, a touch of top", "mastering practice"),
    "more air": Word((Eq("high_shelf", 12500, 1.5),),
                     "air is above 10 kHz", "mastering practice"),
    "less muddy": Word((Eq("bell", 250, -1.5, 1.2),),
                       "mud is 200-400 Hz", "mastering practice"),
    "fuller low end": Word((Eq("low_shelf", 100, 1.5),),
                           "a fuller low end: more 60-200 Hz", "mastering practice"),
    "punchier": Word((Glue(1.5, 2.0, 30.0),),
                     "punch: a compressor slow enough to let the attack through",
                     "mastering practice"),
    "more glue": Word((Glue(1.5, 2.0, 10.0),),
                      "glue: 1-2 dB of gentle bus compression on the loud part",
                      "mastering practice"),
    "wider": Word((Add("stereo.width_pct", 12.0), HoldBassSide(150)),
                  "wider above 150 Hz, never below it", "mastering practice"),
    "narrower": Word((Add("stereo.width_pct", -12.0),),
                     "narrower: less side", "the reverse of wider"),
    "tighter low end": Word((Set("stereo.mono_bass_on", 1.0), Set("stereo.mono_bass_hz", 120.0),
                             Eq("bell", 63, -1.0, 1.4)),
                            "tight low end: mono bass, a little less boom", "mastering practice"),
    "louder": Word((Add("limiter.drive_db", 2.0),),
                   "louder: more limiter drive (the ceiling holds)", "mastering practice"),
    "more dynamic": Word((Add("limiter.drive_db", -2.0),),
                         "more dynamic: less limiter drive", "the reverse of louder"),
    "more detail": Word((Upward(6.0, 1.5, 4.0),),
                        "detail: quiet passages raised a little, the loud ones left alone",
                        "mastering practice (gentle upward compression)"),
    "to target": Word((ToTarget(),),
                      "to the target: limiter drive toward its loudness, at its ceiling",
                      "the delivery target's table (firmware/targets.py)"),
    "chorus lift": Word((Eq("high_shelf", 12500, 1.0), Add("stereo.width_pct", 8.0), HoldBassSide(150),
                         Louder(1.0)),
                        "a lift: a little louder, wider and airier than now",
                        "issue #17: +0.5-1 LU, a little more width and air", snapshot=True),
}
ALIASES = {"lift": "chorus lift", "the chorus should lift": "chorus lift", "de ess": "de-ess",
           "deess": "de-ess",
           "less squashed": "more dynamic", "punch": "punchier", "more punch": "punchier"}




@dataclass(frozen=True)
class Reading:
    word: str            # a word of WORDS: what this reading proposes
    says: str            # one line for the engineer choosing


# Requests a human engineer would ask back about: each has two to four
# concrete readings the box can act on, and nothing is proposed until one is
# chosen. The readings are words of the table above, so each is measured the
# same way (tests/test_words.py); SAYS is each reading's one line.
SAYS = {
    "louder": "louder: more level at the same ceiling",
    "wider": "wider: more side above 150 Hz, the bass left centred",
    "fuller low end": "a fuller low end: more 60-200 Hz",
    "punchier": "more punch: the hits further out of what sustains",
    "warmer": "warmer: more 100-500 Hz, a little less top",
    "more glue": "more glue: 1-2 dB of bus compression, level-matched",
    "brighter": "brighter: more 2-8 kHz",
    "clearer": "clearer: less low-mid mask, a touch of top",
    "to target": "to the target: its loudness at its ceiling",
    "tighter low end": "a tighter low end: mono bass, less boom",
}
VAGUE: dict[str, tuple[Reading, ...]] = {word: tuple(Reading(w, SAYS[w]) for w in readings) for word, readings in {
    "bigger": ("louder", "wider", "fuller low end", "punchier"),
    "fuller": ("fuller low end", "warmer", "more glue"),
    "more energy": ("louder", "brighter", "punchier"),
    "better": ("clearer", "more glue", "to target"),
    "more professional": ("to target", "tighter low end", "more glue", "clearer"),
}.items()}


def _key(word: str) -> str:
    w = word.strip().lower()
    if w not in WORDS:
        w = w.replace("-", " ")
    return ALIASES.get(w, w)


def vague(word: str) -> tuple[Reading, ...] | None:
    """The readings of an ambiguous request, or None for a concrete word."""
    return VAGUE.get(_key(word))


def check(word: str) -> Word:
    from ..errors import UserError

    w = _key(word)
    if w in VAGUE:
        raise UserError(f"assistant word {word!r} can mean: "
                        + "; ".join(f"{i + 1}. {r.says}" for i, r in enumerate(VAGUE[w]))
                        + " (choose one: --reading N)")
    if w not in WORDS:
        raise UserError(f"assistant word {word!r}: use one of {', '.join(WORDS)} "
                        f"(or ask {', '.join(VAGUE)}, which ask back)")
    return WORDS[w]


def reading(word: str, n: int) -> str:
    """The concrete word of reading ``n`` (from 1) of an ambiguous request."""
    from ..errors import UserError

    rs = vague(word)
    if rs is None:
        raise UserError(f"--reading {n}: {word!r} is not a word that asks back "
                        f"({', '.join(VAGUE)} are)")
    if not 1 <= n <= len(rs):
        raise UserError(f"--reading {n}: {word!r} has readings 1..{len(rs)}")
    return rs[n - 1].word
