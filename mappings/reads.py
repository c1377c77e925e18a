"""What a spec reads, checked against the connectors' catalogue: a provider intsync knows, a
resource its connector reads, and that resource's fields for every path below."""

from __future__ import annotations

from mappings.catalogue import Catalogue, Shape
from mappings.checks import Checker, did_you_mean
from mappings.errors import ValidationIssue
from mappings.rawspec import RawSpec
from mappings.yamlnodes import Src


def checker_for(
    raw: RawSpec, issues: list[ValidationIssue], catalogue: Catalogue | None
) -> Checker:
    """A Checker for one spec: with the read resource's fields when `catalogue` is given (an
    unknown provider or resource is reported at its value, and its paths go unchecked)."""
    provider, provider_at = _top_text(raw, "provider") or _top_text(raw, "source") or (None, None)
    resource, resource_at = _top_text(raw, "resource") or (None, None)
    label = f"{provider} {resource}"
    if catalogue is None or not provider or not resource:
        return Checker(issues, resource_label=label)
    shape = _fields(catalogue, provider, provider_at, resource, resource_at, issues)
    return Checker(issues, shape=shape, resource_label=label)


def _fields(
    catalogue: Catalogue,
    provider: str,
    provider_at: Src | None,
    resource: str,
    resource_at: Src | None,
    issues: list[ValidationIssue],
) -> Shape | None:
    if provider not in catalogue.providers:
        if provider_at is not None:
            known = ", ".join(catalogue.providers)
            issues.append(
                provider_at.issue(
                    f"unknown provider '{provider}'{did_you_mean(provider, catalogue.providers)}"
                    f": intsync reads {known}"
                )
            )
        return None
    readable = list(catalogue.resources(provider))
    if resource not in readable:
        if resource_at is not None:
            issues.append(
                resource_at.issue(
                    f"intsync does not read {provider} resource '{resource}'"
                    f"{did_you_mean(resource, readable)}: its {provider} connector reads "
                    f"{', '.join(sorted(readable))}"
                )
            )
        return None
    return catalogue.fields(provider, resource)


def _top_text(raw: RawSpec, key: str) -> tuple[str, Src] | None:
    entry = raw.top.get(key)
    if entry is None or not entry[1].is_text:
        return None
    return entry[1].text(), entry[1]
