"""Delivery targets: a loudness and a true-peak ceiling, with where each
figure comes from (shared/STANDARDS.md). The session works toward one; the
offline renderer and `check` judge against one (offline/targets.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    lufs: float
    ceiling_dbtp: float
    tolerance_lu: float     # how far from the loudness a master still passes `check`
    source: str


TARGETS = {t.name: t for t in (
    Target("ebu-r128", "EBU R 128 broadcast", -23.0, -1.0, 0.5, "EBU R 128 (+-0.5 LU, live +-1)"),
    Target("atsc-a85", "ATSC A/85 US broadcast", -24.0, -2.0, 2.0, "ATSC A/85 (+-2 dB)"),
    Target("streaming", "streaming (Spotify normalisation)", -14.0, -1.0, 1.0,
           "Spotify's published playback normalisation, -1 dBTP recommended"),
    Target("apple-music", "Apple Music (reported)", -16.0, -1.0, 1.0,
           "widely reported, not from Apple's own specification"),
    Target("youtube", "YouTube (reported)", -14.0, -1.0, 1.0,
           "widely reported, not from YouTube's own specification"),
    Target("amazon-music", "Amazon Music (reported)", -14.0, -1.0, 1.0,
           "widely reported, not from Amazon's own specification"),
)}
