"""Interviewer analytics: load, durations, scorecard turnaround, leniency and agreement.

Definitions (docs/reports.md repeats them):

Scope
    Interviews of the organization scheduled in the period (organization time zone), for the
    filtered positions/team (the *interview's* position) and candidate source; cancelled
    interviews never count. An interviewer is a user with the interviewer role on one of them.

Figures per interviewer
    interviews per week — their interviews per ISO week of ``scheduled_at`` (organization time
    zone); the weeks of the period, or from the first to the last interview without one;
    duration — over their interviews with both a start and an end: mean ``ended_at − started_at``
    in minutes against the mean scheduled ``duration_minutes`` of the same interviews;
    scorecards — their submitted scorecards on interviews they sat on as an interviewer (the
    only ones the service lets them write); drafts never count;
    turnaround — those scorecards on ended interviews: ``submitted_at − ended_at`` in
    hours (a scorecard submitted before the end counts as 0), median and mean;
    rating distribution — how many criterion ratings of 1, 2, 3 and 4 they gave;
    leniency — over interviews with at least two submitted scorecards, the mean of (their
    scorecard's mean rating − the panel mean), the panel mean being the mean of the interview's
    scorecards' mean ratings (theirs included); positive = more generous;
    agreement — their recommendations against the candidate's final decision, below.

Final decision (``Candidate.outcome``, recorded by ``candidate_decide``: hired, rejected,
withdrew, or active while in process)
    A "yes"/"strong yes" agrees with hired and a "no"/"strong no" with rejected; the opposite
    disagrees. Candidates still active, and those who withdrew, have no decision to agree with
    and are not counted. The stage they were in does not matter: a hire after the last stage
    counts like any other. The outcome is the candidate's current one, whatever the period.
    Agreement = agreeing / decided recommendations, % ("Decided recommendations" = the
    denominator).

Drill-down (admin lists through their filters; ``common.AdminLinks.behind``)
    name and interviews — ``?interviewer=`` with the period (``scheduled_at__gte/__lt``), the
    positions (``position__in``: those met in scope, which also stands for a team) and the
    counted statuses: exactly the interviews counted, unless a source is chosen (the interview
    list has no candidate-source filter); scorecards — ``author__id__exact`` with
    ``interview__position__in``, exact when the interviewer has no other submitted scorecard
    (outside the period, on a cancelled interview or a panel they were not on; counted in one
    more query). A set a filter cannot express (a source chosen, "with start and end", "with a
    panel", "decided") is listed by id (``id__in``) when it has at most 200 rows, else the link
    opens the nearest filtered list (the interviewer's interviews or scorecards), a superset.
    The headline figures link the same way to the interviews and scorecards they count.

Queries: four, whatever the number of interviews (interviews with their candidate's outcome,
interviewer seats, scorecards, and the submitted scorecards per author the links compare with),
read as flat rows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interviews.models import Candidate, Interview, Participant, Scorecard
from reporting.dashboards import Chart, Dashboard, Table
from reporting.filters import ReportFilters
from reporting.metrics.common import (
    COUNTED_STATUSES,
    AdminLinks,
    mean,
    median,
    percent,
    period_lookups,
    position_lookups,
    rating_values,
    scoped_interviews,
)

POSITIVE = frozenset({Scorecard.Recommendation.YES, Scorecard.Recommendation.STRONG_YES})
NEGATIVE = frozenset({Scorecard.Recommendation.NO, Scorecard.Recommendation.STRONG_NO})
# a final decision → the recommendations that agree with it (active and withdrawn: no decision)
DECIDED: dict[str, frozenset[str]] = {Candidate.Outcome.HIRED: POSITIVE, Candidate.Outcome.REJECTED: NEGATIVE}


@functools.cache
def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_labels(first: date, last: date) -> list[str]:
    labels: list[str] = []
    day = first - timedelta(days=first.weekday())
    while day <= last:
        labels.append(iso_week(day))
        day += timedelta(days=7)
    return labels


@dataclass(slots=True)
class _Person:
    pk: int
    name: str
    weeks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    interview_ids: list[int] = field(default_factory=list)
    scorecard_ids: list[int] = field(default_factory=list)
    seats: set[int] = field(default_factory=set)  # the interviews they sat on as an interviewer
    timed_ids: list[int] = field(default_factory=list)  # interviews with a start and an end
    compared_ids: list[int] = field(default_factory=list)  # interviews with a panel of two scorecards
    turnaround_ids: list[int] = field(default_factory=list)  # scorecards with a turnaround
    decided_ids: list[int] = field(default_factory=list)  # scorecards on a final decision
    actual_min: list[float] = field(default_factory=list)
    scheduled_min: list[int] = field(default_factory=list)
    turnaround_h: list[float] = field(default_factory=list)
    distribution: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    deviations: list[float] = field(default_factory=list)
    agreed: int = 0
    decided: int = 0

    def figures(self) -> dict[str, Any]:
        given = sum(self.distribution)
        return {
            "user_id": self.pk,
            "name": self.name,
            "interviews": len(self.interview_ids),
            "timed": len(self.actual_min),
            "actual_min": mean(self.actual_min),
            "scheduled_min": mean(self.scheduled_min),
            "scorecards": len(self.scorecard_ids),
            "turnaround_median_h": median(self.turnaround_h),
            "turnaround_mean_h": mean(self.turnaround_h),
            "ratings_1": self.distribution[0],
            "ratings_2": self.distribution[1],
            "ratings_3": self.distribution[2],
            "ratings_4": self.distribution[3],
            "mean_rating": round(sum((i + 1) * n for i, n in enumerate(self.distribution)) / given, 2)
            if given
            else None,
            "leniency": mean(self.deviations),
            "compared": len(self.deviations),
            "decided": self.decided,
            "agreement_pct": percent(self.agreed, self.decided),
        }


@dataclass(slots=True)
class _Room:
    day: date
    position_id: int | None
    scheduled_min: int
    started: datetime | None
    ended: datetime | None
    outcome: str


def _people(
    interviews: QuerySet[Interview], zone: Any
) -> tuple[dict[int, _Person], dict[int, _Room], dict[int, _Room]]:
    """Interviewers of these interviews with their load and durations; the interviews they sat
    on; all the interviews."""
    # Interviews and seats apart: each interview's times are read (and converted) once, not
    # once per interviewer on its panel.
    rooms: dict[int, _Room] = {}
    for pk, scheduled, position_id, minutes, started, ended, outcome in interviews.values_list(
        "pk", "scheduled_at", "position_id", "duration_minutes", "started_at", "ended_at", "candidate__outcome"
    ).order_by():
        rooms[pk] = _Room(scheduled.astimezone(zone).date(), position_id, minutes, started, ended, outcome)
    people: dict[int, _Person] = {}
    seated: set[int] = set()
    for interview_id, user_id, full_name, email in (
        Participant.objects.filter(interview__in=interviews, role=Participant.Role.INTERVIEWER, user__isnull=False)
        .values_list("interview_id", "user_id", "user__full_name", "user__email")
        .order_by()
    ):
        person = people.get(user_id)
        if person is None:
            person = people[user_id] = _Person(pk=user_id, name=full_name or email)
        room = rooms[interview_id]
        seated.add(interview_id)
        person.weeks[iso_week(room.day)] += 1
        person.interview_ids.append(interview_id)
        person.seats.add(interview_id)
        if room.started is not None and room.ended is not None and room.ended >= room.started:
            person.timed_ids.append(interview_id)
            person.actual_min.append((room.ended - room.started).total_seconds() / 60)
            person.scheduled_min.append(room.scheduled_min)
    return people, {pk: room for pk, room in rooms.items() if pk in seated}, rooms


def _score(people: dict[int, _Person], interviews: QuerySet[Interview], rooms: dict[int, _Room]) -> None:
    panels: dict[int, list[tuple[int, float]]] = defaultdict(list)  # interview → (author, mean rating)
    for pk, interview_id, author_id, ratings, recommendation, submitted in (
        Scorecard.objects.filter(interview__in=interviews, submitted_at__isnull=False)
        .values_list("pk", "interview_id", "author_id", "ratings", "recommendation", "submitted_at")
        .order_by()
    ):
        person = people.get(author_id)
        if person is None or interview_id not in person.seats:  # not on that panel
            continue
        room = rooms[interview_id]
        values = rating_values(ratings)
        if values:
            panels[interview_id].append((author_id, sum(values) / len(values)))
        for v in values:
            person.distribution[v - 1] += 1
        person.scorecard_ids.append(pk)
        if room.ended is not None and submitted is not None:
            person.turnaround_ids.append(pk)
            person.turnaround_h.append(max((submitted - room.ended).total_seconds() / 3600, 0.0))
        agreeing = DECIDED.get(room.outcome)
        if agreeing is not None and recommendation in POSITIVE | NEGATIVE:
            person.decided += 1
            person.decided_ids.append(pk)
            person.agreed += recommendation in agreeing
    for interview_id, panel in panels.items():
        if len(panel) < 2:
            continue
        panel_mean = sum(m for _author, m in panel) / len(panel)
        for author, m in panel:
            people[author].deviations.append(m - panel_mean)
            people[author].compared_ids.append(interview_id)


COLUMNS = [
    ("name", gettext_lazy("Interviewer")),
    ("interviews", gettext_lazy("Interviews")),
    ("timed", gettext_lazy("Interviews with start and end")),
    ("actual_min", gettext_lazy("Actual duration (min)")),
    ("scheduled_min", gettext_lazy("Scheduled duration (min)")),
    ("scorecards", gettext_lazy("Scorecards")),
    ("turnaround_median_h", gettext_lazy("Turnaround, median (h)")),
    ("turnaround_mean_h", gettext_lazy("Turnaround, mean (h)")),
    ("ratings_1", gettext_lazy("Ratings of 1")),
    ("ratings_2", gettext_lazy("Ratings of 2")),
    ("ratings_3", gettext_lazy("Ratings of 3")),
    ("ratings_4", gettext_lazy("Ratings of 4")),
    ("mean_rating", gettext_lazy("Mean rating (1–4)")),
    ("leniency", gettext_lazy("Leniency (vs panel mean)")),
    ("compared", gettext_lazy("Interviews with a panel")),
    ("decided", gettext_lazy("Decided recommendations")),
    ("agreement_pct", gettext_lazy("Agreement with decisions (%)")),
]


class _Links:
    """The drill-down links of one interviewers dashboard (definitions in the module docstring)."""

    def __init__(self, filters: ReportFilters, rooms: dict[int, _Room]) -> None:
        self.admin = AdminLinks()
        seen = [room.position_id for room in rooms.values()]
        self.interviews = [
            *position_lookups(filters, seen),
            ("status__in", COUNTED_STATUSES),
            *period_lookups(filters),
        ]
        self.scorecards = position_lookups(filters, seen, "interview__position")
        self.exact_interviews = not filters.source  # no candidate-source filter on the interview list
        # every submitted scorecard the scorecard lists select, per author: equal counts = exact
        cards = Scorecard.objects.filter(interview__organization=filters.organization, submitted_at__isnull=False)
        if filters.positions or filters.team:
            cards = cards.filter(interview__position_id__in={pk for pk in seen if pk is not None})
        self.totals: dict[int | None, int] = dict(
            cards.values("author_id").annotate(n=Count("pk")).values_list("author_id", "n").order_by()
        )

    def interview(self, ids: list[int], person: int | None = None, *, exact: bool = False) -> str | None:
        mine = [("interviewer", person)] if person is not None else []
        return self.admin.behind("interview", ids, [*mine, *self.interviews], exact=exact)

    def scorecard(self, ids: list[int], person: int | None = None, *, exact: bool = False) -> str | None:
        mine = [("author__id__exact", person)] if person is not None else []
        return self.admin.behind("scorecard", ids, [*mine, *self.scorecards], exact=exact)

    def row(self, p: _Person) -> list[str | None]:
        interviews = self.interview(p.interview_ids, p.pk, exact=self.exact_interviews)
        links = {
            "name": interviews,
            "interviews": interviews,
            "timed": self.interview(p.timed_ids, p.pk),
            "scorecards": self.scorecard(p.scorecard_ids, p.pk, exact=self.totals.get(p.pk) == len(p.scorecard_ids)),
            "compared": self.interview(p.compared_ids, p.pk),
            "decided": self.scorecard(p.decided_ids, p.pk),
        }
        return [links.get(key) for key, _title in COLUMNS]

    def summary(self, persons: list[_Person], seated: dict[int, _Room], rooms: dict[int, _Room]) -> list[str | None]:
        scorecards = [pk for p in persons for pk in p.scorecard_ids]
        return [
            None,
            self.interview(list(seated), exact=self.exact_interviews and len(seated) == len(rooms)),
            self.scorecard(scorecards, exact=sum(self.totals.values()) == len(scorecards)),
            self.scorecard([pk for p in persons for pk in p.turnaround_ids]),
            self.scorecard([pk for p in persons for pk in p.decided_ids]),
        ]


def interviewers_dashboard(filters: ReportFilters) -> Dashboard:
    """Interviewer analytics within the filters (definitions in the module docstring)."""
    interviews = scoped_interviews(filters, by="interview")
    people, rooms, everything = _people(interviews, filters.zone())
    _score(people, interviews, rooms)
    days = {pk: room.day for pk, room in rooms.items()}
    persons = sorted(people.values(), key=lambda p: (p.name.lower(), p.pk))
    figures = [p.figures() for p in persons]
    first = filters.start or (min(days.values()) if days else None)
    last = filters.end or (max(days.values()) if days else None)
    weeks = week_labels(first, last) if first and last else []
    names = [f["name"] for f in figures]
    pairs = list(zip(figures, persons, strict=True))
    links = _Links(filters, everything)
    table = Table(
        key="interviewers",
        title=_("Interviewers"),
        columns=[str(title) for _key, title in COLUMNS],
        rows=[[f[key] for key, _title in COLUMNS] for f in figures],
        links=[links.row(p) for p in persons],
    )
    weekly = Table(
        key="interviews_per_week",
        title=_("Interviews per week"),
        columns=[_("Week"), *names],
        rows=[[week, *(p.weeks.get(week, 0) for p in persons)] for week in weeks],
    )
    charts = [
        Chart(
            key="interviews_per_week",
            title=_("Interviews per week"),
            kind="line",
            labels=weeks,
            series=[{"name": f["name"], "values": [p.weeks.get(w, 0) for w in weeks]} for f, p in pairs],
            table="interviews_per_week",
        ),
        Chart(
            key="rating_distribution",
            title=_("Rating distribution"),
            kind="stacked-bar",
            labels=names,
            series=[{"name": str(n), "values": [f[f"ratings_{n}"] for f in figures]} for n in (1, 2, 3, 4)],
            table="interviewers",
        ),
        Chart(
            key="leniency",
            title=_("Leniency: mean difference from the panel mean"),
            kind="bar",
            labels=names,
            series=[{"name": _("Leniency"), "values": [f["leniency"] for f in figures]}],
            table="interviewers",
            unit="1–4",
        ),
        Chart(
            key="turnaround",
            title=_("Scorecard turnaround"),
            kind="bar",
            labels=names,
            series=[
                {"name": _("Median"), "values": [f["turnaround_median_h"] for f in figures]},
                {"name": _("Mean"), "values": [f["turnaround_mean_h"] for f in figures]},
            ],
            table="interviewers",
            unit="h",
        ),
    ]
    turnaround = [h for p in persons for h in p.turnaround_h]
    decided, agreed = sum(p.decided for p in persons), sum(p.agreed for p in persons)
    summary: list[tuple[str, Any]] = [
        (_("Interviewers"), len(persons)),
        (_("Interviews with an interviewer"), len(days)),
        (_("Scorecards"), sum(len(p.scorecard_ids) for p in persons)),
        (_("Median turnaround (h)"), median(turnaround)),
        (_("Agreement with decisions (%)"), percent(agreed, decided)),
    ]
    return Dashboard(
        key="interviewers",
        title=_("Interviewer analytics"),
        summary=summary,
        charts=charts,
        tables=[table, weekly],
        summary_links=links.summary(persons, rooms, everything),
    )
