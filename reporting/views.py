"""The dashboards pages: an index, one page per dashboard and their CSV downloads (docs/reports.md).

Back office only: every view goes through the admin site's ``admin_view``, so access is exactly
the admin's (admins and recruiters of the current organization and superusers; anyone else
signed in is sent to their own pages, anonymous visitors log in). The pages extend the admin's
base template so the back-office navigation stays.
"""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.middleware import current_organization
from accounts.models import Organization
from interviews.exports import csv_response, safe_cell
from reporting.dashboards import REGISTRY, TITLES, Chart, Dashboard, Table, dashboard_compute
from reporting.filters import PRESETS, ReportFilterForm, ReportFilters

#: GET parameters that are not filters (they must not make the form "bound"); so is ``<table>_page``
NON_FILTER_PARAMS = frozenset({"table", "bom", "all"})
PAGE_SUFFIX = "_page"
#: page links shown either side of the current page (then "…" up to the first and last)
PAGE_WINDOW = 2


def _is_filter_param(name: str) -> bool:
    return name not in NON_FILTER_PARAMS and not name.endswith(PAGE_SUFFIX)


def _organization(request: HttpRequest) -> Organization:
    organization = current_organization(request)
    if organization is None:  # a superuser outside any organization: nothing to report on
        raise Http404(_("Choose an organization to see its reports."))
    return organization


def _form(request: HttpRequest, organization: Organization) -> ReportFilterForm:
    bound = any(_is_filter_param(key) for key in request.GET)
    return ReportFilterForm(request.GET if bound else None, organization=organization)


def _filters(form: ReportFilterForm, organization: Organization) -> ReportFilters | None:
    if not form.is_bound:
        return ReportFilters(organization=organization)
    return form.filters(organization) if form.is_valid() else None


def _dashboard_key(key: str) -> str:
    if key not in REGISTRY:
        raise Http404
    return key


def _context(request: HttpRequest, title: str) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title}


@require_GET
def reports_index(request: HttpRequest) -> HttpResponse:
    """The list of dashboards."""
    _organization(request)
    dashboards = [
        {"key": key, "title": title, "description": description, "url": reverse("reports_dashboard", args=[key])}
        for key, (title, description) in TITLES.items()
        if key in REGISTRY
    ]
    context = {**_context(request, _("Reports")), "dashboards": dashboards}
    return TemplateResponse(request, "reporting/dashboard_index.html", context)


@require_GET
def dashboard_page(request: HttpRequest, key: str) -> HttpResponse:
    """One dashboard: filter form, headline figures, charts with their tables, drill-down and CSV links."""
    key = _dashboard_key(key)
    organization = _organization(request)
    form = _form(request, organization)
    filters = _filters(form, organization)
    dashboard = dashboard_compute(key, filters) if filters is not None else None
    query = filters.query_string() if filters is not None else ""
    csv_url = reverse("reports_csv", args=[key])
    title = str(TITLES[key][0]) if key in TITLES else key
    context = {
        **_context(request, title),
        "key": key,
        "form": form,
        "filters": filters,
        "described": filters.describe() if filters is not None else [],
        "dashboard": dashboard,
        "sections": _sections(dashboard, request.GET, query) if dashboard is not None else [],
        "chart_data": [chart.script_data() for chart in dashboard.charts] if dashboard else [],
        "query": query,
        "filter_params": filters.params() if filters is not None else [],
        "csv_url": f"{csv_url}?{query}" if query else csv_url,
        "table_csv_url": f"{csv_url}?{query}&table=" if query else f"{csv_url}?table=",
        "presets": [(value, label) for value, label, _days in PRESETS],
        "page_url": reverse("reports_dashboard", args=[key]),
        "generated_at": timezone.now(),
    }
    return TemplateResponse(request, "reporting/dashboard.html", context, status=200)


def _sections(dashboard: Dashboard, get: QueryDict, query: str) -> list[dict[str, Any]]:
    """Each table (one page of it) with the charts drawn from it, in the dashboard's order."""
    keys = [table.key for table in dashboard.tables]
    state = _paging_state(get, keys)
    sections = []
    for table in dashboard.tables:
        charts = [_chart(chart, dashboard) for chart in dashboard.charts if chart.table == table.key]
        sections.append({"table": table, "charts": charts, "page": _page(table, state, query)})
    return sections


def _chart(chart: Chart, dashboard: Dashboard) -> dict[str, Any]:
    """A chart with its own data table: exactly its labels × series, whatever the table behind shows."""
    behind = dashboard.table(chart.table)
    axis = chart.axis or (str(behind.columns[0]) if behind and behind.columns else _("Category"))
    return {"chart": chart, "axis": axis, "headers": chart.series_headers(), "rows": chart.data_rows()}


Paging = list[tuple[str, str]]  # the tables' paging parameters: ("<key>_page", "N") and ("all", "<key>")


def _paging_state(get: QueryDict, keys: list[str]) -> Paging:
    """This request's paging parameters of the dashboard's tables, to keep in every page link."""
    pages = [(f"{key}{PAGE_SUFFIX}", str(get.get(f"{key}{PAGE_SUFFIX}", ""))) for key in keys]
    shown = [str(value) for value in get.getlist("all")]
    return [(name, value) for name, value in pages if value] + [("all", key) for key in keys if key in shown]


def _page_link(state: Paging, query: str, key: str, *, number: int | None = None, everything: bool = False) -> str:
    """``?<filters>&<the other tables' paging>&<this table's page>#table-<key>``."""
    others = [(name, value) for name, value in state if name != f"{key}{PAGE_SUFFIX}" and (name, value) != ("all", key)]
    own = [("all", key)] if everything else [(f"{key}{PAGE_SUFFIX}", str(number))] if number and number > 1 else []
    params = "&".join(part for part in (query, urlencode([*others, *own])) if part)
    return f"?{params}#table-{key}"


def _page(table: Table, state: Paging, query: str) -> dict[str, Any]:
    """Which rows of ``table`` this page shows, and the links to the others ("Show all" included)."""
    total, size = len(table.rows), table.page_size
    if size <= 0 or total <= size:
        return {"rows": table.cells(), "total": total, "paged": False, "showing_all": False}
    pages = -(-total // size)
    if ("all", table.key) in state:
        return {
            "rows": table.cells(), "total": total, "paged": False, "showing_all": True,
            "paged_url": _page_link(state, query, table.key),
        }  # fmt: skip
    try:
        asked = dict(state).get(f"{table.key}{PAGE_SUFFIX}", "1")
        number = min(max(int(asked), 1), pages)
    except ValueError:
        number = 1
    start = (number - 1) * size
    near = {1, pages, *range(number - PAGE_WINDOW, number + PAGE_WINDOW + 1)}
    links: list[tuple[int | None, str | None]] = []  # (page, url); None, None = a gap
    for n in sorted(p for p in near if 1 <= p <= pages):
        if links and links[-1][0] is not None and n - (links[-1][0] or 0) > 1:
            links.append((None, None))
        links.append((n, None if n == number else _page_link(state, query, table.key, number=n)))
    return {
        "rows": table.cells(start, start + size),
        "total": total,
        "paged": True,
        "showing_all": False,
        "number": number,
        "pages": pages,
        "first": start + 1,
        "last": min(start + size, total),
        "links": links,
        "previous_url": _page_link(state, query, table.key, number=number - 1) if number > 1 else None,
        "next_url": _page_link(state, query, table.key, number=number + 1) if number < pages else None,
        "all_url": _page_link(state, query, table.key, everything=True),
    }


@require_GET
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    """The dashboard's data as CSV: one table (``?table=``) or all of them, one block after the other."""
    key = _dashboard_key(key)
    organization = _organization(request)
    form = _form(request, organization)
    filters = _filters(form, organization)
    if filters is None:
        errors = "; ".join(f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in form.errors.items())
        return HttpResponseBadRequest(_("Invalid filters: %(errors)s") % {"errors": errors}, content_type="text/plain")
    bom = request.GET.get("bom", "1") != "0"
    dashboard = dashboard_compute(key, filters)
    stamp = timezone.now().strftime("%Y%m%d")
    table_key = request.GET.get("table", "")
    if table_key:
        table = dashboard.table(table_key)
        if table is None:
            raise Http404
        return _table_csv(table, filename=f"{key}-{table.key}-{stamp}.csv", bom=bom)
    return _dashboard_csv(dashboard, filters, filename=f"{key}-{stamp}.csv", bom=bom)


def _table_csv(table: Table, *, filename: str, bom: bool) -> HttpResponse:
    columns = [(name, (lambda row, i=i: row[i])) for i, name in enumerate(table.columns)]
    return csv_response(filename=filename, columns=columns, rows=table.rows, bom=bom)


def _dashboard_csv(dashboard: Dashboard, filters: ReportFilters, *, filename: str, bom: bool) -> HttpResponse:
    """Every table under a title line, headline figures and filters first, blank lines between blocks."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if bom:
        response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(str(dashboard.title))])
    for label, value in filters.describe():
        writer.writerow([safe_cell(label), safe_cell(value)])
    writer.writerow([])
    writer.writerow([safe_cell(_("Figure")), safe_cell(_("Value"))])
    for label, value in dashboard.summary:
        writer.writerow([safe_cell(str(label)), safe_cell(value)])
    for table in dashboard.tables:
        writer.writerow([])
        writer.writerow([safe_cell(str(table.title))])
        writer.writerow([safe_cell(str(column)) for column in table.columns])
        for row in table.rows:
            writer.writerow([safe_cell(value) for value in row])
    return response
