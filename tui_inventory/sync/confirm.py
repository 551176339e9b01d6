"""Confirming a buildup's deletes before the cleanup removes anything.

Offset paging shifts under upstream change: when entities are deleted upstream while a listing is
paged, the entities after them move back, and those that cross into a page already fetched are
never received. Taken at its word, the buildup's cleanup would remove them although they still
exist (the connector does; the TM Forum practice only deduplicates). So when a buildup ends with
instances it did not see, the type is listed once more, keys only, and every candidate the second
listing holds is counted as seen. Only what both listings miss is removed: an entity would have to
move across a page boundary in both, at the right moments, to be lost.

The second listing costs as much as fetching the type again, but only runs when the cleanup has
something to remove (never on a first buildup into an empty store). A page of it that fails, a
cancel, or a listing that does not end leaves the cleanup undone and the buildup resumable.
"""

from __future__ import annotations

from collections.abc import Callable

from tui_inventory.errors import Cancelled, PageFailed, TypeFailed
from tui_inventory.store.repo import Store
from tui_inventory.sync.pages import PageStream
from tui_inventory.tmf.mapping import Skip, entity_key, map_entity


def confirm_absence(
    store: Store,
    kind: str,
    stream: PageStream,
    *,
    dialect: str,
    cancelled: Callable[[], bool],
    log: Callable[[str, str], None],
) -> int:
    """List `kind` again from `stream` and track every stored-but-unseen instance it holds;
    returns how many such instances were kept. Raises TypeFailed when the listing cannot be read
    whole, Cancelled on a cancel."""
    would = store.count_untracked(kind)
    if not would:
        return 0
    log("info", f"{kind}: {would} not seen by this buildup; listing {kind} again to confirm")
    size = stream.client.page_size
    api = stream.client.api
    for _number, page in stream:
        if cancelled():
            raise Cancelled()
        if isinstance(page, PageFailed):
            raise TypeFailed(
                api, f"{kind}: the cleanup could not be confirmed ({page.message}); no cleanup"
            )
        keyed = [(k, raw) for raw in page.items if (k := entity_key(kind, raw, dialect=dialect))]
        unseen = {k for k, _ in keyed} - store.tracked_among(kind, [k for k, _ in keyed])
        kept = [k for k, raw in keyed if k in unseen and _would_store(kind, raw, dialect, store)]
        if kept:
            with store.transaction():
                store.track(kind, kept)
        if page.is_last(size):
            stream.stop()
    if stream.capped:
        raise TypeFailed(
            api, f"{kind}: the listing did not end when listed again to confirm; no cleanup"
        )
    kept_count = would - store.count_untracked(kind)
    if kept_count:
        log(
            "warning",
            f"{kind}: {kept_count} of them were listed after all (they moved between pages "
            "while the listing changed upstream); kept",
        )
    return kept_count


def _would_store(kind: str, raw: object, dialect: str, store: Store) -> bool:
    """Whether the buildup would store this entity (a resource of a filtered type it would not)."""
    try:
        map_entity(kind, raw, dialect=dialect, service_status=store.service_status)
    except Skip:
        return False
    except Exception:  # an entity the mapping cannot read is still listed: keep what is stored
        return True
    return True
