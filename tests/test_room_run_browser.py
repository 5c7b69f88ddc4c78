"""The room's Run panel end to end: two headless Chromiums through a real daphne and the sandbox.

The candidate writes a program that asks for input and runs it; the prompt streams into both
pages, the interviewer answers it from the panel's input line, and the greeting reaches both.
The interviewer then runs the code against the attached problem's test cases, hidden ones
included, and sees the per-case results and the history; the candidate's page shows none of it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from assessments.factories import ProblemFactory
from assessments.models import CodeRun
from interviews.factories import QuestionFactory
from interviews.models import InterviewQuestionPlan
from tests.conftest import Tenant
from tests.live_asgi import daphne_server
from tests.test_room_editor_browser import (
    CANDIDATE_TOKEN,
    LEAD_TOKEN,
    browser,  # noqa: F401  (fixture)
    editor,
    join,
    make_room,
    open_page,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sandbox]

HIDDEN_EXPECTED = "HIDDEN-EXPECTED-77"
PROGRAM = 'name = input("Your name? ")\nprint("Hello, " + name + "!")\n'
SUM = "a, b = map(int, input().split())\nprint(a + b)\n"


def replace_code(page: Page, text: str) -> None:
    editor(page).click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # one line at a time: the editor re-indents after a colon, these lines have none
    for line in text.splitlines():
        page.keyboard.type(line)
        page.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
def test_run_streams_output_takes_typed_input_and_runs_tests_for_the_interviewer(
    acme: Tenant,
    browser: Browser,  # noqa: F811
) -> None:
    room = make_room(acme, whiteboard=False)
    problem = ProblemFactory(
        organization=acme.org,
        title="Sum two numbers",
        cases=[
            {"name": "small", "input": "1 2\n", "expected_output": "3\n", "hidden": False},
            {"name": "secret", "input": "5 5\n", "expected_output": f"{HIDDEN_EXPECTED}\n", "hidden": True},
        ],
    )
    question = QuestionFactory(organization=acme.org, problem=problem)
    InterviewQuestionPlan.objects.create(interview=room.interview, question=question, order=1)
    with daphne_server() as base:
        lead_context, lead, lead_seen = open_page(browser, f"{base}/join/{LEAD_TOKEN}/")
        cand_context, cand, cand_seen = open_page(browser, f"{base}/join/{CANDIDATE_TOKEN}/")
        join(lead)
        join(cand)

        # when the candidate writes a program that asks for a name and runs it
        replace_code(cand, PROGRAM)
        expect(editor(lead)).to_contain_text('print("Hello, " + name + "!")')
        cand.get_by_role("button", name="Run", exact=True).click()
        # then its prompt streams into both pages
        expect(cand.locator("#run-output")).to_contain_text("Your name?")
        expect(lead.locator("#run-output")).to_contain_text("Your name?")
        # when the interviewer types the answer into the panel
        lead.get_by_label("Input to the running program").fill("Ada")
        lead.get_by_role("button", name="Send input").click()
        # then the greeting reaches both, and the run ends well
        expect(cand.locator("#run-output")).to_contain_text("Hello, Ada!")
        expect(lead.locator("#run-output")).to_contain_text("Hello, Ada!")
        expect(cand.locator("#run-panel[data-verdict='OK']")).to_have_count(1)
        expect(cand.get_by_role("button", name="Run", exact=True)).to_be_enabled()
        screenshot(cand, "run-01-candidate-output")

        # when the interviewer runs the candidate's code against the test cases
        replace_code(cand, SUM)
        expect(editor(lead)).to_contain_text("print(a + b)")
        lead.get_by_role("button", name="Run against test cases").click()
        # then they see each case, the hidden one included, and the history
        status = lead.locator("#run-tests-status")
        expect(status).to_contain_text("1 of 2 test cases")
        expect(lead.locator("#run-tests-results tr[data-passed='false']")).to_contain_text("hidden")
        expect(lead.locator("#run-history")).to_contain_text("1 runs")
        screenshot(lead, "run-02-interviewer-tests")
        # and the candidate's page has no test panel and none of the hidden data
        expect(cand.locator("#run-tests")).to_have_count(0)
        assert HIDDEN_EXPECTED not in cand.content()
        assert not lead_seen.errors, lead_seen.errors
        assert not cand_seen.errors, cand_seen.errors
        lead_context.close()
        cand_context.close()
    assert CodeRun.objects.filter(interview=room.interview, source=CodeRun.Source.ROOM).count() == 1
    assert CodeRun.objects.filter(interview=room.interview, source=CodeRun.Source.ROOM_TESTS).get().passed == 1
