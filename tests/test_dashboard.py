"""What the dashboards share: the result cache, shares with their error, bars drawn in place over a saved background."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
from matplotlib.image import imread

from labsupport.dashboard import HEADROOM, ResultCache, ShareBar, StackedBars, format_share, nice_top, share_with_error
from labsupport.errors import LabError
from labsupport.plots import KEPT_COLOR, LOST_COLOR, DashboardFigure


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(imread(io.BytesIO(png), format="png"))


def test_the_cache_keeps_the_newest_results_and_refreshes_a_hit() -> None:
    cache: ResultCache[str] = ResultCache(2)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"  # now the newest
    cache.put(("c",), "C")
    assert cache.get(("b",)) is None and cache.get(("a",)) == "A" and cache.get(("c",)) == "C"
    assert len(cache) == 2 and repr(cache) == "ResultCache(size=2, held=2)"
    with pytest.raises(LabError, match="at least 1"):
        ResultCache(0)


@pytest.mark.parametrize("count,total,text", [(31, 100, "31% ± 5%"), (3, 200, "1.5% ± 1.1%"), (10, 10, "100% ± 9%"),
                                              (0, 100, "0.0% ± 1.3%"), (500, 1000, "50.0% ± 1.6%")])
def test_a_share_carries_its_binomial_standard_error(count: int, total: int, text: str) -> None:
    share, error = share_with_error(count, total)
    assert share == count / total
    plain = math.sqrt(share * (1 - share) / total)
    assert error > 0 and (count in (0, total) or error == pytest.approx(plain, rel=0.3))  # near the plain one
    assert format_share(share, error) == text


@pytest.mark.parametrize("count,total", [(1, 0), (-1, 5), (6, 5)])
def test_an_impossible_share_is_a_clear_error(count: int, total: int) -> None:
    with pytest.raises(LabError, match="0 <= count <= total"):
        share_with_error(count, total)


@pytest.mark.parametrize("tallest", [0, 1, 7, 99, 165, 333, 1000, 12345])
def test_the_y_limit_is_round_and_leaves_room_for_the_legend(tallest: float) -> None:
    top = nice_top(tallest)
    assert top >= max(tallest, 1) * HEADROOM
    assert top <= max(tallest, 1) * HEADROOM * 1.26  # the next round step, not far above
    assert nice_top(tallest * 1.01 + 0.001) in (top, nice_top(top))  # nearby results share a limit mostly


def bars_figure() -> tuple[DashboardFigure, StackedBars, ShareBar]:
    figure = DashboardFigure(figsize=(6, 3))
    left, right = figure.subplots(1, 2, width_ratios=[3, 1])
    return (figure, StackedBars(left, colors=(KEPT_COLOR, LOST_COLOR), labels=("kept", "lost"), ylabel="requests"),
            ShareBar(right, label="kept", color=KEPT_COLOR))


def frame(figure: DashboardFigure, bars: StackedBars, share: ShareBar) -> bytes:
    return figure.frame_png(layout=bars.layout, changing=[*bars.changing(), *share.changing()])


def test_a_frame_drawn_over_a_saved_background_equals_a_full_draw() -> None:
    figure, bars, share = bars_figure()
    for names, low, high, kept in [(["s1", "s2", "s3"], [50, 40, 45], [10, 20, 0], 0.4),
                                   (["s1", "s2"], [55, 50], [5, 0], 0.9),  # same y limit: the background is reused
                                   (["s1", "s2", "s3", "s4", "s5"], [300, 10, 20, 30, 40], [0, 1, 2, 3, 4], 0.1)]:
        bars.show(names, low, high, title=f"{len(names)} servers")
        share.show(kept, error=0.05, title=f"{kept:.0%}")
        png = frame(figure, bars, share)
        assert png.startswith(b"\x89PNG")
        assert np.array_equal(pixels(png), pixels(figure.png(dpi=int(figure.dpi))))  # identical to drawing everything
    assert figure.backgrounds_drawn == 2  # backgrounds for y limits 80 and 400; the second picture reused the first
    assert len(bars.lower) == 5 and len(figure.axes[0].patches) == 10  # bars are reused, never added per draw


def test_unused_bars_are_hidden_and_names_follow_the_bars() -> None:
    figure, bars, share = bars_figure()
    bars.show(["a", "b", "c"], [1, 2, 3], [0, 0, 1], title="three")
    bars.show(["x"], [5], [1], title="one")
    assert [r.get_visible() for r in bars.lower] == [True, False, False]
    assert [n.get_text() for n in bars.names if n.get_visible()] == ["x"]
    assert bars.upper[0].get_y() == 5 and bars.upper[0].get_height() == 1
    assert bars.axes.get_title() == "one" and bars.layout == nice_top(6)
    with pytest.raises(LabError, match="2 names for 1 lower"):
        bars.show(["a", "b"], [1], [1, 2], title="bad")


def test_the_share_bar_shows_its_error_only_when_given() -> None:
    figure, bars, share = bars_figure()
    share.show(0.95, error=0.1, title="95% ± 10%")
    assert share.error.get_visible() and np.allclose(np.asarray(share.error.get_ydata()), [0.85, 1])  # clipped at 1
    share.show(0.5, title="50%")
    assert not share.error.get_visible() and share.bar.get_height() == 0.5
