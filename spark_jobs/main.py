"""spark-submit entry point: `spark-submit [--py-files lakecast.zip] spark_jobs/main.py <job> [<job> ...]`.

The job code is the same as `lakecast run <job>`; only the session comes from spark-submit's master. Each run is
recorded in the app database's pipeline_runs when it runs (spark_jobs.runs), exactly as `lakecast run` does.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from lakecast.runtime.spark import get_spark
    from lakecast.settings import get_settings
    from spark_jobs.registry import JOBS
    from spark_jobs.runs import recorder, run_job

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: spark_jobs/main.py <job> [<job> ...]; jobs: " + ", ".join(JOBS))
        return 2
    settings = get_settings()
    unknown = [n for n in argv if n not in JOBS]
    if unknown:
        print(f"unknown job(s) {unknown}; known: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    spark = get_spark(settings, use_settings_master=False)
    record = recorder(settings)
    for name in argv:
        result, seconds = run_job(spark, settings, name, record)
        print(f"[lakecast] job {name} done in {seconds:.1f}s: {result}")
    if record and record.failures:
        print(f"[lakecast] warning: {len(record.failures)} run record(s) not written to pipeline_runs: "
              + "; ".join(record.failures), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
