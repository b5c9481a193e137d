"""The screen's keys on one line at the bottom, drawn by one widget.

Textual's ``Footer`` mounts and styles a widget per key, and builds them all
again whenever the bindings change (focus moves, a dialog closes). On a small
office machine that was ~100 ms of style work before the queue's first rows
could be drawn, and ~40 ms at every change after. This bar reads the same
``screen.active_bindings``, shows the same keys in the same colours, and is a
single line of text: a change of bindings redraws one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class KeyItem:
    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--hover",
                         "key-bar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--separator {
            color: $foreground 20%;
        }
        .key-bar--hover {
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self.items: list[KeyItem] = []
        self.palette: KeyItem | None = None
        self._spans: list[tuple[int, int, KeyItem]] = []
        self._hover: KeyItem | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        items: dict[str, KeyItem] = {}  # one key per action, the first bound
        palette = None
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            item = KeyItem(binding.key, self.app.get_key_display(binding),
                           binding.description, enabled)
            if binding.key == self.app.COMMAND_PALETTE_BINDING:
                palette = item
            elif binding.show and binding.action not in items:
                items[binding.action] = item
        shown_palette = (palette if self.show_command_palette
                         and self.app.ENABLE_COMMAND_PALETTE else None)
        if list(items.values()) != self.items or shown_palette != self.palette:
            self.items, self.palette = list(items.values()), shown_palette
            self.refresh()

    def _chunk(self, item: KeyItem) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        if item == self._hover:
            hover = self.get_component_rich_style("key-bar--hover")
            key_style, description_style = key_style + hover, description_style + hover
        chunk = Text.assemble((f" {item.display} ", key_style))
        if item.description:
            chunk.append(f"{item.description} ", description_style)
        if not item.enabled:
            chunk.stylize("dim")
        return chunk

    def render(self) -> Text:
        """The keys that fit whole, in order: a key that would be cut is left
        out (F1 lists them all), never cut mid-word."""
        line = Text(no_wrap=True, overflow="crop")
        spans = []
        width = self.size.width
        for item in self.items:
            chunk = self._chunk(item)
            if line.cell_len + chunk.cell_len > width:
                continue  # a shorter key after it may still fit (F1 Bantuan)
            spans.append((line.cell_len, line.cell_len + chunk.cell_len, item))
            line.append_text(chunk)
        if self.palette is not None:
            chunk = Text("▏", self.get_component_rich_style("key-bar--separator"))
            chunk.append_text(self._chunk(self.palette))
            start = self.size.width - chunk.cell_len
            if start >= line.cell_len + 1:  # only where it does not hide a key
                line.append(" " * (start - line.cell_len))
                spans.append((start, start + chunk.cell_len, self.palette))
                line.append_text(chunk)
        self._spans = spans
        return line

    def _item_at(self, x: int) -> KeyItem | None:
        for start, end, item in self._spans:
            if start <= x < end and x < self.size.width:
                return item
        return None

    def on_click(self, event: events.Click) -> None:
        item = self._item_at(event.x)
        if item is None:
            return
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        item = self._item_at(event.x)
        if item != self._hover:
            self._hover = item
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()
