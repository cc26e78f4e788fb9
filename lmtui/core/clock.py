"""The time the learner's record and the review schedule go by.

The system clock, unless ``LMTUI_NOW`` names another moment (an ISO 8601 date or date-time; without
a zone, local time): the clock then starts there and runs on at the normal pace. That is how a
learner, an author or a test tries what the review brings back days or weeks later: answers and
reviews are recorded at the shifted time, and the schedule follows from them as it would. The
commands' ``--at`` asks about another moment without moving the clock.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from functools import cache

ENV = "LMTUI_NOW"


def parse_moment(text: str) -> float:
    """Seconds since the epoch for an ISO 8601 date or date-time (local time without a zone);
    ValueError for anything else."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.timestamp()


@cache
def _offset() -> float:
    text = os.environ.get(ENV, "").strip()
    if not text:
        return 0.0
    try:
        return parse_moment(text) - time.time()
    except (ValueError, OverflowError, OSError):
        return 0.0  # the command line refuses it first (``check_environment``); a library user gets the real clock


def offset() -> float:
    """Seconds the course clock is ahead of the system clock (0 unless ``LMTUI_NOW`` is set)."""
    return _offset()


def now() -> float:
    """Seconds since the epoch: the system clock, moved to where ``LMTUI_NOW`` starts it."""
    return time.time() + _offset()


def check_environment() -> str | None:
    """What is wrong with ``LMTUI_NOW`` (None if it is unset or a valid date-time)."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    try:
        parse_moment(text)
    except (ValueError, OverflowError, OSError):
        return f"{ENV}={text!r} is not an ISO date-time (e.g. 2026-12-05 or 2026-12-05T09:00 or 2026-12-05T09:00Z)"
    return None


def wall_time(t: float, form: str = "%H:%M") -> str:
    """``t`` as a time of day in this machine's zone (see :func:`zone_name`)."""
    return time.strftime(form, time.localtime(t))


def zone_name(t: float) -> str:
    """The name of this machine's zone at ``t`` (``UTC``, ``CET``...), to say what times shown mean."""
    return time.strftime("%Z", time.localtime(t)) or "local time"
