"""References in either shape: `ref:` reads an id whether the provider sends it bare or inside an
object (Stripe's expandable fields, QuickBooks' `*Ref` objects), and every shipped spec reads
the provider's reference fields that way, so an expanded record maps to the same row."""

from __future__ import annotations

import copy
import json
import typing
from decimal import Decimal
from typing import Any

import pytest
import stripe

from connectors.quickbooks.sandbox.seed import seed_company
from connectors.sandbox.seeding import SeedSpec
from mappings import compile_spec, load_specs
from mappings.model import FieldSpec, Spec
from tests.mappings.conftest import DATA, OBJECT_BY_RESOURCE
from tests.mappings.oracle import interpret_page

HEAD = "provider: stripe\nresource: charges\ntable: stripe_charges\nfields:\n  id: id\n"
QB_HEAD = "provider: quickbooks\nresource: invoices\ntable: qb_invoices\nfields:\n  id: Id\n"
QB_ENTITIES = {
    "accounts": "Account",
    "customers": "Customer",
    "items": "Item",
    "invoices": "Invoice",
    "sales_receipts": "SalesReceipt",
    "payments": "Payment",
}


def test_bare_and_expanded_stripe_ids_give_the_same_row(compile_yaml, context):
    compiled = compile_yaml(
        HEAD
        + "  customer_id: {ref: customer}\n"
        + "  payment_id: {ref: [charge, payment_intent], transform: upper}\n"
    )
    bare = {"id": "re_1", "customer": "cus_1", "charge": None, "payment_intent": "pi_1"}
    expanded = {
        "id": "re_1",
        "customer": {"id": "cus_1", "object": "customer", "email": "ann@example.com"},
        "charge": None,
        "payment_intent": {"id": "pi_1", "object": "payment_intent", "amount": 100},
    }
    rows = [compiled.map_page([r], context).table.to_pylist() for r in (bare, expanded)]
    assert rows[0] == rows[1]
    assert (rows[0][0]["customer_id"], rows[0][0]["payment_id"]) == ("cus_1", "PI_1")


def test_quickbooks_refs_read_value_and_a_bare_value_too(compile_yaml, context):
    compiled = compile_yaml(QB_HEAD + "  customer_id: {ref: CustomerRef}\n")
    page = compiled.map_page(
        [
            {"Id": "1", "CustomerRef": {"value": "42", "name": "Amy Lee"}},
            {"Id": "2", "CustomerRef": "42"},
            {"Id": "3", "CustomerRef": 42},
            {"Id": "4", "CustomerRef": None},
        ],
        {**context, "provider": "quickbooks"},
    )
    assert page.table.column("customer_id").to_pylist() == ["42", "42", "42", None]
    assert compiled.spec.field("customer_id").ref_key == "value"


def test_id_key_names_another_key(compile_yaml, context):
    compiled = compile_yaml(HEAD + "  owner: {ref: owner, id_key: uid}\n")
    page = compiled.map_page([{"id": "a", "owner": {"uid": "u_7", "id": "no"}}], context)
    assert page.table.column("owner").to_pylist() == ["u_7"]


def test_a_value_in_neither_shape_is_quarantined_with_the_fix(compile_yaml, context):
    compiled = compile_yaml(HEAD + "  customer_id: {ref: customer}\n")
    page = compiled.map_page(
        [
            {"id": "ch_1", "customer": ["cus_1"]},
            {"id": "ch_2", "customer": {"object": "customer", "email": "a@b.c"}},
            {"id": "ch_3", "customer": "cus_3"},
        ],
        context,
    )
    assert page.table.column("id").to_pylist() == ["ch_3"]
    assert [(q.record_id, q.field, q.value, q.reason) for q in page.quarantined] == [
        ("ch_1", "customer_id", ["cus_1"], "['cus_1'] is a list, not an id or an object with 'id'"),
        (
            "ch_2",
            "customer_id",
            {"object": "customer", "email": "a@b.c"},
            "an object without 'id' (its keys: email, object), not a reference: "
            "set id_key to the key that holds the id",
        ),
    ]


def test_a_path_to_an_expanded_object_is_still_refused(compile_yaml, context):
    """What `ref:` fixes: the same record through a plain path is quarantined."""
    compiled = compile_yaml(HEAD + "  customer_id: customer\n")
    page = compiled.map_page([{"id": "ch_1", "customer": {"id": "cus_1"}}], context)
    assert page.table.num_rows == 0
    assert page.quarantined[0].reason.startswith("an object, not text")


# The shipped specs


@pytest.fixture(scope="module")
def shipped() -> list[Spec]:
    return load_specs().all()


def _sdk_class(resource: str) -> type:
    name = OBJECT_BY_RESOURCE[resource]
    return getattr(stripe, "".join(part.title() for part in name.split("_")))


def _annotation(cls: type, name: str) -> Any:
    for base in cls.__mro__:
        found = base.__dict__.get("__annotations__", {}).get(name)
        if found is not None:
            return found
    return None


def _classes(annotation: Any, module: str) -> list[type]:
    """The Stripe classes an annotation names (through Optional, Union, forward references)."""
    args = typing.get_args(annotation) if typing.get_origin(annotation) else (annotation,)
    found = []
    for arg in args:
        if isinstance(arg, typing.ForwardRef):
            arg = arg.__forward_arg__
        if isinstance(arg, str):
            arg = getattr(stripe, arg, None) or vars(__import__(module, fromlist=["x"])).get(arg)
        if isinstance(arg, type) and issubclass(arg, stripe.StripeObject):
            found.append(arg)
    return found


def _stripe_type(cls: type, segments: tuple[Any, ...]) -> Any:
    """The SDK's annotation of the field at `segments` (None where the SDK does not declare
    it: fields of older API versions)."""
    annotation: Any = None
    for index, segment in enumerate(segments):
        if segment == "data" and index and typing.get_origin(annotation) is None:
            continue  # a list page: `.data` holds the items
        annotation = _annotation(cls, str(segment))
        if annotation is None:
            return None
        if (
            typing.get_origin(annotation) is not None
            and getattr(typing.get_origin(annotation), "__name__", "") == "ListObject"
        ):
            (item,) = typing.get_args(annotation)
            annotation = None
            classes = _classes(item, cls.__module__)
        else:
            classes = _classes(annotation, cls.__module__)
        if index < len(segments) - 1:
            if not classes:
                return None
            cls = classes[0]
    return annotation


def _expandable(annotation: Any, module: str) -> list[type]:
    """The resources an `ExpandableField` may expand into (empty for any other field)."""
    args = typing.get_args(annotation)
    if str not in args:
        return []
    return _classes(annotation, module)


def _stripe_fields(spec: Spec) -> list[tuple[str, FieldSpec, tuple[Any, ...], type]]:
    """(column, field, path, class the path starts at) for every field of a Stripe spec."""
    cls = _sdk_class(spec.resource)
    found = [(f.name, f, p.segments, cls) for f in spec.fields for p in f.paths]
    for child in spec.children:
        item_cls = _list_item_class(cls, child.path.segments)
        found += [
            (f"{child.name}.{f.name}", f, p.segments, item_cls)
            for f in child.fields
            for p in f.paths
        ]
    return found


def _list_item_class(cls: type, segments: tuple[Any, ...]) -> type:
    annotation = _annotation(cls, str(segments[0]))
    (item,) = typing.get_args(annotation)
    return _classes(item, cls.__module__)[0]


def test_every_expandable_stripe_field_a_shipped_spec_maps_is_read_as_a_ref(shipped):
    stripe_specs = [s for s in shipped if s.provider == "stripe"]
    assert len(stripe_specs) >= 14
    plain, refs = [], 0
    for spec in stripe_specs:
        for column, field, segments, cls in _stripe_fields(spec):
            annotation = _stripe_type(cls, segments)
            if annotation is not None and _expandable(annotation, cls.__module__):
                refs += 1
                if field.ref_key is None:
                    plain.append(f"{spec.path}: {column} reads {'.'.join(map(str, segments))}")
    assert plain == []
    assert refs >= 25


def test_every_quickbooks_ref_a_shipped_spec_maps_is_read_as_a_ref(shipped):
    wrong = []
    refs = 0
    for spec in (s for s in shipped if s.provider == "quickbooks"):
        fields = list(spec.fields) + [f for c in spec.children for f in c.fields]
        for field in fields:
            for path in field.paths:
                parts = [str(s) for s in path.segments]
                last = parts[-1]
                if field.ref_key is not None:
                    refs += 1
                    assert last.endswith("Ref") and field.ref_key == "value", path.text
                elif last == "value" and len(parts) > 1 and parts[-2].endswith("Ref"):
                    wrong.append(f"{spec.path}: {field.name} reads {path.text}: use ref:")
                elif last.endswith("Ref"):
                    wrong.append(f"{spec.path}: {field.name} reads the object {path.text}")
    assert wrong == []
    assert refs >= 15


@pytest.fixture(scope="module")
def examples() -> dict[str, dict[str, Any]]:
    """Stripe's documented example objects, by object name."""
    objects = json.loads((DATA / "stripe_objects.json").read_text())
    objects.update(json.loads((DATA / "stripe_expandable.json").read_text()))
    return objects


@pytest.fixture(scope="module")
def quickbooks_records() -> dict[str, dict[str, Any]]:
    """One record per QuickBooks entity, in QuickBooks' documented shape (the sandbox's)."""
    counts = {name: 2 for name in QB_ENTITIES}
    company = dict(seed_company(SeedSpec(seed=3, counts=counts, now=1_767_225_600)))
    return {resource: company[entity][0] for resource, entity in QB_ENTITIES.items()}


def _put(record: dict[str, Any], segments: tuple[Any, ...], value: Any) -> None:
    for segment in segments[:-1]:
        if not isinstance(record.get(segment), dict):
            record[segment] = {}
        record = record[segment]
    record[segments[-1]] = value


def _get(record: Any, segments: tuple[Any, ...]) -> Any:
    for segment in segments:
        record = record.get(segment) if isinstance(record, dict) else None
    return record


def _beside_refs(fields: tuple[FieldSpec, ...]) -> set[str]:
    """Columns that read another key of an object a reference field reads."""
    refs = {p.segments for f in fields if f.ref_key for p in f.paths}
    return {
        f.name
        for f in fields
        for p in f.paths
        if f.ref_key is None and any(p.segments[: len(r)] == r for r in refs)
    }


def _without(rows: list[dict[str, Any]], columns: set[str]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]


def _ref_specs() -> list[str]:
    return sorted(
        s.path
        for s in load_specs().all()
        if any(f.ref_key for f in s.fields) or any(f.ref_key for c in s.children for f in c.fields)
    )


class _Shapes:
    """A record twice: every reference a spec reads bare, and expanded into its object."""

    def __init__(self, spec: Spec, examples: dict[str, Any]) -> None:
        self.spec = spec
        self.examples = examples
        self.bare: dict[str, Any] = {}
        self.expanded: dict[str, Any] = {}
        self.ids: dict[str, list[Any]] = {}  # column: the ids its references hold

    def build(self, record: dict[str, Any]) -> None:
        self.bare, self.expanded = copy.deepcopy(record), copy.deepcopy(record)
        for field in self.spec.fields:
            self._field(field.name, field, [self.bare], [self.expanded], _Owner(self.spec, ()))
        for child in self.spec.children:
            bare_items = _get(self.bare, child.path.segments) or []
            expanded_items = _get(self.expanded, child.path.segments) or []
            assert bare_items, f"{self.spec.path}: the example has no {child.path.text}"
            for field in child.fields:
                owner = _Owner(self.spec, child.path.segments)
                self._field(f"{child.name}.{field.name}", field, bare_items, expanded_items, owner)

    def _field(
        self,
        column: str,
        field: FieldSpec,
        bare: list[dict[str, Any]],
        expanded: list[dict[str, Any]],
        owner: _Owner,
    ) -> None:
        if field.ref_key is None:
            return
        path = field.paths[0].segments
        for bare_item, expanded_item in zip(bare, expanded, strict=True):
            whole = owner.example(path, _get(expanded_item, path), self.examples)
            _put(expanded_item, path, whole)
            _put(bare_item, path, whole[field.ref_key])
            self.ids.setdefault(column, []).append(whole[field.ref_key])


class _Owner:
    """Where a field's paths start: the spec's record, or the elements of a child's list."""

    def __init__(self, spec: Spec, within: tuple[Any, ...]) -> None:
        self.spec = spec
        self.within = within

    def example(self, path: tuple[Any, ...], current: Any, examples: dict[str, Any]) -> Any:
        """The object a reference at `path` expands into, as the provider documents it."""
        if self.spec.provider == "quickbooks":
            return current if isinstance(current, dict) else {"value": "9", "name": "Nine"}
        cls = _sdk_class(self.spec.resource)
        if self.within:
            cls = _list_item_class(cls, self.within)
        annotation = _stripe_type(cls, path)
        targets = _expandable(annotation, cls.__module__)
        names = [t.OBJECT_NAME for t in targets if t.OBJECT_NAME in examples]
        assert names, f"no example object for {'.'.join(map(str, path))} ({targets})"
        return copy.deepcopy(examples[names[0]])


@pytest.mark.parametrize("spec_path", _ref_specs())
def test_each_shipped_spec_maps_either_shape_of_its_references_to_the_same_row(
    spec_path, shipped, examples, quickbooks_records, context
):
    (spec,) = [s for s in shipped if s.path == spec_path]
    if spec.provider == "stripe":
        record = examples[OBJECT_BY_RESOURCE[spec.resource]]
    else:
        record = quickbooks_records[spec.resource]
    shapes = _Shapes(spec, examples)
    shapes.build(record)
    compiled = compile_spec(spec, "salt")
    context = {**context, "provider": spec.provider}
    pages = [compiled.map_page([r], context) for r in (shapes.bare, shapes.expanded)]
    for page in pages:
        assert page.quarantined == []
        assert page.table.num_rows == 1
    tables = [(pages[0].table, pages[1].table, spec.fields, "")] + [
        (pages[0].children[c.table], pages[1].children[c.table], c.fields, f"{c.name}.")
        for c in spec.children
    ]
    for bare, expanded, fields, prefix in tables:
        # other keys of a reference object (QuickBooks' `CustomerRef.name`) are only in the object
        beside = _beside_refs(fields)
        assert _without(bare.to_pylist(), beside) == _without(expanded.to_pylist(), beside)
        assert all(v is None for name in beside for v in bare.column(name).to_pylist())
        for field in (f for f in fields if f.ref_key is not None):
            ids = shapes.ids[prefix + field.name]
            if "upper" in field.transforms:
                ids = [i.upper() for i in ids]
            assert expanded.column(field.name).to_pylist() == ids, prefix + field.name
    slow = interpret_page(compiled, [shapes.expanded], context, "salt")
    assert slow.table.to_pylist() == pages[1].table.to_pylist()


def test_the_stripe_example_charge_expanded_keeps_its_customer_and_amounts(
    shipped, examples, context
):
    spec = next(s for s in shipped if s.table == "stripe_charges")
    charge = copy.deepcopy(examples["charge"])
    charge["customer"] = copy.deepcopy(examples["customer"])
    charge["payment_intent"] = copy.deepcopy(examples["payment_intent"])
    charge["balance_transaction"] = copy.deepcopy(examples["balance_transaction"])
    page = compile_spec(spec).map_page([charge], context)
    row = page.table.to_pylist()[0]
    assert page.quarantined == []
    assert row["customer_id"] == examples["customer"]["id"]
    assert row["payment_intent_id"] == examples["payment_intent"]["id"]
    assert row["balance_transaction_id"] == examples["balance_transaction"]["id"]
    assert row["amount"] == Decimal(examples["charge"]["amount"]) / 100
