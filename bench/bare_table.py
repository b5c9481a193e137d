"""The yardstick for start-up (bench/startup.py): a bare Textual app with a 50-row DataTable.

``--read URL`` fills the same table from PostgreSQL (the registration numbers
of 50 submissions, by psycopg alone: imported, connected, one query on the
primary key) before its rows appear: the least any terminal app on the
office's database does. ``--orm`` imports SQLAlchemy's ORM first as well, the
library bakso's rules are written in. Both are floors for a cold `bakso tui`,
which does these and signs in, reads its settings and builds its screens.
"""

import sys

from textual.app import App
from textual.widgets import DataTable


class Bare(App):
    def __init__(self, numbers: list[str] | None = None) -> None:
        super().__init__()
        self.numbers = numbers

    def compose(self):
        yield DataTable(cursor_type="row")

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("a", "b", "c", "d", "e", "f")
        first = self.numbers or [f"r{i}c0" for i in range(50)]
        table.add_rows([[first[i]] + [f"r{i}c{j}" for j in range(1, 6)] for i in range(50)])


def read(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT number FROM submission ORDER BY id LIMIT 50").fetchall()
    return [row[0] or "" for row in rows]


if __name__ == "__main__":  # python -m bench.bare_table [--orm] [--read URL]
    args = sys.argv[1:]
    if "--orm" in args:
        import sqlalchemy.orm  # noqa: F401
        import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
    Bare(read(args[args.index("--read") + 1]) if "--read" in args else None).run()
