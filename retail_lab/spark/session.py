"""A Spark session for the book: local by default, the same code on a cluster.

Only the master URL changes between this laptop (``local[2]``: two worker threads in one
JVM) and a cluster (``spark://host:7077``, ``yarn``, ``k8s://...``). The settings pinned here
make results independent of the machine: UTC session time zone (so calendar days are the
same everywhere), no adaptive re-planning of joins, a small number of shuffle partitions for
local mode, and no console progress bar or INFO log lines.
"""

from __future__ import annotations

import os
import sys

__all__ = ["SESSION_CONFIG", "local_session", "stop_session", "java_version"]

#: Settings every session of the book gets (a cluster recipe overrides the partitions and
#: memory; see the appendix "Scaling out").
SESSION_CONFIG: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.ansi.enabled": "false",
    "spark.log.level": "ERROR",
}


def java_version() -> int | None:
    """The major version of the ``java`` on PATH (or under JAVA_HOME), None without one."""
    import re
    import shutil
    import subprocess

    java = (os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME")
            else shutil.which("java"))
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def local_session(master: str = "local[2]", *, app_name: str = "retail_lab",
                  shuffle_partitions: int = 4, driver_memory: str = "2g",
                  config: dict | None = None):
    """Start (or return the running) Spark session.

    Parameters
    ----------
    master : str, default "local[2]"
        Where the work runs: ``local[n]`` uses n threads of this machine; on a cluster give
        its URL (``spark://host:7077``, ``yarn``, ``k8s://https://host:443``). Nothing else in
        the book's Spark code changes.
    app_name : str
        Name shown in the cluster's user interface.
    shuffle_partitions : int, default 4
        Partitions after a shuffle (joins, group-bys). Spark's default, 200, suits a cluster;
        on two local cores it makes hundreds of tiny tasks. On a cluster use about 2-3 times
        the total executor cores.
    driver_memory : str, default "2g"
        Heap of the driver JVM (in local mode the driver does all the work). Only takes
        effect when this call starts the JVM.
    config : dict, optional
        More ``spark.*`` settings (they win over :data:`SESSION_CONFIG`).

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    RuntimeError
        No Java 17 or later is installed (Spark 4 needs it); the message says how to get one.
    ImportError
        pyspark is not installed (the optional ``spark`` extra).
    """
    if not isinstance(master, str) or not master:
        raise TypeError(f"master must be a Spark master URL such as 'local[2]', got {master!r}")
    if isinstance(shuffle_partitions, bool) or not isinstance(shuffle_partitions, int) \
            or shuffle_partitions < 1:
        raise ValueError(f"shuffle_partitions must be a positive integer, got {shuffle_partitions!r}")
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as err:
        raise ImportError('pyspark is not installed: it is the optional "spark" extra. Install it '
                          'with: pip install "retail_lab[spark]"', name="pyspark") from err
    version = java_version()
    if version is None or version < 17:
        raise RuntimeError(f"Spark 4 needs Java 17 or later, found "
                           f"{'none' if version is None else version}; install one (Debian/Ubuntu: "
                           f"apt-get install openjdk-17-jre-headless, or bash tools/ensure_java.sh)")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    settings = {**SESSION_CONFIG, "spark.sql.shuffle.partitions": str(shuffle_partitions),
                "spark.default.parallelism": str(shuffle_partitions),
                "spark.driver.memory": driver_memory, **(config or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    # the JVM's start-up lines (log4j, native-hadoop warning) go to the process's stderr:
    # point file descriptor 2 at the null device while it starts, as import_tensorflow does
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return spark


def stop_session(spark) -> None:
    """Stop ``spark`` (frees the JVM's memory; a later :func:`local_session` starts anew)."""
    spark.stop()
