"""An abort (SIGTERM) waits for the end of a shielded block, so what the block started is always known."""

import os
import signal

import pytest
from test_gated_deployment.components.context import raise_interrupted
from test_gated_deployment.dss.interrupts import shielded
from test_gated_deployment.errors import StepInterrupted


def test_sigterm_is_delivered_when_the_block_ends():
    previous = signal.signal(signal.SIGTERM, raise_interrupted)
    done = []
    try:
        with pytest.raises(StepInterrupted):
            with shielded():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("the request got its answer")
            done.append("never reached")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert done == ["the request got its answer"]
