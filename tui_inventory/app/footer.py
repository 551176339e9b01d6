"""The console's footer: Textual's footer, made to end cleanly on a narrow terminal.

Textual docks the command-palette key on the right, over the row of keys, and its compact style
gives that key the right margin of every key: through that last cell a letter of the key scrolled
under it showed (`▏^p paletteS`), and the key it covered was cut mid-word. Here the palette key
has no margin, and the keys that do not fit whole are left out rather than cut (the help lists
them all, the command palette offers them); `? Help` stays while there is room for it, and on a
terminal narrower than 80 columns `s Settings` and `q Quit` too (the others are left out first:
at 80 the keys of the tab come first). The keys kept are ranked: while a sync runs `c Cancel`
(the way to stop it) comes before all; on a table `f Filter` and `e Export` come before
`s Settings` (which the command palette also opens). And the
keys are composed again only when they changed (Textual's footer does it at every refresh of the
bindings, and is blank for a moment each time).
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# The actions whose keys stay when others must be left out, first ranked first.
KEEP = ("cancel_sync", "help")
NARROW = 80  # below this many columns these stay too: the way out, the table's, the settings
KEEP_NARROW = (*KEEP, "quit", "quit_asking", "filter", "export", "settings")


class ConsoleFooter(Footer):
    DEFAULT_CSS = """
    ConsoleFooter.-compact FooterKey.-command-palette { margin-right: 0; }
    """

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._shown: tuple[Any, ...] | None = None

    async def recompose(self) -> None:
        # The bindings are refreshed on every read of the store (every second during a sync):
        # the keys are composed again only when they changed, so the footer never blinks.
        shown = self._signature()
        if shown == self._shown and self.children:
            return
        self._shown = shown
        await super().recompose()
        self.fit()

    def _signature(self) -> tuple[Any, ...]:
        """What the footer would show: each key's binding and whether it is enabled."""
        if not self.is_attached:
            return ()
        active = self.screen.active_bindings.values()
        keys = tuple((b.key, b.action, b.description, on, tip) for _, b, on, tip in active)
        return (self._syncing(), *keys)

    def _syncing(self) -> bool:
        """A sync of this console runs: `c Cancel` is then the first key kept."""
        return bool(getattr(getattr(self.app, "sync", None), "running", False))

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Show the keys, in order, as long as they fit whole beside the palette key."""
        keys = list(self.query_children(FooterKey))
        palette = [k for k in keys if k.has_class("-command-palette")]
        keys = [k for k in keys if k not in palette]
        room = self.size.width - sum(_width(k) for k in palette)
        keep = KEEP_NARROW if self.size.width < NARROW else KEEP
        kept: list[FooterKey] = []
        for action in keep:  # by rank, as many as fit
            for key in keys:
                if key.action != action or key in kept or key.has_class("-disabled"):
                    continue
                if action == "cancel_sync" and not self._syncing():
                    continue
                if _width(key) <= room:
                    kept.append(key)
                    room -= _width(key)
        full = False
        for key in keys:
            if key in kept:
                key.display = True
                continue
            full = full or _width(key) > room
            key.display = not full
            if not full:
                room -= _width(key)


def _width(key: FooterKey) -> int:
    """The cells `key` takes, margins included."""
    styles = key.styles
    return cell_len(key.render().plain) + styles.gutter.width + styles.margin.width
