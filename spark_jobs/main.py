"""spark-submit entry point: `spark-submit [--py-files lakecast.zip] spark_jobs/main.py <job> [<job> ...]`.

The job code is the same as `lakecast run <job>`; only the session comes from spark-submit's master.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from lakecast.runtime.spark import get_spark
    from lakecast.settings import get_settings
    from spark_jobs.registry import JOBS, get_job

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: spark_jobs/main.py <job> [<job> ...]; jobs: " + ", ".join(JOBS))
        return 2
    settings = get_settings()
    spark = get_spark(settings, use_settings_master=False)
    for name in argv:
        result = get_job(name).load()(spark, settings)
        print(f"[lakecast] job {name} done: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
