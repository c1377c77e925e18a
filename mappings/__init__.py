"""The mapping language: YAML specs that say how provider records become warehouse columns.

`load_specs()` reads and validates every spec at once; `compile_spec()` turns one into a
CompiledMapping whose `map_page()` maps a page of parsed records into Arrow tables."""

from __future__ import annotations

from mappings.catalogue import Catalogue
from mappings.compiled import CompiledChild
from mappings.compiler import CompiledMapping, compile_spec
from mappings.errors import MappingError, SpecValidationError, UnknownSpecError, ValidationIssue
from mappings.loader import OVERRIDES_DIR, SPECS_DIR, collect, load_spec, load_specs
from mappings.model import ChildSpec, FieldSpec, Spec
from mappings.page import MappedPage, QuarantinedRow
from mappings.specset import SpecSet
from mappings.transforms import TRANSFORMS
from mappings.types import ColumnType

__all__ = [
    "Catalogue",
    "OVERRIDES_DIR",
    "SPECS_DIR",
    "TRANSFORMS",
    "ChildSpec",
    "ColumnType",
    "CompiledChild",
    "CompiledMapping",
    "FieldSpec",
    "MappedPage",
    "MappingError",
    "QuarantinedRow",
    "Spec",
    "SpecSet",
    "SpecValidationError",
    "UnknownSpecError",
    "ValidationIssue",
    "collect",
    "compile_spec",
    "load_spec",
    "load_specs",
]
