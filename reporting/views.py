"""The dashboards pages: an index, one page per dashboard and their CSV downloads (docs/reports.md).

Back office only: every view goes through the admin site's ``admin_view``, so access is exactly
the admin's (admins and recruiters of the current organization and superusers; anyone else
signed in is sent to their own pages, anonymous visitors log in). The pages extend the admin's
base template so the back-office navigation stays.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.middleware import current_organization
from accounts.models import Organization
from interviews.exports import csv_response, safe_cell
from reporting.dashboards import REGISTRY, TITLES, Dashboard, Table, dashboard_compute
from reporting.filters import PRESETS, ReportFilterForm, ReportFilters

#: GET parameters that are not filters (they must not make the form "bound")
NON_FILTER_PARAMS = frozenset({"table", "bom"})


def _organization(request: HttpRequest) -> Organization:
    organization = current_organization(request)
    if organization is None:  # a superuser outside any organization: nothing to report on
        raise Http404(_("Choose an organization to see its reports."))
    return organization


def _form(request: HttpRequest, organization: Organization) -> ReportFilterForm:
    bound = any(key not in NON_FILTER_PARAMS for key in request.GET)
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
        "sections": _sections(dashboard) if dashboard is not None else [],
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


def _sections(dashboard: Dashboard) -> list[dict[str, Any]]:
    """Each table with the charts drawn from it, in the dashboard's order (tables without a chart too)."""
    sections = []
    for table in dashboard.tables:
        charts = [chart for chart in dashboard.charts if chart.table == table.key]
        sections.append({"table": table, "charts": charts})
    return sections


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
