from django.urls import URLPattern, URLResolver, path

from scheduling.calendar import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="scheduling_calendar_feed"),
    path("settings/calendar/", views.calendar_settings, name="scheduling_calendar_settings"),
]
