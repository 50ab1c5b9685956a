"""Apache Spark for the ``spark`` engine: a session, and clear errors when Spark cannot run.

Spark is optional (``pip install "leadscore[spark]"``); nothing here imports pyspark at module
level, so the default DuckDB install never needs it. The session runs in UTC (the feature SQL
counts whole UTC days, as DuckDB does) with ANSI SQL on, and hands pandas data over with Arrow.

On a cluster, pass the session the job already has (``spark-submit``, Databricks):
``build_training_table(..., engine=SparkEngine(session=spark))``; leadscore then never stops
it. Without one, :func:`spark_session` starts a local one (``master``: ``local[*]`` by default).
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Settings every leadscore Spark session gets (also applied to a session passed in).
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}
#: Settings only for the local sessions leadscore starts: small shuffles suit one machine.
LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
    "spark.driver.memory": os.environ.get("LEADSCORE_SPARK_DRIVER_MEMORY", "4g"),
    "spark.sql.adaptive.enabled": "true",
}


class SparkUnavailableError(LeadscoreError):
    """The Spark engine was asked for but cannot run here (no pyspark, no Java)."""


def java_available() -> bool:
    """Whether a Java runtime can be found (``JAVA_HOME`` or ``java`` on the ``PATH``)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.isfile(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def require_spark() -> None:
    """Raise :class:`SparkUnavailableError` naming what to install when Spark cannot start."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise SparkUnavailableError(
            'the spark engine needs pyspark and sqlglot: pip install "leadscore[spark]" '
            "(or use the default engine, duckdb)."
        ) from None
    if not java_available():
        raise SparkUnavailableError(
            "the spark engine needs a Java runtime (17 or later), and none was found: install "
            "one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
        )


# pyspark 4.3 warns on every pandas UDF under pandas 3; the parity tests check the results.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)


def spark_session(master: str = "local[*]", session: SparkSession | None = None) -> SparkSession:
    """The session to run on: ``session`` when given, else a local one for ``master``.

    Either way the session gets :data:`SESSION_CONF` (UTC, ANSI SQL, Arrow transfers).
    """
    require_spark()
    if session is None:
        from pyspark.sql import SparkSession

        # local workers run this interpreter, which has leadscore, not the first "python3"
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = SparkSession.builder.master(master).appName("leadscore")
        # a cluster's own defaults (shuffle partitions, memory) are left alone
        local = LOCAL_CONF if master.startswith("local") else {}
        for key, value in {**local, **SESSION_CONF}.items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM's reasons vary; the user needs the master and why
            raise SparkUnavailableError(
                f"Spark could not start with master {master!r} (`spark_master`): "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
    for key, value in SESSION_CONF.items():
        session.conf.set(key, value)
    return session
