"""The transport policy: TLS settings; retries are covered against the simulator (tests/integration)."""

import logging

from test_gated_deployment.dss.transport import TransportPolicy, connect_node
from test_gated_deployment.settings import NodeSettings


def test_tls_is_verified_by_default_and_a_ca_bundle_is_used(caplog):
    assert connect_node(NodeSettings("https://qa:11200", "k"), TransportPolicy())._session.verify is True
    client = connect_node(NodeSettings("https://qa:11200", "k", ca_bundle="/etc/ssl/corp.pem"), TransportPolicy())
    assert client._session.verify == "/etc/ssl/corp.pem"
    assert "OFF" not in caplog.text


def test_turning_verification_off_is_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        client = connect_node(NodeSettings("https://qa:11200", "k", verify_tls=False), TransportPolicy())
    assert client._session.verify is False
    assert "TLS certificate verification is OFF for https://qa:11200" in caplog.text
