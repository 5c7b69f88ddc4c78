from django.urls import path

from interviews import views

urlpatterns = [
    path("join/<str:token>/", views.interview_join, name="interview_join"),
    path("interviews/", views.interview_list_mine, name="my_interviews"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview_detail"),
    path("interviews/<int:pk>/playback/", views.interview_playback, name="interview_playback"),
    path("interviews/<int:pk>/join/", views.interview_join_session, name="interview_join_session"),
]
