"""The hiring-funnel report: the funnel dashboard's figures, charts and tables on paper.

It renders whatever ``reporting.dashboards.REGISTRY["funnel"]`` computes (the same data as the
page and its CSV), so the three can never disagree. Charts become horizontal bars drawn in CSS
(first series of each, with its values printed), and every table follows in full.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from reporting.pdf import Progress, _no_progress, render_pdf

TEMPLATE = "reporting/pdf/dashboard.html"


def cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime | date):
        return value.isoformat()[:16].replace("T", " ")
    return str(value)


def _bars(chart: Any) -> dict[str, Any]:
    """The chart's first series as rows of (label, percentage of the largest, printed value)."""
    series = chart.series[0] if chart.series else {"name": "", "values": []}
    values = [v if isinstance(v, int | float) else None for v in series.get("values", [])]
    top = max((abs(v) for v in values if v is not None), default=0) or 1
    rows = [
        {"label": label, "width": round(100 * abs(v) / top, 1) if v is not None else 0, "value": cell(v)}
        for label, v in zip(chart.labels, values, strict=False)
    ]
    return {"title": chart.title, "series": series.get("name", ""), "rows": rows, "more": len(chart.series) > 1}


def _is_numeric(rows: list[list[Any]], column: int) -> bool:
    seen = [row[column] for row in rows if column < len(row) and row[column] not in (None, "")]
    return bool(seen) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in seen)


def dashboard_context(dashboard: Any, filters: Any) -> dict[str, Any]:
    tables = []
    for table in dashboard.tables:
        numeric = [_is_numeric(table.rows, i) for i in range(len(table.columns))]
        tables.append(
            {
                "title": table.title,
                "columns": list(zip(table.columns, numeric, strict=False)),
                "rows": [list(zip([cell(v) for v in row], numeric, strict=False)) for row in table.rows],
            }
        )
    return {
        "title": dashboard.title,
        "subject": filters_label(filters),
        "summary": [(label, cell(value)) for label, value in dashboard.summary],
        "charts": [_bars(chart) for chart in dashboard.charts if chart.labels],
        "tables": tables,
    }


def filters_label(filters: Any) -> str:
    """The filters in words, for the header: "1 Mar 2026 – 31 Mar 2026 · Platform · 2 positions"."""
    parts = []
    if filters.start or filters.end:
        start = filters.start.strftime("%d %b %Y") if filters.start else "…"
        end = filters.end.strftime("%d %b %Y") if filters.end else "…"
        parts.append(f"{start} – {end}")
    else:
        parts.append(_("all time"))
    if filters.team:
        parts.append(filters.team)
    if filters.source:
        parts.append(filters.source)
    if filters.positions:
        parts.append(_("%(n)d position(s)") % {"n": len(filters.positions)})
    return " · ".join(parts)


def dashboard_pdf(dashboard: Any, filters: Any) -> bytes:
    """Any dashboard as PDF bytes."""
    return render_pdf(
        template=TEMPLATE, context=dashboard_context(dashboard, filters), organization=filters.organization
    )


def funnel_pdf(filters: Any, *, progress: Progress = _no_progress) -> bytes:
    """The hiring-funnel report of ``filters`` as PDF bytes."""
    from reporting.dashboards import REGISTRY

    dashboard = REGISTRY["funnel"](filters)
    progress(50)
    pdf = dashboard_pdf(dashboard, filters)
    progress(95)
    return pdf
