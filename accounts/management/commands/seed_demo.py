"""Load the demo data a newcomer sees after ``make run``; running it again changes nothing twice."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from accounts import services
from accounts.models import Invitation, Membership, Organization, Role, User
from interviews.models import Interview

DEMO_PASSWORD = "talentsync-demo"  # noqa: S105 - printed for the local demo only

ORGANIZATIONS = [
    {"name": "Acme", "slug": "acme", "time_zone": "Europe/Berlin", "primary_color": "#2563eb", "domain": "acme.test"},
    {
        "name": "Globex",
        "slug": "globex",
        "time_zone": "America/New_York",
        "primary_color": "#7c3aed",
        "domain": "globex.test",
    },
]
PEOPLE = {
    Role.ADMIN: "Ada Admin",
    Role.RECRUITER: "Rita Recruiter",
    Role.INTERVIEWER: "Ivan Interviewer",
    Role.CANDIDATE: "Cara Candidate",
}
DEMO_INVITEE = "new.hire@acme.test"


def _demo_user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


class Command(BaseCommand):
    help = "Create the demo organizations Acme and Globex with one user per role (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        logins: list[tuple[str, str, str]] = []
        for spec in ORGANIZATIONS:
            admin_email = f"admin@{spec['domain']}"
            admin = _demo_user(admin_email, PEOPLE[Role.ADMIN])
            org = Organization.objects.filter(slug=spec["slug"]).first()
            if org is None:
                org = services.organization_create(
                    name=spec["name"],
                    slug=spec["slug"],
                    time_zone=spec["time_zone"],
                    primary_color=spec["primary_color"],
                    created_by=admin,
                )
            for role, name in PEOPLE.items():
                email = f"{role.value}@{spec['domain']}"
                user = admin if role == Role.ADMIN else _demo_user(email, name)
                services.membership_add(user=user, organization=org, role=role, actor=admin)
                logins.append((spec["name"], str(role.label), email))

        # One person in both organizations, to show switching: Acme's interviewer is a candidate at Globex.
        globex = Organization.objects.get(slug="globex")
        services.membership_add(
            user=User.objects.get(email="interviewer@acme.test"),
            organization=globex,
            role=Role.CANDIDATE,
            actor=User.objects.get(email="admin@globex.test"),
        )

        # A pending invitation with a working link (a resend rotates its token so we can print it).
        acme = Organization.objects.get(slug="acme")
        acme_admin = User.objects.get(email="admin@acme.test")
        pending = Invitation.objects.pending().filter(organization=acme, email=DEMO_INVITEE).first()
        if pending is not None:
            _invitation, token = services.invitation_resend(invitation=pending, actor=acme_admin)
        elif not Membership.objects.filter(organization=acme, user__email=DEMO_INVITEE).exists():
            _invitation, token = services.invitation_create(
                organization=acme, email=DEMO_INVITEE, role=Role.INTERVIEWER, invited_by=acme_admin
            )
        else:
            token = ""

        from interviews.demo import seed_acme_hiring, seed_globex_hiring

        join_links = seed_acme_hiring(
            organization=acme,
            recruiter=User.objects.get(email="recruiter@acme.test"),
            interviewers=[User.objects.get(email="interviewer@acme.test"), acme_admin],
        )
        seed_globex_hiring(organization=globex, recruiter=User.objects.get(email="recruiter@globex.test"))
        from assessments.demo import seed_assessments

        assessment_links = seed_assessments(
            organization=acme,
            recruiter=User.objects.get(email="recruiter@acme.test"),
            interviewer=User.objects.get(email="interviewer@acme.test"),
        )

        from scheduling.demo import seed_scheduling

        scheduling = seed_scheduling(
            organization=acme, recruiter=User.objects.get(email="recruiter@acme.test"), make_user=_demo_user
        )

        from recordings.demo import seed_recordings

        recorded = seed_recordings(
            organization=acme,
            recruiter=User.objects.get(email="recruiter@acme.test"),
            interviewer=User.objects.get(email="interviewer@acme.test"),
        )

        from reporting.demo import seed_reporting
        from reporting.demo_history import seed_hiring_history

        history = seed_hiring_history(
            organization=acme,
            recruiter=User.objects.get(email="recruiter@acme.test"),
            interviewers=[User.objects.get(email="interviewer@acme.test"), acme_admin],
            make_user=_demo_user,
        )
        reporting = seed_reporting(organization=acme, recruiter=User.objects.get(email="recruiter@acme.test"))

        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}) at {settings.SITE_URL}/accounts/login/")
        for org_name, role_label, email in logins:
            self.stdout.write(f"  {org_name:<7} {role_label:<12} {email}")
        self.stdout.write("  (interviewer@acme.test is also a candidate at Globex: switch in the header)")
        if token:
            self.stdout.write(f"\nDemo invitation for {DEMO_INVITEE} (interviewer at Acme):")
            self.stdout.write(f"  {services.invitation_url(token)}")
        self.stdout.write(
            "\nDemo live-coding interview at Acme, room open now — open two of these personal join links"
            " in two browser windows (one interviewer, the candidate):"
        )
        for who, url in join_links:
            self.stdout.write(f"  {who}: {url}")
        self.stdout.write(
            "  In the room: Run streams output and takes typed input; the interviewer can run the code"
            " against the test cases of the attached problem “Two sum” (hidden ones included)."
        )
        if "open" in assessment_links:
            self.stdout.write(
                "\nDemo async coding assessment at Acme (Ada Lovelace, proctored; no account needed):"
                f"\n  {assessment_links['open']}"
            )
        self.stdout.write(
            "Finished assessments (log in as recruiter@acme.test): submissions, scores, integrity timeline"
            f" and webcam snapshots at {settings.SITE_URL}{assessment_links['admin_session']}"
        )
        if "plagiarism" in assessment_links:
            self.stdout.write(
                f"  A flagged plagiarism pair, side by side: {settings.SITE_URL}{assessment_links['plagiarism']}"
            )
        self.stdout.write(
            f"\nSelf-scheduling link: {scheduling['link']}"
            f"\n  (Cara Candidate's system design interview: any 2 of the pool “{scheduling['pool']}”, shown in the"
            " candidate's own time zone; no account needed)"
        )
        self.stdout.write(
            f"Availability (log in as interviewer@acme.test in Berlin or {scheduling['second_interviewer']} in"
            f" Kolkata): {settings.SITE_URL}{reverse('scheduling_availability')}"
            f"\n  Slot finder (recruiter@acme.test): {settings.SITE_URL}{reverse('admin:scheduling_slot_finder')}"
            f"\n  Trainee shadowing towards the pool: {scheduling['trainee']}"
        )
        replay = Interview.objects.filter(organization=acme, documents__name="code", status="completed").first()
        if replay is not None:
            self.stdout.write(
                "\nCode playback of a finished live-coding interview (log in as interviewer@acme.test or"
                f" recruiter@acme.test): {settings.SITE_URL}{reverse('interview_playback', args=[replay.pk])}"
            )
        self.stdout.write(
            "\nReplay of a recorded interview: video, transcript, code, whiteboard, chat, runs and AI notes on"
            " one timeline (log in as interviewer@acme.test or recruiter@acme.test):"
            f"\n  {settings.SITE_URL}{recorded['replay']}"
        )
        self.stdout.write(
            f"\nHiring reports: funnel, candidates and interviewers over {history} past candidates, with CSV and"
            f" PDF downloads (log in as recruiter@acme.test): {settings.SITE_URL}/reports/"
        )
        self.stdout.write(f"\nReport exports (PDF jobs, weekly funnel e-mail): {reporting['exports_url']}")
        if reporting["job_url"]:
            self.stdout.write(f"  finished report: {reporting['job_title']} → {reporting['job_url']}")
        self.stdout.write(f"  {reporting['subscriber']} gets the hiring-funnel PDF by e-mail every Monday")
