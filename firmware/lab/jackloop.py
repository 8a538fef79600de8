"""A software loop cable on a JACK server: the engine's outputs connected to its
own inputs and nothing else. JACK delivers a connection from a client's output
to its own input one period later, exactly as PortAudio reports the stream's
latency, so the loop measures like a cable on the HAT minus the converters.
Needs the JACK-Client package (a test dependency)."""
from __future__ import annotations

from ..errors import UserError


def connect(prefix: str = "PortAudio"):
    """Wire ``prefix``'s out_N to its in_N (N = 0, 1), dropping every other
    connection of those ports. Returns the helper client (close it when done)."""
    try:
        import jack
    except ImportError:
        raise UserError("--jack-loop needs the JACK-Client package (pip install JACK-Client)") from None
    try:
        client = jack.Client("masterbox-loop", no_start_server=True)
    except jack.JackError as e:
        raise UserError(f"--jack-loop: no JACK server to connect to ({e})") from None
    client.activate()
    ins = sorted(p.name for p in client.get_ports(prefix + ":", is_audio=True, is_input=True))
    outs = sorted(p.name for p in client.get_ports(prefix + ":", is_audio=True, is_output=True))
    if len(ins) < 2 or len(outs) < 2:
        client.close()
        raise UserError(f"--jack-loop: the engine's JACK ports ({prefix}:in_N/out_N) are not there")
    for p in ins:
        for q in client.get_all_connections(p):
            client.disconnect(q, p)
    for p in outs:
        for q in client.get_all_connections(p):
            client.disconnect(p, q)
    for o, i in zip(outs[:2], ins[:2]):
        client.connect(o, i)
    return client
