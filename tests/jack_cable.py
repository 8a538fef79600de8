"""A loop cable in a process of its own: plays a stimulus into the engine's
PortAudio inputs on a JACK server until killed, so the process under test
holds no Python JACK client (whose callback would wait on that process's GIL,
and its lateness would be counted against the engine).

    JACK_DEFAULT_SERVER=name python tests/jack_cable.py
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def main():
    import jack

    from jack_rig import stimulus

    play = stimulus(48000, 10.0)
    state = {"pos": 0}
    client = jack.Client("cable", servername=os.environ["JACK_DEFAULT_SERVER"])
    outs = [client.outports.register(f"out_{i}") for i in range(2)]

    @client.set_process_callback
    def process(frames):
        p = state["pos"]
        idx = (p + np.arange(frames)) % len(play)
        for c in range(2):
            outs[c].get_array()[:] = play[idx, c]
        state["pos"] = p + frames

    client.activate()
    while True:
        ins = [p.name for p in client.get_ports(is_audio=True, is_input=True) if p.name.startswith("PortAudio")]
        if len(ins) >= 2:
            break
        time.sleep(0.05)
    for c in range(2):
        client.connect(outs[c], ins[c])
    print("connected", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
