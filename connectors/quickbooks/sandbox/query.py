"""The subset of QuickBooks' query language the sandbox answers.

    select * | count(*) | <field>, ... | *, <field>, ... from <Entity>
      [where <field> <op> '<value>' [and ...]]   fields: Metadata.LastUpdatedTime,
                                                 Metadata.CreateTime, Id; ops = < <= > >=;
                                                 Id IN ('1', '2'), Active = true|false,
                                                 Active IN (true, false)
      [ORDERBY Metadata.LastUpdatedTime | Metadata.CreateTime | Id [ASC|DESC]]
      [STARTPOSITION n] [MAXRESULTS n<=1000]
Keywords are case-insensitive. Anything else is a QueryParserError, as QuickBooks answers.
A field list without `*` answers sparse entities (`"sparse": true`) holding those fields and
Id, SyncToken and MetaData. As in QuickBooks, a query of a name list (Customer, Item, Account) that says nothing of Active
answers only its active entities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connectors.common.times import parse_iso

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
_QUERY = re.compile(
    r"^\s*select\s+(?P<what>count\(\*\)|[\w.*]+(?:\s*,\s*[\w.*]+)*)\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>[\w.]+)(?:\s+(?P<dir>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?"
    r"(?:\s+maxresults\s+(?P<max>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(r"^\s*(?P<field>[\w.]+)\s*(?P<op><=|>=|=|<|>)\s*'(?P<value>[^']*)'\s*$")
_ID_IN = re.compile(r"^\s*id\s+in\s*\((?P<many>[^)]*)\)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_ACTIVE = re.compile(
    r"^\s*active\s*(?:=\s*(?P<one>true|false)|in\s*\((?P<many>[^)]*)\))\s*$", re.IGNORECASE
)
_TIME_FIELDS = {"metadata.lastupdatedtime": "updated", "metadata.createtime": "created"}


class QueryError(ValueError):
    """A query the sandbox (and QuickBooks) would refuse; the message says what is wrong."""


@dataclass
class Condition:
    """`field op value`, value already converted (unix seconds for times)."""

    field: str  # "updated", "created", "id" or "active"
    op: str
    # for "active" (op "in"): the states asked for; for "id" with op "in": the ids
    value: float | str | frozenset[bool] | frozenset[str]


@dataclass
class Query:
    """A parsed query."""

    entity: str
    count: bool = False
    fields: tuple[str, ...] | None = None  # a field list without `*`: sparse entities
    conditions: list[Condition] = field(default_factory=list)
    order: str | None = None  # "updated" or "id"
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def parse_query(text: str) -> Query:
    """A Query from `text`, or QueryError naming the part that was not understood."""
    found = _QUERY.match(text or "")
    if found is None:
        raise QueryError(f"Error parsing query: could not understand {text!r}")
    query = Query(entity=found["entity"], count=found["what"].lower() == "count(*)")
    if not query.count:
        names = [name.strip() for name in found["what"].split(",")]
        if any("*" in name for name in names if name != "*"):
            raise QueryError(f"Error parsing query: could not understand {found['what']!r}")
        if "*" not in names:
            query.fields = tuple(names)
    if found["where"]:
        query.conditions = [_condition(part) for part in _AND.split(found["where"])]
    if found["order"]:
        name = found["order"].lower()
        query.order = "id" if name == "id" else _TIME_FIELDS.get(name)
        if query.order is None:
            raise QueryError(f"Error parsing query: cannot ORDERBY {found['order']!r}")
        query.descending = (found["dir"] or "asc").lower() == "desc"
    if found["start"]:
        query.start = int(found["start"])
        if query.start < 1:
            raise QueryError("STARTPOSITION starts at 1")
    if found["max"]:
        query.max_results = int(found["max"])
        if not 0 < query.max_results <= MAX_RESULTS:
            raise QueryError(f"MAXRESULTS must be from 1 to {MAX_RESULTS}")
    return query


def _condition(text: str) -> Condition:
    active = _ACTIVE.match(text)
    if active is not None:
        words = [active["one"]] if active["one"] else active["many"].split(",")
        states = {word.strip().lower() for word in words}
        if not states or not states <= {"true", "false"}:
            raise QueryError(f"Error parsing query: Active takes true or false, not {text!r}")
        return Condition("active", "in", frozenset(state == "true" for state in states))
    ids = _ID_IN.match(text)
    if ids is not None:
        wanted = [word.strip() for word in ids["many"].split(",")]
        if not all(len(w) > 2 and w[0] == w[-1] == "'" for w in wanted):
            raise QueryError(f"Error parsing query: Id IN takes quoted ids, not {text.strip()!r}")
        return Condition("id", "in", frozenset(w[1:-1] for w in wanted))
    found = _CONDITION.match(text)
    if found is None:
        raise QueryError(f"Error parsing query: could not understand condition {text.strip()!r}")
    name = found["field"].lower()
    if name == "id":
        if found["op"] != "=":
            raise QueryError("Id can only be compared with =")
        return Condition("id", "=", found["value"])
    column = _TIME_FIELDS.get(name)
    if column is None:
        raise QueryError(f"Error parsing query: property {found['field']!r} is not queryable")
    try:
        value = parse_iso(found["value"])
    except ValueError:
        raise QueryError(f"Error parsing query: {found['value']!r} is not a date-time") from None
    return Condition(column, found["op"], value)
