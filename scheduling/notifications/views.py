"""Pages of the bell: the list with mark-read, and the e-mail preferences (each user's own only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.models import NotificationKind
from scheduling.notifications.selectors import notification_list, notification_preferences_get
from scheduling.notifications.services import notification_preferences_set, notifications_mark_read

PAGE_SIZE = 20


@login_required
@require_http_methods(["GET", "HEAD"])
def notifications_page(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(notification_list(actor=request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "scheduling/notifications/list.html",
        {"page": page, "notifications": page.object_list, "has_unread": any(n.read_at is None for n in page)},
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one (``id``), several, or all (``all=1``) of the caller's notifications read."""
    if request.POST.get("all"):
        notifications_mark_read(user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("All notifications are marked read."))
    else:
        ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
        notifications_mark_read(user=request.user, ids=ids)  # type: ignore[arg-type]
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        wanted = set(request.POST.getlist("email"))
        notification_preferences_set(
            user=request.user,  # type: ignore[arg-type]
            email_by_kind={kind.value: kind.value in wanted for kind in NotificationKind},
        )
        messages.success(request, _("Your e-mail preferences are saved."))
        return redirect("notification_preferences")
    prefs = notification_preferences_get(actor=request.user)
    kinds = [{"value": k.value, "label": k.label, "email": prefs[k.value]} for k in NotificationKind]
    return render(request, "scheduling/notifications/preferences.html", {"kinds": kinds})
