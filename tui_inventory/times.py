"""Time, one way: the stored timestamp (ISO 8601, UTC, `now_iso`), reading one back
(`parse_iso`), and the two ways it is shown, both in UTC and labelled: in full by the CLI
(`utc_time`), and short (the time alone when it is today's) by the console (`console_time`)."""

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


def console_time(iso: str | None, *, label: bool = True) -> str:
    """A stored UTC timestamp as the console shows every time: in UTC, labelled (the date too
    when not today). One zone everywhere: the sync log's, the tables' and the dashboard's."""
    if not iso:
        return "never"
    try:
        when = datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return plain(iso, limit=32)
    zone = " UTC" if label else ""
    if when.date() == datetime.now(UTC).date():
        return when.strftime("%H:%M:%S") + zone
    return when.strftime("%Y-%m-%d %H:%M") + zone
