"""URLs of this part of recordings (included by recordings/urls.py)."""

from django.urls import URLPattern, URLResolver, path

from recordings.insights import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("rooms/<uuid:room_id>/followups/", views.room_followups, name="room_followups"),
]
