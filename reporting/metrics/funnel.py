"""The hiring funnel: how far the candidates of a period got through their position's pipeline,
and where they stopped.

The cohort is the candidates added in the period (``candidate_scope``); their whole stage-move
history and their decision count, also after the period, so a cohort's funnel fills in as it
moves on. Three queries whatever the number of candidates: the cohort, the stages of the
pipelines in scope and the cohort's stage moves; the rest is counted here, because time in stage
needs each move's successor, which the ORM cannot express portably (no window functions on every
backend we run).

Definitions (docs/reports.md): a candidate *reached* a stage when they entered it or any later
stage (a funnel never widens: skipped stages count as passed, and a hire passed every stage);
the decision (``Candidate.outcome``) is counted at the stage the candidate is in
(``current_stage`` — the decision leaves it there): *in process here*, *rejected here*,
*withdrew here*; a pipeline's last step is *Hired*. *Time in stage* covers finished stays: up to
the next move, or up to the decision for a decided candidate.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from interviews.models import Candidate, PipelineStage, Position, StageMove
from reporting.dashboards import Dashboard, Table
from reporting.filters import ReportFilters
from reporting.metrics import candidate_params, candidate_scope, changelist_url, percent
from reporting.metrics.common import AdminLinks
from reporting.metrics.funnel_charts import AT_STAGE, GROUP_OUTCOMES, group_charts, stage_charts, step_label

SECONDS_PER_DAY = 86400.0
Outcome = Candidate.Outcome
Params = list[tuple[str, Any]]


@dataclass(frozen=True)
class _Stage:
    pk: int
    name: str
    order: int
    pipeline_id: int
    pipeline_name: str


@dataclass
class _Person:
    pk: int
    source: str
    position_id: int | None
    position_title: str
    team: str
    pipeline_id: int | None
    current_stage_id: int | None
    outcome: str
    decided_at: datetime | None
    moves: list[tuple[int | None, int | None, datetime]] = field(default_factory=list)  # (from, to, at)


@dataclass
class _Counts:
    """What the funnel knows about each candidate, ready to be counted per stage, position, source."""

    reached: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # stage → candidates
    at_stage: dict[tuple[int, str], set[int]] = field(default_factory=lambda: defaultdict(set))  # (stage, outcome)
    hired: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # pipeline → hired candidates
    days: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcome: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # outcome → candidates
    # stage → the candidates the admin's ``?reached=<stage>`` lists (entered it or a later stage of
    # its pipeline, whatever their position's pipeline; a hire counts only by the stages entered)
    listed: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def _positions_in_scope(filters: ReportFilters) -> QuerySet[Position]:
    positions = Position.objects.filter(organization=filters.organization)
    if filters.positions:
        positions = positions.filter(pk__in=filters.positions)
    if filters.team:
        positions = positions.filter(team=filters.team)
    return positions


def _load(filters: ReportFilters) -> tuple[list[_Person], dict[int, list[_Stage]]]:
    scope = candidate_scope(filters)
    fields = ("pk", "source", "position_id", "position__title", "position__team", "position__pipeline_id")
    people = {
        row["pk"]: _Person(
            pk=row["pk"],
            source=row["source"],
            position_id=row["position_id"],
            position_title=row["position__title"] or "",
            team=row["position__team"] or "",
            pipeline_id=row["position__pipeline_id"],
            current_stage_id=row["current_stage_id"],
            outcome=row["outcome"],
            decided_at=row["decided_at"],
        )
        for row in scope.order_by("pk").values(*fields, "current_stage_id", "outcome", "decided_at")
    }
    stages: dict[int, list[_Stage]] = defaultdict(list)
    pipelines = _positions_in_scope(filters).exclude(pipeline=None).values("pipeline_id")
    for row in (
        PipelineStage.objects.filter(pipeline__in=pipelines)
        .order_by("pipeline__name", "pipeline_id", "order")
        .values("pk", "name", "order", "pipeline_id", "pipeline__name")
    ):
        stages[row["pipeline_id"]].append(
            _Stage(row["pk"], row["name"], row["order"], row["pipeline_id"], row["pipeline__name"])
        )
    moves = (
        StageMove.objects.filter(candidate__in=scope.values("pk"))
        .order_by("candidate_id", "moved_at", "pk")
        .values_list("candidate_id", "from_stage_id", "to_stage_id", "moved_at")
    )
    for candidate_id, from_id, to_id, moved_at in moves:
        people[candidate_id].moves.append((from_id, to_id, moved_at))
    return list(people.values()), dict(stages)


def _stays(person: _Person, own: dict[int, _Stage]) -> Iterable[tuple[int, float]]:
    """(stage, days) of each finished stay: up to the next move, or up to the decision."""
    for (_from, to, at), (_f2, _t2, next_at) in zip(person.moves, person.moves[1:], strict=False):
        if to in own:
            yield to, (next_at - at).total_seconds() / SECONDS_PER_DAY
    if person.outcome != Outcome.ACTIVE and person.decided_at is not None and person.moves:
        _from, last_to, at = person.moves[-1]
        if last_to in own and last_to == person.current_stage_id and person.decided_at >= at:
            yield last_to, (person.decided_at - at).total_seconds() / SECONDS_PER_DAY


def _list_reached(counts: _Counts, person: _Person, stages: dict[int, list[_Stage]], every: dict[int, _Stage]) -> None:
    """What the admin's reached filter lists for this person (see ``_Counts.listed``)."""
    furthest: dict[int, int] = {}  # pipeline → the furthest order entered
    for stage_id in [to for _f, to, _at in person.moves] + [person.current_stage_id]:
        stage = every.get(stage_id or 0)
        if stage is not None:
            furthest[stage.pipeline_id] = max(furthest.get(stage.pipeline_id, stage.order), stage.order)
    for pipeline_id, order in furthest.items():
        for stage in stages[pipeline_id]:
            if stage.order <= order:
                counts.listed[stage.pk].add(person.pk)


def _count(people: list[_Person], stages: dict[int, list[_Stage]]) -> _Counts:
    counts = _Counts()
    every = {stage.pk: stage for pipeline in stages.values() for stage in pipeline}
    for person in people:
        _list_reached(counts, person, stages, every)
        counts.outcome[person.outcome].add(person.pk)
        pipeline = stages.get(person.pipeline_id or 0, [])
        own = {s.pk: s for s in pipeline}
        entered = [own[to].order for _f, to, _at in person.moves if to in own]
        if person.current_stage_id in own:
            entered.append(own[person.current_stage_id].order)
            counts.at_stage[(person.current_stage_id, person.outcome)].add(person.pk)
        furthest = max(entered, default=None)
        if pipeline and person.outcome == Outcome.HIRED:
            furthest = pipeline[-1].order
            counts.hired[pipeline[0].pipeline_id].add(person.pk)
        for stage in pipeline:
            if furthest is not None and stage.order <= furthest:
                counts.reached[stage.pk].add(person.pk)
        for stage_id, days in _stays(person, own):
            counts.days[stage_id].append(days)
    return counts


def _days(values: list[float], how: Any) -> float | None:
    return round(how(values), 1) if values else None


def _with(params: Params, **lookups: Any) -> Params:
    """``params`` with these lookups set (replacing any of the same name: no repeated keys)."""
    return [(k, v) for k, v in params if k not in lookups] + list(lookups.items())


def _list_url(params: Params, ids: set[int], **lookups: Any) -> str | None:
    """The candidate list with the admin's own filters (None when the figure is 0)."""
    return changelist_url("candidate", _with(params, **lookups)) if ids else None


def _reached_url(
    base: Params, counts: _Counts, stage: _Stage, part: set[int] | None = None, **lookups: Any
) -> str | None:
    """The candidates who reached ``stage`` (those in ``part`` of them): the admin's ``?reached=``.

    Exact whenever the admin's reading of "reached" gives the same candidates (nearly always: it
    differs for a hire who never entered a stage, or a candidate who entered another position's
    pipeline); otherwise the ids when at most ``ID_LIMIT``, else that nearest list.
    """
    reached, listed = counts.reached[stage.pk], counts.listed[stage.pk]
    if part is not None:
        reached, listed = reached & part, listed & part
    return AdminLinks().behind("candidate", reached, _with(base, reached=stage.pk, **lookups), exact=reached == listed)


def _pipeline_params(base: Params, people: list[_Person], pipeline_id: int) -> Params:
    """``base`` narrowed to the pipeline's positions when the scope has candidates elsewhere."""
    own = {p.position_id for p in people if p.pipeline_id == pipeline_id}
    if own == {p.position_id for p in people}:
        return base
    return _with(base, position__in=",".join(str(pk) for pk in sorted(pk for pk in own if pk)) or "0")


def _stage_columns() -> list[str]:
    return [
        _("Pipeline"), _("Stage"), _("Reached"), _("In process here"), _("Conversion to the next step (%)"),
        _("Rejected here"), _("Withdrew here"), _("Median days in stage"), _("Average days in stage"),
    ]  # fmt: skip


def _stage_table(base: Params, people: list[_Person], stages: dict[int, list[_Stage]], counts: _Counts) -> Table:
    rows: list[list[Any]] = []
    links: list[list[str | None]] = []
    for pipeline in stages.values():
        hired = counts.hired[pipeline[0].pipeline_id]
        for index, stage in enumerate(pipeline):
            reached = counts.reached[stage.pk]
            following = len(counts.reached[pipeline[index + 1].pk]) if index + 1 < len(pipeline) else len(hired)
            here = [counts.at_stage[(stage.pk, outcome)] for outcome in AT_STAGE]
            days = counts.days[stage.pk]
            rows.append([
                stage.pipeline_name, stage.name, len(reached), len(here[0]), percent(following, len(reached)),
                len(here[1]), len(here[2]), _days(days, statistics.median), _days(days, statistics.fmean),
            ])  # fmt: skip
            urls = [
                _list_url(base, ids, current_stage__id__exact=stage.pk, outcome__exact=outcome)
                for ids, outcome in zip(here, AT_STAGE, strict=True)
            ]
            links.append([None, None, _reached_url(base, counts, stage), urls[0], None, *urls[1:], None, None])
        rows.append([pipeline[0].pipeline_name, _("Hired"), len(hired), None, None, None, None, None, None])
        hired_url = _list_url(_pipeline_params(base, people, pipeline[0].pipeline_id), hired, outcome__exact="hired")
        links.append([None, None, hired_url, None, None, None, None, None, None])
    return Table(
        key="stages",
        title=_("Candidates per stage"),
        columns=_stage_columns(),
        rows=rows,
        links=links,
    )


def _group_row(ids: set[int], counts: _Counts, params: Params) -> tuple[list[Any], list[str | None]]:
    """Candidates, then each outcome, then the hire rate — every count linked with admin filters."""
    parts = [ids & counts.outcome[outcome] for outcome in GROUP_OUTCOMES]
    values = [len(ids), *(len(part) for part in parts), percent(len(parts[1]), len(ids))]
    urls = [
        _list_url(params, ids),
        *(_list_url(params, part, outcome__exact=o) for part, o in zip(parts, GROUP_OUTCOMES, strict=True)),
        None,
    ]
    return values, urls


def _group_columns() -> list[str]:
    return [_("Candidates"), *(str(o.label) for o in GROUP_OUTCOMES), _("Hire rate (%)")]


def _position_table(base: Params, people: list[_Person], counts: _Counts) -> Table:
    groups: dict[int | None, set[int]] = defaultdict(set)
    names: dict[int | None, tuple[str, str]] = {}
    for person in people:
        groups[person.position_id].add(person.pk)
        names[person.position_id] = (person.position_title or _("No position"), person.team)
    table = Table(
        key="positions", title=_("By position"), columns=[_("Position"), _("Team"), *_group_columns()], rows=[]
    )
    unscoped = [(k, v) for k, v in base if k != "position__in"]
    for position_id in sorted(groups, key=lambda pk: (names[pk][0].lower(), pk or 0)):
        where = (
            _with(unscoped, position__id__exact=position_id)
            if position_id
            else _with(unscoped, position__isnull="True")
        )
        values, urls = _group_row(groups[position_id], counts, where)
        table.rows.append([*names[position_id], *values])
        table.links.append([None, None, *urls])
    return table


def _source_table(base: Params, people: list[_Person], counts: _Counts) -> Table:
    groups: dict[str, set[int]] = defaultdict(set)
    for person in people:
        groups[person.source].add(person.pk)
    table = Table(key="sources", title=_("By source"), columns=[_("Source"), *_group_columns()], rows=[])
    for value, label in Candidate.Source.choices:
        if value in groups:
            values, urls = _group_row(groups[value], counts, _with(base, source__exact=value))
            table.rows.append([str(label), *values])
            table.links.append([None, *urls])
    return table


def _stage_source_table(
    base: Params, people: list[_Person], stages: dict[int, list[_Stage]], counts: _Counts, several: bool
) -> Table:
    by_source: dict[str, set[int]] = defaultdict(set)
    for person in people:
        by_source[person.source].add(person.pk)
    sources = [(v, str(label)) for v, label in Candidate.Source.choices if v in by_source]
    table = Table(
        key="stage_sources",
        title=_("Reached each step, by source"),
        columns=[_("Stage"), *(label for _v, label in sources)],
        rows=[],
    )
    for pipeline in stages.values():
        hired = counts.hired[pipeline[0].pipeline_id]
        own = _pipeline_params(base, people, pipeline[0].pipeline_id)
        for stage in pipeline:
            parts = [(v, by_source[v]) for v, _l in sources]
            table.rows.append(
                [step_label(pipeline, stage.name, several), *(len(counts.reached[stage.pk] & p) for _v, p in parts)]
            )
            table.links.append([None, *(_reached_url(base, counts, stage, p, source__exact=v) for v, p in parts)])
        table.rows.append(
            [step_label(pipeline, _("Hired"), several), *(len(hired & by_source[v]) for v, _l in sources)]
        )
        urls = [
            _list_url(_with(own, source__exact=v), hired & by_source[v], outcome__exact="hired") for v, _l in sources
        ]
        table.links.append([None, *urls])
    return table


def _summary(base: Params, people: list[_Person], counts: _Counts) -> tuple[list[tuple[str, Any]], list[str | None]]:
    everyone = {p.pk for p in people}
    summary: list[tuple[str, Any]] = [(_("Candidates"), len(everyone))]
    links = [_list_url(base, everyone)]
    for outcome in GROUP_OUTCOMES:
        summary.append((str(outcome.label), len(counts.outcome[outcome])))
        links.append(_list_url(base, counts.outcome[outcome], outcome__exact=outcome.value))
    summary.append((_("Hire rate (%)"), percent(len(counts.outcome[Outcome.HIRED]), len(everyone))))
    links.append(None)
    return summary, links


def funnel_dashboard(filters: ReportFilters) -> Dashboard:
    """The hiring funnel of the filtered candidates: per stage, per position and per source."""
    people, stages = _load(filters)
    counts = _count(people, stages)
    several = len(stages) > 1
    base: Params = list(candidate_params(filters, (p.position_id for p in people if p.position_id)))
    stage_table = _stage_table(base, people, stages, counts)
    positions = _position_table(base, people, counts)
    sources = _source_table(base, people, counts)
    by_source = _stage_source_table(base, people, stages, counts, several)
    summary, summary_links = _summary(base, people, counts)
    return Dashboard(
        key="funnel",
        title=_("Hiring funnel"),
        summary=summary,
        summary_links=summary_links,
        charts=[*stage_charts(stage_table, stages, several), *group_charts(by_source, positions)],
        tables=[stage_table, by_source, positions, sources],
    )
