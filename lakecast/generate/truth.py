"""Evaluation-only ground truth: each DFU's demand type, seasonality and lifecycle, from the generator's own
parameters. Written to ``<out>/_truth/dfu_demand_type.csv``, a folder no job reads (bronze reads only the
source directories), so benchmarks can score clustering against what the data was made of.

Rules (Syntetos-Boylan cut-offs ADI 1.32, CV^2 0.49):

- intermittent DFUs (``World.intermittent``): in a month with a lump, demand is Poisson(level x G) with
  G ~ gamma(1.2) / p_occ, i.e. negative binomial with r = 1.2 and mean m = level / p_occ (level = the
  DFU's mature level ``World.int_level``). ``adi`` = 1 / P(demand > 0) = 1 / (p_occ (1 - P0)) with
  P0 = (r / (r + m))^r, and ``cv2`` = the CV^2 of the nonzero sizes, (Var + m^2)(1 - P0) / m^2 - 1 with
  Var = m + m^2 / r. ``lumpy`` if cv2 > 0.49, else ``intermittent`` (adi >= 1 / 0.55 > 1.32 always).
- other DFUs: ``adi`` = 1 and ``cv2`` = the noise CV^2; XYZ class X or Y (noise CV <= 0.4) ``smooth``,
  Z (noise CV 0.5..0.9) ``erratic``.
- ``seasonal``: peak-to-trough ratio of the DFU's seasonal factor, (max / min of its category's index)
  ^ item season_amp, at least 1.5. Intermittent DFUs have no seasonality (their signal is flat).
- ``lifecycle``: ``discontinued`` if the item is discontinued inside the history, else ``launched`` if
  it launched inside it, else ``mature``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from lakecast.generate import catalog as cat
from lakecast.generate.demand import World
from lakecast.generate.io import write_csv_strings

TRUTH_DIR = "_truth"
TRUTH_FILE = "dfu_demand_type.csv"
ADI_CUT, CV2_CUT = 1.32, 0.49
SEASONAL_RATIO = 1.5
LUMP_SHAPE = 1.2  # gamma shape of the lumps in demand.py
COLUMNS = ("item_id", "location_id", "demand_type", "adi", "cv2", "seasonal", "season_ratio", "lifecycle")


def demand_types(world: World) -> dict[str, np.ndarray]:
    """Per DFU (world order): demand_type, adi, cv2, seasonal, season_ratio, lifecycle."""
    it, d = world.items, world.dfus
    r = LUMP_SHAPE
    m = np.maximum(world.int_level, 1e-9) / world.p_occ
    p0 = (r / (r + m)) ** r
    var = m + m**2 / r
    int_adi = 1.0 / (world.p_occ * (1.0 - p0))
    int_cv2 = (var + m**2) * (1.0 - p0) / m**2 - 1.0
    inter = world.intermittent
    adi = np.where(inter, int_adi, 1.0)
    cv2 = np.where(inter, int_cv2, world.cv**2)
    demand_type = np.where(
        inter,
        np.where(cv2 > CV2_CUT, "lumpy", "intermittent"),
        np.where(world.xyz == "Z", "erratic", "smooth"),
    )
    idx = cat.seasonality_matrix()
    ratio = (idx.max(axis=1) / idx.min(axis=1))[it.category[d.item]] ** it.season_amp[d.item]
    ratio = np.where(inter, 1.0, ratio)
    disc = it.discontinue_month[d.item] < world.n_months
    launched = it.launch_month[d.item] >= 0
    lifecycle = np.where(disc, "discontinued", np.where(launched, "launched", "mature"))
    return {
        "demand_type": demand_type,
        "adi": adi,
        "cv2": cv2,
        "seasonal": ratio >= SEASONAL_RATIO,
        "season_ratio": ratio,
        "lifecycle": lifecycle,
    }


def write_truth(world: World, out_dir: Path) -> dict:
    """Write the truth CSV under ``out_dir/_truth/``; return its manifest entry (path, rows, bytes, sha256)."""
    t = demand_types(world)

    def fmt(x: np.ndarray) -> list[str]:
        return [f"{v:.4f}" for v in x]

    table = pa.table(
        {
            "item_id": world.items.item_id[world.dfus.item].tolist(),
            "location_id": world.locations.location_id[world.dfus.location].tolist(),
            "demand_type": t["demand_type"].tolist(),
            "adi": fmt(t["adi"]),
            "cv2": fmt(t["cv2"]),
            "seasonal": ["true" if s else "false" for s in t["seasonal"]],
            "season_ratio": fmt(t["season_ratio"]),
            "lifecycle": t["lifecycle"].tolist(),
        }
    )
    assert tuple(table.column_names) == COLUMNS
    rel = Path(TRUTH_DIR) / TRUTH_FILE
    digest = write_csv_strings(table, out_dir / rel)
    return {
        "path": rel.as_posix(),
        "columns": list(COLUMNS),
        "rows": table.num_rows,
        "bytes": (out_dir / rel).stat().st_size,
        "sha256": digest,
    }
