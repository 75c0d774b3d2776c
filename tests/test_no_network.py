"""The suite never touches the network: the guard in conftest refuses any host but this machine."""

from __future__ import annotations

import socket

import pytest
from conftest import NetworkTouched

from topicgen.config import load_settings


def test_resolving_or_connecting_to_another_host_fails_in_tests():
    with pytest.raises(NetworkTouched):
        socket.getaddrinfo("openlibrary.org", 443)
    with pytest.raises(NetworkTouched), socket.socket() as sock:
        sock.connect(("93.184.216.34", 80))


def test_reference_checks_are_off_in_tests_unless_a_test_turns_them_on(tmp_path):
    assert load_settings(tmp_path).verify.enabled is False
