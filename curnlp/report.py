"""Moved to :mod:`curnlp.analytics.report` (kept so that ``from curnlp import report`` still works)."""
from .analytics.report import *  # noqa: F401,F403
from .analytics.report import DATE_HINTS, NO_PLACE, Digest, render_html, summarize, write_report  # noqa: F401
