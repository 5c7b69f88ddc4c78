from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("organizations/new/", views.organization_create_view, name="organization_create"),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path("invitations/<str:token>/", views.invitation_detail, name="invitation_detail"),
]

urlpatterns += [path("back-office/denied/", views.back_office_denied, name="back_office_denied")]
