"""Atomic booking on PostgreSQL: candidates racing for one interviewer's hour get one interview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from interviews.models import Interview
from scheduling import services
from talentsync.errors import StateError
from tests.concurrency import race
from tests.conftest import Tenant
from tests.test_booking import another_candidate, at, open_link, scene_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS_PER_LINK = 4


def test_two_links_racing_for_the_same_interviewer_hour_book_exactly_one(acme: Tenant) -> None:
    # given two candidates' links offering the same interviewer, and one hour both want
    assert connection.vendor == "postgresql"
    scene = scene_for(acme)
    # (the settings row exists, as in any organization that ran a while: creating it on first use
    # would serialize the racers by accident, on its unique index, and hide a missing lock)
    services.scheduling_settings_for(organization=scene.org)
    _a, token_a = open_link(scene)
    _b, token_b = open_link(scene, candidate=another_candidate(scene))
    start = at(scene.day, 10)

    def book(token: str):
        return lambda: services.scheduling_link_book(token=token, start=start, time_zone="Europe/Berlin")

    # when several requests of each candidate arrive at once
    results = race([book(t) for t in (token_a, token_b) for _ in range(THREADS_PER_LINK)])

    # then exactly one interview exists for that hour; every other request got a clear refusal
    booked = [r for r in results if isinstance(r, Interview)]
    refused = [r for r in results if isinstance(r, StateError)]
    assert len(booked) == 1, results
    assert len(refused) == len(results) - 1, results
    assert {r.message for r in refused} <= {
        "That time was just taken — pick another.",
        "This link has already been used to book an interview.",
    }
    overlapping = Interview.objects.filter(
        participants__user=scene.interviewer,
        scheduled_at__lt=start + timedelta(hours=1),
        scheduled_at__gt=start - timedelta(hours=1),
    )
    assert overlapping.count() == 1


def test_one_link_racing_with_itself_books_once(acme: Tenant) -> None:
    # given one link and two of its slots clicked at the same moment (two tabs)
    scene = scene_for(acme)
    services.scheduling_settings_for(organization=scene.org)
    _link, token = open_link(scene)
    starts = [at(scene.day, 10), at(scene.day, 14)] * 3

    # when
    results = race([lambda s=s: services.scheduling_link_book(token=token, start=s, time_zone="UTC") for s in starts])

    # then
    assert sum(isinstance(r, Interview) for r in results) == 1, results
    assert Interview.objects.filter(candidate=scene.candidate).count() == 1
