"""URLs of this part of recordings (included by recordings/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from recordings.replay import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("interviews/<int:pk>/replay/", views.interview_replay, name="interview_replay"),
]
