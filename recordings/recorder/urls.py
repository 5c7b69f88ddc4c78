"""URLs of this part of recordings (included by recordings/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from recordings.recorder import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("rooms/<uuid:room_id>/recording-consent/", views.recording_consent, name="recording_consent"),
]
