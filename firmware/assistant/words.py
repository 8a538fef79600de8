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
  harshness lives at 2-5 kHz, mud at 200-400 Hz, air above 10 kHz, "bigger"
  is low end and width, "punch" is a compressor slow enough to let the
  attack through, "glue" is 1-2 dB of gentle bus compression.
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
class Louder:
    lu: float            # loudness to add over the current sound, measured on the render


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
    "less harsh": Word((Eq("bell", 3150, -1.5, 1.4),),
                       "harshness lives at 2-5 kHz", "mastering practice"),
    "clearer": Word((Eq("bell", 315, -1.0, 1.0), Eq("high_shelf", 8000, 0.7)),
                    "clarity: less low-mid mask, a touch of top", "mastering practice"),
    "more air": Word((Eq("high_shelf", 12500, 1.5),),
                     "air is above 10 kHz", "mastering practice"),
    "less muddy": Word((Eq("bell", 250, -1.5, 1.2),),
                       "mud is 200-400 Hz", "mastering practice"),
    "bigger": Word((Eq("low_shelf", 80, 1.0), Add("stereo.width_pct", 10.0), HoldBassSide(150)),
                   "big: more low end and more width above the bass", "mastering practice"),
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
    "chorus lift": Word((Eq("high_shelf", 12500, 1.0), Add("stereo.width_pct", 8.0), HoldBassSide(150),
                         Louder(1.0)),
                        "a lift: a little louder, wider and airier than now",
                        "issue #17: +0.5-1 LU, a little more width and air", snapshot=True),
}
ALIASES = {"lift": "chorus lift", "the chorus should lift": "chorus lift"}


def check(word: str) -> Word:
    from ..errors import UserError

    w = word.strip().lower().replace("-", " ")
    w = ALIASES.get(w, w)
    if w not in WORDS:
        raise UserError(f"assistant word {word!r}: use one of {', '.join(WORDS)}")
    return WORDS[w]
