"""Pages: interviewer availability, candidate self-scheduling (the slot finder is in the admin)."""

from django.urls import URLPattern, URLResolver, path

from scheduling.web import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("availability/", views.availability, name="scheduling_availability"),
    path("schedule/<str:token>/", views.self_schedule, name="scheduling_self_schedule"),
]
