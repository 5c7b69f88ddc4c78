"""The executor's Piston v2 API, mounted at ``/api/v2/`` (with or without a trailing slash)."""

from django.urls import URLPattern, URLResolver, path

from assessments import piston_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("runtimes", piston_views.runtimes, name="piston-runtimes"),
    path("runtimes/", piston_views.runtimes),
    path("execute", piston_views.execute, name="piston-execute"),
    path("execute/", piston_views.execute),
]
