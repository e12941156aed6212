"""The classifier of DSS answers: what each failure means for the call that got it."""

import ssl

import pytest
import requests
import urllib3
from test_gated_deployment.dss.answers import DSSCallError, GarbledAnswer, Kind, classify, describe_unanswered


def _wrapped(error):
    return requests.exceptions.SSLError(urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.SSLError(error)))


@pytest.mark.parametrize(("error", "kind"), [
    (DSSCallError(403, "Unauthorized", "no", "GET", "/p", from_dss=True), Kind.REFUSED),
    (DSSCallError(404, "HTTP 404", "", "GET", "/p"), Kind.REFUSED),            # an endpoint this DSS lacks
    (DSSCallError(500, "Boom", "m", "GET", "/p", from_dss=True), Kind.REFUSED),
    (DSSCallError(500, "Boom", "m", "POST", "/p", from_dss=True), Kind.UNKNOWN),  # DSS may have acted first
    (DSSCallError(502, "HTTP 502", "", "POST", "/p"), Kind.UNKNOWN),            # a proxy's page
    (DSSCallError(429, "HTTP 429", "", "POST", "/p"), Kind.NOT_DONE),
    (requests.ConnectionError(urllib3.exceptions.NewConnectionError(None, "refused")), Kind.NOT_DONE),
    (requests.ConnectionError(ConnectionResetError("reset")), Kind.UNKNOWN),
    (requests.ReadTimeout("slow"), Kind.UNKNOWN),
    (requests.exceptions.ChunkedEncodingError("cut"), Kind.UNKNOWN),
    (GarbledAnswer("GET", "/p", "an HTML page"), Kind.UNKNOWN),
    (_wrapped(ssl.SSLCertVerificationError(1, "certificate verify failed")), Kind.REFUSED),
    (_wrapped(ssl.SSLEOFError(8, "EOF")), Kind.UNKNOWN),                        # may come after the request
    (ValueError("not about DSS"), None),
])
def test_each_failure_has_one_meaning(error, kind):
    assert classify(error) is kind


def test_an_action_without_a_clear_answer_is_not_called_unreachable():
    message = describe_unanswered(DSSCallError(502, "HTTP 502", "", "POST", "/run"), "Running the tests of D",
                                  "the Deployer")
    assert "may have been done" in message and "could not be reached" not in message
