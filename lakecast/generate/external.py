"""The legacy (external) forecast: lags 0..MAX_LAG from every monthly origin, with per-DFU bias.

For origin month o (the last month of data the legacy system saw) and lag k, the target month is
``lakecast.lag.target_month(o, k)``. The forecast tracks the underlying demand signal (level, season,
trend, lifecycle), knows promotions only at lags 0-1, carries a persistent per-DFU bias and noise that
grows with the lag. Rows exist for DFUs that are alive in the target month. One Parquet batch per
calendar year of the origin, one row group per origin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from contracts.landing import EXTERNAL_FORECAST
from lakecast.generate.demand import World
from lakecast.generate.entities import rng_for
from lakecast.generate.io import ParquetStream
from lakecast.lag import MAX_LAG, month_diff, target_month

STREAM_BIAS, STREAM_FCST = 40, 41
PROMO_KNOWN_UP_TO_LAG = 1

SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("location_id", pa.string()),
        ("fcst_origin", pa.string()),
        ("target_month", pa.string()),
        ("lag", pa.int32()),
        ("fcst_qty", pa.float64()),
    ]
)
assert tuple(SCHEMA.names) == EXTERNAL_FORECAST.columns


def dfu_bias(world: World) -> np.ndarray:
    """Persistent multiplicative bias per DFU: ~40% over-forecast 5-15%, ~25% under-forecast, rest ~0."""
    rng = rng_for(world.seed, STREAM_BIAS)
    n = len(world.dfus)
    u = rng.random(n)
    return np.where(
        u < 0.4,
        rng.uniform(0.05, 0.15, n),
        np.where(u < 0.65, rng.uniform(-0.15, -0.05, n), rng.normal(0.0, 0.02, n)),
    )


def origins(world: World) -> list[int]:
    return list(range(min(world.spec.first_forecast_month, world.n_months - 1), world.n_months))


def batches(world: World) -> dict[str, list[int]]:
    """Origin month indices grouped by the origin's calendar year (the batch id)."""
    out: dict[str, list[int]] = {}
    for t in origins(world):
        out.setdefault(f"{world.month(t).year}", []).append(t)
    return out


def _const(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int32)))


def forecast_origin(world: World, t0: int, bias: np.ndarray) -> pa.Table:
    """The legacy forecast made at origin month t0: rows ordered by lag, then DFU (item, location)."""
    rng = rng_for(world.seed, STREAM_FCST, t0)
    n = len(world.dfus)
    origin = world.month(t0)
    item_ids = pa.array(world.items.item_id).take(pa.array(world.dfus.item))
    loc_ids = pa.array(world.locations.location_id).take(pa.array(world.dfus.location))
    parts = []
    for lag in range(MAX_LAG + 1):
        target = target_month(origin, lag)
        t = month_diff(target, world.start)
        base = world.signal[:, t].astype(np.float64)
        if lag <= PROMO_KNOWN_UP_TO_LAG:
            base = base * np.where(world.intermittent, 1.0, world.promo_effect[:, t])
        sigma = (0.08 + 0.06 * lag) * (1.0 + world.cv)
        noise = np.exp(rng.normal(-0.5 * sigma**2, sigma, n))
        fc = np.round(np.maximum(base * (1.0 + bias) * noise, 0.0), 1)
        alive = np.flatnonzero(world.signal[:, t] > 0)
        k = len(alive)
        idx = pa.array(alive)
        parts.append(
            pa.table(
                [
                    item_ids.take(idx),
                    loc_ids.take(idx),
                    _const(f"{origin:%Y-%m}", k),
                    _const(f"{target:%Y-%m}", k),
                    pa.array(np.full(k, lag, dtype=np.int32)),
                    pa.array(fc[alive]),
                ],
                schema=SCHEMA,
            )
        )
    return pa.concat_tables(parts).combine_chunks()


def write_external(world: World, out_dir: Path, progress=None) -> dict:
    bias = dfu_bias(world)
    result = {}
    groups = batches(world)
    for k, (b, months) in enumerate(groups.items()):
        rel = Path(EXTERNAL_FORECAST.name) / b / f"{EXTERNAL_FORECAST.name}_{b}.parquet"
        stream = ParquetStream(out_dir / rel, SCHEMA)
        for t0 in months:
            stream.write(forecast_origin(world, t0, bias))
        digest = stream.close()
        result[b] = {
            "batch_id": b,
            "format": "parquet",
            "origins": [f"{world.month(t):%Y-%m}" for t in months],
            "files": [
                {
                    "path": rel.as_posix(),
                    "rows": stream.rows,
                    "bytes": (out_dir / rel).stat().st_size,
                    "sha256": digest,
                }
            ],
            "rows": stream.rows,
        }
        if progress:
            progress(EXTERNAL_FORECAST.name, k + 1, len(groups))
    return result
