from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import views as accounts_api
from talentsync import health

api_v1: list[URLPattern | URLResolver] = [
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("members/", accounts_api.MemberListView.as_view(), name="api-members"),
    path("", include("interviews.api.urls")),
    path("", include("assessments.api.urls")),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include(api_v1)),
    # The executor's Piston v2 API (DESIGN §4.5) and the DSA token-link session (§4.3).
    path("api/v2/", include("assessments.piston_urls")),
    path("", include("assessments.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split view: the page's start-up script is a separate file, so it runs under script-src 'self'.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("scheduling.urls")),
    path("", include("recordings.urls")),
    path("", include("reporting.urls")),
    path("", include("reporting.jobs_urls")),
    path("", include("interviews.urls")),
    path("", include("accounts.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
