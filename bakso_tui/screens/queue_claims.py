"""A supervisor's actions on the queue: release a claim (``l``), reassign a
submission to another verifier (``o``). Offered only to roles with
`Permission.CLAIM_RELEASE` (keys and palette); the rules check again.

The database work runs in workers, whose results come back as messages.
"""

from __future__ import annotations

from textual import work
from textual.message import Message

from bakso_tui.domain.permissions import Permission
from bakso_tui.locale import t


class SupervisorActions:
    """Mixed into `QueueScreen` (``self`` is the screen)."""

    class ClaimChanged(Message):
        """A supervisor's release or reassignment: done (say it, reload) or refused."""

        def __init__(self, text: str, refused: bool) -> None:
            super().__init__()
            self.text = text
            self.refused = refused

    class ChoicesRead(Message):
        """What a dialog offers (filters, or the verifiers to reassign to), read."""

        def __init__(self, open_dialog) -> None:
            super().__init__()
            self.open_dialog = open_dialog

    def _not_yours(self, action: str, key: str, binding_id: str) -> bool:
        if self.bakso.can(Permission.CLAIM_RELEASE):
            return False
        self.bakso.not_your_key(action, self.key_for(action, key), t(f"tui.binding.{binding_id}"))
        return True

    def action_release(self) -> None:
        if self._not_yours("release", "l", "queue-release"):
            return
        row = self.table.current
        if row is None or not row.claim_holder:
            self.notify(t("claim.not_claimed"), severity="warning", markup=False)
            return
        self.release_claim(row.id, row.number, row.claim_holder)

    @work(thread=True, exit_on_error=False, group="queue_release")
    def release_claim(self, submission_id: int, number: str, holder: str) -> None:
        from bakso_tui.domain import claims

        app = self.bakso
        self._change_claim(
            lambda session: claims.release(session, app.actor, submission_id, None,
                                           now=app.now()),
            t("tui.queue.released", number=number, login=holder))

    def _change_claim(self, change, done: str) -> None:
        """Run a supervisor's claim change in a write transaction (in a worker):
        say the rules' refusal, or `done`, and reload the queue."""
        from bakso_tui.domain.claims import ClaimError

        try:
            with self.bakso.db.write() as session:
                change(session)
        except ClaimError as exc:
            self.post_message(self.ClaimChanged(str(exc), refused=True))
            return
        self.post_message(self.ClaimChanged(done, refused=False))

    def on_supervisor_actions_claim_changed(self, message: ClaimChanged) -> None:
        self.notify(message.text, severity="warning" if message.refused else "information",
                    markup=False)
        if not message.refused:
            self.action_refresh()

    def on_supervisor_actions_choices_read(self, message: ChoicesRead) -> None:
        message.open_dialog()

    def action_reassign(self) -> None:
        if self._not_yours("reassign", "o", "queue-reassign"):
            return
        row = self.table.current
        if row is not None:
            self.choose_verifier(row.id, row.number, row.claim_holder)

    @work(thread=True, exit_on_error=False, group="queue_reassign")
    def choose_verifier(self, submission_id: int, number: str, holder: str | None) -> None:
        from bakso_tui.domain import users
        from bakso_tui.screens.reassign import ReassignDialog

        with self.bakso.db.read() as session:
            people = users.verifiers(session)

        def chosen(login: str | None) -> None:
            if login:
                self.reassign_claim(submission_id, number, login)

        self.post_message(self.ChoicesRead(
            lambda: self.app.push_screen(ReassignDialog(number, holder, people), chosen)))

    @work(thread=True, exit_on_error=False, group="queue_reassign")
    def reassign_claim(self, submission_id: int, number: str, login: str) -> None:
        from bakso_tui.domain import claims

        app = self.bakso
        self._change_claim(
            lambda session: claims.reassign(session, app.actor, submission_id, login,
                                            lease_minutes=app.settings.lease_minutes,
                                            now=app.now()),
            t("tui.queue.reassigned", number=number, login=login))
