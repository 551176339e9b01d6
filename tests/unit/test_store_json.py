"""The store's JSON (`jsonio`): fields are written by orjson, and a stored instance whose text
another encoder spelled differently is not a change."""

from __future__ import annotations

import json

from tui_inventory import jsonio
from tui_inventory.store.records import digest_of, encode
from tui_inventory.store.repo import Store
from tui_inventory.tmf.client import decode_listing
from tui_inventory.tmf.mapping import Mapped


def _resource(key: str, reading: float) -> Mapped:
    fields = {
        "ID": key,
        "Name": key,
        "Status": "active",
        "Type": "Dish",
        "Resource Characteristics": {"drift": reading},
    }
    return Mapped(key, key, "active", "Dish", "", fields)


def test_the_same_fields_spelled_by_another_encoder_record_no_change(store: Store) -> None:
    mapped = _resource("RES-F", 1e-07)
    stdlib_text = json.dumps(mapped.fields, ensure_ascii=False, separators=(",", ":"))
    assert "1e-07" in stdlib_text and jsonio.dumps(mapped.fields) != stdlib_text
    # As a store written by the standard library's encoder holds it:
    as_before = encode(mapped)._replace(fields_json=stdlib_text)
    with store.transaction():
        created = store.store_page("resources", None, [as_before])
    assert created.created == 1

    with store.transaction():
        again = store.store_page("resources", None, [mapped])

    assert (again.unchanged, again.updated) == (1, 0)
    assert [r.change for r in store.revisions("resources", "RES-F")] == ["created"]
    # The new text and digest are kept, so the next page compares by digest alone.
    with store.transaction():
        third = store.store_page("resources", None, [mapped])
    assert third.unchanged == 1
    record = store.get("resources", "RES-F")
    assert record is not None and record.fields == mapped.fields
    assert digest_of(jsonio.dumps(mapped.fields)) == digest_of(encode(mapped).fields_json)


def test_a_real_change_beside_a_respelled_float_is_recorded(store: Store) -> None:
    before = _resource("RES-G", 1e-07)
    stdlib_text = json.dumps(before.fields, ensure_ascii=False, separators=(",", ":"))
    with store.transaction():
        store.store_page("resources", None, [encode(before)._replace(fields_json=stdlib_text)])
    after = _resource("RES-G", 2e-07)
    with store.transaction():
        counters = store.store_page("resources", None, [after])
    assert counters.updated == 1
    assert [r.change for r in store.revisions("resources", "RES-G")] == [
        "changed",
        "created",
    ]  # newest first


def test_non_finite_numbers_an_upstream_sends_are_written_back_as_they_came() -> None:
    items, strays = decode_listing(
        b'[{"id": "R1", "gain": NaN, "cap": Infinity, "low": -Infinity}]'
    )
    assert strays == 0
    text = jsonio.dumps(items[0])
    assert text == '{"id":"R1","gain":NaN,"cap":Infinity,"low":-Infinity}'


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    value = {"big": 2**70, "lone": "\ud800", "name": "Ka-Band 🛰️ é"}
    assert jsonio.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
