"""Analytics of scored archives for a regional feedback centre (ЦУР).

* :func:`find_incidents` — messages about one problem in one place and time grouped into incidents
  (``curnlp incidents``);
* :func:`find_spikes` — municipality × topic cells far above their own history in the latest window;
* :func:`summarize` / :func:`write_report` — the HTML digest (``curnlp report``): spikes, incidents,
  map, trends, groups, topics and municipalities;
* :func:`forecast_calendar` — the risk calendar: expected messages per topic for the next weeks or
  months (``curnlp calendar``); :func:`find_points` — places with repeated complaints
  (``curnlp points``); :func:`control_table` — answered / open / overdue per responsible
  (``curnlp control``);
* :func:`write_brief` — a one-page printable Russian brief for one municipality
  (``curnlp report --municipality NAME``).
"""
from __future__ import annotations

from .incidents import Incident, Incidents, find_incidents, write_incidents
from .spikes import Spike, Spikes, find_spikes
from .report import Digest, render_html, summarize, write_report
from .brief import write_brief
from .calendar import backtest_calendar, forecast_calendar, render_calendar_section
from .points import find_points, render_points_section
from .control import Control, control_table, render_control_section

__all__ = ["find_incidents", "write_incidents", "Incident", "Incidents", "find_spikes", "Spike", "Spikes",
           "summarize", "render_html", "write_report", "Digest", "write_brief",
           "forecast_calendar", "backtest_calendar", "render_calendar_section", "find_points", "render_points_section",
           "control_table", "Control", "render_control_section"]
