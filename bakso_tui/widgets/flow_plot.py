"""The dashboard's 30-day plot of received against decided: textual-plotext's widget.

plotext is pure Python (no numpy): the plot costs a session about 2 MB and
30 ms to import, where textual-plot with numpy cost 15 MB and 130 ms (issue 16:
a session under 90 MB). The dashboard still imports it in a worker once the
first figures are on screen (`tests/test_startup_imports.py`).

"Received" is a line of Braille dots (2x4 a cell, any UTF-8 terminal over SSH),
"decided" a line of bullets over it, each in its own colour: told apart in
monochrome too (NO_COLOR), and the legend shows each mark. The frame's colours
follow the app's theme (the widget's "auto" theme).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from bakso_tui.widgets.formatting import format_count

#: Days before today marked on the x axis (0 is today).
TICKS = (-28, -21, -14, -7, 0)


class FlowPlot(PlotextPlot):
    def show_flow(self, received: Sequence[int], decided: Sequence[int], *,
                  received_label: str, decided_label: str, days_label: str) -> None:
        """Draw one value a day, the last of them today's."""
        plt = self.plt
        plt.clear_data()
        days = list(range(1 - len(received), 1))
        plt.plot(days, list(received), marker="braille", color="blue", label=received_label)
        plt.plot(days, list(decided), marker="•", color="green", label=decided_label)
        plt.xticks(list(TICKS), [str(d) for d in TICKS])
        plt.xlabel(days_label)
        top = max([*received, *decided, 1])
        ticks = _counts(top)
        plt.ylim(0, top)
        plt.yticks(ticks, [format_count(n) for n in ticks])
        self.refresh()


def _counts(top: int) -> list[int]:
    """Ticks from 0 to `top`, at most six, a round step apart (1, 2 or 5 times a
    power of ten: 0, 2.000, 4.000, 6.000; counts of files, never 2.5)."""
    rough = max(1, -(-top // 5))
    power = 10 ** (len(str(rough)) - 1)
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return list(range(0, top + 1, step))
