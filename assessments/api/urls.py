"""Routes of the assessments API under ``/api/v1/``."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from assessments.api import views

router = SimpleRouter(trailing_slash=True)
router.register("problems", views.ProblemViewSet, basename="api-problem")

urlpatterns = router.urls
