"""The dashboards (included at the root by talentsync/urls.py); guarded like the admin.

The dashboard keys are spelled out, so other pages under ``/reports/`` (report jobs) are not
shadowed by the dashboard pattern.
"""

from django.contrib import admin
from django.urls import URLPattern, path, re_path

from reporting import views
from reporting.dashboards import REGISTRY

KEYS = "|".join(REGISTRY)

urlpatterns: list[URLPattern] = [
    path("reports/", admin.site.admin_view(views.reports_index), name="reports_index"),
    re_path(rf"^reports/(?P<key>{KEYS})/$", admin.site.admin_view(views.dashboard_page), name="reports_dashboard"),
    re_path(rf"^reports/(?P<key>{KEYS})/csv/$", admin.site.admin_view(views.dashboard_csv), name="reports_csv"),
]
