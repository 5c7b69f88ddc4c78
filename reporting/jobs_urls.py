"""Report exports: PDF jobs, the candidate PDF and the weekly subscription (see jobs_views).

Under ``/exports/``, so nothing here can collide with the dashboards' ``/reports/<key>/``.
"""

from django.urls import URLPattern, path

from reporting import jobs_views as views

urlpatterns: list[URLPattern] = [
    path("exports/", views.job_list, name="reporting_jobs"),
    path("exports/start/", views.job_start, name="reporting_job_start"),
    path("exports/subscription/", views.subscription_set, name="reporting_subscription"),
    path("exports/candidates/<int:pk>/pdf/", views.candidate_pdf, name="reporting_candidate_pdf"),
    path("exports/<int:pk>/", views.job_detail, name="reporting_job"),
    path("exports/<int:pk>/status/", views.job_status, name="reporting_job_status"),
    path("exports/<int:pk>/download/", views.job_download, name="reporting_job_download"),
]
