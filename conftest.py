"""pytest progress for notebooks: which chapter nbval is running and how long each took."""

from __future__ import annotations

import time

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
    terminalreporter.write_line(f"{sum(t1 - t0 for t0, t1 in _times.values()):7.1f} s  all notebooks")
