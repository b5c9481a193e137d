"""Help for the screen below: what it is for, every key it has, and its legend."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from bakso_tui.locale import t
from bakso_tui.widgets import describe, translate_bindings
from bakso_tui.widgets.bindings import binding_key, tui_binding


def screen_keys(screen: Screen) -> list[tuple[str, Binding]]:
    """(keys, binding) for every binding of ours active on `screen`, in key-bar order.

    Keys bound to the same action are shown together ("F1 / ?"); bindings the
    screen hides (a role may not use them, or they make no sense now) are left out.
    """
    app = screen.app
    keys: dict[str, list[str]] = {}
    first: dict[str, Binding] = {}
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        if binding_key(binding) is None or binding.id is None or binding.system:
            continue
        if getattr(app, "not_yours", None) and app.not_yours(binding.action):
            continue  # another role's key: it says so when pressed, the help leaves it out
        first.setdefault(binding.id, binding)
        display = app.get_key_display(binding)
        if display not in keys.setdefault(binding.id, []):
            keys[binding.id].append(display)
    return [(" / ".join(keys[i]), first[i]) for i in first]


class HelpScreen(ModalScreen[None]):
    """Opened by F1 or ? on any screen; Escape (or F1/? again) closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #help-dialog {
        width: 90%;
        max-width: 96;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        background: $surface;
        padding: 0 1;
    }
    HelpScreen Static {
        width: 1fr;
        height: auto;
    }
    HelpScreen .help-heading {
        margin-top: 1;
        text-style: bold;
        color: $text-accent;
    }
    """

    BINDINGS = [tui_binding("escape,f1,question_mark", "close", "help-close")]

    def __init__(self, target: Screen) -> None:
        super().__init__()
        translate_bindings(self)
        self.target = target
        # Read now, while the target is still the screen on top: what it offers there.
        self.keys = screen_keys(target)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield from self._content()

    def on_mount(self) -> None:
        self._titles()

    def _titles(self) -> None:
        dialog = self.query_one("#help-dialog")
        dialog.border_title = t("tui.help.title", screen=self.target.title or "")
        close = self.app.get_key_display(Binding("escape", "close"))
        dialog.border_subtitle = f"{close}: {t('tui.binding.help-close')}"

    def _content(self) -> ComposeResult:
        help_key = getattr(self.target, "HELP_KEY", "")
        if help_key:
            yield Static(t(help_key), id="help-text", markup=False)
        yield Static(t("tui.help.keys"), classes="help-heading")
        keys = [(display, describe(binding)) for display, binding in self.keys]
        if self.target.query("DataTable, QueueTable"):
            keys += [
                ("↑ ↓", t("tui.help.nav_row")),
                ("PgUp PgDn", t("tui.help.nav_page")),
                ("Home End", t("tui.help.nav_ends")),
            ]
        yield Static(_key_grid(keys), id="help-keys")
        for heading, entries in getattr(self.target, "HELP_LEGEND", ()):
            yield Static(t(heading), classes="help-heading")
            yield Static(_legend([(t(term), t(text)) for term, text in entries]))

    def retranslate(self) -> None:
        translate_bindings(self)
        dialog = self.query_one("#help-dialog")
        dialog.remove_children()
        dialog.mount_all(list(self._content()))
        self._titles()
        self.refresh_bindings()

    def action_close(self) -> None:
        self.dismiss()


def _key_grid(rows: list[tuple[str, str]]) -> Table:
    """Keys and what they do, in two pairs of columns (fits 80×24 without scrolling).
    A description too long for its column wraps between words, never cut."""
    table = Table.grid(padding=(0, 1), expand=True)
    for _ in range(2):
        table.add_column(no_wrap=True, style="bold", justify="right")
        table.add_column(ratio=1, overflow="fold")
    half = (len(rows) + 1) // 2
    for i in range(half):
        cells: list[Text] = []
        for key, text in (rows[i], rows[i + half] if i + half < len(rows) else ("", "")):
            cells += [Text(key), Text(text)]
        table.add_row(*cells)
    return table


def _legend(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(ratio=1)
    for left, right in rows:
        table.add_row(Text(left), Text(right))
    return table
