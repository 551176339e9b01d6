"""A fast loader of synthetic instances, for the scale tests and the table benchmark.

`load(store, kind, n)` writes `n` realistic instances of one inventory straight through the store
API (`Store.store_page`, so revisions and the search index are written as a sync would write them)
in big transactions. Deterministic: the same (kind, start, n) gives the same instances.

`load_postgres(url, kind, n)` writes the same rows into a PostgreSQL store with COPY: the rows and
their revisions exactly as `Store.store_page` writes them (search words included), the instance
and revision indexes dropped before and built after, the counts recounted, then VACUUM ANALYZE (so
index-only scans work at once). A million resources load in a few minutes.

    python benchmarks/loader.py DB KIND N     (DB: a SQLite path or a postgresql:// URL)
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from tui_inventory.store import pg_search
from tui_inventory.store.db import is_postgres_url
from tui_inventory.store.repo import Store, digest_of, encode, now_iso
from tui_inventory.tmf.mapping import Mapped

TRANSACTION = 5000  # instances per transaction

_SATELLITES = ("SES-17", "SES-14", "SES-12", "O3b-M01", "O3b-M07", "NSS-12", "Astra-2E", "SES-4")
_SITES = (
    "Betzdorf", "Gibraltar", "Manassas", "Woodbine", "Hawaii Teleport", "Perth", "Lima",
    "Dubai", "Singapore", "São Paulo", "Johannesburg", "Munich", "Stockholm", "Accra",
)  # fmt: skip
_CUSTOMERS = ("Carnival", "Royal Caribbean", "Ocean Telecom", "Digicel", "Orange Marine", "NATO")
_RESOURCE_TYPES = ("Modem", "Terminal", "Antenna", "Gateway", "Transponder", "Satellite")
_WEIGHTS = (60, 25, 6, 3, 4, 2)
_SERVICE_STATUSES = ("Operational", "Operational", "Operational", "Non-Operational", "Pending")
_RESOURCE_STATUSES = ("active", "active", "active", "inactive", "planned", "retired")


def _stamp(rng: random.Random) -> str:
    return (
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
    )


def _resource(i: int, rng: random.Random) -> Mapped:
    key = f"RES-{i:08d}"
    rtype = rng.choices(_RESOURCE_TYPES, _WEIGHTS)[0]
    site = rng.choice(_SITES)
    serial = f"{rng.getrandbits(40):010x}"
    name = f"{rtype} {site[:3].upper()}-{i:07d}"
    status = rng.choice(_RESOURCE_STATUSES)
    chars: dict[str, Any] = {
        "serialNumber": serial,
        "satellite": rng.choice(_SATELLITES),
        "rxFrequencyMHz": round(rng.uniform(10700, 12750), 1),
        "vlan": rng.randint(1, 4094),
    }
    fields = {
        "ID": key,
        "Name": name,
        "Description": f"{rtype} at {site}",
        "Status": status,
        "Type": rtype,
        "Specification": {"id": f"spec-{rtype.lower()}", "name": rtype, "version": "1.0"},
        "Resource Characteristics": chars,
        "Related Parties": [
            {"id": f"cust-{rng.randint(1, 400)}", "name": rng.choice(_CUSTOMERS), "role": "owner"}
        ],
        "Locations": [{"id": f"site-{site[:3].lower()}", "name": site, "role": "Site"}],
        "Resource Relationships": [],
        "Other Fields": {},
    }
    return Mapped(key, name, status, rtype, site, fields)


def _service(i: int, rng: random.Random) -> Mapped:
    key = f"SVC-{i:08d}"
    site = rng.choice(_SITES)
    customer = rng.choice(_CUSTOMERS)
    name = f"{customer} {site} link {i}"
    status = rng.choice(_SERVICE_STATUSES)
    stype = rng.choice(("CFS", "Managed Bandwidth", "Internet", "MPLS"))
    fields = {
        "ID": key,
        "Name": name,
        "Description": f"{stype} for {customer}",
        "Status": status,
        "Type": stype,
        "Start Date": _stamp(rng),
        "End Date": None,
        "Last Update": _stamp(rng),
        "Customer": customer,
        "Site": site,
        "Service Characteristics": {
            "cir": rng.choice((10, 20, 50, 100)),
            "contract": f"C-{rng.randint(1000, 9999)}",
        },
        "Supporting Resources": [
            {"id": f"RES-{rng.randrange(0, max(i, 1)):08d}", "name": "Modem", "type": "Modem"}
        ],
        "Other Fields": {},
    }
    return Mapped(key, name, status, stype, site, fields)


def _carrier(i: int, rng: random.Random) -> Mapped:
    key = f"CAR-{i:08d}"
    sat = rng.choice(_SATELLITES)
    gateway = rng.choice(_SITES)
    name = f"{sat} TP{rng.randint(1, 48)} carrier {i}"
    status = rng.choice(_SERVICE_STATUSES)
    ctype = rng.choice(("DVB-S2X", "MF-TDMA", "SCPC"))
    fields = {
        "ID": key,
        "Name": name,
        "Operational Status": status,
        "ElementType": "Carrier",
        "Type": ctype,
        "Gateway": gateway,
        "Terminal": f"TERM-{rng.randint(1, 9999):04d}",
        "Uplink Alias": f"UL-{i}",
        "Downlink Alias": f"DL-{i}",
        "Uplink RF Center Frequency": round(rng.uniform(13750, 14500), 3),
        "Downlink RF Center Frequency": round(rng.uniform(10700, 12750), 3),
        "Satellite": [{"id": f"sat-{sat.lower()}", "name": sat, "type": "Satellite"}],
        "Transponder": [],
        "Bandwidth Segments": [],
        "Other Fields": {},
    }
    return Mapped(key, name, status, ctype, gateway, fields)


_MAKERS = {"resources": _resource, "services": _service, "carriers": _carrier}


def synthetic(kind: str, n: int, *, start: int = 0, seed: int = 0) -> Iterator[Mapped]:
    """`n` synthetic instances of `kind`, numbered from `start`."""
    make = _MAKERS[kind]
    for i in range(start, start + n):
        yield make(i, random.Random(seed * 1_000_003 + i))


def load(store: Store, kind: str, n: int, *, start: int = 0, seed: int = 0) -> int:
    """Write `n` synthetic instances of `kind` through `store.store_page`; returns the count."""
    batch: list[Mapped] = []
    done = 0
    for m in synthetic(kind, n, start=start, seed=seed):
        batch.append(m)
        if len(batch) == TRANSACTION:
            with store.transaction():
                store.store_page(kind, None, batch)
            done += len(batch)
            batch = []
    if batch:
        with store.transaction():
            store.store_page(kind, None, batch)
        done += len(batch)
    return done


COPY_ROWS = 20_000  # rows per COPY statement
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(values: list[str | None]) -> str:
    return "\t".join("\\N" if v is None else v.translate(_COPY_ESCAPES) for v in values) + "\n"


def load_postgres(url: str, kind: str, n: int, *, start: int = 0, seed: int = 0) -> int:
    """`load` for a PostgreSQL store, with COPY (see the module's docstring)."""
    return copy_into(url, kind, synthetic(kind, n, start=start, seed=seed))


def copy_into(url: str, kind: str, items: Iterable[Mapped]) -> int:
    """Write `items` (distinct keys, none stored yet) into the PostgreSQL store at `url` with
    COPY, as `Store.store_page` would have written them; returns the count."""
    with Store(url) as store:  # (the schema created or brought up to date)
        db = store.db
        with db.atomic():
            saved = db.execute_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('instance', 'revision') AND indexname NOT LIKE '%%_pkey'"
            ).fetchall()
            for name, _ in saved:
                db.execute_sql(f'DROP INDEX "{name}"')
            db.execute_sql("ALTER TABLE instance DISABLE TRIGGER USER")
            cursor = db.cursor()
            stamp = now_iso()
            rows: list[str] = []
            revisions: list[str] = []

            def flush() -> None:
                cols = 'kind, "key", name, status, "type", site, fields, digest, created_at, '
                cols += "updated_at, search_text, search_vec"
                cursor.copy_expert(f"COPY instance ({cols}) FROM STDIN", io.StringIO("".join(rows)))
                cols = 'kind, "key", "at", run, change, name, changes'
                cursor.copy_expert(
                    f"COPY revision ({cols}) FROM STDIN", io.StringIO("".join(revisions))
                )
                rows.clear()
                revisions.clear()

            done = 0
            for m in items:
                e = encode(m)
                vec = " ".join(f"'{w}'" for w in pg_search.words(e.text))
                values: list[str | None] = [
                    kind,
                    e.key,
                    e.name,
                    e.status,
                    e.type,
                    e.site,
                    e.fields_json,
                ]
                values += [digest_of(e.fields_json), stamp, stamp, e.text, vec]
                rows.append(_copy_line(values))
                revisions.append(_copy_line([kind, e.key, stamp, None, "created", e.name, ""]))
                done += 1
                if len(rows) == COPY_ROWS:
                    flush()
            flush()
            db.execute_sql("ALTER TABLE instance ENABLE TRIGGER USER")
            db.execute_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for _, definition in saved:
                db.execute_sql(definition)
            pg_search.recount(db)
        db.execute_sql("VACUUM ANALYZE instance")
        db.execute_sql("VACUUM ANALYZE revision")
    return done


if __name__ == "__main__":  # python benchmarks/loader.py DB KIND N
    url, what, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = time.perf_counter()
    if is_postgres_url(url):
        load_postgres(url, what, count)
        print(f"{count} {what} in {time.perf_counter() - t0:.1f} s")
        sys.exit(0)
    with Store(url) as s:
        load(s, what, count)
    print(f"{count} {what} in {time.perf_counter() - t0:.1f} s")
