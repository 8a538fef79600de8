"""Power cuts, hundreds of them: the box's state handling killed at random.

    python tests/power_cut.py STATE_DIR ROUNDS SEED     -> one line of JSON

Each round forks a box: it boots from STATE_DIR as the real one does
(firmware/boot.py), then a hand turns its encoders through the real panel
path (UILoop -> Controller -> Session) while autosave writes, scaled down to
a write every ~10 ms so kills land in the middle of writes. After a random
5-120 ms the box is killed with SIGKILL (no handler runs: what a power cut
leaves of the process), and what the next boot would restore is checked:

- it is a state some box really saved: its digest is the one logged (before
  the write started) for its generation: never a torn file or a mix of two;
- it is not older than the last save that finished before the kill;
- temp files do not pile up (each boot's first save removes the dead ones').

No audio runs: the engine is not part of what is saved. The test with the
real laptop mode (tests/test_memory.py) kills the whole box a few times too.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from firmware.boot import Boot                    # noqa: E402
from firmware.control import Controller           # noqa: E402
from firmware.session import Session              # noqa: E402
from firmware.store import presets                # noqa: E402
from firmware.store.state import StateStore       # noqa: E402
from firmware.uiloop import NullDisplay, ScriptInputs, UILoop  # noqa: E402
from ui.actions import Action                     # noqa: E402


def digest(st: dict) -> str:
    keep = {k: st.get(k) for k in ("values", "target", "preset", "preset_values", "bindings")}
    keep["snapshots"] = [(s["values"], s["offset_db"]) for s in st["snapshots"]]
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]


def box(folder: str, log_path: str, seed: int) -> None:
    """One box's life, until it is killed."""
    rng = random.Random(seed)
    boot = Boot(folder)
    s = Session()
    s.load_preset("neutral", presets.load("neutral"))
    boot.restore(s)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    real_save = boot.store.save

    def save(state):
        os.write(log, f"intent {boot.store.generation + 1} {digest(state)}\n".encode())
        path = real_save(state)
        os.write(log, f"done {boot.store.generation}\n".encode())
        return path
    boot.store.save = save
    boot.start_autosave(s, quiet_s=0.002, min_interval_s=0.008)
    ctl = Controller(s, source="panel")
    ctl.nav.open_module("glue")
    t = 0.0
    while True:
        t += 0.05
        enc = rng.choice(("enc1", "enc2", "enc3", "enc4"))
        a = (Action(enc, "turn", rng.choice((-2, -1, 1, 2))) if rng.random() < 0.9
             else Action("enc1", "press"))
        UILoop(ctl, ScriptInputs([(t, a)]), NullDisplay()).step(t)
        if rng.random() < 0.05:
            s.store(rng.randrange(4), "panel")
        time.sleep(rng.uniform(0.0, 0.003))


def main(folder: str, rounds: int, seed: int) -> dict:
    os.makedirs(folder, exist_ok=True)
    log_path = os.path.join(folder, "..", os.path.basename(folder) + ".log")
    rng = random.Random(seed)
    restored_gens, max_temps, problems = [], 0, []
    for r in range(rounds):
        pid = os.fork()
        if pid == 0:
            try:
                box(folder, log_path, seed * 1000 + r)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.005, 0.12))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        # power back: what would boot restore?
        intents, done = {}, -1
        with open(log_path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[0] == "intent":
                    intents.setdefault(int(parts[1]), set()).add(parts[2])
                elif len(parts) == 2 and parts[0] == "done":
                    done = max(done, int(parts[1]))
        loaded = StateStore(folder).load()
        temps = [n for n in os.listdir(folder) if n.endswith(".tmp")]
        max_temps = max(max_temps, len(temps))
        if loaded.state is None:
            if done >= 0:
                problems.append(f"round {r}: nothing restorable after generation {done} was saved")
            continue
        g = loaded.generation
        restored_gens.append(g)
        if digest(loaded.state) not in intents.get(g, set()):
            problems.append(f"round {r}: generation {g} restored is not a state that was saved")
        if g < done:
            problems.append(f"round {r}: restored generation {g}, older than finished save {done}")
        if loaded.notes:
            problems.append(f"round {r}: {loaded.notes}")
    return {"rounds": rounds, "saves": len({g for g in restored_gens}),
            "last_generation": max(restored_gens, default=-1), "max_temp_files": max_temps,
            "problems": problems}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
