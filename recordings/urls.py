"""Pages and endpoints of recordings: media streaming, consent, follow-ups and the replay."""

from django.urls import include, path

urlpatterns = [
    path("", include("recordings.media_urls")),
    path("", include("recordings.recorder.urls")),
    path("", include("recordings.insights.urls")),
    path("", include("recordings.replay.urls")),
]
