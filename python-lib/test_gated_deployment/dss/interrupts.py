"""Keeping an abort (SIGTERM) from landing between a request that starts something on DSS and its answer.

If the step were interrupted there, DSS would have started a run or an update that the step never learns about,
so its cleanup could not abort it. Inside `shielded()`, SIGTERM waits; it is delivered as soon as the block ends,
when the step knows what it started. The wait is bounded by the request's timeout.
"""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def shielded():
    # Signal masks exist on POSIX only, and a signal handler runs in the main thread only.
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
