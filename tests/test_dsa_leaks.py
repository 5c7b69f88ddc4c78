"""No candidate-reachable answer contains the score, a hidden input or a hidden expected output.

Assertions are on raw bodies (bytes as sent), for the page and every token endpoint, in success
and in error; the program under test even echoes its stdin to stderr, so a hidden case's stderr
would carry its input if it were sent.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from assessments.models import Submission
from tests.conftest import Tenant
from tests.test_dsa_api import HIDDEN_STRINGS, SCORE_TEXT, Dsa, make_dsa

pytestmark = pytest.mark.sandbox

# Passes the two visible cases and two of the five hidden ones; echoes its input to stderr.
ECHOING = "import sys\ns = input()\nprint(s, file=sys.stderr)\nprint(s.upper())\n"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def assert_clean(body: bytes, where: str) -> None:
    text = body.decode("utf-8", errors="replace")
    lowered = text.lower()
    for secret in HIDDEN_STRINGS:
        assert secret not in text, f"{where} leaks {secret!r}"
        assert secret.lower() not in lowered, f"{where} leaks {secret!r} (lower case)"
    assert SCORE_TEXT not in text, f"{where} leaks the score"
    assert "57.1" not in text, f"{where} leaks the score"
    assert '"score"' not in text, f"{where} names the score"


@pytest.fixture
def dsa(acme: Tenant) -> Dsa:
    dsa = make_dsa(acme.org, proctoringEnabled=True, maxSubmissions=3)
    dsa.problem.starter_code = {"python": "# read a line and shout it back\n"}
    dsa.problem.save()
    return dsa


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_no_candidate_answer_contains_hidden_data_or_the_score(dsa: Dsa, client: Client, settings: Any) -> None:
    settings.DSA_SNAPSHOT_INTERVAL_SECONDS = 1
    code = {"language": "python", "code": ECHOING}
    bodies: dict[str, bytes] = {}
    # given: a submission exists, so there is a score to leak
    first = post(client, dsa.url("submit"), code)
    assert first.status_code == 200
    assert Submission.objects.get().score == 57.14
    bodies["submit"] = first.content
    # when: the candidate uses every endpoint the link offers
    bodies["start"] = post(client, dsa.url("start"), {}).content
    page = client.get(dsa.url())
    assert page.status_code == 200
    bodies["page"] = page.content
    bodies["run"] = post(client, dsa.url("run"), code).content
    bodies["run/"] = post(client, dsa.url("run/"), code).content
    bodies["submit/"] = post(client, dsa.url("submit/"), code).content
    bodies["state"] = client.get(dsa.url("state")).content
    bodies["consent"] = post(client, dsa.url("consent"), {}).content
    bodies["events"] = post(client, dsa.url("events"), {"events": [{"kind": "paste", "length": 12}]}).content
    bodies["snapshot"] = client.post(dsa.url("snapshot"), data=jpeg(), content_type="image/jpeg").content
    # and the error answers
    bodies["400"] = post(
        client, dsa.url("run"), {"language": "python", "code": ECHOING, "testCaseIds": [10**9]}
    ).content
    hidden_id = dsa.problem.test_cases.filter(hidden=True).values_list("pk", flat=True).first()
    bodies["400-hidden"] = post(client, dsa.url("run"), {**code, "testCaseIds": [hidden_id]}).content
    bodies["submit-last"] = post(client, dsa.url("submit"), code).content
    limit = post(client, dsa.url("submit"), code)
    assert limit.status_code == 409
    bodies["409"] = limit.content
    bodies["415"] = client.post(dsa.url("run"), data="x", content_type="text/plain").content
    bodies["finish"] = post(client, dsa.url("finish"), {}).content
    gone = client.get(dsa.url())
    assert gone.status_code == 410
    bodies["page-410"] = gone.content
    bodies["run-410"] = post(client, dsa.url("run"), code).content
    # then
    assert b'"hidden": true' in bodies["submit"]
    for where, body in bodies.items():
        assert_clean(body, where)


def test_the_page_shows_the_samples_but_no_hidden_case(dsa: Dsa, client: Client) -> None:
    assert_clean(client.get(dsa.url()).content, "start screen")
    post(client, dsa.url("start"), {})
    page = client.get(dsa.url()).content.decode()
    assert "hello" in page
    assert "HELLO" in page
    assert_clean(page.encode(), "page")
    # the page's script settings carry no test case at all
    config = page.split('id="dsa-config"')[1]
    assert "testCase" not in config.split("</script>")[0]


def test_hidden_results_carry_no_time_memory_verdict_or_output(dsa: Dsa, client: Client) -> None:
    # a program that is slow and loud on the hidden cases only
    code = (
        "import sys\ns = input()\n"
        "if s.startswith('secret'):\n    sys.stderr.write(s * 50)\n    x = [0] * 3_000_000\n"
        "print(s.upper())\n"
    )
    response = post(client, dsa.url("submit"), {"language": "python", "code": code})
    hidden = [r for r in response.json()["results"] if r.get("hidden")]
    assert hidden
    assert all(set(r) == {"testCaseId", "passed", "hidden"} for r in hidden)
    assert_clean(response.content, "submit")
