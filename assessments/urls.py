"""The DSA token-link session (DESIGN §4.3), mounted at the site root, and the snapshot view."""

from django.urls import URLPattern, URLResolver, path, re_path

from assessments import views

LINK_KEY = r"(?P<token>[A-Za-z0-9_\-]{1,128})"

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/dsa/<str:token>/", views.dsa_page, name="dsa_page"),
    # §4.3: the API endpoints answer with or without a trailing slash.
    re_path(rf"^v1/dsa/{LINK_KEY}/start/?$", views.dsa_start, name="dsa_start"),
    re_path(rf"^v1/dsa/{LINK_KEY}/run/?$", views.dsa_run, name="dsa_run"),
    re_path(rf"^v1/dsa/{LINK_KEY}/submit/?$", views.dsa_submit, name="dsa_submit"),
    re_path(rf"^v1/dsa/{LINK_KEY}/state/?$", views.dsa_state, name="dsa_state"),
    re_path(rf"^v1/dsa/{LINK_KEY}/finish/?$", views.dsa_finish, name="dsa_finish"),
    re_path(rf"^v1/dsa/{LINK_KEY}/consent/?$", views.dsa_consent, name="dsa_consent"),
    re_path(rf"^v1/dsa/{LINK_KEY}/events/?$", views.dsa_events, name="dsa_events"),
    re_path(rf"^v1/dsa/{LINK_KEY}/snapshot/?$", views.dsa_snapshot, name="dsa_snapshot"),
    path("assessments/snapshots/<int:pk>/image", views.snapshot_image, name="dsa_snapshot_image"),
]
