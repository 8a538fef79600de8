"""The command line against generated hostility (hypothesis): arguments,
paths (missing, folders, special files, odd names, read-only places) and
files (WAV/FLAC/AIFF with corrupted headers and payloads, presets with random
bytes and random TOML). Whatever comes in:

- no traceback: every failure is one line on stderr (a bug escapes main());
- the exit code is one the docs give (0 done, 1 a verdict of no, 2 bad input);
- a failure leaves no output and no temp file behind;
- a success writes finite audio.

The examples run in-process through firmware.cli.main. `make test` runs a
bounded number of them (FUZZ_EXAMPLES, default 60 per test); `make fuzz` runs
many more.
"""
import io
import math
import os
import shutil
import struct
import tempfile
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.cli import main

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
# an exception inside libsndfile's callbacks is printed to stderr by cffi and
# swallowed: here it fails the test
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
FS = 48000


def good_audio(kind: str, seconds: float = 0.25) -> bytes:
    n = int(FS * seconds)
    t = np.arange(n) / FS
    x = 0.3 * np.sin(2 * np.pi * 440 * t)
    buf = io.BytesIO()
    fmt, sub = {"wav": ("WAV", "PCM_24"), "flac": ("FLAC", "PCM_16"), "aiff": ("AIFF", "PCM_24"),
                "wavf": ("WAV", "FLOAT")}[kind]
    sf.write(buf, np.stack([x, x], 1), FS, format=fmt, subtype=sub)
    return buf.getvalue()


GOOD = {k: good_audio(k) for k in ("wav", "flac", "aiff", "wavf")}


@st.composite
def audio_files(draw):
    """A real file of some kind, then damaged: bytes flipped in the header or
    the payload, cut short, or grown with junk."""
    kind = draw(st.sampled_from(sorted(GOOD)))
    data = bytearray(GOOD[kind])
    how = draw(st.sampled_from(["intact", "header", "payload", "cut", "junk", "fmt-fields"]))
    if how == "header":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, min(63, len(data) - 1)))
            data[i] = draw(st.integers(0, 255))
    elif how == "payload":
        for _ in range(draw(st.integers(1, 64))):
            i = draw(st.integers(64, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    elif how == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "junk":
        data += draw(st.binary(min_size=1, max_size=256))
    elif how == "fmt-fields" and kind.startswith("wav"):
        # absurd channel counts, rates and bit depths in the fmt chunk
        ch = draw(st.sampled_from([0, 1, 3, 8, 255, 65535]))
        rate = draw(st.sampled_from([0, 1, 8000, 31999, 192001, 2 ** 31 - 1]))
        struct.pack_into("<HI", data, 22, ch, rate)
    ext = {"wav": ".wav", "wavf": ".wav", "flac": ".flac", "aiff": ".aiff"}[kind]
    return ext, bytes(data)


presets = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda body: ("schema_version = 1\n" + body).encode(), st.text(max_size=200)),
    st.builds(lambda sec, key, val: f"schema_version = 1\n[{sec}]\n{key} = {val}\n".encode(),
              st.sampled_from(["glue", "eq", "limiter", "nope", "output"]),
              st.sampled_from(["ratio", "on", "threshold_db", "bits", "x"]),
              st.sampled_from(["true", "2", "-1e309", "nan", "inf", "\"tube\"", "[1]", "{a=1}",
                               "1979-05-27", "\"24\"", "24", "0x10"])),
)

numbers = st.sampled_from(["0", "-1", "1e9", "nan", "inf", "-inf", "abc", "", " ", "1,5", "-0",
                           "48000", "44100", "128", "99999999999999999999"])


def run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:          # argparse's usage errors
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def check(rc, out, err, folder, before, outputs):
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err and "Traceback" not in out
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("compiling the chain")]
        assert len(lines) == 1, err
        assert lines[0].startswith("masterbox") and "error:" in lines[0], lines[0]
        after = set(os.listdir(folder))
        assert after <= before | {os.path.basename(o) for o in outputs if os.path.basename(o) in before}, \
            (sorted(after - before), err)
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]
    if rc == 0:
        for o in outputs:
            if os.path.isfile(o) and o.endswith((".wav", ".flac", ".aiff")):
                with open(o, "rb") as f:            # the name need not be UTF-8
                    y, _ = sf.read(f)
                assert np.all(np.isfinite(y))


@pytest.fixture(scope="module")
def box():
    d = tempfile.mkdtemp(prefix="mbfuzz-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _fresh(box):
    d = tempfile.mkdtemp(dir=box)
    return d


@SETTINGS
@given(f=audio_files(), bits=st.sampled_from([None, "16", "24", "32f"]),
       out_ext=st.sampled_from([".wav", ".flac", ".aiff", ".mp3", ""]))
def test_render_takes_any_file(box, f, bits, out_ext):
    d = _fresh(box)
    ext, data = f
    src = os.path.join(d, "in" + ext)
    with open(src, "wb") as fh:
        fh.write(data)
    out = os.path.join(d, "out" + out_ext)
    argv = ["render", src, out, "--preset", "neutral"] + (["--bits", bits] if bits else [])
    before = set(os.listdir(d))
    rc, o, e = run(argv)
    check(rc, o, e, d, before, [out])


@SETTINGS
@given(f=audio_files(), cmd=st.sampled_from(["measure", "check"]))
def test_measure_and_check_take_any_file(box, f, cmd):
    d = _fresh(box)
    ext, data = f
    src = os.path.join(d, "in" + ext)
    with open(src, "wb") as fh:
        fh.write(data)
    argv = [cmd, src, "--json"] + (["--target", "streaming"] if cmd == "check" else [])
    before = set(os.listdir(d))
    rc, o, e = run(argv)
    check(rc, o, e, d, before, [])
    if rc in (0, 1):
        import json

        json.loads(o)                  # valid JSON: no NaN or Infinity


@SETTINGS
@given(doc=presets)
def test_presets_of_any_content(box, doc):
    d = _fresh(box)
    p = os.path.join(d, "p.toml")
    with open(p, "wb") as fh:
        fh.write(doc)
    src = os.path.join(d, "in.wav")
    with open(src, "wb") as fh:
        fh.write(GOOD["wav"])
    out = os.path.join(d, "o.wav")
    before = set(os.listdir(d))
    rc, o, e = run(["render", src, out, "--preset", p])
    check(rc, o, e, d, before, [out])


@SETTINGS
@given(kind=st.sampled_from(["missing", "folder", "devnull", "fifo", "odd-name", "proc",
                             "long", "dotdot", "readonly-dir"]),
       role=st.sampled_from(["in", "out"]))
def test_paths_of_any_kind(box, kind, role):
    d = _fresh(box)
    good = os.path.join(d, "good.wav")
    with open(good, "wb") as fh:
        fh.write(GOOD["wav"])
    path = {"missing": os.path.join(d, "nope", "x.wav"), "folder": d, "devnull": "/dev/null",
            "proc": "/proc/self/x.wav", "long": os.path.join(d, "y" * 400 + ".wav"),
            "dotdot": os.path.join(d, "..", os.path.basename(d), "good.wav"),
            "readonly-dir": "/proc/x.wav",
            "odd-name": os.path.join(d, "a b\tc\u00e9\udcff.wav")}.get(kind)
    if kind == "fifo":
        path = os.path.join(d, "fifo.wav")
        os.mkfifo(path)
    if role == "in":
        argv = ["render", path, os.path.join(d, "o.wav")]
        outputs = [os.path.join(d, "o.wav")]
    else:
        argv = ["render", good, path]
        outputs = [path]
    before = set(os.listdir(d))
    rc, o, e = run(argv)
    check(rc, o, e, d, before, outputs)
    with open(good, "rb") as fh:
        assert fh.read() == GOOD["wav"]               # the input is never harmed


@SETTINGS
@given(cmd=st.sampled_from(["render", "check", "response", "run", "params", "screenshot"]),
       opt=st.sampled_from(["--lufs", "--ceiling-dbtp", "--set", "--rate", "--block", "--seconds",
                            "--bits", "--target", "--preset", "--scale"]),
       val=numbers)
def test_options_with_any_value(box, cmd, opt, val):
    d = _fresh(box)
    src = os.path.join(d, "in.wav")
    with open(src, "wb") as fh:
        fh.write(GOOD["wav"])
    out = os.path.join(d, "o.wav")
    argv = {"render": ["render", src, out], "check": ["check", src, "--target", "streaming"],
            "response": ["response"], "params": ["params"],
            "screenshot": ["screenshot", "meters", os.path.join(d, "s.png"), "--input", src],
            "run": ["run", "--sim", "--no-sound", "--record", os.path.join(d, "r.wav"),
                    "--input", src]}[cmd]
    if opt == "--set":
        val = f"glue.ratio={val}"
    if cmd == "run" and opt == "--seconds":
        try:
            if float(val) > 1.0:
                val = "1.0"             # a valid running time: keep the example short
        except ValueError:
            pass
    argv = argv + [opt, val]
    if cmd == "run" and opt != "--seconds":
        argv += ["--seconds", "0.5"]
    before = set(os.listdir(d))
    rc, o, e = run(argv)
    check(rc, o, e, d, before, [out, os.path.join(d, "s.png"), os.path.join(d, "r.wav")])
    if rc == 0 and cmd == "render" and opt in ("--lufs", "--ceiling-dbtp"):
        assert math.isfinite(float(val))
