"""Regenerate ``weather.parquet``: a small, synthetic table of daily readings from three stations.

It ships with the examples so the tabular (non-HEP) example runs with no download. Deterministic: the same
file comes out every time (``python examples/data/make_weather.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def make(path: Path, days: int = 730, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for station, (base, swing) in enumerate([(11.0, 8.0), (15.0, 6.0), (7.0, 10.0)]):
        day = np.arange(days)
        season = np.sin(2 * np.pi * (day - 100) / 365.25)
        temp = base + swing * season + rng.normal(0, 2.5, days)
        humidity = np.clip(70 - 1.2 * (temp - base) + rng.normal(0, 8, days), 5, 100)
        wind = np.abs(rng.gamma(2.0, 2.2, days))
        rows.append(
            {
                "station": np.full(days, station, dtype=np.int32),
                "day": day.astype(np.int32),
                "month": ((day % 365) // 30.5 + 1).clip(1, 12).astype(np.int32),
                "temperature": temp.round(2),
                "humidity": humidity.round(1),
                "wind_speed": wind.round(2),
            }
        )
    table = pa.table({k: np.concatenate([r[k] for r in rows]) for k in rows[0]})
    pq.write_table(table, path, row_group_size=1024, compression="zstd")


if __name__ == "__main__":
    make(Path(__file__).with_name("weather.parquet"))
