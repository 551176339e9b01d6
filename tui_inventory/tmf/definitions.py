"""The three inventory definitions: named sections of typed fields (the connector's DOM definitions).

They are written to the database on first run, so any reader (the console, a read-only console of
another host, an export) can render an instance generically from its definition alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Field types. `refs` is a list of {"id", "name", "type"} (and, for relationships, "relationship");
# `target` names the definition a ref can be followed to.
TEXT = "text"
DATETIME = "datetime"
CHARACTERISTICS = "characteristics"  # name -> value of any JSON type
REFS = "refs"
JSON = "json"  # any JSON value, shown pretty-printed

OTHER_FIELDS = "Other Fields"  # unknown top-level fields of the upstream entity, kept verbatim


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str = TEXT
    target: str | None = None  # for REFS: the definition the refs point into


@dataclass(frozen=True)
class Section:
    name: str
    fields: tuple[FieldDef, ...]


@dataclass(frozen=True)
class Definition:
    name: str  # services | carriers | resources
    title: str
    api: str  # tmf638 | tmf639
    key_label: str  # ExternalId | Id
    sections: tuple[Section, ...]

    @property
    def fields(self) -> tuple[FieldDef, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    def field(self, name: str) -> FieldDef:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Definition:
        sections = tuple(
            Section(s["name"], tuple(FieldDef(**f) for f in s["fields"])) for s in data["sections"]
        )
        return cls(data["name"], data["title"], data["api"], data["key_label"], sections)


SERVICES = Definition(
    name="services",
    title="Services",
    api="tmf638",
    key_label="ExternalId",
    sections=(
        Section(
            "General",
            (
                FieldDef("ID"),
                FieldDef("Name"),
                FieldDef("Description"),
                FieldDef("Status"),
                FieldDef("Type"),
            ),
        ),
        Section(
            "Dates",
            (
                FieldDef("Start Date", DATETIME),
                FieldDef("End Date", DATETIME),
                FieldDef("Last Update", DATETIME),
            ),
        ),
        Section("Customer and Site", (FieldDef("Customer"), FieldDef("Site"))),
        Section("Characteristics", (FieldDef("Service Characteristics", CHARACTERISTICS),)),
        Section("Relationships", (FieldDef("Supporting Resources", REFS, target="resources"),)),
        Section("Other", (FieldDef(OTHER_FIELDS, JSON),)),
    ),
)

CARRIERS = Definition(
    name="carriers",
    title="Carriers",
    api="tmf638",
    key_label="ExternalId",
    sections=(
        Section(
            "General",
            (
                FieldDef("ID"),
                FieldDef("Name"),
                FieldDef("Operational Status"),
                FieldDef("ElementType"),
                FieldDef("Type"),
            ),
        ),
        Section("Location", (FieldDef("Gateway"), FieldDef("Terminal"))),
        Section(
            "RF",
            (
                FieldDef("Uplink Alias"),
                FieldDef("Downlink Alias"),
                FieldDef("Uplink RF Center Frequency", JSON),
                FieldDef("Downlink RF Center Frequency", JSON),
            ),
        ),
        Section(
            "Relationships",
            (
                FieldDef("Satellite", REFS, target="resources"),
                FieldDef("Transponder", REFS, target="resources"),
                FieldDef("Bandwidth Segments", REFS, target="services"),
            ),
        ),
        Section("Other", (FieldDef(OTHER_FIELDS, JSON),)),
    ),
)

RESOURCES = Definition(
    name="resources",
    title="Resources",
    api="tmf639",
    key_label="Id",
    sections=(
        Section(
            "General",
            (
                FieldDef("ID"),
                FieldDef("Name"),
                FieldDef("Description"),
                FieldDef("Status"),
                FieldDef("Type"),
            ),
        ),
        Section("Specification", (FieldDef("Specification", JSON),)),
        Section("Characteristics", (FieldDef("Resource Characteristics", CHARACTERISTICS),)),
        Section(
            "Relationships",
            (
                FieldDef("Related Parties", REFS),
                FieldDef("Locations", REFS),
                FieldDef("Resource Relationships", REFS, target="resources"),
            ),
        ),
        Section("Other", (FieldDef(OTHER_FIELDS, JSON),)),
    ),
)

DEFINITIONS: dict[str, Definition] = {d.name: d for d in (SERVICES, CARRIERS, RESOURCES)}

# The status field shown as "status" in tables, exports and filters, per definition.
STATUS_FIELD = {"services": "Status", "carriers": "Operational Status", "resources": "Status"}
