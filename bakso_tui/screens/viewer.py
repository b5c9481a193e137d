"""The attachment viewer: a submission's files page by page, beside their text layer.

Opened from the submission screen (``v``, or ``1``–``9`` for one attachment).
Every time an attachment is shown its bytes are fetched through
`review.open_attachment`, which writes the view to the audit log. Pages are
drawn in the inspector's bounded child process (`attachments.render`), never
in the TUI; page one is asked for first and shown as soon as it is drawn, and
a background worker then draws the following pages into a small cache, so
paging on is instant. Zoom, pan and rotation only change the view.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from textual import work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from bakso_tui.attachments.inspect import Problem
from bakso_tui.attachments.render import DEFAULT_MAX_SIDE, RenderedPage
from bakso_tui.attachments.store import BlobStore
from bakso_tui.domain.review import AttachmentItem, SubmissionDetail, open_attachment
from bakso_tui.locale import t
from bakso_tui.locale.plain import visible
from bakso_tui.screens.base import BaksoScreen
from bakso_tui.widgets import KeyBar
from bakso_tui.widgets.bindings import tui_binding
from bakso_tui.widgets.page_view import PageView, TerminalImage, for_terminal, room_pixels
from bakso_tui.widgets.plain import plain_lines

#: Drawn pages kept in memory (RGB at up to 1600 px is at most ~5 MB a page).
CACHE_BYTES = 96 * 1024 * 1024
#: How many pages ahead of the one shown the background worker draws.
PREFETCH_AHEAD = 12


@dataclass(frozen=True)
class OpenFile:
    """An attachment's bytes as fetched (and audited) for the viewer."""

    attachment_id: int
    sha256: str
    # Never in a repr: Textual describes a worker by the repr of its arguments.
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ViewerItem:
    """One attachment with the requirement it was filed under."""

    attachment: AttachmentItem
    requirement: str
    mandatory: bool


def viewer_items(detail: SubmissionDetail) -> list[ViewerItem]:
    """The submission's attachments in checklist order (as numbered on its screen)."""
    return [ViewerItem(att, item.name, item.mandatory)
            for item in detail.checklist for att in item.attachments]


class AttachmentViewer(BaksoScreen):
    TITLE_KEY = "tui.screen.viewer"
    HELP_KEY = "tui.viewer.help"

    DEFAULT_CSS = """
    AttachmentViewer #viewer-title { height: auto; max-height: 3; padding: 0 1; background: $panel; }
    AttachmentViewer #viewer-notes { height: auto; max-height: 3; padding: 0 1; color: $warning; }
    AttachmentViewer #viewer-body { height: 1fr; }
    AttachmentViewer #viewer-page { width: 1fr; height: 1fr; align: center middle; }
    AttachmentViewer #viewer-image { width: auto; height: auto; }
    AttachmentViewer #viewer-message { width: auto; height: auto; color: $text-muted; }
    AttachmentViewer #viewer-text {
        width: 40%; min-width: 30; max-width: 70; height: 1fr;
        border-left: solid $panel-lighten-2; padding: 0 1;
    }
    AttachmentViewer #viewer-text.-hidden { display: none; }
    """

    BINDINGS = [
        tui_binding("pagedown", "page(1)", "viewer-next-page"),
        tui_binding("pageup", "page(-1)", "viewer-prev-page", show=False),
        tui_binding("right_square_bracket", "attachment(1)", "viewer-next-attachment"),
        tui_binding("left_square_bracket", "attachment(-1)", "viewer-prev-attachment",
                    show=False),
        tui_binding("plus,equals_sign", "zoom(1)", "viewer-zoom-in"),
        tui_binding("minus", "zoom(-1)", "viewer-zoom-out", show=False),
        tui_binding("0", "fit", "viewer-fit", show=False),
        tui_binding("r", "rotate", "viewer-rotate"),
        tui_binding("x", "toggle_text", "viewer-text"),
        tui_binding("left", "move(-1, 0)", "viewer-left", show=False),
        tui_binding("right", "move(1, 0)", "viewer-right", show=False),
        tui_binding("up", "move(0, -1)", "viewer-up", show=False),
        tui_binding("down", "move(0, 1)", "viewer-down", show=False),
        tui_binding("escape", "close", "viewer-close"),
    ]

    class Drawn(Message):
        """A page was drawn (or could not be) in a worker."""

        def __init__(self, attachment_id: int, number: int,
                     page: RenderedPage | Problem, background: bool) -> None:
            super().__init__()
            self.attachment_id = attachment_id
            self.number = number
            self.page = page
            self.background = background

    class Opened(Message):
        def __init__(self, index: int, file: OpenFile) -> None:
            super().__init__()
            self.index = index
            self.file = file

    def __init__(self, detail: SubmissionDetail, start: int = 0) -> None:
        super().__init__()
        self.detail = detail
        self.items = viewer_items(detail)
        self.index = min(max(start, 0), max(len(self.items) - 1, 0))
        self.number = 1  # the page shown, from 1
        self.pages = 0  # pages of the attachment shown (0: not known yet)
        self.view = PageView()
        self.file: OpenFile | None = None  # the attachment shown, once fetched
        self._cache: OrderedDict[tuple[int, int], RenderedPage] = OrderedDict()
        self._problem: Problem | None = None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield self.make_header()
        yield Static("", id="viewer-title", markup=False)
        yield Static("", id="viewer-notes", markup=False)
        with Horizontal(id="viewer-body"):
            with Container(id="viewer-page"):
                yield TerminalImage(id="viewer-image")
                yield Static(t("tui.viewer.loading"), id="viewer-message", markup=False)
            # Not focusable: its scroll keys would take PgDn and the arrows.
            with VerticalScroll(id="viewer-text", can_focus=False):
                yield Static("", id="viewer-text-body", markup=False)
        yield KeyBar(show_command_palette=False)

    def on_mount(self) -> None:
        if self.size.width and self.size.width < 100:
            self.query_one("#viewer-text").add_class("-hidden")
        if not self.items:
            self._say(t("tui.viewer.no_attachments"))
            self._update_title()
            return
        self.open(self.index)

    # ------------------------------------------------------------ workers

    @property
    def current(self) -> ViewerItem | None:
        return self.items[self.index] if self.items else None

    @work(thread=True, exclusive=True, exit_on_error=False, group="viewer_open")
    def open(self, index: int) -> None:
        """Fetch the attachment (an audited view), then draw its first page."""
        app = self.bakso
        item = self.items[index]
        with app.db.write() as session:
            att, data = open_attachment(session, app.actor, item.attachment.id,
                                        store=BlobStore(app.settings.attachments))
        file = OpenFile(att.id, att.sha256, data)
        self.post_message(self.Opened(index, file))
        self._draw(file, 1, background=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="viewer_page")
    def draw(self, file: OpenFile, number: int) -> None:
        self._draw(file, number, background=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="viewer_prefetch")
    def prefetch(self, file: OpenFile, first: int, last: int) -> None:
        """Draw pages `first`..`last` in the background, skipping cached ones."""
        worker = get_current_worker()
        for number in range(first, last + 1):
            if worker.is_cancelled:
                return
            if (file.attachment_id, number) not in self._cache:
                self._draw(file, number, background=True)

    def _draw(self, file: OpenFile, number: int, *, background: bool) -> None:
        page = self.bakso.inspector.render(file.data, number, DEFAULT_MAX_SIDE, file.sha256)
        self.post_message(self.Drawn(file.attachment_id, number, page, background))

    def worker_failed(self, worker) -> None:
        if worker.group in ("viewer_open", "viewer_page"):
            self._say(t("session.viewer_failed"))

    def database_back(self) -> None:
        if self.items and self.file is None:
            self.open(self.index)  # the attachment that could not be fetched

    # ------------------------------------------------------------ results

    def on_attachment_viewer_opened(self, message: Opened) -> None:
        if message.index != self.index:
            return
        self.file = message.file
        self.pages = self.current.attachment.pages if self.current else 0
        self._update_title()

    def on_attachment_viewer_drawn(self, message: Drawn) -> None:
        item = self.current
        if item is None or message.attachment_id != item.attachment.id:
            return
        if isinstance(message.page, Problem):
            if not message.background:
                self._problem = message.page
                self._say(t("tui.viewer.cannot_show", reason=message.page.message()))
                self._update_title()
            return
        page = message.page
        self.pages = page.pages
        self._remember(message.attachment_id, page)
        if page.number == self.number:
            self._problem = None
            self._show()
        if not message.background and page.number < page.pages and self.file is not None:
            self.prefetch(self.file, page.number + 1,
                          min(page.pages, page.number + PREFETCH_AHEAD))
        self._update_title()

    def _remember(self, attachment_id: int, page: RenderedPage) -> None:
        self._cache[(attachment_id, page.number)] = page
        self._cache.move_to_end((attachment_id, page.number))
        shown = (attachment_id, self.number)
        while sum(p.nbytes for p in self._cache.values()) > CACHE_BYTES and len(self._cache) > 1:
            oldest = next(k for k in self._cache if k != shown)
            del self._cache[oldest]

    def _page(self) -> RenderedPage | None:
        item = self.current
        return self._cache.get((item.attachment.id, self.number)) if item else None

    def _show(self) -> None:
        page = self._page()
        image = self.query_one("#viewer-image", TerminalImage)
        message = self.query_one("#viewer-message", Static)
        if page is None:
            image.image = None
            image.display = False
            message.update(t("tui.viewer.loading"))
            message.display = True
            return
        room = self.query_one("#viewer-page").size
        turned = self.view.turned(page.image())
        # The zoomed window takes the shape of the room (the whole width of a
        # terminal without graphics), then the page is cut to it.
        self.view = self.view.framed(turned.size, room_pixels(room))
        image.image = for_terminal(replace(self.view, rotation=0).apply(turned), room)
        image.display = True
        message.display = False
        # The text layer comes from the file: plain, its control characters escaped
        # (the child cleaned it already; this holds whatever drew it).
        text = plain_lines(page.text) if page.has_text_layer else t("tui.viewer.no_text")
        self.query_one("#viewer-text-body", Static).update(text)
        # A scan has no text to show beside it: the page takes the whole width
        # (the title line says there is no text layer).
        panel = self.query_one("#viewer-text")
        if panel.display != page.has_text_layer:
            panel.display = page.has_text_layer
            self.call_after_refresh(self._show)  # the room changed: fit the page to it

    def _say(self, text: str) -> None:
        image = self.query_one("#viewer-image", TerminalImage)
        image.image = None
        image.display = False
        message = self.query_one("#viewer-message", Static)
        message.update(text)
        message.display = True
        self.query_one("#viewer-text-body", Static).update("")

    def _update_title(self) -> None:
        item = self.current
        title = self.query_one("#viewer-title", Static)
        notes = self.query_one("#viewer-notes", Static)
        if item is None:
            title.update("")
            notes.update("")
            return
        att = item.attachment
        tag = t("tui.submission.mandatory") if item.mandatory else t("tui.submission.optional")
        parts: list[str | tuple[str, str]] = [
            t("tui.viewer.attachment", n=self.index + 1, total=len(self.items)),
            (visible(att.filename), "bold")]
        if self.pages:
            parts.append(t("tui.viewer.page", page=self.number, pages=self.pages))
        parts.append(t("tui.viewer.fit") if self.view.fitted
                     else t("tui.viewer.zoom", percent=round(self.view.zoom * 100)))
        if self.view.rotation:
            parts.append(t("tui.viewer.rotation", degrees=self.view.rotation))
        drawn = sum(1 for (a, _n) in self._cache if a == att.id)
        if self.pages and drawn < self.pages and self._problem is None:
            parts.append(t("tui.viewer.drawn", done=drawn, pages=self.pages))
        # The requirement last: its name can be long (the title wraps, up to three lines).
        parts.append(f"{visible(item.requirement)} ({tag})")
        joined: list[str | tuple[str, str]] = []
        for part in parts:
            joined += ["  ·  ", part] if joined else [part]
        title.update(Content.assemble(*joined))
        notes_lines = [f"! {visible(p)}" for p in att.problems]
        page = self._page()
        if page is not None and not page.has_text_layer:
            notes_lines.append(t("tui.viewer.no_text"))
        notes.update(Content("\n".join(notes_lines)))

    # ------------------------------------------------------------ actions

    def action_page(self, step: int) -> None:
        item = self.current
        if item is None or not self.pages:
            return
        number = min(max(self.number + step, 1), self.pages)
        if number == self.number:
            return
        self.number = number
        self.view = self.view.fit() if self.view.rotation == 0 else self.view
        self._show()
        self._update_title()
        if self.file is None:
            return
        if self._page() is None:
            self.draw(self.file, number)
        elif number + PREFETCH_AHEAD <= self.pages:
            self.prefetch(self.file, number + 1, number + PREFETCH_AHEAD)

    def action_attachment(self, step: int) -> None:
        if len(self.items) < 2:
            return
        self.index = (self.index + step) % len(self.items)
        self.number, self.pages, self.file = 1, 0, None
        self.view = PageView()
        self._problem = None
        self.workers.cancel_group(self, "viewer_prefetch")
        self._show()
        self._update_title()
        self.open(self.index)

    def on_resize(self) -> None:
        if self._page() is not None:
            self.call_after_refresh(self._show)

    def _set_view(self, view: PageView) -> None:
        self.view = view
        self._show()
        self._update_title()

    def action_zoom(self, steps: int) -> None:
        self._set_view(self.view.zoomed(steps))

    def action_fit(self) -> None:
        self._set_view(self.view.fit())

    def action_rotate(self) -> None:
        self._set_view(self.view.rotated())

    def action_move(self, dx: int, dy: int) -> None:
        """Arrows pan a zoomed page; at fit, left and right turn the pages."""
        if not self.view.fitted:
            self._set_view(self.view.panned(dx, dy))
        elif dx:
            self.action_page(dx)

    def action_toggle_text(self) -> None:
        self.query_one("#viewer-text").toggle_class("-hidden")
        if self._page() is not None:
            self.call_after_refresh(self._show)  # the page takes the room, or gives it

    def action_close(self) -> None:
        self.workers.cancel_group(self, "viewer_prefetch")
        self.dismiss()
