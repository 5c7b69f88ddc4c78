"""Plagiarism: copydetect's winnowing between candidates' submissions, the stored matches, the
recruiters' list and side-by-side view."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import cast

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Organization
from assessments.factories import ProblemFactory
from assessments.models import DsaSession, PlagiarismMatch, Problem, Submission
from assessments.plagiarism.compare import compare
from assessments.plagiarism.services import submission_plagiarism_check
from assessments.tasks import submission_plagiarism_check_task
from tests.conftest import Tenant
from tests.test_dsa_api import OTHER_TOKEN, make_dsa

ORIGINAL = """\
def longest_increasing_run(values):
    best = 0
    current = 0
    previous = None
    for value in values:
        if previous is not None and value == previous + 1:
            current += 1
        else:
            current = 1
        best = max(best, current)
        previous = value
    return best


count = int(input())
numbers = list(map(int, input().split()))
print(longest_increasing_run(numbers))
"""
# the same program with every name changed, other spacing and a comment: still a copy
DISGUISED = """\
# my own solution <script>alert("x")</script>
def run_length(items):
    top = 0
    streak = 0
    last = None
    for item in items:
        if last is not None and item == last + 1:
            streak += 1
        else:
            streak = 1
        top = max(top, streak)
        last = item
    return top


n = int(input())
data = list(map(int, input().split()))
print(run_length(data))
"""
UNRELATED = """\
import sys

tokens = sys.stdin.read().split()
size = int(tokens[0])
seen = {}
for token in tokens[1:size + 1]:
    seen[token] = seen.get(token, 0) + 1
winner = sorted(seen.items(), key=lambda pair: (-pair[1], pair[0]))[0]
sys.stdout.write(f"{winner[0]} {winner[1]}\\n")
"""


def test_compare_finds_a_disguised_copy_and_its_ranges() -> None:
    overlap = compare(ORIGINAL, DISGUISED, language="python")
    assert overlap.similarity > 0.8
    assert overlap.first_ranges
    assert overlap.second_ranges
    # the highlighted parts are real code of each side
    covered = sum(end - start for start, end in overlap.second_ranges)
    assert covered > len(DISGUISED) * 0.6
    start, end = overlap.first_ranges[0]
    assert "for value in values" in ORIGINAL[start : overlap.first_ranges[-1][1]]
    assert 0 <= start < end <= len(ORIGINAL)


def test_compare_does_not_match_unrelated_code() -> None:
    overlap = compare(ORIGINAL, UNRELATED, language="python")
    assert overlap.similarity < 0.2


def test_starter_code_does_not_count_as_copied() -> None:
    # given: two different solutions that both keep a long starter template
    starter = (
        "import sys\n\n\ndef read_numbers():\n    data = sys.stdin.read().split()\n"
        "    count = int(data[0])\n    return [int(x) for x in data[1 : count + 1]]\n\n\n"
        "def main():\n    numbers = read_numbers()\n"
    )
    a = starter + "    total = 0\n    for n in numbers:\n        total += n * n\n    print(total)\n\n\nmain()\n"
    b = starter + "    print(max(numbers) - min(numbers) if numbers else 0)\n\n\nmain()\n"
    # then: the template makes them look alike, unless it is discounted
    assert compare(a, b, language="python").similarity > 0.5
    assert compare(a, b, language="python", boilerplate=starter).similarity < 0.3


# --- stored matches -----------------------------------------------------------------------------
def submit(organization: Organization, problem: Problem, code: str, *, token: str) -> Submission:
    dsa = make_dsa(organization, token=token, problems=[problem])
    now = timezone.now()
    session = DsaSession.objects.create(
        interview=dsa.interview, participant=dsa.candidate, started_at=now, deadline=now
    )
    return Submission.objects.create(session=session, problem=problem, language="python", code=code, score=50.0)


@pytest.fixture
def problem(acme: Tenant) -> Problem:
    return cast(Problem, ProblemFactory(organization=acme.org))


def test_two_near_identical_submissions_are_flagged(acme: Tenant, problem: Problem) -> None:
    # given
    first = submit(acme.org, problem, ORIGINAL, token="plag-a-" + "a" * 30)
    second = submit(acme.org, problem, DISGUISED, token="plag-b-" + "b" * 30)
    # when
    submission_plagiarism_check_task.delay(second.pk)
    # then
    match = PlagiarismMatch.objects.get()
    assert (match.first_id, match.second_id) == (first.pk, second.pk)
    assert match.flagged is True
    assert match.similarity > 0.8
    assert match.first_ranges
    assert match.second_ranges
    # and checking again updates the pair instead of adding one
    submission_plagiarism_check(submission_id=second.pk)
    submission_plagiarism_check(submission_id=first.pk)
    assert PlagiarismMatch.objects.count() == 1


def test_unrelated_submissions_are_not_flagged(acme: Tenant, problem: Problem) -> None:
    submit(acme.org, problem, ORIGINAL, token="plag-a-" + "a" * 30)
    second = submit(acme.org, problem, UNRELATED, token="plag-b-" + "b" * 30)
    submission_plagiarism_check(submission_id=second.pk)
    assert not PlagiarismMatch.objects.filter(flagged=True).exists()


def test_other_organizations_and_other_problems_are_not_compared(
    acme: Tenant, globex: Tenant, problem: Problem
) -> None:
    foreign_problem = ProblemFactory(organization=globex.org)
    submit(globex.org, foreign_problem, ORIGINAL, token="plag-g-" + "g" * 30)
    submit(acme.org, ProblemFactory(organization=acme.org), ORIGINAL, token="plag-o-" + "o" * 30)
    mine = submit(acme.org, problem, ORIGINAL, token="plag-a-" + "a" * 30)
    submission_plagiarism_check(submission_id=mine.pk)
    assert not PlagiarismMatch.objects.exists()


def test_only_the_latest_submission_of_each_candidate_counts(acme: Tenant, problem: Problem) -> None:
    # given: B copied A, then rewrote the solution
    submit(acme.org, problem, ORIGINAL, token="plag-a-" + "a" * 30)
    copied = submit(acme.org, problem, DISGUISED, token="plag-b-" + "b" * 30)
    submission_plagiarism_check(submission_id=copied.pk)
    assert PlagiarismMatch.objects.filter(flagged=True).count() == 1
    rewritten = Submission.objects.create(
        session=copied.session, problem=problem, language="python", code=UNRELATED, score=50.0
    )
    # when
    submission_plagiarism_check(submission_id=rewritten.pk)
    # then: the superseded pair is gone
    assert not PlagiarismMatch.objects.filter(flagged=True).exists()


@pytest.mark.sandbox
@pytest.mark.django_db(transaction=True)
def test_a_submit_queues_the_check_after_commit(acme: Tenant, client: Client) -> None:
    # given: a first candidate's submission
    problem = ProblemFactory(
        organization=acme.org, cases=[{"input": "3\n1 2 3\n", "expected_output": "3\n", "hidden": True}]
    )
    first = make_dsa(acme.org, problems=[problem])
    second = make_dsa(acme.org, token=OTHER_TOKEN, problems=[problem])
    body = {"language": "python", "code": ORIGINAL}
    assert client.post(first.url("submit"), data=json.dumps(body), content_type="application/json").status_code == 200
    # when: a second candidate submits a disguised copy (Celery runs eagerly in tests)
    body = {"language": "python", "code": DISGUISED}
    assert client.post(second.url("submit"), data=json.dumps(body), content_type="application/json").status_code == 200
    # then
    match = PlagiarismMatch.objects.get()
    assert match.flagged
    assert match.second.session.interview_id == second.interview.pk


# --- recruiters ---------------------------------------------------------------------------------
def test_recruiters_see_the_list_and_the_side_by_side_view_with_escaped_highlights(
    acme: Tenant, globex: Tenant, problem: Problem
) -> None:
    submit(acme.org, problem, ORIGINAL, token="plag-a-" + "a" * 30)
    second = submit(acme.org, problem, DISGUISED, token="plag-b-" + "b" * 30)
    submission_plagiarism_check(submission_id=second.pk)
    match = PlagiarismMatch.objects.get()
    recruiter = acme.client("recruiter")
    # the list
    listing = recruiter.get("/admin/assessments/plagiarismmatch/").content.decode()
    assert "flagged" in listing
    assert f"{match.similarity:.0%}" in listing
    # the side-by-side view
    response = recruiter.get(f"/admin/assessments/plagiarismmatch/{match.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<mark class="ts-dsa-overlap">') >= 2
    assert "&lt;script&gt;alert(" in page
    assert "<script>alert(" not in page
    assert "for value in values" in page
    # the session page lists the match
    session_page = recruiter.get(f"/admin/assessments/dsasession/{second.session_id}/change/").content.decode()
    assert "Compare side by side" in session_page
    # nobody else
    assert globex.client("recruiter").get(f"/admin/assessments/plagiarismmatch/{match.pk}/change/").status_code == 404
    interviewer = acme.client("interviewer").get(f"/admin/assessments/plagiarismmatch/{match.pk}/change/")
    assert interviewer.status_code in (302, 403, 404)


def test_the_same_pair_scores_the_same_in_every_process() -> None:
    # copydetect hashes with the per-process salted hash(); the comparison must not depend on it
    script = (
        "import json, sys\n"
        "from assessments.plagiarism.compare import compare\n"
        "a = 'def f(xs):\\n    total = 0\\n    for x in xs:\\n        total += x * x\\n    return total\\n' * 3\n"
        "b = a.replace('total', 'acc').replace('xs', 'values')\n"
        "print(json.dumps(compare(a, b, language='python').__dict__))\n"
    )
    answers = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(answers) == 1, answers
