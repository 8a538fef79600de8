"""The systemd side: unit files verify cleanly; the notify protocol is spoken
right (real datagram sockets, as systemd's NOTIFY_SOCKET is)."""
import glob
import os
import shutil
import socket
import subprocess
import sys

import pytest

from firmware.service.notify import Notifier

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
@pytest.mark.parametrize("unit", sorted(glob.glob(os.path.join(ROOT, "systemd", "*.service"))))
def test_units_verify_without_a_word(tmp_path, unit):
    text = open(unit).read()
    exe = os.path.join(os.path.dirname(sys.executable), "masterbox")
    text = text.replace("/opt/masterbox/venv/bin/masterbox", exe)
    path = tmp_path / os.path.basename(unit)
    path.write_text(text)
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    # it exits 0 on some errors, so any output at all is a failure
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def listener(tmp_path):
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.2)
    return s, path


def drain(s):
    out = []
    while True:
        try:
            out.append(s.recv(4096).decode())
        except socket.timeout:
            return out


def test_watchdog_pings_only_while_the_callback_counter_advances(tmp_path):
    s, path = listener(tmp_path)
    n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    pings = [n.tick(c, now=t) for t, c in enumerate([10, 20, 30, 30, 30, 40, 50])]
    # first call has nothing to compare with; the stall (30, 30, 30) stops pings
    assert pings == [False, True, True, False, False, True, True]
    assert drain(s) == ["WATCHDOG=1"] * 4


def test_ready_status_and_abstract_socket_names(tmp_path):
    s, path = listener(tmp_path)
    n = Notifier({"NOTIFY_SOCKET": path})
    n.status("compiling")
    n.ready("running")
    n.stopping()
    assert drain(s) == ["STATUS=compiling", "READY=1\nSTATUS=running", "STOPPING=1\nSTATUS=stopping"]
    assert Notifier({"NOTIFY_SOCKET": "@masterbox/x"}).addr == "\0masterbox/x"
    assert not Notifier({}).active


def test_a_supervisor_that_does_not_read_never_blocks_the_box(tmp_path):
    """A unix datagram socket queues only a few messages; past that a blocking
    send would hang the box (it did, in the JACK test, before sends were made
    non-blocking). Messages beyond the queue are dropped and counted instead."""
    import threading

    s, path = listener(tmp_path)
    n = Notifier({"NOTIFY_SOCKET": path})
    done = threading.Event()

    def flood():
        for i in range(200):
            n.status(f"message {i}")
        done.set()

    threading.Thread(target=flood, daemon=True).start()
    assert done.wait(10.0), "the notifier blocked on a full socket"
    got = drain(s)
    assert 0 < len(got) < 200 and n.dropped == 200 - len(got)
    assert "BlockingIOError" in n.last_error
