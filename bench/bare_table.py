"""The yardstick for start-up (bench/startup.py): a bare Textual app with a 50-row DataTable."""

from textual.app import App
from textual.widgets import DataTable


class Bare(App):
    def compose(self):
        yield DataTable(cursor_type="row")

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("a", "b", "c", "d", "e", "f")
        table.add_rows([[f"r{i}c{j}" for j in range(6)] for i in range(50)])


if __name__ == "__main__":
    Bare().run()
