from django.urls import URLPattern, URLResolver, path

from scheduling.notifications import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications/", views.notifications_page, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
]
