"""Every bad input gets one clear line and loses nothing (issue: 332 hostile
cases, 20 defects). One test per defect class, through the real command line:
the exit code, the one line on stderr, and that nothing (no output, no temp
file) is left behind. tests/test_fuzz_cli.py generates the rest."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
import soundfile as sf

from firmware.cli import main
from firmware.errors import file_error

EXE = os.path.join(os.path.dirname(sys.executable), "masterbox")
FS = 48000


def tone(seconds=0.5, amp=0.25, fs=FS):
    t = np.arange(int(fs * seconds)) / fs
    x = amp * np.sin(2 * np.pi * 440 * t)
    return np.stack([x, x], 1)


def wav(path, x=None, subtype="PCM_24", fs=FS):
    sf.write(str(path), tone() if x is None else x, fs, subtype=subtype)
    return path


def error_lines(err: str) -> list[str]:
    """stderr without the one progress line a first render prints while numba
    compiles the chain (a cold cache, as on CI)."""
    return [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("compiling the chain")]


def one_line_error(capsys, rc, needle, code=2):
    err = capsys.readouterr().err
    lines = error_lines(err)
    assert rc == code, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert needle in lines[0], lines[0]
    return lines[0]


def leftovers(folder, keep=()):
    """Files in folder that are not among ``keep`` (names)."""
    return sorted(n for n in os.listdir(folder) if n not in keep)


# ---------------------------------------------------------------- 1. data loss
@pytest.mark.parametrize("how", ["same", "symlink", "hardlink", "dotdot"])
def test_the_laptop_mode_never_records_over_its_input(tmp_path, capsys, how):
    src = wav(tmp_path / "song.wav", tone(2.0))
    before = src.read_bytes()
    rec = {"same": src, "dotdot": tmp_path / "sub" / ".." / "song.wav"}.get(how)
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        rec = tmp_path / "link.wav"
        rec.symlink_to(src)
    if how == "hardlink":
        rec = tmp_path / "hard.wav"
        os.link(src, rec)
    rc = main(["run", "--sim", "--no-sound", "--input", str(src), "--record", str(rec),
               "--seconds", "2"])
    one_line_error(capsys, rc, "would overwrite the input")
    assert src.read_bytes() == before


def test_render_refuses_its_input_through_a_symlink(tmp_path, capsys):
    src = wav(tmp_path / "in.wav")
    (tmp_path / "alias.wav").symlink_to(src)
    rc = main(["render", str(src), str(tmp_path / "alias.wav")])
    one_line_error(capsys, rc, "would overwrite the input")


# ---------------------------------------------------------------- 2. file-system errors
@pytest.mark.parametrize("case", ["missing-folder", "is-a-folder", "proc", "name-too-long",
                                  "output-is-a-device"])
def test_unwritable_outputs_are_one_line_before_the_work(tmp_path, capsys, case):
    src = wav(tmp_path / "in.wav")
    out = {"missing-folder": tmp_path / "nope" / "o.wav",
           "is-a-folder": tmp_path / "folder.wav",
           "proc": "/proc/masterbox-test.wav",
           "name-too-long": tmp_path / ("x" * 300 + ".wav"),
           "output-is-a-device": "/dev/null.wav"}[case]
    if case == "output-is-a-device":
        out = tmp_path / "dev.wav"
        os.mkfifo(out)
    if case == "is-a-folder":
        out.mkdir()
    needle = {"missing-folder": "no such folder", "is-a-folder": "is a folder",
              "proc": "/proc/masterbox-test.wav", "name-too-long": "name too long",
              "output-is-a-device": "not a regular file"}[case]
    rc = main(["render", str(src), str(out)])
    one_line_error(capsys, rc, needle)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


@pytest.mark.parametrize("argv", [
    ["measure", "{src}", "--plot", "{missing}/p.png"],
    ["response", "--png", "{missing}/r.png"],
    ["screenshot", "meters", "{missing}/s.png"],
    ["pinmap", "{missing}/p.png"],
    ["demo", "--out-dir", "{file}"],
    ["run", "--sim", "--no-sound", "--record", "{missing}/r.wav", "--seconds", "1"],
])
def test_every_picture_and_recording_output_is_checked_first(tmp_path, capsys, argv):
    src = wav(tmp_path / "in.wav", tone(1.5))
    (tmp_path / "afile").write_text("x")
    args = [a.format(src=src, missing=tmp_path / "nope", file=tmp_path / "afile") for a in argv]
    rc = main(args)
    one_line_error(capsys, rc, "nope" if "{missing}" in " ".join(argv) else "not a folder")


def _in_private_mount(tmp_path, opts, script):
    """Run a shell script in a private mount namespace with a small tmpfs at
    tmp_path/mnt; None when this machine does not allow mounting."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    cmd = f"mount -t tmpfs -o {opts} tmpfs {mnt} && {script}"
    if shutil.which("unshare") is None:
        return None
    r = subprocess.run(["unshare", "-m", "sh", "-c", cmd], capture_output=True, text=True,
                       timeout=300)
    if "mount:" in r.stderr and r.returncode != 0 and "tmpfs" in r.stderr:
        return None
    return r


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    """A 2 MB tmpfs takes the input but not a 24-bit render of it: 'disk full',
    exit 2, no output and no temp file. (Where mounting is not allowed, the
    same path is exercised with an injected ENOSPC below.)"""
    src = wav(tmp_path / "in.wav", tone(8.0, fs=44100), fs=44100)      # 2.1 MB in /tmp
    r = _in_private_mount(tmp_path, "size=2m",
                          f"{EXE} render {src} {tmp_path}/mnt/out.wav --bits 24 --preset neutral; "
                          f"echo rc=$?; ls -a {tmp_path}/mnt")
    if r is None:
        pytest.skip("NOT TESTED ON A REAL FULL DISK: this machine does not allow mounting a tmpfs "
                    "(the injected-ENOSPC test still runs)")
    lines = error_lines(r.stderr)
    assert "rc=2" in r.stdout, r.stdout + r.stderr
    assert len(lines) == 1 and "disk full" in lines[0] and "out.wav" in lines[0], r.stderr
    listing = r.stdout.split("rc=2", 1)[1].split()
    assert sorted(listing) == [".", ".."], listing


def test_a_read_only_file_system_is_one_line(tmp_path):
    src = wav(tmp_path / "in.wav")
    r = _in_private_mount(tmp_path, "size=1m,ro",
                          f"{EXE} render {src} {tmp_path}/mnt/out.wav; echo rc=$?")
    if r is None:
        pytest.skip("NOT TESTED: this machine does not allow mounting a read-only tmpfs")
    lines = error_lines(r.stderr)
    assert "rc=2" in r.stdout and len(lines) == 1 and "read-only file system" in lines[0], r.stderr


def test_enospc_from_a_write_becomes_disk_full(tmp_path, capsys, monkeypatch):
    """The same path without mounting: the file object under libsndfile fails
    its writes with ENOSPC after 64 KiB."""
    from firmware.offline import audiofile

    real_open = audiofile._Guarded.__init__

    class Full:
        def __init__(self, f):
            self.f, self.n = f, 0

        def __getattr__(self, k):
            return getattr(self.f, k)

        def write(self, data):
            self.n += len(data)
            if self.n > 1 << 16:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(data)

    def guarded(self, f):
        real_open(self, Full(f) if "+" in getattr(f, "mode", "") else f)
    monkeypatch.setattr(audiofile._Guarded, "__init__", guarded)
    src = wav(tmp_path / "in.wav", tone(3.0))
    rc = main(["render", str(src), str(tmp_path / "out.wav")])
    one_line_error(capsys, rc, "out.wav: cannot write (disk full)")
    assert leftovers(tmp_path) == ["in.wav"]


def test_file_error_names_the_path_and_the_reason():
    e = file_error("/x/o.wav", OSError(errno.EROFS, "Read-only file system"), "write")
    assert str(e) == "/x/o.wav: cannot write (read-only file system)"


# ---------------------------------------------------------------- 3. target numbers
@pytest.mark.parametrize("argv,needle", [
    (["render", "{src}", "{out}", "--lufs", "-14", "--ceiling-dbtp", "nan"], "--ceiling-dbtp nan: not a finite number"),
    (["render", "{src}", "{out}", "--lufs", "nan", "--ceiling-dbtp", "-1"], "--lufs nan: not a finite number"),
    (["render", "{src}", "{out}", "--lufs", "-14", "--ceiling-dbtp", "2"], "--ceiling-dbtp 2: out of range -3..0 dBTP"),
    (["render", "{src}", "{out}", "--target", "streaming", "--lufs", "20"], "--lufs 20: out of range -40..-5 LUFS"),
    (["check", "{src}", "--target", "streaming", "--ceiling-dbtp", "nan"], "--ceiling-dbtp nan: not a finite number"),
    (["check", "{src}", "--lufs", "-14", "--ceiling-dbtp", "inf"], "--ceiling-dbtp inf: not a finite number"),
])
def test_target_numbers_are_checked_whichever_way_they_arrive(tmp_path, capsys, argv, needle):
    src = wav(tmp_path / "in.wav")
    rc = main([a.format(src=src, out=tmp_path / "out.wav") for a in argv])
    one_line_error(capsys, rc, needle)
    assert leftovers(tmp_path) == ["in.wav"]


# ---------------------------------------------------------------- 4. preset and config files
@pytest.mark.parametrize("case,needle", [
    ("invalid-utf8", "not UTF-8 text (byte"), ("utf16", "UTF-16 text"),
    ("deep-arrays", "nested too deeply"), ("deep-tables", "nested too deeply"),
    ("folder", "is a folder"), ("dev-zero", "not a regular file"), ("big", "a preset is at most 1024 KiB"),
    ("ratio-true", "glue.ratio: true is a switch value"), ("version-true", "schema_version = True should be a whole number"),
    ("name-number", "name = 5 should be text"), ("list-value", "is not a number or a label"),
])
def test_bad_preset_files_are_refused_in_one_line(tmp_path, capsys, case, needle):
    p = tmp_path / "p.toml"
    docs = {"invalid-utf8": b"schema_version = 1\nname = \"caf\xe9\"\n",
            "utf16": "schema_version = 1\n".encode("utf-16"),
            "deep-arrays": b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
            "deep-tables": b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n",
            "big": b"# " + b"x" * (1 << 20) + b"\n",
            "ratio-true": b"schema_version = 1\n[glue]\nratio = true\n",
            "version-true": b"schema_version = true\n",
            "name-number": b"schema_version = 1\nname = 5\n",
            "list-value": b"schema_version = 1\n[glue]\nratio = [2]\n"}
    if case == "folder":
        p = tmp_path / "folder.toml"
        p.mkdir()
    elif case == "dev-zero":
        p = "/dev/zero"
    else:
        p.write_bytes(docs[case])
    src = wav(tmp_path / "in.wav")
    t0 = time.monotonic()
    rc = main(["render", str(src), str(tmp_path / "o.wav"), "--preset", str(p)])
    one_line_error(capsys, rc, needle)
    assert time.monotonic() - t0 < 60          # /dev/zero is refused, not read until memory runs out
    assert not (tmp_path / "o.wav").exists()


def test_an_empty_preset_name_is_an_error_not_neutral(tmp_path, capsys):
    src = wav(tmp_path / "in.wav")
    rc = main(["render", str(src), str(tmp_path / "o.wav"), "--preset", ""])
    one_line_error(capsys, rc, "a preset needs a name")


def test_bad_config_files_are_refused_the_same_way(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_bytes("rate = 48000\n".encode("utf-16"))
    rc = main(["run", "--config", str(cfg), "--audio-only", "--seconds", "1"])
    one_line_error(capsys, rc, "UTF-16 text")


# ---------------------------------------------------------------- 5. --seconds
@pytest.mark.parametrize("value", ["nan", "-3", "0", "inf"])
def test_seconds_must_be_a_running_time(tmp_path, capsys, value):
    rc = main(["run", "--sim", "--no-sound", "--record", str(tmp_path / "r.wav"), "--seconds", value])
    one_line_error(capsys, rc, f"--seconds {float(value)}")
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- 6-7. albums
def test_a_rejected_album_creates_no_folder(tmp_path, capsys):
    a = wav(tmp_path / "a.wav")
    b = wav(tmp_path / "b.wav", fs=44100)
    out = tmp_path / "album"
    for argv, needle in ((["render", "--album", str(a), str(b)], "different sample rates"),
                         (["render", "--album", str(a), str(tmp_path / "gone.wav")], "no such file"),
                         (["render", "--album", str(a), str(tmp_path / "x" / "a.wav")], "share the file name")):
        if "share" in needle:
            (tmp_path / "x").mkdir(exist_ok=True)
            wav(tmp_path / "x" / "a.wav")
        rc = main(argv + ["--out-dir", str(out), "--target", "streaming"])
        one_line_error(capsys, rc, needle)
        assert not out.exists()


def test_an_album_is_all_or_nothing_when_the_disk_fills(tmp_path, capsys, monkeypatch):
    """The disk fills while track 2 is written: no track of the album is left,
    and the folder the command made is gone again."""
    from firmware.offline import audiofile

    tracks = [wav(tmp_path / f"t{k}.wav", tone(2.0, amp=0.1 * (k + 1))) for k in range(3)]
    writes = {"n": 0}
    real_write = audiofile.Writer.write

    def write(self, y):
        writes["n"] += 1
        if writes["n"] == 2:
            raise file_error(self.path, OSError(errno.ENOSPC, "No space left"), "write")
        return real_write(self, y)
    monkeypatch.setattr(audiofile.Writer, "write", write)
    out = tmp_path / "album"
    rc = main(["render", "--album", *map(str, tracks), "--out-dir", str(out), "--target", "streaming"])
    one_line_error(capsys, rc, "disk full")
    assert not out.exists()
    assert leftovers(tmp_path) == ["t0.wav", "t1.wav", "t2.wav"]


# ---------------------------------------------------------------- 8. signals and stale temp files
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_render_cleans_up_says_so_and_exits_with_its_code(tmp_path, sig):
    src = wav(tmp_path / "in.wav", tone(120.0, fs=48000), subtype="FLOAT")
    out = tmp_path / "out.wav"
    p = subprocess.Popen([EXE, "render", str(src), str(out), "--block", "64"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t_end = time.monotonic() + 120
    while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):   # the render has begun
        assert p.poll() is None and time.monotonic() < t_end
        time.sleep(0.05)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + sig, err
    assert err.strip().splitlines()[-1] == f"masterbox: stopped by {signal.Signals(sig).name}; " \
                                           "nothing half-written was kept", err
    assert leftovers(tmp_path) == ["in.wav"]


def test_temp_files_of_a_killed_render_are_removed_by_the_next(tmp_path):
    src = wav(tmp_path / "in.wav", tone(120.0), subtype="FLOAT")
    out = tmp_path / "out.wav"
    p = subprocess.Popen([EXE, "render", str(src), str(out), "--block", "64"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_end = time.monotonic() + 120
    while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
        assert time.monotonic() < t_end
        time.sleep(0.05)
    p.kill()
    p.wait()
    stale = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert stale                                   # SIGKILL cannot be cleaned up after...
    short = wav(tmp_path / "short.wav")
    assert main(["render", str(short), str(out)]) == 0
    assert leftovers(tmp_path) == ["in.wav", "out.wav", "short.wav"]   # ...but the next write does


def test_closing_the_laptop_mode_keeps_the_recording(tmp_path):
    """SIGHUP (the terminal closed) or SIGTERM: the audio recorded so far is
    finished and kept; the exit code says which signal."""
    rec = tmp_path / "rec.wav"
    screen = tempfile.TemporaryFile("w+")           # the terminal screen it draws, 20 times a second
    p = subprocess.Popen([EXE, "run", "--sim", "--no-sound", "--record", str(rec), "--seconds", "60"],
                         stdin=subprocess.DEVNULL, stdout=screen, stderr=subprocess.PIPE, text=True)
    t_end = time.monotonic() + 120
    def recorded():
        tmp = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
        return os.path.getsize(tmp_path / tmp[0]) if tmp else 0
    while recorded() < 2.0 * 48000 * 6:                  # 2 s of 24-bit stereo
        assert p.poll() is None and time.monotonic() < t_end
        time.sleep(0.05)
    p.send_signal(signal.SIGHUP)
    _, err = p.communicate(timeout=60)
    screen.seek(0)
    out = screen.read()
    assert p.returncode == 128 + signal.SIGHUP, err
    assert "stopped by SIGHUP; the recording is kept" in out
    info = sf.info(str(rec))
    assert info.frames > 1.5 * 48000
    assert leftovers(tmp_path) == ["rec.wav"]


# ---------------------------------------------------------------- 9-12. quietly wrong
@pytest.mark.parametrize("bits", ["16", "24"])
def test_hot_float_input_reports_what_was_written_and_warns(tmp_path, capsys, bits):
    src = wav(tmp_path / "hot.wav", tone(1.0, amp=2.0), subtype="FLOAT")      # +6 dBFS
    rc = main(["render", str(src), str(tmp_path / "o.wav"), "--preset", "neutral", "--bits", bits,
               "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 0
    y, _ = sf.read(str(tmp_path / "o.wav"))
    assert rep["peak_out_dbfs"] == pytest.approx(20 * np.log10(np.abs(y).max()), abs=1e-6)
    assert rep["peak_out_dbfs"] <= 0.0 and rep["clipped_samples"] > 1000
    assert any("clipped" in n and "--bits 32f" in n for n in rep["notes"])


def test_a_truncated_wav_renders_what_it_holds_and_says_so(tmp_path, capsys):
    src = wav(tmp_path / "t.wav", tone(2.0), subtype="PCM_16")
    data = src.read_bytes()
    src.write_bytes(data[: len(data) // 2])                  # the header still promises 2 s
    rc = main(["render", str(src), str(tmp_path / "o.wav"), "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 0
    note = next(n for n in rep["notes"] if "truncated" in n)
    assert "promises 96000 frames" in note and "holds" in note
    assert sf.info(str(tmp_path / "o.wav")).frames == rep["frames"] < 96000


def test_a_fifo_input_is_refused_at_once(tmp_path, capsys):
    fifo = tmp_path / "in.wav"
    os.mkfifo(fifo)
    rc = main(["render", str(fifo), str(tmp_path / "o.wav")])
    one_line_error(capsys, rc, "not a regular file")


def test_a_file_name_that_is_not_utf8_is_read_and_written(tmp_path):
    d = os.fsencode(str(tmp_path))
    name_in = os.path.join(d, b"caf\xe9.wav")
    name_out = os.path.join(d, b"out-\xff.wav")
    sf.write(str(tmp_path / "good.wav"), tone(), FS, subtype="PCM_24")
    os.rename(str(tmp_path / "good.wav"), name_in)
    r = subprocess.run([os.fsencode(EXE), b"render", name_in, name_out, b"--preset", b"neutral"],
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert name_out in r.stdout                     # the name printed as the bytes it is
    with open(name_out, "rb") as f:
        y, fs = sf.read(f)
    assert fs == FS and len(y) == int(0.5 * FS)


# ---------------------------------------------------------------- 14-15. messages
def test_cosmetics_say_it_plainly(tmp_path, capsys):
    src = wav(tmp_path / "in.wav")
    rc = main(["render", str(src), str(tmp_path / "o.wav"), "--set", "glue.ratio=0"])
    one_line_error(capsys, rc, "glue.ratio: 0:1 is out of range 1..20:1")


def test_an_unreached_target_says_so_plainly_and_exits_1(tmp_path, capsys):
    x = np.zeros((FS * 4, 2))
    src = tmp_path / "silent.wav"
    sf.write(str(src), x, FS, subtype="FLOAT")
    rc = main(["render", str(src), str(tmp_path / "o.wav"), "--target", "streaming"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "NOT REACHED: got nothing (silence) LUFS" not in out or "silent" in out
    assert "reached -inf" not in out and "NOT REACHED" in out


@pytest.mark.long
def test_the_first_render_says_it_compiles_and_times_the_render_alone(tmp_path):
    """In a fresh numba cache the chain compiles first: the command says so
    while it happens and reports the render's own speed."""
    src = wav(tmp_path / "in.wav", tone(3.0))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    r = subprocess.run([EXE, "render", str(src), str(tmp_path / "o.wav"), "--json"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert "compiling the chain (once" in r.stderr
    assert rep["compile_seconds"] > 1.0 and rep["realtime_factor"] > 5.0


def test_with_no_audio_device_every_message_says_so(tmp_path):
    """No sound card and no JACK server here: `devices` says none were found,
    and naming a device says the machine has none (not 'not found (have: )')."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JACK")}
    r = subprocess.run([EXE, "devices"], capture_output=True, text=True, env=env, timeout=120)
    if "no audio devices found" not in r.stdout:
        pytest.skip("NOT TESTED: this machine has audio devices:\n" + r.stdout)
    assert r.returncode == 0
    for dev in ("no-such-card", "99"):
        r = subprocess.run([EXE, "run", "--audio-only", "--device", dev, "--seconds", "1"],
                           capture_output=True, text=True, env=env, timeout=120)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        # the box logs its boot (to the journal on the Pi); the error is the one line that ends it
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert lines[-1] == f"masterbox: error: audio device '{dev}': this machine has no audio devices"
