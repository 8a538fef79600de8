"""One job at a time on a worker thread, for the control loop: it starts a
job and later collects (result, error) once, never waiting. The previews
(DELIVERY, the platform preview) render the heard programme this way, off
both the audio thread and the control loop."""
from __future__ import annotations

import threading

from .errors import UserError


class Worker:
    def __init__(self, name: str, what: str):
        self.name = name            # the thread's name
        self.what = what            # how a failure is said: "DELIVERY failed: ..."
        self.busy = False
        self._result = None
        self._lock = threading.Lock()

    def start(self, job) -> bool:
        """Run ``job()`` unless one is running; whether it started."""
        if self.busy:
            return False
        self.busy = True

        def work():
            try:
                out = (job(), None)
            except UserError as e:
                out = (None, str(e))
            except Exception as e:      # said on the screen; the box runs on
                out = (None, f"{self.what} failed: {e}")
            with self._lock:
                self._result = out

        threading.Thread(target=work, name=self.name, daemon=True).start()
        return True

    def collect(self):
        """The finished (result, error), once; None while nothing has finished."""
        with self._lock:
            out, self._result = self._result, None
        if out is not None:
            self.busy = False
        return out


class HeardPreview:
    """A hand that works on what the box heard so far (``capture()`` returns
    (audio, rate)) with the session's values, on a Worker."""

    def __init__(self, session, capture, name: str, what: str):
        self.session = session
        self.capture = capture
        self._worker = Worker(name, what)

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def _start(self, job) -> None:
        """Run ``job(x, fs, values)`` on the heard programme, unless one runs."""
        if self.busy:
            return
        if self.capture is None:
            raise UserError(f"{self._worker.what}: nothing heard to measure here")
        x, fs = self.capture()
        values = self.session.values
        self._worker.start(lambda: job(x, fs, values))
