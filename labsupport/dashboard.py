"""What the course's dashboards share: a result cache, a visible running state, bars drawn in place (lessons 00-03).

A dashboard re-runs a seeded scenario for the setting its controls show. Seeded runs are
reproducible, so a result is cached under the full setting and a setting seen before is
answered at once (the status says so). A setting not seen before first shows "running…" with
every control disabled (unless its runs are quick: ``shows_running``), then the result: the
status line first, then the picture. The figure is never rebuilt: bars, names, titles and
limits change in place and only they are drawn again (``DashboardFigure.frame_png``).

Subclasses give ``setting``, ``describe_setting``, ``compute``, ``draw`` and ``describe_result``;
their callbacks are plain methods that tests call directly (nbval never fires them).
"""
from __future__ import annotations

import html
import math
import sys
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Generic, TypeVar

import ipywidgets as widgets
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Annotation

from .errors import LabError
from .plots import THEORY_COLOR, DashboardFigure

Result = TypeVar("Result")

RUNNING_TEXT = "running…"
"""The status text starts with this while a setting not seen before is computed."""

CACHED_TEXT = "(from cache: this setting ran before)"
"""The status text ends with this when the result came from the cache."""

BAR_WIDTH = 0.8
NAME_OFFSET_POINTS = 4
"""How far below the x axis the names under the bars start."""
HEADROOM = 1.3
"""The y axis reaches at least this many times the tallest bar, leaving the top for the legend."""
NICE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


class DashboardView(widgets.VBox):
    """A dashboard's widget tree, with a short, stable text form for notebooks without a kernel.

    nbval compares that text, so it names the dashboard and its current setting, nothing more.
    """

    def __init__(self, title: str, children: list[widgets.Widget]) -> None:
        super().__init__(children)
        self.title = title
        self.summary_text = ""

    def __repr__(self) -> str:
        return f"{self.title}({self.summary_text})"


class ResultCache(Generic[Result]):
    """The results of the last ``size`` settings, by setting; the oldest goes first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise LabError(f"a result cache needs room for at least 1 result, not {size}")
        self.size = size
        self._results: OrderedDict[Hashable, Result] = OrderedDict()

    def get(self, setting: Hashable) -> Result | None:
        """The result cached for ``setting``, or None."""
        result = self._results.get(setting)
        if result is not None:
            self._results.move_to_end(setting)
        return result

    def put(self, setting: Hashable, result: Result) -> None:
        """Remember ``result`` for ``setting``."""
        self._results[setting] = result
        self._results.move_to_end(setting)
        while len(self._results) > self.size:
            self._results.popitem(last=False)

    def __len__(self) -> int:
        return len(self._results)

    def __repr__(self) -> str:
        return f"ResultCache(size={self.size}, held={len(self)})"


def share_with_error(count: int, total: int) -> tuple[float, float]:
    """The share ``count / total`` and its binomial standard error.

    The error is Agresti and Coull's: the plain ``sqrt(p (1 - p) / n)`` after adding two
    successes and two failures, so a share of 0% or 100% from a small crowd still shows its
    noise (0 of 100 is "0.0% ± 1.3%", not a certain "0% ± 0%").
    """
    if total < 1 or not 0 <= count <= total:
        raise LabError(f"a share needs 0 <= count <= total and total >= 1, not {count} of {total}")
    adjusted = (count + 2) / (total + 4)
    return count / total, math.sqrt(adjusted * (1 - adjusted) / (total + 4))


def format_share(share: float, error: float) -> str:
    """``"31% ± 5%"``; one decimal when the error is under two percent (``"1.5% ± 1.1%"``)."""
    digits = 1 if error < 0.02 else 0
    return f"{share:.{digits}%} ± {error:.{digits}%}"


def nice_top(tallest: float) -> float:
    """A round upper limit above ``tallest`` with headroom for a legend, so nearby results share a layout."""
    wanted = max(tallest, 1) * HEADROOM
    scale = 10 ** math.floor(math.log10(wanted))
    return next(round(step * scale, 9) for step in NICE_STEPS if step * scale >= wanted)  # 120, not 120.00000000000001


class StackedBars:
    """One bar per name, a lower series with an upper one stacked on it; heights change in place.

    The names under the bars are drawn as text that changes with the bars, not as tick labels,
    so only the upper limit of the y axis is part of the background (``layout``).
    """

    def __init__(self, axes: Axes, *, colors: tuple[str, str], labels: tuple[str, str], ylabel: str) -> None:
        self.axes = axes
        self.colors = colors
        self.lower: list[Rectangle] = []
        self.upper: list[Rectangle] = []
        self.names: list[Annotation] = []
        self.shown = 0
        self.top = 0.0
        axes.set_ylabel(ylabel)
        axes.tick_params(axis="x", bottom=False, labelbottom=False)
        axes.legend(handles=[Patch(color=c, label=label) for c, label in zip(colors, labels)],
                    frameon=False, loc="upper center", ncols=2)

    def show(self, names: Sequence[str], lower: Sequence[float], upper: Sequence[float], *, title: str) -> None:
        """Set the bars to these heights, with these names under them, and the limits and title to match."""
        if not len(names) == len(lower) == len(upper):
            raise LabError(f"{len(names)} names for {len(lower)} lower and {len(upper)} upper heights")
        while len(self.lower) < len(names):
            self._add_slot()
        self.shown = len(names)
        for i, (low, high, name) in enumerate(zip(self.lower, self.upper, self.names)):
            used = i < self.shown
            for artist in (low, high, name):
                artist.set_visible(used)
            if used:
                low.set_height(lower[i])
                high.set_y(lower[i])
                high.set_height(upper[i])
                name.set_text(names[i])
        self.top = nice_top(max((a + b for a, b in zip(lower, upper)), default=0))
        self.axes.set_xlim(-0.6, max(self.shown, 1) - 0.4)
        self.axes.set_ylim(0, self.top)
        self.axes.set_title(title)

    def _add_slot(self) -> None:
        x = len(self.lower)
        for series, color in ((self.lower, self.colors[0]), (self.upper, self.colors[1])):
            bar = Rectangle((x - BAR_WIDTH / 2, 0), BAR_WIDTH, 0, facecolor=color, linewidth=0)
            self.axes.add_patch(bar)
            series.append(bar)
        self.names.append(self.axes.annotate("", xy=(x, 0), xycoords=self.axes.get_xaxis_transform(),
                                             xytext=(0, -NAME_OFFSET_POINTS), textcoords="offset points",
                                             ha="center", va="top"))

    @property
    def layout(self) -> Hashable:
        """What the background under these bars depends on: the upper limit of the y axis."""
        return self.top

    def changing(self) -> list[Artist]:
        """The artists a new result changes (the bars and names in use, the title) and the axes' frame,
        drawn over the bars as a full draw would. The legend stays in the background: ``nice_top``
        leaves the bars below it."""
        used = slice(0, self.shown)
        return [*self.lower[used], *self.upper[used], *self.axes.spines.values(), *self.names[used],
                self.axes.title]


class ShareBar:
    """One bar for a share between 0 and 1, with an optional error bar; its value is the title."""

    def __init__(self, axes: Axes, *, label: str, color: str) -> None:
        self.axes = axes
        self.bar = Rectangle((-BAR_WIDTH / 2, 0), BAR_WIDTH, 0, facecolor=color, linewidth=0)
        axes.add_patch(self.bar)
        self.error = axes.add_line(Line2D([0, 0], [0, 0], color=THEORY_COLOR, marker="_", markersize=14,
                                          markeredgewidth=1.5, linewidth=1.5, visible=False))
        axes.set_xlim(-0.6, 0.6)
        axes.set_xticks([0], [label])
        axes.set_ylim(0, 1)

    def show(self, share: float, *, error: float | None = None, title: str) -> None:
        """Set the bar to ``share`` with ``± error`` around it (none if None)."""
        self.bar.set_height(share)
        self.error.set_visible(error is not None)
        if error is not None:
            self.error.set_ydata([max(share - error, 0), min(share + error, 1)])
        self.axes.set_title(title)

    def changing(self) -> list[Artist]:
        """The artists a new result changes, then the axes' frame drawn over the bar."""
        return [self.bar, self.error, *self.axes.spines.values(), self.axes.title]


def send_now() -> None:
    """In a kernel, wait until the widget updates made so far have gone to the front end.

    The kernel's IOPub thread sends widget updates; a computation or a drawing that holds the
    interpreter can hold them up until it ends. ``sys.stdout.flush()`` waits until that thread
    has sent everything queued so far (ipykernel's ``OutStream.flush``); outside a kernel it
    does nothing that matters.
    """
    sys.stdout.flush()


class Dashboard(ABC, Generic[Result]):
    """Controls, a status line and a picture; a setting is computed once, then served from the cache."""

    title = "Dashboard"
    cache_size = 64
    shows_running = True
    """Say "running…" and disable the controls while a setting not seen before is computed. A dashboard
    whose whole answer comes well within 100 ms turns it off: the answer itself is the feedback."""

    def __init__(self, *, controls: Sequence[widgets.ValueWidget], buttons: Sequence[widgets.Button],
                 figsize: tuple[float, float] = (7.5, 3.2)) -> None:
        self.controls = list(controls)
        self.buttons = list(buttons)
        self.status = widgets.HTML()
        # shown at its own size (a box would stretch it to its width, blurring it)
        self.image = widgets.Image(format="png", layout=widgets.Layout(align_self="flex-start"))
        self.figure = DashboardFigure(figsize=figsize)
        self.cache: ResultCache[Result] = ResultCache(self.cache_size)
        self.result: Result | None = None
        self.from_cache = False
        """True when the result on show came from the cache."""
        self.view = DashboardView(self.title, [widgets.HBox(self.controls), widgets.HBox(self.buttons),
                                               self.status, self.image])

    @abstractmethod
    def setting(self) -> Hashable:
        """Everything the result depends on (the cache key)."""

    @abstractmethod
    def describe_setting(self) -> str:
        """The current setting in words, for the status line."""

    @abstractmethod
    def compute(self) -> Result:
        """Run the scenario for the current setting."""

    @abstractmethod
    def draw(self, result: Result) -> tuple[Hashable, list[Artist]]:
        """Change the figure's artists in place for ``result``; give its layout and the changed artists."""

    @abstractmethod
    def describe_result(self, result: Result) -> str:
        """The setting and what came out, in words (the status line and the text form)."""

    def refresh(self) -> None:
        """Show the result for the current setting: from the cache, or computed while "running…" shows."""
        setting = self.setting()
        result = self.cache.get(setting)
        self.from_cache = result is not None
        if result is None:
            with self.running() if self.shows_running else nullcontext():
                result = self.compute()
            self.cache.put(setting, result)
        self.result = result
        self.redraw()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Say "running…" and disable every control until the block ends (sent before the block starts)."""
        self.status.value = f"<i>{RUNNING_TEXT} {html.escape(self.describe_setting())}</i>"
        for control in (*self.controls, *self.buttons):
            control.disabled = True
        send_now()
        try:
            yield
        finally:
            for control in (*self.controls, *self.buttons):
                control.disabled = False

    def redraw(self) -> None:
        """Show the result on show: the status line first (sent at once), then the picture."""
        if self.result is None:
            raise LabError(f"{self.title} has no result to draw yet: call refresh() first")
        text = self.describe_result(self.result)
        self.view.summary_text = text
        note = f" <i>{CACHED_TEXT}</i>" if self.from_cache else ""
        self.status.value = f"<b>{html.escape(text)}</b>{note}"
        send_now()
        layout, changing = self.draw(self.result)
        self.image.value = self.figure.frame_png(layout=layout, changing=changing)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.view)

    def __repr__(self) -> str:
        return repr(self.view)
