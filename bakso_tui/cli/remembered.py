"""The account a system login signed in as last time, on a database: the first frame's guess.

`bakso tui` draws its first screen before the database is opened (issue 16:
the first frame within 1.5× of a bare Textual app, which SQLAlchemy's import
alone would miss). Which screen, and whose name in the header, depend on the
account; so the account a login last signed in as, on the same database, is
kept in the user's cache folder (``~/.cache/bakso/accounts``, a 0600 file
named by a digest of the database's address without its password and of the
login) and the first frame is drawn for it.

It is a guess, never an authority: the app reads nothing from the database
until the real sign-in, in a worker after the first frame, has found the same
account (``bakso_tui/opening.py``); an account that differs in anything
(role, name, disabled, password set) ends that app unseen, and the program
signs in first and opens again (``cli/tui.py``). A file that is missing,
damaged, or not ours is only a miss: the sign-in comes first, as without it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from pathlib import Path

from bakso_tui.domain.permissions import UserInfo

FOLDER = "accounts"


def _path(database_url: str, login: str) -> Path:
    import platformdirs

    address = _without_password(database_url)
    digest = hashlib.sha256(f"{address}\0{login}".encode()).hexdigest()[:32]
    return Path(platformdirs.user_cache_dir("bakso")) / FOLDER / f"{digest}.json"


def _without_password(url: str) -> str:
    """``scheme://user:secret@host/db`` → ``scheme://user@host/db`` (the password is not
    part of which database it is, and is never written to the cache)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    credentials, at, place = rest.partition("@")
    return f"{scheme}://{credentials.split(':', 1)[0]}{at}{place}"


def recall(database_url: str, login: str) -> UserInfo | None:
    """The account `login` signed in as last time on this database, if it is known."""
    try:
        data = json.loads(_path(database_url, login).read_bytes())
        user = UserInfo(**{f.name: data[f.name] for f in fields(UserInfo)})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return user if user.login and user.active else None


def remember(database_url: str, login: str, user: UserInfo) -> None:
    """Keep `user` as the account `login` signs in as on this database (a failure: no guess)."""
    from bakso_tui.files import write_private

    try:
        write_private(_path(database_url, login), json.dumps(asdict(user)).encode())
    except OSError:
        pass  # a read-only home: every session signs in before its first frame


def forget(database_url: str, login: str) -> None:
    """No guess for `login` on this database any more (its sign-in was refused)."""
    try:
        _path(database_url, login).unlink(missing_ok=True)
    except OSError:
        pass
