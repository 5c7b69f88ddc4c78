"""The plain data every dashboard page, CSV download and PDF report is drawn from.

A compute function (``reporting.metrics.*``) takes ``ReportFilters`` and returns a ``Dashboard``
of headline figures, tables and charts; every chart names the table its figures come from (the
"data behind" it), and carries its own figures, so a page can show each chart's exact data as a
small table of its own even when the table behind it is long and paged. The registry maps a
dashboard's key to its compute function by dotted path, so a dashboard whose module is not there
yet fails only when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.utils.translation import gettext_lazy as _

from reporting.filters import ReportFilters

CHART_KINDS = ("bar", "line", "stacked-bar", "histogram")
#: rows a dashboard page shows of a table at once (the rest on further pages; the CSV has every row)
PAGE_SIZE = 50


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]  # plain values (str/int/float/None/date)
    links: list[list[str | None]] = field(default_factory=list)  # per cell: drill-down URL or None
    page_size: int = PAGE_SIZE  # rows a page shows at once; 0 = all

    def cells(self, start: int = 0, stop: int | None = None) -> Iterator[list[tuple[Any, str | None, bool]]]:
        """Each row (of ``rows[start:stop]``) as (value, link, is a number) triples, for templates."""
        stop = len(self.rows) if stop is None else min(stop, len(self.rows))
        for index in range(start, stop):
            row = self.rows[index]
            links = self.links[index] if index < len(self.links) else []
            yield [
                (
                    value,
                    links[i] if i < len(links) else None,
                    isinstance(value, int | float) and not isinstance(value, bool),
                )
                for i, value in enumerate(row)
            ]


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar" | "line" | "stacked-bar" | "histogram"
    labels: list[str]
    series: list[dict[str, Any]]  # [{"name": str, "values": list[float | None]}]
    table: str  # key of the Table its figures come from (the data behind it)
    unit: str = ""  # shown on the value axis ("%", "days")
    axis: str = ""  # what the labels are ("Stage", "Candidate"): the chart's own table's first header

    def data_rows(self) -> list[tuple[str, list[Any]]]:
        """The chart's figures, one (label, value per series) row per label: its own data table."""
        return [
            (str(label), [s["values"][i] if i < len(s["values"]) else None for s in self.series])
            for i, label in enumerate(self.labels)
        ]

    def series_headers(self) -> list[str]:
        """Each series' name, with the unit unless the name already says it ("Conversion (%)")."""
        unit = str(self.unit)
        return [f"{s['name']} ({unit})" if unit and unit not in str(s["name"]) else str(s["name"]) for s in self.series]

    def script_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": str(self.title),
            "kind": self.kind,
            "labels": [str(label) for label in self.labels],
            "series": [{"name": str(s["name"]), "values": list(s["values"])} for s in self.series],
            "unit": str(self.unit),
        }


@dataclass
class Dashboard:
    key: str
    title: str
    summary: list[tuple[str, Any]]  # headline figures
    charts: list[Chart]
    tables: list[Table]
    summary_links: list[str | None] = field(default_factory=list)  # per headline figure: drill-down URL or None

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def figures(self) -> Iterator[tuple[str, Any, str | None]]:
        """The headline figures as (label, value, link) triples, for templates."""
        for index, (label, value) in enumerate(self.summary):
            yield label, value, self.summary_links[index] if index < len(self.summary_links) else None


ComputeFn = Callable[[ReportFilters], Dashboard]


class _LazyRegistry(Mapping[str, ComputeFn]):
    """Dashboard key → compute function, imported from its dotted path when first used."""

    def __init__(self, paths: dict[str, str]) -> None:
        self._paths = paths

    def __getitem__(self, key: str) -> ComputeFn:
        module_path, _dot, name = self._paths[key].rpartition(".")
        function: ComputeFn = getattr(import_module(module_path), name)
        return function

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


REGISTRY: Mapping[str, ComputeFn] = _LazyRegistry(
    {
        "funnel": "reporting.metrics.funnel.funnel_dashboard",
        "candidates": "reporting.metrics.candidates.candidates_dashboard",
        "interviewers": "reporting.metrics.interviewers.interviewers_dashboard",
    }
)

#: titles and one-line descriptions for the reports index (without computing anything)
TITLES: dict[str, tuple[Any, Any]] = {
    "funnel": (
        _("Hiring funnel"),
        _("Candidates per stage, conversion up to hired, time in stage, and who was rejected or withdrew where."),
    ),
    "candidates": (
        _("Candidate performance"),
        _("Coding results, scorecard ratings and speed, compared with the position's other candidates."),
    ),
    "interviewers": (
        _("Interviewer analytics"),
        _("Interviews per week, durations, scorecard turnaround, rating leniency and agreement."),
    ),
}


def dashboard_compute(key: str, filters: ReportFilters) -> Dashboard:
    """Compute the dashboard ``key`` (KeyError when there is no such dashboard)."""
    return REGISTRY[key](filters)
