"""Starting Spark: clear errors when it cannot run, a UTC session when it can."""

from __future__ import annotations

import pytest

from leadscore import spark as spark_module
from leadscore.spark import SparkUnavailableError, require_spark


def test_no_java_is_a_clear_error_naming_what_to_install(monkeypatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SparkUnavailableError, match=r"needs a Java runtime.*JAVA_HOME"):
        require_spark()


def test_missing_pyspark_says_which_extra_to_install(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def without_pyspark(name, *args, **kwargs):
        if name.startswith("pyspark"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pyspark)
    with pytest.raises(SparkUnavailableError, match=r'pip install "leadscore\[spark\]"'):
        require_spark()


def test_a_session_runs_in_utc_with_ansi_sql(spark) -> None:
    session = spark_module.spark_session(session=spark)
    assert session is spark
    assert session.conf.get("spark.sql.session.timeZone") == "UTC"
    row = session.sql("SELECT CAST(TIMESTAMP '2025-03-01 00:00:00' AS DATE) AS d").first()
    assert str(row["d"]) == "2025-03-01"
