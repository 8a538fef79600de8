"""Remote surfaces: hands on the same session from outside the panel, each
off by default, the network ones unable to change the box before pairing.

    osc.py    OSC over UDP: set and read parameters, snapshots, compare,
              listening, undo; subscriptions that push changes and meters
    midi.py   a MIDI controller (ALSA rawmidi file or JACK MIDI): NRPN,
              14-bit and relative controls, learn, pick-up, feedback
    web.py    the browser page (aiohttp; assets in web/): every parameter,
              meters, the EQ curve, proposals, the session log
    pairing.py  the pairing code and the wait after wrong codes
"""
from __future__ import annotations


def start(session, meter, osc=None, web=None, password: str = "", presets=None) -> list:
    """The network surfaces asked for, running: ``osc`` and ``web`` are
    (bind address, port) or None. One pairing code for all of them (the
    password, or a fresh code shown on the Remote page). ``presets``: the
    user's presets (store/presets.UserPresets), which the page lists, loads
    and saves into; None: the built-ins only."""
    from .pairing import new_code

    code = new_code(password)
    out = []
    try:
        if osc is not None:
            from .osc import OscServer
            out.append(OscServer(session, *osc, password=code, meter=meter).start())
        if web is not None:
            from .web import WebServer
            out.append(WebServer(session, *web, code=code, meter=meter, presets=presets).start())
    except Exception:
        for s in out:
            s.close()
        raise
    return out
