"""The hiring funnel's charts, drawn from its tables (``reporting.metrics.funnel``).

Each chart carries its own figures (labels × series), which the page also shows as the chart's
own data table; the stage charts leave the *Hired* rows out where a stage figure has no meaning
there (outcomes, conversion, time), so their labels are the stages only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from django.utils.translation import gettext as _

from interviews.models import Candidate
from reporting.dashboards import Chart, Table

Outcome = Candidate.Outcome
#: the outcomes counted at a stage, in column order (hired has its own step)
AT_STAGE = (Outcome.ACTIVE, Outcome.REJECTED, Outcome.WITHDRAWN)
#: the outcomes of the per-position and per-source breakdowns, in column order
GROUP_OUTCOMES = (Outcome.ACTIVE, Outcome.HIRED, Outcome.REJECTED, Outcome.WITHDRAWN)


class StageLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def pipeline_name(self) -> str: ...


def step_label(pipeline: Sequence[StageLike], name: str, several_pipelines: bool) -> str:
    """A step's name, after its pipeline's when the funnel has several ("Design · Portfolio")."""
    return f"{pipeline[0].pipeline_name} · {name}" if several_pipelines else name


def stage_charts(stage_table: Table, stages: Mapping[int, Sequence[StageLike]], several: bool) -> list[Chart]:
    """The funnel (every step, Hired last) and, per stage only, outcomes, conversion and time."""
    steps = [
        step_label(pipeline, name, several)
        for pipeline in stages.values()
        for name in [*(s.name for s in pipeline), _("Hired")]
    ]
    only = [row for row in stage_table.rows if row[3] is not None]  # the stages' rows, not the Hired steps
    names = [step_label(p, s.name, several) for p in stages.values() for s in p]
    hops = [
        f"{step_label(p, s.name, several)} → {p[i + 1].name if i + 1 < len(p) else _('Hired')}"
        for p in stages.values()
        for i, s in enumerate(p)
    ]
    column = list(zip(*only, strict=True)) if only else [()] * 9

    def series(name: str, index: int) -> dict[str, Any]:
        return {"name": name, "values": list(column[index])}

    return [
        Chart(
            key="per_stage",
            axis=_("Step"),
            title=_("The funnel: candidates who reached each step"),
            kind="bar",
            labels=steps,
            series=[{"name": _("Reached"), "values": [row[2] for row in stage_table.rows]}],
            table="stages",
        ),
        Chart(
            key="outcomes",
            axis=_("Stage"),
            title=_("Where candidates are, or stopped"),
            kind="stacked-bar",
            labels=names,
            series=[series(_("In process here"), 3), series(_("Rejected here"), 5), series(_("Withdrew here"), 6)],
            table="stages",
        ),
        Chart(
            key="conversion",
            axis=_("Step"),
            title=_("Conversion to the next step"),
            kind="bar",
            labels=hops,
            series=[series(_("Conversion (%)"), 4)],
            table="stages",
            unit="%",
        ),
        Chart(
            key="time_in_stage",
            axis=_("Stage"),
            title=_("Time in stage"),
            kind="bar",
            labels=names,
            series=[series(_("Median days"), 7), series(_("Average days"), 8)],
            table="stages",
            unit=_("days"),
        ),
    ]


def group_charts(by_source: Table, positions: Table) -> list[Chart]:
    source_series = [
        {"name": name, "values": [row[i + 1] for row in by_source.rows]} for i, name in enumerate(by_source.columns[1:])
    ]
    return [
        Chart(
            key="stage_sources",
            axis=_("Step"),
            title=_("Reached each step, by source"),
            kind="stacked-bar",
            labels=[str(row[0]) for row in by_source.rows],
            series=source_series,
            table="stage_sources",
        ),
        Chart(
            key="positions",
            axis=_("Position"),
            title=_("Candidates by position and outcome"),
            kind="stacked-bar",
            labels=[str(row[0]) for row in positions.rows],
            series=[  # the outcomes chart's order and colours, hired last
                {"name": str(o.label), "values": [row[3 + GROUP_OUTCOMES.index(o)] for row in positions.rows]}
                for o in (*AT_STAGE, Outcome.HIRED)
            ],
            table="positions",
        ),
    ]
