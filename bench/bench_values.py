"""What the benchmarks share: the full-chain settings (every module active) and
a best-of timer."""
import sys
import time

# every bench's quick mode (make test runs it, so no bench rots): a tiny
# workload whose figures mean nothing; the docs quote full runs
QUICK = "--quick" in sys.argv

FULL = {
    "input.dc_block": 1,
    "eq.hp_on": 1, "eq.hp_freq_hz": 30, "eq.low_shelf_gain_db": 2, "eq.bell1_gain_db": -2,
    "eq.bell2_gain_db": 1, "eq.bell2_mode": 1, "eq.bell3_gain_db": 1, "eq.bell3_mode": 2,
    "eq.high_shelf_gain_db": 2, "eq.lp_on": 1,
    "glue.ratio": 2, "glue.threshold_db": -18,
    "multiband.on": 1, "multiband.low_ratio": 2, "multiband.mid_ratio": 2, "multiband.high_ratio": 2,
    "saturation.on": 1, "saturation.drive_db": 6,
    "stereo.width_pct": 120, "stereo.mono_bass_on": 1,
    "clipper.on": 1, "limiter.on": 1, "limiter.drive_db": 3,
    "output.dither": 2,
}

# the tools that act only when a problem happens, all acting on the bench's
# audio: two dynamic EQ bands (a bell cutting, a low shelf on the side
# boosting), the split de-esser and the glue's upward compression
ACTING = {
    "dyneq.b1_on": 1, "dyneq.b1_freq_hz": 3000, "dyneq.b1_threshold_db": -50, "dyneq.b1_range_db": -6,
    "dyneq.b2_on": 1, "dyneq.b2_type": 1, "dyneq.b2_freq_hz": 150, "dyneq.b2_mode": 2,
    "dyneq.b2_threshold_db": -50, "dyneq.b2_range_db": 3,
    "deess.on": 1, "deess.threshold_db": -50,
    "glue.up_on": 1, "glue.up_threshold_db": -10,
}
FULL_ACTING = {**FULL, **ACTING}


def best_of(fn, reps=5):
    """The fastest of ``reps`` runs of fn, seconds (the least disturbed one)."""
    best = float("inf")
    for _ in range(1 if QUICK else reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
