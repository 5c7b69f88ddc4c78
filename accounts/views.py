from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.adapters import PENDING_INVITATION_KEY
from accounts.forms import OrganizationForm
from accounts.middleware import SESSION_ORG_KEY, current_membership
from accounts.models import BACK_OFFICE_ROLES, Invitation, User
from accounts.permissions import can_access_back_office
from accounts.selectors import invitation_get_by_token, membership_list_for_user
from accounts.services import invitation_accept, organization_create
from talentsync.errors import ApplicationError


def home(request: HttpRequest) -> HttpResponse:
    """Send each person where their role belongs."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html")
    membership = current_membership(request)
    if membership is None and not request.user.is_superuser:
        return redirect("organization_create")
    if (membership is not None and membership.role in BACK_OFFICE_ROLES) or request.user.is_superuser:
        return redirect("admin:index")
    return redirect("dashboard")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The interviewer's and candidate's own page: their next interviews."""
    from interviews.views import dashboard_context  # the hiring app builds its own part of the page

    membership = current_membership(request)
    if membership is None:
        return redirect("organization_create")
    context = {"membership": membership, **dashboard_context(request, membership)}
    return render(request, "accounts/dashboard.html", context)


@login_required
@require_POST
def organization_switch(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("organization", "")
    for membership in membership_list_for_user(user=cast(User, request.user)):
        if str(membership.organization_id) == wanted:
            request.session[SESSION_ORG_KEY] = membership.organization_id
            messages.success(request, _("You are now working in %(org)s.") % {"org": membership.organization.name})
            return redirect("home")
    messages.error(request, _("You are not a member of that organization."))
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_view(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_create(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                time_zone=form.cleaned_data["time_zone"],
                primary_color=form.cleaned_data["primary_color"],
                logo=form.cleaned_data.get("logo"),
                created_by=cast(User, request.user),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session[SESSION_ORG_KEY] = organization.pk
            messages.success(
                request, _("%(org)s is ready. Invite your team from the back office.") % {"org": organization.name}
            )
            return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/organization_form.html", {"form": form}, status=status)


_INVITATION_MESSAGES: dict[str, Any] = {
    Invitation.Status.EXPIRED: _("This invitation has expired. Ask the person who invited you for a new one."),
    Invitation.Status.REVOKED: _("This invitation was withdrawn. Ask the person who invited you for a new one."),
    Invitation.Status.ACCEPTED: _("This invitation has already been used. Log in to continue."),
}


@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    """Show, and on POST accept, the invitation behind a link; bad links get a clear page."""
    invitation = invitation_get_by_token(token=token)
    if invitation is None:
        return render(
            request,
            "accounts/invitation_problem.html",
            {
                "title": _("This invitation link is not valid"),
                "message": _("Check that you copied the whole link from the e-mail, or ask for a new invitation."),
            },
            status=404,
        )
    status = invitation.status
    if status != Invitation.Status.PENDING:
        if (
            status == Invitation.Status.ACCEPTED
            and request.user.is_authenticated
            and invitation.accepted_by_id == request.user.pk
        ):
            return redirect("home")
        return render(
            request,
            "accounts/invitation_problem.html",
            {
                "title": _("This invitation can no longer be used"),
                "message": _INVITATION_MESSAGES[status],
                "invitation": invitation,
            },
            status=410,
        )

    user = request.user
    context: dict[str, object] = {"invitation": invitation, "organization": invitation.organization}
    if not user.is_authenticated:
        request.session[PENDING_INVITATION_KEY] = token
        context["has_account"] = User.objects.filter(email__iexact=invitation.email).exists()
        context["signup_url"] = reverse("account_signup") + "?" + urlencode({"email": invitation.email})
        context["login_url"] = reverse("account_login") + "?" + urlencode({"next": request.path})
        return render(request, "accounts/invitation_detail.html", context)

    if user.email.lower() != invitation.email.lower():
        context["wrong_user"] = True
        return render(request, "accounts/invitation_detail.html", context, status=403)

    if request.method == "POST":
        try:
            membership = invitation_accept(invitation=invitation, user=user)
        except ApplicationError as exc:
            return render(
                request,
                "accounts/invitation_problem.html",
                {
                    "title": _("This invitation can no longer be used"),
                    "message": exc.message,
                },
                status=409,
            )
        request.session[SESSION_ORG_KEY] = membership.organization_id
        request.session.pop(PENDING_INVITATION_KEY, None)
        messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organization.name})
        return redirect("home")
    return render(request, "accounts/invitation_detail.html", context)


def back_office_denied(request: HttpRequest) -> HttpResponse:
    """Where the admin sends people whose role does not reach the back office."""
    if can_access_back_office(request.user, getattr(current_membership(request), "organization", None)):
        return redirect("admin:index")
    messages.info(request, _("The back office is for admins and recruiters."))
    return redirect("home")
