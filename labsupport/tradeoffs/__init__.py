"""The article's comparison table, rebuilt from measurements across every session setup (lesson 07).

``setups`` names the seven setups, ``suite`` runs the same scenarios on each, ``verdicts`` judges
the article's rows by the numbers, ``chart`` draws them, ``explorer`` is the lesson's widget.
"""
from __future__ import annotations

from .chart import tradeoff_chart
from .explorer import CostExplorer
from .setups import SETUP_NAMES, SETUPS, Setup, setup_named
from .suite import (CountingStore, Measurements, Suite, copy_still_works, measure, request_costs, revocation_seconds,
                    run_suite, session_hooks)
from .verdicts import ARTICLE_ROWS, judge, verdict_table

__all__ = ["ARTICLE_ROWS", "SETUPS", "SETUP_NAMES", "CostExplorer", "CountingStore", "Measurements", "Setup", "Suite", "copy_still_works",
           "judge", "measure", "request_costs", "revocation_seconds", "run_suite", "session_hooks", "setup_named",
           "tradeoff_chart", "verdict_table"]
