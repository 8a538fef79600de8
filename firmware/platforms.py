"""Where the master will be played: what each streaming platform does to its
level, as one table. The platform preview (a monitor source) plays the
processed output at the gain the platform would apply, from the master's
integrated loudness and true peak so far. Not loudness-matched on purpose: it
shows what loudness buys on each platform.

Sources (docs/delivery.md quotes them):
- Spotify: "Loudness normalization", Spotify for Artists
  (support.spotify.com/us/artists/article/loudness-normalization): tracks to
  -14 LUFS (ITU-R BS.1770); louder masters turned down; softer ones turned up,
  but leaving 1 dB of headroom (a track at -20 LUFS peaking at -5 dBFS is
  lifted to -16 LUFS only). Premium settings: Loud -11 LUFS "regardless of
  maximum True Peak", with a limiter that engages at -1 dB (sample values),
  5 ms attack, 100 ms decay (the monitor's mode "platform limited",
  dsp/modules/monitor.py); Quiet -19 LUFS.
- Apple Music (Sound Check) about -16 LUFS, YouTube, Tidal and Amazon Music
  about -14 LUFS, turning loud masters down only (Apple's lift within the
  peak's headroom): widely reported (../shared/STANDARDS.md), not from the
  platforms' own specifications, and labelled "reported" wherever shown.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

DOWN_ONLY, HEADROOM, LIMITER = "down only", "up within the headroom", "up, with a limiter"


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    label: str              # the screen's badge: 4-5 characters
    lufs: float             # its reference level
    up: str                 # DOWN_ONLY | HEADROOM | LIMITER
    reported: bool          # not from the platform's own published rule
    headroom_dbtp: float = -1.0   # HEADROOM: a lift stops with the true peak here

    def gain_db(self, lufs: float, true_peak_dbtp: float) -> float:
        """The gain it applies to a master at ``lufs`` integrated, peaking at
        ``true_peak_dbtp``; 0 when the loudness is not known yet."""
        if not math.isfinite(lufs):
            return 0.0
        g = self.lufs - lufs
        if g <= 0.0 or self.up == LIMITER:
            return g
        if self.up == DOWN_ONLY:
            return 0.0
        room = self.headroom_dbtp - true_peak_dbtp if math.isfinite(true_peak_dbtp) else g
        return max(min(g, room), 0.0)

    @property
    def monitor_mode(self) -> str:
        """How the monitor stage plays it (dsp/kernels/monitor.py)."""
        return "platform limited" if self.up == LIMITER else "platform"



PLATFORMS: dict[str, Platform] = {p.key: p for p in (
    Platform("spotify", "Spotify (normal)", "SPOT", -14.0, HEADROOM, False),
    Platform("spotify-loud", "Spotify (loud)", "SPOTL", -11.0, LIMITER, False),
    Platform("spotify-quiet", "Spotify (quiet)", "SPOTQ", -19.0, HEADROOM, False),
    Platform("apple", "Apple Music (Sound Check)", "APPLE", -16.0, HEADROOM, True),
    Platform("youtube", "YouTube", "YTUBE", -14.0, DOWN_ONLY, True),
    Platform("tidal", "Tidal", "TIDAL", -14.0, DOWN_ONLY, True),
    Platform("amazon", "Amazon Music", "AMAZN", -14.0, DOWN_ONLY, True),
)}
ORDER = tuple(PLATFORMS)


def platform_badge(heard: tuple[str, float] | None) -> str:
    """The screen's badge for a session's platform preview (key, gain)."""
    if heard is None:
        return ""
    key, g = heard
    return PLATFORMS[key].label + ("--" if not math.isfinite(g) else f"{g:+.1f}")


def after(key: str | None, steps: int = 1) -> str | None:
    """The platform ``steps`` on from ``key`` through ORDER and "off" (None)."""
    ring = (None, *ORDER)
    return ring[(ring.index(key) + steps) % len(ring)]
