"""What the candidate and interviewer analytics share: the interview scope, ratings, means, links.

Speed matters here (a dashboard page has 300 ms for a thousand candidates): rows are read as
tuples (``values_list``), never as model instances, and the admin URLs the links start with
are resolved once per process and script prefix, not once per cell.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Collection, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import get_script_prefix, reverse

from interviews.models import Interview
from reporting.filters import ReportFilters

#: the most ids a drill-down link lists (``id__in``); a longer set links to its nearest filtered list
ID_LIMIT = 200
#: the interview statuses the reports count (all but cancelled), as the admin's ``status__in``
COUNTED_STATUSES = ",".join(s for s in Interview.Status.values if s != Interview.Status.CANCELLED)

Lookups = Sequence[tuple[str, Any]]


def scoped_interviews(filters: ReportFilters, *, by: str) -> QuerySet[Interview]:
    """The organization's interviews, cancelled ones left out, that the filters select.

    ``by`` is whose position the position and team filters look at: ``"candidate"`` (the
    candidate's position) or ``"interview"`` (the position the interview was for). The period
    keeps the interviews scheduled in it (organization time zone).
    """
    org = filters.organization
    interviews = Interview.objects.filter(organization=org, candidate__organization=org).exclude(
        status=Interview.Status.CANCELLED
    )
    position = "candidate__position" if by == "candidate" else "position"
    if filters.positions:
        interviews = interviews.filter(**{f"{position}_id__in": filters.positions})
    if filters.team:
        interviews = interviews.filter(**{f"{position}__team": filters.team})
    if filters.source:
        interviews = interviews.filter(candidate__source=filters.source)
    start, end = filters.bounds()
    if start is not None:
        interviews = interviews.filter(scheduled_at__gte=start)
    if end is not None:
        interviews = interviews.filter(scheduled_at__lt=end)
    return interviews


def period_lookups(filters: ReportFilters, field: str = "scheduled_at") -> list[tuple[str, str]]:
    """The period as the admin's ``<field>__gte`` / ``<field>__lt`` (aware, organization time zone)."""
    start, end = filters.bounds()
    lookups: list[tuple[str, str]] = []
    if start is not None:
        lookups.append((f"{field}__gte", start.isoformat()))
    if end is not None:
        lookups.append((f"{field}__lt", end.isoformat()))
    return lookups


def position_lookups(
    filters: ReportFilters, seen: Iterable[int | None], field: str = "position"
) -> list[tuple[str, str]]:
    """The position and team filters as ``<field>__in``: the positions met in scope.

    The admin has no team filter; the positions of the rows in scope stand for the filtered
    ones (a filtered position with no row in scope selects no row either way).
    """
    if not filters.positions and not filters.team:
        return []
    pks = sorted({pk for pk in seen if pk is not None})
    return [(f"{field}__in", ",".join(map(str, pks)) or "0")]


def rating_values(ratings: Any) -> list[int]:
    """The 1–4 ratings of a scorecard; anything else stored there is ignored."""
    if not isinstance(ratings, dict):
        return []
    return [v for v in ratings.values() if type(v) is int and 1 <= v <= 4]


def valid_ratings(ratings: Any) -> list[tuple[str, int]]:
    """The (criterion, 1–4) pairs of a scorecard; anything else stored there is ignored."""
    if not isinstance(ratings, dict):
        return []
    return [(str(k), v) for k, v in ratings.items() if type(v) is int and 1 <= v <= 4]


def mean(values: Iterable[float]) -> float | None:
    items = values if isinstance(values, list) else list(values)
    return round(statistics.fmean(items), 2) if items else None


def median(values: list[float], digits: int = 2) -> float | None:
    return round(statistics.median(values), digits) if values else None


def percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@functools.cache
def _reversed(name: str, prefix: str, *args: str) -> str:
    return reverse(f"admin:{name}", args=args)


class AdminLinks:
    """Drill-down URLs into the back office (``/admin/interviews/<model>/…``).

    Make one per dashboard: it reads the script prefix once, and each admin URL is resolved
    once per process and prefix, so a thousand rows of links cost string joins only.
    """

    def __init__(self) -> None:
        self.prefix = get_script_prefix()

    def changelist(self, model: str) -> str:
        return _reversed(f"interviews_{model}_changelist", self.prefix)

    def change(self, model: str, pk: int) -> str:
        """The admin page of one row."""
        return _reversed(f"interviews_{model}_change", self.prefix, "0").replace("/0/change/", f"/{pk}/change/")

    def ids(self, model: str, ids: Collection[int]) -> str | None:
        """The list of exactly these rows (the list behind a figure), None when empty."""
        if not ids:
            return None
        # what urlencode({"id__in": "1,2"}) gives for digits and commas, without its per-call cost
        return f"{self.changelist(model)}?id__in={'%2C'.join(map(str, sorted(set(ids))))}"

    def filtered(self, model: str, lookups: Lookups) -> str:
        """The list through lookups its admin accepts (its list filters, local-field lookups)."""
        query = urlencode([(key, str(value)) for key, value in lookups])
        return f"{self.changelist(model)}?{query}" if query else self.changelist(model)

    def behind(self, model: str, ids: Collection[int], lookups: Lookups, *, exact: bool) -> str | None:
        """The list behind a figure counting the rows ``ids``, None when there are none.

        ``lookups`` select the nearest list the admin's filters can express; ``exact`` says
        whether they select exactly ``ids``. When they do not, the ids themselves are listed if
        there are at most ``ID_LIMIT`` of them, else the link opens the nearest list (a superset
        of the rows counted, documented with the figure): a link stays under 2,000 characters.
        """
        if not ids:
            return None
        if exact or len(set(ids)) > ID_LIMIT:
            return self.filtered(model, lookups)
        return self.ids(model, ids)
