"""``manage.py create_api_key <org-slug> [--name N] [--role admin|recruiter]``: print a new key once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.api_keys import api_key_create
from accounts.models import APIKey, Organization


class Command(BaseCommand):
    help = "Create an API key for an organization and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", metavar="org-slug", help="slug of the organization")
        parser.add_argument("--name", default="Integration", help="a name to recognise the key by")
        parser.add_argument(
            "--role", default=APIKey.KeyRole.RECRUITER, choices=APIKey.KeyRole.values, help="the role the key acts as"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organization"]
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {slug!r}.")
        # Run by the platform's operator on the server: no person in the organization creates it.
        try:
            key, raw = api_key_create(
                organization=organization, name=options["name"], role=options["role"], created_by=None
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(
            f"Created API key {key.name!r} ({key.role}) for {organization.name}. "
            "Copy it now: it is stored hashed and will not be shown again."
        )
        self.stdout.write(raw)
