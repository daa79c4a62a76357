"""Where things live, read from the environment when asked (never at import).

- `CAMP_ROOT`: project root (default: the checkout this package is in).
- `CAMP_BUILD_DIR`: generated files: raw snapshots, warehouse, published snapshots
  (default `<root>/datasets/_build`, git-ignored).
- `CAMP_ONLINE`: `all`, or a comma-separated list of dataset names, to fetch those datasets
  from their real online source instead of the committed sample (default: none, offline).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    root: Path
    build_dir: Path
    online: frozenset[str]

    @property
    def catalog_dir(self) -> Path:
        return self.root / "catalog"

    @property
    def warehouse_path(self) -> Path:
        return self.build_dir / "warehouse.duckdb"

    @property
    def raw_dir(self) -> Path:
        return self.build_dir / "raw"

    @property
    def publish_dir(self) -> Path:
        return self.build_dir / "publish"

    def is_online(self, dataset: str) -> bool:
        return "all" in self.online or dataset in self.online


def get_settings() -> Settings:
    root = Path(os.environ.get("CAMP_ROOT") or Path(__file__).resolve().parent.parent)
    build_dir = Path(os.environ.get("CAMP_BUILD_DIR") or root / "datasets" / "_build")
    online = frozenset(
        name.strip() for name in os.environ.get("CAMP_ONLINE", "").split(",") if name.strip()
    )
    return Settings(root=root.resolve(), build_dir=build_dir.resolve(), online=online)
