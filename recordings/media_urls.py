"""URLs of recording media (included by recordings/urls.py): the signed, ranged stream."""

from django.urls import URLPattern, URLResolver, path

from recordings import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("recordings/<int:pk>/media/", views.recording_media, name="recording_media"),
]
