"""Helpers of the sandbox contract tests: providers' published schemas as jsonschema validators,
and plain HTTP against a served sandbox (no connector, no SDK)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REFERENCE = Path(__file__).parent / "reference"
SQUARE_BASE = "urn:square-api"


def openapi30_to_jsonschema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema draft 7: `nullable: true` admits null, and nothing
    else does (Square's spec marks which fields may be null; the rest must be left out)."""
    if isinstance(node, list):
        return [openapi30_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: openapi30_to_jsonschema(value) for key, value in node.items() if key != "nullable"}
    for key in ("properties", "definitions"):
        if key in node:
            out[key] = {name: openapi30_to_jsonschema(s) for name, s in node[key].items()}
    if node.get("nullable"):
        if "$ref" in out:
            out = {"anyOf": [{"$ref": out.pop("$ref")}, {"type": "null"}], **out}
        elif isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
    return out


@cache
def _square_registry() -> Registry:
    document = json.loads((REFERENCE / "square_schemas.json").read_text())
    root = {"components": {"schemas": openapi30_to_jsonschema(document["schemas"])}}
    return Registry().with_resource(SQUARE_BASE, Resource(root, DRAFT7))


def square_errors(name: str, instance: Any) -> list[str]:
    """Every way `instance` breaks Square's schema `name` (`ListPaymentsResponse`, ...)."""
    schema = {"$ref": f"{SQUARE_BASE}#/components/schemas/{name}"}
    validator = jsonschema.Draft7Validator(schema, registry=_square_registry())
    return [_describe(error) for error in validator.iter_errors(instance)]


def schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every way `instance` breaks a JSON schema written in a test."""
    validator = jsonschema.Draft7Validator(schema)
    return [_describe(error) for error in validator.iter_errors(instance)]


def _describe(error: jsonschema.ValidationError) -> str:
    path = "/".join(str(part) for part in error.absolute_path) or "(top)"
    return f"{path}: {error.message[:200]}"
