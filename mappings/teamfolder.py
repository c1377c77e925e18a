"""A team's own folder of specs (INTSYNC_SPECS), started as a copy of the shipped specs.

The folder holds specs laid out as intsync's own (`<provider>/<resource>.yaml`,
`core/<table>/<provider>_<resource>.yaml`) and venue overrides under `overrides/`; how it is
read over the shipped specs is `mappings.loader.collect`'s rule."""

from __future__ import annotations

from pathlib import Path

from mappings.errors import MappingError
from mappings.loader import OVERRIDES_DIR, SPECS_DIR

OVERRIDES = "overrides"  # the team folder's venue overrides: <folder>/overrides/<venue>/...


class ExistingFilesError(MappingError):
    """The folder already has files a copy would overwrite: choose another, or force."""

    def __init__(self, folder: Path, existing: list[Path]) -> None:
        self.existing = existing
        shown = ", ".join(str(p.relative_to(folder)) for p in existing[:3])
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        super().__init__(
            f"{folder} already has {len(existing)} of the files to write ({shown}{more}): "
            "pass --force to overwrite them, or name an empty folder"
        )


def shipped_files() -> list[tuple[Path, Path]]:
    """Every shipped spec and venue override as (source file, path inside a team folder)."""
    pairs = [(file, file.relative_to(SPECS_DIR)) for file in _yaml_under(SPECS_DIR)]
    pairs += [
        (file, OVERRIDES / file.relative_to(OVERRIDES_DIR)) for file in _yaml_under(OVERRIDES_DIR)
    ]
    return pairs


def init_team_folder(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the shipped specs and venue overrides into `folder` (made if missing); the files
    written. Raises ExistingFilesError, writing nothing, when any would be overwritten and
    `force` is not given."""
    pairs = [(source, folder / relative) for source, relative in shipped_files()]
    existing = [target for _, target in pairs if target.exists()]
    if existing and not force:
        raise ExistingFilesError(folder, existing)
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    return [target for _, target in pairs]


def _yaml_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found = (p for suffix in ("*.yaml", "*.yml") for p in root.rglob(suffix))
    return sorted(p for p in found if not p.relative_to(root).as_posix().startswith("."))
