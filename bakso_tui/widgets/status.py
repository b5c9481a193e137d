"""A one-line status bar: what the list holds on the left, what is going on on the right."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label


class StatusBar(Horizontal):
    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
    }
    StatusBar > Label {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0 1;
    }
    StatusBar > #status-left {
        width: 1fr;
    }
    StatusBar > #status-right {
        width: auto;
        max-width: 50%;
        color: $text-accent;
    }
    StatusBar.-error > #status-left {
        color: $text-error;
        text-style: bold;
    }
    """

    def compose(self) -> ComposeResult:
        # What a status says may quote a search the user typed: never markup.
        yield Label("", id="status-left", markup=False)
        yield Label("", id="status-right", markup=False)

    def show(self, left: str, right: str = "", *, error: bool = False) -> None:
        self.query_one("#status-left", Label).update(left)
        self.query_one("#status-right", Label).update(right)
        self.set_class(error, "-error")

    @property
    def left_text(self) -> str:
        return str(self.query_one("#status-left", Label).content)
