"""The step's or macro's own abort (SIGTERM from DSS), as a flag that long waits watch.

The signal handler only sets the flag, so a request in flight is never cut in the middle: it ends within its own
read timeout, and the code that sent it learns what it started. Every wait of the plugin (polls, retry sleeps,
re-checks) wakes up at once when the flag is set, and raises StepInterrupted; the cleanup that follows aborts what
was started. Repeated signals change nothing.
"""

import signal
import threading

from ..errors import StepInterrupted


class StopSignal:
    def __init__(self):
        self._event = threading.Event()

    def request(self):
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def check(self):
        if self._event.is_set():
            raise StepInterrupted()

    def sleep(self, seconds: float):
        """Waits `seconds`, or raises StepInterrupted as soon as the stop is requested."""
        if self._event.wait(max(0.0, seconds)):
            raise StepInterrupted()

    def install(self):
        """Makes SIGTERM set the flag. Signal handlers belong to the main thread; elsewhere nothing is installed."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda signum, frame: self.request())
