"""The chain kernel allocates nothing per block: checked with numba's own
allocation counters (NRT statistics), which count every array the compiled
code creates. The kernel is driven from a compiled loop, because crossing from
Python into numba wraps each array argument (the engine's @cfunc callback does
not cross that boundary); 51 calls must allocate exactly what 1 call does."""
import os
import subprocess
import sys
import textwrap

import pytest


def allocations_per_extra_call(code: str) -> tuple[int, int]:
    """Run ``code`` (which prints two numbers) with numba's NRT counters on."""
    env = dict(os.environ, NUMBA_NRT_STATS="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=os.path.join(os.path.dirname(__file__), ".."), timeout=600)
    assert r.returncode == 0, r.stderr
    alloc, meminfo = (int(v) for v in r.stdout.split())
    return alloc, meminfo


def counted(args: str) -> str:
    """The tail of an allocation script: run ``drive(args, reps)`` once and
    51 times and print the allocations the 50 extra calls made."""
    return textwrap.dedent(f"""
        def count(reps):
            before = rtsys.get_allocation_stats()
            drive({args}, reps)
            after = rtsys.get_allocation_stats()
            return after.alloc - before.alloc, after.mi_alloc - before.mi_alloc
        one, many = count(1), count(51)
        print(many[0] - one[0], many[1] - one[1])
    """)


HEARD = ("processed", "bypass", "reference", "delivery", "dyn1", "deess", "context", "codec")


@pytest.fixture(scope="module")
def chain_allocations() -> dict:
    """One process counts every monitor choice in turn (each a fresh chain;
    starting numba once, not once a choice): {choice: (alloc, meminfo)}."""
    code = textwrap.dedent("""
        import numpy as np
        from numba import njit
        from numba.core.runtime import rtsys
        from dsp import contexts
        from dsp.chain import Chain
        from dsp.kernels import chain as K
        from dsp.codec_ring import CodecRing, stamp
        from dsp.references import ReferenceBank, prepare
        values = {"eq.bell1_gain_db": 2, "glue.ratio": 2, "multiband.on": 1, "saturation.on": 1,
                  "stereo.width_pct": 120, "stereo.mono_bass_on": 1, "clipper.on": 1,
                  "limiter.on": 1, "output.dither": 2, "glue.up_on": 1,
                  "dyneq.b1_on": 1, "dyneq.b1_threshold_db": -50, "dyneq.b2_on": 1,
                  "dyneq.b2_threshold_db": -50, "deess.on": 1, "deess.threshold_db": -60}
        x = (np.random.default_rng(0).standard_normal((512, 2)) * 0.3).astype(np.float32)
        y = np.empty_like(x)
        r = (np.random.default_rng(1).standard_normal((96000, 2)) * 0.2).astype(np.float32)
        h = np.random.default_rng(2).standard_normal((30000, 2)) * 0.01

        @njit
        def drive(x, y, T, S, W, R, reps):
            for _ in range(reps):
                K.process(x, y, 512, T, S, W, R)

        def count(c, reps):
            before = rtsys.get_allocation_stats()
            drive(x, y, c.T, c.S, c.W, c.R, reps)
            after = rtsys.get_allocation_stats()
            return after.alloc - before.alloc, after.mi_alloc - before.mi_alloc

        for heard in HEARD:
            c = Chain(48000, values, reference_bytes=8 << 20, previews=True)
            bank = ReferenceBank(c.reference_memory, 48000)
            c.set_reference(bank.place(0, prepare(r, 48000, 48000, bank.slot_frames), "r").selector)
            if heard == "context":
                mem, base = c.context_memory
                c.set_context(contexts.ContextBank(mem, base, 48000).place(
                    1, contexts.prepare(h, 48000, 48000), "ir").selector)
                c.set_monitor("bypass")
            elif heard == "codec":
                # every decoded block present, so the safety limiter on it runs
                ring = CodecRing(*c.codec_memory, 48000)
                ring.put(0, np.zeros((ring.n, 2), np.float32) + 0.1)
                for b in range(len(ring.st)):
                    ring.st[b] = stamp(b)
                c.set_monitor("codec")
                from dsp.kernels import monitor as MON
                c.S[K.SB_MON + MON.S_CD_POS] = ring.delay + 4096    # decoded frames to play at once
            elif heard in ("dyn1", "deess"):
                c.set_solo(heard)
            else:
                c.set_monitor(heard, -3.0 if heard == "delivery" else 0.0)
            drive(x, y, c.T, c.S, c.W, c.R, 1)
            c.set({"eq.bell1_gain_db": -2})            # a ramp runs during the counted blocks
            one, many = count(c, 1), count(c, 51)
            print(heard, many[0] - one[0], many[1] - one[1])
    """).replace("HEARD", repr(HEARD))
    env = dict(os.environ, NUMBA_NRT_STATS="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=os.path.join(os.path.dirname(__file__), ".."), timeout=600)
    assert r.returncode == 0, r.stderr
    return {heard: (int(a), int(m)) for heard, a, m in (line.split() for line in r.stdout.splitlines())}


@pytest.mark.parametrize("monitor", HEARD)
def test_chain_kernel_allocates_nothing_per_block(monitor, chain_allocations):
    """Whatever is heard: the processed output, compare (the safety limiter on
    the raised input), a reference track, the delivery's plain gain, a tap
    (a dynamic EQ band's detector, what the de-esser removes), compare
    through a playback context (its convolution), or a codec's decoded
    signal through the safety limiter; with every module acting,
    the dynamic EQ bands and the de-esser too."""
    assert chain_allocations[monitor] == (0, 0)


def test_meter_kernel_allocates_nothing_per_block():
    code = textwrap.dedent("""
        import numpy as np
        from numba import njit
        from numba.core.runtime import rtsys
        from dsp.meters import Meter
        from dsp.kernels import meters as K
        m = Meter(48000, 2)
        x = (np.random.default_rng(0).standard_normal((512, 2)) * 0.3).astype(np.float32)

        @njit
        def drive(x, MT, MS, reps):
            for _ in range(reps):
                K.process(x, 512, MT, MS)

        drive(x, m.MT, m.MS, 1)
    """) + counted("x, m.MT, m.MS")
    assert allocations_per_extra_call(code) == (0, 0)


def test_locking_memory_does_not_fill_every_mapping():
    """mlockall must keep touched pages resident without making every mapping
    resident: with plain MCL_CURRENT | MCL_FUTURE, eight idle threads' 8 MB
    stacks become ~64 MB of RSS (the box measured 595 MB instead of ~300 MB);
    with MCL_ONFAULT (what lock_memory uses) they stay untouched."""
    code = textwrap.dedent("""
        import ctypes, sys, threading
        from firmware.engine.realtime import MCL_CURRENT, MCL_FUTURE, _libc, lock_memory
        def status():
            d = {}
            for line in open("/proc/self/status"):
                k, v = line.split(":", 1)
                if k in ("VmRSS", "VmLck"):
                    d[k] = int(v.split()[0]) // 1024
            return d
        ev = threading.Event()
        for _ in range(8):
            threading.Thread(target=ev.wait, daemon=True).start()
        before = status()
        if sys.argv[1] == "box":
            ok = lock_memory() == "locked"
        else:
            ok = _libc().mlockall(MCL_CURRENT | MCL_FUTURE) == 0
        after = status()
        print(int(ok), after["VmRSS"] - before["VmRSS"], after["VmLck"])
        ev.set()
    """)
    results = {}
    for how in ("box", "plain"):
        r = subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True,
                           cwd=os.path.join(os.path.dirname(__file__), ".."), timeout=120)
        assert r.returncode == 0, r.stderr
        results[how] = [int(v) for v in r.stdout.split()]
    if not results["box"][0]:
        import pytest
        pytest.skip("mlockall not permitted here")
    ok, grew, locked = results["box"]
    assert locked > 0                      # the mappings are locked...
    assert grew < 20, grew                 # ...without being filled
    assert results["plain"][1] > 60, results["plain"]   # the trap this avoids is real
