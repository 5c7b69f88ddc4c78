from __future__ import annotations

from rest_framework.routers import SimpleRouter

from interviews.api import views

router = SimpleRouter(trailing_slash=True)
router.register("pipelines", views.PipelineViewSet, basename="api-pipeline")
router.register("positions", views.PositionViewSet, basename="api-position")
router.register("candidates", views.CandidateViewSet, basename="api-candidate")
router.register("questions", views.QuestionViewSet, basename="api-question")
router.register("interviews", views.InterviewViewSet, basename="api-interview")
router.register("scorecards", views.ScorecardViewSet, basename="api-scorecard")

urlpatterns = router.urls
