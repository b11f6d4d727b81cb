"""The tests' network guard (root conftest.py): only the loopback range can be reached."""

from __future__ import annotations

import socket
import urllib.request

import pytest


def test_connection_off_this_machine_is_refused_before_it_happens(network_attempts):
    # 192.0.2.0/24 is reserved for documentation: nothing is there, and nothing is sent
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="must not use the network"):
            s.connect(("192.0.2.1", 80))
    finally:
        s.close()
    assert network_attempts() == ["connect to ('192.0.2.1', 80)"]
    network_attempts.clear()


def test_name_lookup_is_refused(network_attempts):
    with pytest.raises(RuntimeError, match="name lookup"):
        urllib.request.urlopen("https://archive.ics.uci.edu/", timeout=1)
    assert network_attempts() == ["name lookup of 'archive.ics.uci.edu'"]
    network_attempts.clear()


def test_loopback_is_allowed(http_server):
    base, www, requests = http_server
    (www / "ok.txt").write_text("ok")
    with urllib.request.urlopen(f"{base}/ok.txt", timeout=5) as fh:
        assert fh.read() == b"ok"
    assert requests == ["/ok.txt"]
    with socket.create_connection(("localhost", int(base.rsplit(":", 1)[1])), timeout=5):
        pass


def test_datagrams_and_other_lookups_are_refused(network_attempts):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(RuntimeError, match="must not use the network"):
            s.sendto(b"x", ("192.0.2.1", 53))
    finally:
        s.close()
    with pytest.raises(RuntimeError, match="name lookup"):
        socket.gethostbyname("archive.ics.uci.edu")
    assert network_attempts() == ["sendto to ('192.0.2.1', 53)",
                                  "name lookup of 'archive.ics.uci.edu'"]
    network_attempts.clear()


def test_this_machines_other_spellings_are_local(network_attempts):
    """0.0.0.0, another 127.x address and IPv4-mapped loopback are this machine: the guard lets
    them through (whether anything listens there is another matter)."""
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET, "127.0.0.2"),
                         (socket.AF_INET6, "::ffff:127.0.0.1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((host, 9))  # the discard port: nothing listens, the refusal is local
        except RuntimeError:
            raise
        except OSError:
            pass
        finally:
            s.close()
    assert network_attempts() == []
