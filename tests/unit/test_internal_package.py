"""Calls to DSS's own `dataiku` package: its bare-Exception errors read, a time limit, and retries only of calls
that got no answer."""

import threading
import time

import pytest
import requests
from test_gated_deployment.dss.internal import package_call, package_error_detail
from test_gated_deployment.dss.interrupts import StopSignal
from test_gated_deployment.dss.transport import TransportPolicy
from test_gated_deployment.errors import PluginError, StepInterrupted

FAST = TransportPolicy(connect_timeout=0.1, read_timeout=0.2, budget=1.0, backoff=0.01, backoff_max=0.05)


@pytest.mark.parametrize("error, detail", [
    (Exception("None: b'{\"errorType\": \"NotFound\", \"message\": \"m\", \"detailedMessage\": \"Folder x is gone\"}'"),
     "Folder x is gone"),
    (Exception("Failed to set scenario variables: b'Managed folder None in project P does not exist'"),
     "Managed folder None in project P does not exist"),
    (Exception("Failed to get variables: b''"), "DSS gave no details"),
    (Exception('None: b"it\'s \\xc3\\xa9t\\xc3\\xa9 refused"'), "it's \u00e9t\u00e9 refused"),
    (Exception("a message of our own"), None),
    (ValueError("None: b'looks the same but is another type'"), None),
])
def test_dss_s_message_is_read_from_the_package_s_bare_exception(error, detail):
    assert package_error_detail(error) == detail


def test_an_answer_of_dss_fails_at_once_naming_the_object():
    calls = []

    def refused():
        calls.append(1)
        raise Exception("None: b'{\"message\": \"Managed folder audit in project SHOP does not exist\"}'")

    with pytest.raises(PluginError) as failed:
        package_call("Saving summary.html to managed folder audit of project SHOP", "Check the folder.", FAST,
                     refused)
    assert str(failed.value) == ("Saving summary.html to managed folder audit of project SHOP failed: DSS answered: "
                                 "Managed folder audit in project SHOP does not exist. Check the folder.")
    assert len(calls) == 1


def test_a_call_without_an_answer_is_sent_again_within_the_budget():
    calls = []

    def flaky(value):
        calls.append(value)
        if len(calls) < 3:
            raise requests.ConnectionError("connection reset")
        return value * 2

    assert package_call("Setting the scenario variables", "Run it again.", FAST, flaky, 21) == 42
    assert calls == [21, 21, 21]


def test_a_call_that_hangs_ends_within_its_time_limit():
    release = threading.Event()
    calls = []

    def hangs():
        calls.append(1)
        release.wait(10)

    try:
        with pytest.raises(PluginError, match=r"Reading managed folder audit failed: DSS did not answer within 0.3 s"):
            package_call("Reading managed folder audit", "Check the backend.", FAST, hangs)
    finally:
        release.set()
    assert len(calls) >= 2  # tried again until the budget ran out, never forever


def test_a_first_attempt_that_used_its_whole_time_limit_is_still_tried_again():
    # The time limit of one attempt (0.4 s) is longer than the retry budget (0.1 s), as with the defaults (70 s, 60 s).
    policy = TransportPolicy(connect_timeout=0.1, read_timeout=0.3, budget=0.1, backoff=0.01, backoff_max=0.01)
    release = threading.Event()
    calls = []

    def slow_then_fine():
        calls.append(1)
        if len(calls) == 1:
            release.wait(10)
        return "saved"

    try:
        assert package_call("Saving the report", "Check the folder.", policy, slow_then_fine) == "saved"
    finally:
        release.set()
    assert len(calls) == 2


def test_an_abort_ends_the_wait_for_a_call_that_hangs():
    stop = StopSignal()
    release = threading.Event()
    threading.Timer(0.2, stop.request).start()
    started = time.monotonic()
    try:
        with pytest.raises(StepInterrupted):
            package_call("Setting the scenario variables", "Run it again.", TransportPolicy(), release.wait, 30,
                         stop=stop)
    finally:
        release.set()
    assert time.monotonic() - started < 5  # not the 70 s time limit of the default policy


@pytest.mark.parametrize("error, detail", [
    (Exception("None: b'a', b'b'"), "b'a', b'b'"),
    (Exception("None: b'<html>\\n<body>\\n  <h1>502 Bad Gateway</h1>\\n</body></html>'"),
     "<html> <body> <h1>502 Bad Gateway</h1> </body></html>"),
])
def test_odd_answers_are_shown_on_one_line(error, detail):
    assert package_error_detail(error) == detail


def test_a_long_answer_is_cut():
    detail = package_error_detail(Exception("None: b'%s'" % ("x" * 1000)))
    assert len(detail) == 303 and detail.endswith("...")


def test_a_call_made_after_the_abort_still_runs_within_its_time_limit():
    stop = StopSignal()
    stop.request()
    # Setting the variables on the way out of an aborted step: not cut short by the abort that made it end.
    def slow_write():
        time.sleep(0.15)
        return "set"

    assert package_call("Setting the scenario variables", "Run it again.", FAST, slow_write, stop=stop) == "set"
