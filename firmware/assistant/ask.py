"""Asking back: a vague request ("bigger") is answered with its concrete
readings (words.VAGUE), each already proposed so that choosing one is
instant and its proposal can be auditioned at once. Nothing is applied and
nothing becomes a ghost until a hand chooses."""
from __future__ import annotations

from dataclasses import dataclass

from .plan import Proposal
from .propose import propose
from .words import Reading, vague


@dataclass
class Offer:
    reading: Reading
    proposal: Proposal

    def to_dict(self) -> dict:
        return {"word": self.reading.word, "says": self.reading.says,
                "proposals": [m.to_dict() for m in self.proposal.moves],
                "notes": self.proposal.notes}


def readings(word: str, x, fs: int, values: dict, **kwargs) -> list[Offer]:
    """Every reading of the vague ``word``, proposed on x as propose() would
    with the same arguments (the words replaced by the reading's word)."""
    rs = vague(word)
    if rs is None:
        from ..errors import UserError
        raise UserError(f"{word!r} is a concrete word: propose it directly")
    return [Offer(r, propose(x, fs, values, words=(r.word,), **kwargs)) for r in rs]


def offered(offers: list[Offer]) -> list[tuple]:
    """The offers as the session holds them: (word, says, [(pid, value, reason)])."""
    return [(o.reading.word, o.reading.says, [(m.param, m.new, m.reason) for m in o.proposal.moves])
            for o in offers]
