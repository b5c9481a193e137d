"""The dashboard's 30-day plot: textual-plot's ``PlotWidget``, as the console uses it.

Imported by the dashboard's worker once the first figures are on screen (it
brings numpy; never at start-up, `tests/test_startup_imports.py`).

- No blank lines above the frame (textual-plot keeps two for a title; the
  section's own title is above it): five rows of dots instead of three at 80x24.
- A session that closes while the plot is being mounted takes the widget's
  children away before its mount handler lays out their margins: that is then
  skipped, instead of ending the closing app with a traceback.
"""

from __future__ import annotations

from textual.containers import Grid
from textual.reactive import reactive
from textual_plot import PlotWidget


class FlowPlot(PlotWidget):
    margin_top = reactive(0)

    def _update_margin_sizes(self) -> None:
        if self.query(Grid):
            super()._update_margin_sizes()
