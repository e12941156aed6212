"""An abort (SIGTERM) only sets a flag: a request in flight ends on its own, and every wait wakes up at once."""

import os
import signal
import threading
import time

import pytest
from test_gated_deployment.dss.interrupts import StopSignal
from test_gated_deployment.errors import StepInterrupted


@pytest.fixture
def stop():
    previous = signal.getsignal(signal.SIGTERM)
    flag = StopSignal()
    flag.install()
    yield flag
    signal.signal(signal.SIGTERM, previous)


def test_sigterm_sets_the_flag_without_interrupting_the_code_that_runs(stop):
    os.kill(os.getpid(), signal.SIGTERM)
    finished = sum(range(1000))  # the code in progress goes on to its end
    assert finished == 499500 and stop.requested
    with pytest.raises(StepInterrupted):
        stop.check()


def test_a_wait_wakes_up_at_once_and_repeated_signals_change_nothing(stop):
    threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    with pytest.raises(StepInterrupted):
        stop.sleep(30)
    assert time.monotonic() - started < 5
    os.kill(os.getpid(), signal.SIGTERM)
    assert stop.requested
    with pytest.raises(StepInterrupted):
        stop.sleep(0)


def test_without_a_signal_a_wait_lasts_its_time():
    flag = StopSignal()
    started = time.monotonic()
    flag.sleep(0.05)
    assert time.monotonic() - started >= 0.05 and not flag.requested
