"""docs/development.md names the files and the objects a developer looks for: each must exist,
so that the page fails here when a move leaves it behind."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from connectors.providers import PROVIDERS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "development.md"
PACKAGES = ("mappings", "connectors", "pipelines", "warehouse", "flows", "web", "intsync", "tests")
CODE = re.compile(r"`([^`\s]+)`")
# the checklist's example provider, and placeholders no file is named after
EXAMPLES = ("acme", "<resource>", "<model>")


def _spans() -> list[str]:
    return CODE.findall(PAGE.read_text())


def _paths() -> set[str]:
    named = {
        span.rstrip("/")
        for span in _spans()
        if "/" in span and span.split("/")[0] in (*PACKAGES, "docs") or span == "pyproject.toml"
    }
    paths = set()
    for path in named:
        if any(example in path for example in EXAMPLES):
            continue
        if "<provider>" in path:
            paths |= {path.replace("<provider>", name) for name in PROVIDERS}
        else:
            paths.add(path)
    return paths


def test_every_path_the_page_names_exists() -> None:
    paths = _paths()
    assert len(paths) >= 30
    missing = sorted(path for path in paths if not (ROOT / path).exists())
    assert not missing, f"docs/development.md names paths that do not exist: {missing}"


def test_every_object_the_page_names_by_module_exists() -> None:
    dotted = [
        span
        for span in _spans()
        if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+\.[A-Za-z_]+", span) and span.split(".")[0] in PACKAGES
    ]
    assert dotted
    for span in dotted:
        module, _, name = span.rpartition(".")
        try:
            found = importlib.import_module(span)
        except ModuleNotFoundError:
            found = getattr(importlib.import_module(module), name, None)
        assert found is not None, f"docs/development.md names {span}, which does not exist"
