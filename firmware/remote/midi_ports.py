"""The MIDI surface's transports: an ALSA rawmidi device file on the box
(nothing to compile on the Pi) and a JACK MIDI port for the laptop mode and
the tests. Each feeds the surface's parser and takes its feedback bytes."""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .midi import MidiSurface

PER_CYCLE = 64                  # MIDI events written to a JACK port in one period, at most


class RawMidiPort:
    """An ALSA rawmidi device file (/dev/snd/midiCxDy): bytes in on a thread,
    bytes out with one write."""

    def __init__(self, path: str, surface: MidiSurface):
        from ..errors import UserError

        try:
            self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        except OSError as e:
            raise UserError(f"MIDI device {path}: {e.strerror}") from None
        self.surface = surface
        surface.send = self.write
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="midi", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        try:
            os.write(self.fd, data)
        except OSError:
            pass                                # a full or gone port: feedback is best effort

    def _run(self) -> None:
        import select

        while not self._stop.is_set():
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(self.fd, 1024)
                except OSError:
                    data = b""
                if data:
                    self.surface.receive(data)
            self.surface.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        os.close(self.fd)


class JackMidiPort:
    """A JACK MIDI input and output (the laptop mode on JACK, and the tests'
    real port on the dummy server). JACK's process thread only moves bytes
    between the ports and two bounded queues; parsing and the session are on
    this port's own thread."""

    def __init__(self, surface: MidiSurface, name: str = "masterbox-midi", server: str | None = None):
        import collections

        import jack

        self.client = jack.Client(name, servername=server, no_start_server=True)
        self.inport = self.client.midi_inports.register("in")
        self.outport = self.client.midi_outports.register("out")
        self._in = collections.deque(maxlen=8192)
        self._out = collections.deque(maxlen=8192)
        self.surface = surface
        surface.send = self.write

        @self.client.set_process_callback
        def process(frames):
            for _offset, data in self.inport.incoming_midi_events():
                self._in.append(bytes(data))
            self.outport.clear_buffer()
            n = 0
            while self._out and n < PER_CYCLE:
                self.outport.write_midi_event(0, self._out[0])
                self._out.popleft()             # only once written: a full buffer waits a cycle
                n += 1

        # JACK runs this callback in its own thread, which needs the GIL every
        # cycle; Python hands the GIL over every 5 ms by default, longer than a
        # period, so a busy thread elsewhere would make JACK late: hand it over
        # sooner while the port exists
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, 0.0005))

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="midi", daemon=True)
        self.client.activate()
        self._thread.start()

    def write(self, data: bytes) -> None:
        for i in range(0, len(data), 3):            # every message we send is a 3-byte CC
            self._out.append(data[i:i + 3])

    def _run(self) -> None:
        while not self._stop.is_set():
            data = bytearray()
            while self._in:
                data += self._in.popleft()
            if data:
                self.surface.receive(bytes(data))
            self.surface.flush()
            time.sleep(0.002)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self.client.deactivate()
        self.client.close()
        sys.setswitchinterval(self._interval)
