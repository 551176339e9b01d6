"""Time, one way: the stored timestamp (ISO 8601, UTC, `now_iso`), reading one back
(`parse_iso`), and the two ways it is shown: in UTC by the CLI (`utc_time`) and in local
wall-clock time by the console (`local_time`)."""

from __future__ import annotations

from datetime import UTC, datetime

from tui_inventory.text import plain


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(iso: str) -> datetime:
    """A stored or received ISO 8601 timestamp (`Z` for UTC accepted); ValueError if it is not."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def utc_time(iso: str | None) -> str:
    """A stored timestamp (ISO 8601, UTC) as the CLI prints times: `2026-12-01 10:45:56 UTC`."""
    if not iso:
        return ""
    try:
        when = parse_iso(iso)
    except ValueError:
        return plain(iso)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def local_time(iso: str | None) -> str:
    """A stored UTC timestamp as local wall-clock time (with the date when not today)."""
    if not iso:
        return "never"
    try:
        when = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).astimezone()
    except ValueError:
        return plain(iso, limit=32)
    if when.date() == datetime.now().astimezone().date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%Y-%m-%d %H:%M")
