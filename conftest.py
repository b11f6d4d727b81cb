"""pytest set-up for the whole project: the book's numeric configuration, and progress for
notebooks (which chapter nbval is running and how long each took)."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import time

import pytest

from retail_lab.repro import numeric_env

# Before any test module imports TensorFlow, and inherited by every kernel nbval starts: the
# book's numeric configuration wins over whatever the host has set (retail_lab.repro).
os.environ.update(numeric_env())


# ---- no network in tests ---------------------------------------------------------------------
# An audit hook sees Python-level name lookups (getaddrinfo, gethostbyname, gethostbyaddr,
# getnameinfo), connections and datagrams (connect, sendto, sendmsg) before they happen. Anything
# that is not the loopback range (127.0.0.0/8, ::1, localhost) is refused, so no packet leaves,
# and recorded, so the test that tried it fails even if the code under test caught the error.
# Unix sockets are local by nature and pass. nbval's kernels are separate processes; the stored
# chapters read data from the data directory (RETAIL_LAB_OFFLINE=1 in CI).

class NetworkBlocked(RuntimeError):
    """A test tried to reach an address outside 127.0.0.0/8."""


_blocked: list[str] = []
_LOCAL_NAMES = {None, "", b"", "localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOCAL_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    if getattr(ip, "ipv4_mapped", None) is not None:  # ::ffff:127.0.0.1
        ip = ip.ipv4_mapped
    # 0.0.0.0 and :: as a destination mean this machine
    return ip.is_loopback or ip.is_unspecified


def _refuse(what: str) -> None:
    _blocked.append(what)
    raise NetworkBlocked(f"tests must not use the network: {what} refused")


def _network_audit(event: str, args) -> None:
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1] if event == "socket.sendto" else args[1]
        if (sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
                and not _is_local(address[0])):
            _refuse(f"{event.split('.')[1]} to {address!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                   "socket.gethostbyaddr", "socket.getnameinfo"):
        host = args[0][0] if event == "socket.getnameinfo" else args[0]
        if not _is_local(host):
            _refuse(f"name lookup of {host!r}")


sys.addaudithook(_network_audit)


@pytest.fixture(autouse=True)
def _no_network():
    """Fail any test (or docstring example) that tried to open a connection off this machine."""
    start = len(_blocked)
    yield
    tried = _blocked[start:]
    del _blocked[start:]
    if tried:
        pytest.fail("the test tried to use the network: " + "; ".join(tried), pytrace=False)


@pytest.fixture
def network_attempts():
    """The refused attempts of the current test; a test that expects them clears the list."""
    start = len(_blocked)

    class _View:
        def __call__(self):
            return _blocked[start:]

        def clear(self):
            del _blocked[start:]

    return _View()

_times: dict[str, list[float]] = {}


def _notebook(nodeid: str) -> str | None:
    path = nodeid.split("::")[0]
    return path if path.endswith(".ipynb") else None


def _reporter(config):
    return config.pluginmanager.get_plugin("terminalreporter")


def pytest_runtest_logstart(nodeid, location):
    nb = _notebook(nodeid)
    if nb and nb not in _times:
        _times[nb] = [time.perf_counter(), time.perf_counter()]
        rep = _reporter(_config)
        if rep:
            rep.write_line(f"\n>> executing {nb} (fresh kernel) ...")


def pytest_runtest_logfinish(nodeid, location):
    nb = _notebook(nodeid)
    if nb:
        _times[nb][1] = time.perf_counter()


def pytest_configure(config):
    global _config
    _config = config


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    terminalreporter.section("notebook run times (nbval)")
    for nb, (t0, t1) in _times.items():
        terminalreporter.write_line(f"{t1 - t0:7.1f} s  {nb}")
    workers = terminalreporter.config.getoption("numprocesses", default=None)  # pytest-xdist's -n
    note = f" (summed; {workers} workers run them side by side)" if workers and workers > 1 else ""
    terminalreporter.write_line(f"{sum(t1 - t0 for t0, t1 in _times.values()):7.1f} s  all notebooks{note}")
