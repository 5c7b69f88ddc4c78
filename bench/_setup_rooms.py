"""Create the benchmark's database: migrate, then one organization with ``N`` interview rooms.

Run by the benches as ``python bench/_setup_rooms.py N [--people P]`` with ``DATABASE_URL`` naming
a temporary SQLite file; prints one JSON line ``[{"room", "lead", "candidate"}, ...]`` (room ids
and the participants' raw join tokens). Each room has an interviewer (``lead``) and the candidate;
with ``--people P`` above 2 it has ``P - 2`` more interviewers too, whose tokens are in ``others``
(bench/yjs.py puts up to 50 clients in one document). Their stage is a live-coding one with every
room tool on (the ``code`` document needs ``toolsConfig.editor``). Rooms of more than
ROOM_MAX_PARTICIPANTS people are made directly, not through the scheduling service, which would
refuse them. It refuses to run against any other database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"video": True, "editor": True, "whiteboard": True, "chat": True}


def main(count: int, people: int) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("sqlite:///") or "talentsync-bench-" not in url:
        sys.exit(f"_setup_rooms: DATABASE_URL must be the bench's temporary SQLite file, not {url!r}")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "talentsync.settings")
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.factories import MembershipFactory, OrganizationFactory, UserFactory
    from accounts.models import Role
    from interviews.factories import InterviewFactory, ParticipantFactory
    from interviews.models import Participant

    call_command("migrate", verbosity=0, interactive=False)
    rooms = []
    with transaction.atomic():
        org = OrganizationFactory(name="Bench", slug="bench")
        lead = UserFactory(email="interviewer@bench.test")
        MembershipFactory(user=lead, organization=org, role=Role.INTERVIEWER)
        extra_users = []
        for number in range(people - 2):  # no password: hashing 50 of them would take seconds
            user = UserFactory(email=f"interviewer-{number:03d}@bench.test", password=None)
            MembershipFactory(user=user, organization=org, role=Role.INTERVIEWER)
            extra_users.append(user)
        for index in range(count):
            interview = InterviewFactory(
                organization=org,
                candidate__organization=org,
                candidate__position__organization=org,
                stage__tools_config=TOOLS,
                scheduled_at=timezone.now() + timedelta(minutes=5),
            )
            tokens = {"lead": f"bench-lead-{index:04d}-" + "l" * 24, "candidate": f"bench-cand-{index:04d}-" + "c" * 24}
            ParticipantFactory(interview=interview, user=lead, token=tokens["lead"])
            ParticipantFactory(
                interview=interview,
                user=None,
                candidate=interview.candidate,
                role=Participant.Role.CANDIDATE,
                token=tokens["candidate"],
            )
            room: dict[str, object] = {"room": str(interview.room_id), **tokens}
            if extra_users:
                others = [f"bench-more-{index:04d}-{number:03d}-" + "m" * 20 for number in range(len(extra_users))]
                for user, token in zip(extra_users, others, strict=True):
                    ParticipantFactory(interview=interview, user=user, token=token)
                room["others"] = others
            rooms.append(room)
    print(json.dumps(rooms))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Create the benchmark's rooms in its temporary database.")
    parser.add_argument("count", type=int, help="how many rooms")
    parser.add_argument("--people", type=int, default=2, help="participants per room (at least 2)")
    args = parser.parse_args()
    main(args.count, max(2, args.people))
