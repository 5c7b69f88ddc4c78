from __future__ import annotations

from typing import cast

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.authentication import ApiKeyAuthentication, api_organization
from accounts.middleware import current_organization
from accounts.models import Membership, User
from accounts.permissions import user_can
from accounts.selectors import membership_list, membership_list_for_user
from talentsync.errors import NotAllowed


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    fullName = serializers.CharField(source="user.full_name")
    organization: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Membership
        fields = ("email", "fullName", "organization", "role")


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    fullName = serializers.CharField()
    currentOrganization = serializers.CharField(allow_null=True)
    memberships = MembershipSerializer(many=True)


class MeView(APIView):
    """The caller, their organizations and roles."""

    serializer_class = MeSerializer
    # A person's own account: an API key has no person behind it.
    authentication_classes = [SessionAuthentication]

    @extend_schema(summary="The caller, their organizations and roles", tags=["account"])
    def get(self, request: Request) -> Response:
        org = current_organization(request)
        user = cast(User, request.user)
        data = {
            "email": user.email,
            "fullName": user.full_name,
            "currentOrganization": org.slug if org else None,
            "memberships": membership_list_for_user(user=user),
        }
        return Response(MeSerializer(data).data)


class MemberListView(APIView):
    """Members of the caller's current organization (admins and recruiters)."""

    serializer_class = MembershipSerializer
    # Session first keeps this older endpoint's answer to anonymous callers a 403.
    authentication_classes = [SessionAuthentication, ApiKeyAuthentication]

    @extend_schema(summary="Members of the organization", tags=["account"])
    def get(self, request: Request) -> Response:
        org = api_organization(request)
        if org is None:
            raise NotAllowed(_("You are not in an organization."), code="no_organization")
        if not user_can(request.user, "accounts.view_membership", organization=org):
            raise NotAllowed(_("Only admins and recruiters can list members."))
        rows = membership_list(actor=cast(User, request.user), organization=org)
        return Response(MembershipSerializer(rows, many=True).data)
