"""Tiny settings for every registered simulation (every one is in a chapter, so the figure tests'
TINY has them all; tests/test_figures.py checks that the chapters and TINY match)."""

from __future__ import annotations

from figures_support import TINY

SMALL: dict[str, dict[str, str]] = dict(TINY)
