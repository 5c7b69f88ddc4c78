from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("scheduling.calendar.urls")),
    path("", include("scheduling.notifications.urls")),
    path("", include("scheduling.web.urls")),
]
