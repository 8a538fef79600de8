"""Modules with two code paths: stage by stage over a block when no parameter
ramp runs, one frame at a time while one does. Driven from the same state with
the same values (a ramp whose targets equal the working values changes
nothing), the two paths must give the same samples and leave the same state.
Also: the fast dB and gain functions both paths use, against numpy."""
import numpy as np
import pytest
from numba import njit

from dsp.chain import Chain
from dsp.kernels import chain as K
from dsp.kernels import deess, dyneq, eq, glue, input_stage, multiband, oversampled
from dsp.kernels.common import db_of, gain_of

FS = 48000
ENGAGED = {
    "input": (input_stage, K.TB_IN, K.SB_IN, {"input.trim_db": -2, "input.dc_block": 1,
                                              "input.invert_l": 1, "input.swap": 1}),
    "eq": (eq, K.TB_EQ, K.SB_EQ, {
        "eq.hp_on": 1, "eq.hp_freq_hz": 40, "eq.low_shelf_gain_db": 3, "eq.bell1_gain_db": -4,
        "eq.bell2_gain_db": 5, "eq.bell2_mode": 1, "eq.bell3_gain_db": 4, "eq.bell3_mode": 2,
        "eq.high_shelf_gain_db": 6, "eq.lp_on": 1, "eq.lp_freq_hz": 12000}),
    "glue": (glue, K.TB_GLUE, K.SB_GLUE, {"glue.ratio": 4, "glue.threshold_db": -24,
                                          "glue.knee_db": 6, "glue.auto_release": 1}),
    "dyneq": (dyneq, K.TB_DYN, K.SB_DYN, {
        "dyneq.b1_on": 1, "dyneq.b1_threshold_db": -40, "dyneq.b1_freq_hz": 2000,
        "dyneq.b2_on": 1, "dyneq.b2_type": 2, "dyneq.b2_freq_hz": 5000, "dyneq.b2_mode": 1,
        "dyneq.b2_threshold_db": -40, "dyneq.b2_range_db": 6}),
    "deess wide": (deess, K.TB_DS, K.SB_DS, {"deess.on": 1, "deess.mode": 1, "deess.threshold_db": -50}),
    "glue upward": (glue, K.TB_GLUE, K.SB_GLUE, {"glue.ratio": 4, "glue.threshold_db": -24,
                                                 "glue.up_on": 1, "glue.up_threshold_db": -12}),
    "multiband": (multiband, K.TB_MB, K.SB_MB, {
        "multiband.on": 1, "multiband.low_ratio": 3, "multiband.mid_ratio": 2,
        "multiband.high_ratio": 4, "multiband.low_threshold_db": -30,
        "multiband.mid_threshold_db": -24, "multiband.high_threshold_db": -30}),
    "oversampled tape": (oversampled, K.TB_OS, K.SB_OS, {
        "saturation.on": 1, "saturation.drive_db": 12, "stereo.width_pct": 150,
        "stereo.mono_bass_on": 1, "clipper.on": 1, "clipper.ceiling_db": -3.0}),
    "oversampled tube": (oversampled, K.TB_OS, K.SB_OS, {
        "saturation.on": 1, "saturation.drive_db": 12, "saturation.character": 1,
        "stereo.width_pct": 50, "clipper.on": 1, "clipper.ceiling_db": -6.0}),
}

# where each module's per-pass scratch words start (rewritten every pass)
SCRATCH_FROM = {eq: eq.S_X, glue: glue.S_WORK, multiband: multiband.S_C1,
                oversampled: oversampled.S_SMIX, dyneq: dyneq.S_SIZE, deess: deess.S_SIZE,
                input_stage: input_stage.S_SIZE}
# the EQ's SIMD block path rounds exactly like its per-frame path
# (common.biquad_fused); the dynamic bands' two paths are one function; the
# input stage's two are the same arithmetic, compiled alike
TOLERANCE = {eq: 0.0, dyneq: 0.0, deess: 0.0, input_stage: 0.0}
# the stages that take the monitor's tap as well (none here)
TAP = {dyneq: (-1,), deess: (False,)}


@pytest.mark.parametrize("name", list(ENGAGED))
def test_block_and_per_frame_paths_agree(name):
    mod, tb, sb, vals = ENGAGED[name]
    rng = np.random.default_rng(5)
    t = np.arange(4096) / FS
    x = (0.3 * rng.standard_normal((4096, 2)) * (1 + np.sin(2 * np.pi * 3 * t))[:, None]
         + 0.2 * np.sin(2 * np.pi * 90 * t)[:, None]).astype(np.float32)
    c = Chain(FS, vals)
    c.process(x)                                   # warm; every ramp has finished
    T = c.T[tb:tb + mod.T_SIZE]
    results = []
    for ramp in (0, 10 ** 6):
        S = c.S[sb:sb + mod.S_SIZE].copy()
        buf = np.zeros((300, K.W_COLS))
        buf[:, :2] = x[:300]
        mod.process(buf, 300, T, S, ramp, 0.01, *TAP.get(mod, ()))
        results.append((buf[:, :2], S))
    (a, sa), (b, sbb) = results
    changed = np.abs(a - x[:300]).max()
    assert changed > 0.01, f"{name} is not engaged (max change {changed:.3g})"
    tol = TOLERANCE.get(mod, 1e-12)
    np.testing.assert_allclose(a, b, rtol=0, atol=tol)
    # the state both leave behind (the block path's scratch words excepted)
    keep = SCRATCH_FROM[mod]
    np.testing.assert_allclose(sa[:keep], sbb[:keep], rtol=0, atol=tol)


@njit
def _apply(f, x, out):
    for i in range(x.shape[0]):
        out[i] = f(x[i])


def test_db_of_against_numpy():
    x = np.concatenate([np.geomspace(1e-30, 1e6, 400001),
                        np.random.default_rng(1).uniform(0.0, 2.0, 100000) + 1e-30])
    out = np.empty_like(x)
    _apply(db_of, x, out)
    err = np.abs(out - 20 * np.log10(x))
    assert err.max() < 1e-7, f"worst {err.max():.2e} dB at {x[err.argmax()]:.6g}"


def test_gain_of_against_numpy():
    d = np.concatenate([np.linspace(-300, 300, 600001), [-1000.0, 1000.0, 0.0]])
    out = np.empty_like(d)
    _apply(gain_of, d, out)
    rel = np.abs(out / 10 ** (d / 20) - 1)
    assert rel.max() < 1e-10, f"worst {rel.max():.2e} at {d[rel.argmax()]} dB"
    assert out[-1] == 1.0
