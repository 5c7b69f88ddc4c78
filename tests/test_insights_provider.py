"""The OpenAI-compatible provider against a real HTTP server started by the test (127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assessments.models import CodeRun
from recordings.insights.services import interview_analyse
from recordings.models import Insight, MediaSettings
from tests.conftest import Tenant
from tests.test_insights_fixtures import Scene, make_scene

pytestmark = pytest.mark.django_db

KEY = "sk-test-0123456789"


@dataclass
class FakeAI:
    """A chat-completions server answering from a script: (status, body) per request, the last repeated."""

    script: list[tuple[int, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": json.loads(raw or b"{}")}
                )
                status, body = fake.script[min(len(fake.requests), len(fake.script)) - 1]
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def completion(content: Any) -> dict[str, Any]:
    text = content if isinstance(content, str) else json.dumps(content)
    return {
        "id": "x",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
    }


@pytest.fixture
def fake_ai(settings: Any) -> Iterator[FakeAI]:
    fake = FakeAI()
    fake.start()
    settings.AI_API_URL = fake.url
    settings.AI_API_KEY = KEY
    settings.AI_MODEL = "test-model"
    settings.AI_TIMEOUT_SECONDS = 5
    settings.AI_MAX_RETRIES = 2
    yield fake
    fake.stop()


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    scene = make_scene(acme)
    scene.say(scene.candidate, 10, 18, "I would use a hash map for the lookups.")
    scene.chat(scene.candidate, 30, "Done, running the tests now")
    scene.run(60, source=CodeRun.Source.ROOM_TESTS, verdict="OK", passed=2, total=2)
    return scene


def summary_of(scene: Scene) -> Insight:
    interview_analyse(interview_id=scene.interview.pk)
    return Insight.objects.get(interview=scene.interview, kind=Insight.Kind.SUMMARY)


def test_the_request_is_authorised_json_mode_with_the_evidence(scene: Scene, fake_ai: FakeAI) -> None:
    # given
    fake_ai.script = [(200, completion({"highlights": [], "questions": []}))]

    # when
    insight = summary_of(scene)

    # then
    assert insight.status == Insight.Status.READY
    assert insight.provider == "openai-compatible:test-model"
    (request,) = fake_ai.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert request["body"]["model"] == "test-model"
    assert request["body"]["response_format"] == {"type": "json_object"}
    evidence = json.loads(request["body"]["messages"][-1]["content"])
    segment = scene.interview.transcript_segments.get()
    assert evidence["transcript"][0]["segmentId"] == segment.pk
    assert evidence["questions"][0]["guidePoints"] == [
        "Use a hash map for constant-time lookups",
        "Linear overall complexity",
        "Handle duplicate values",
    ]


def test_only_citations_of_real_things_of_this_interview_are_kept(scene: Scene, fake_ai: FakeAI) -> None:
    # given: the model cites a real segment, a real run, the real chat line, and made-up things
    segment = scene.interview.transcript_segments.get()
    run = CodeRun.objects.get(interview=scene.interview)
    chat_at = scene.interview.chat_messages.get().sent_at.isoformat()
    answer = {
        "highlights": [
            {"text": "Passed every test.", "cites": [{"kind": "run", "runId": run.pk}, {"kind": "run", "runId": 999}]},
            {"text": "Invented moment.", "cites": [{"kind": "transcript", "segmentId": 424242}]},
        ],
        "questions": [
            {
                "questionId": scene.question.pk,
                "strengths": [
                    {
                        "text": "Chose a hash map.",
                        "cites": [
                            {"kind": "transcript", "segmentId": segment.pk, "at": "1999-01-01T00:00:00Z"},
                            {"kind": "chat", "at": chat_at},
                            {"kind": "chat", "at": "2030-01-01T00:00:00+00:00"},
                            {"kind": "video", "at": chat_at},
                        ],
                    },
                    {"text": "No citation at all.", "cites": []},
                ],
                "weaknesses": [{"text": "Missed duplicates.", "cites": [{"kind": "code", "at": chat_at}]}],
            },
            {"questionId": 987654, "strengths": [{"text": "Not a question of this plan.", "cites": []}]},
        ],
    }
    fake_ai.script = [(200, completion(answer))]

    # when
    payload = summary_of(scene).payload

    # then
    assert payload["label"] == "AI-generated"
    assert [c["text"] for c in payload["highlights"]] == ["Passed every test."]
    assert payload["highlights"][0]["cites"] == [
        {"kind": "run", "at": run.created_at.isoformat(), "label": "Run against the tests: 2/2 passed", "runId": run.pk}
    ]
    (question,) = payload["questions"]
    assert question["questionId"] == scene.question.pk
    (strength,) = question["strengths"]
    assert strength["text"] == "Chose a hash map."
    assert [(c["kind"], c["at"]) for c in strength["cites"]] == [
        ("transcript", scene.at(10).isoformat()),
        ("chat", chat_at),
    ]
    assert strength["cites"][0]["segmentId"] == segment.pk
    assert question["weaknesses"] == []


@pytest.mark.parametrize(
    "body",
    [
        completion("this is not JSON"),
        completion(["a", "list"]),
        {"unexpected": "shape"},
        "<html>gateway</html>",
    ],
)
def test_an_answer_that_is_not_the_json_asked_for_fails_clearly(scene: Scene, fake_ai: FakeAI, body: Any) -> None:
    # given
    fake_ai.script = [(200, body)]

    # when
    interview_analyse(interview_id=scene.interview.pk)

    # then
    insights = {i.kind: i for i in Insight.objects.filter(interview=scene.interview)}
    assert insights["summary"].status == Insight.Status.FAILED
    assert insights["summary"].error == "The AI service answered something other than the JSON summary asked for."
    assert insights["summary"].payload == {}
    assert insights["engagement"].status == Insight.Status.READY
    assert insights["code"].status == Insight.Status.READY


def test_a_server_error_is_retried(scene: Scene, fake_ai: FakeAI) -> None:
    # given
    fake_ai.script = [(500, {"error": "boom"}), (200, completion({"highlights": [], "questions": []}))]

    # when
    insight = summary_of(scene)

    # then
    assert insight.status == Insight.Status.READY
    assert len(fake_ai.requests) == 2


def test_retries_stop_after_ai_max_retries(scene: Scene, fake_ai: FakeAI, settings: Any) -> None:
    # given
    settings.AI_MAX_RETRIES = 1
    fake_ai.script = [(503, {"error": "overloaded"})]

    # when
    insight = summary_of(scene)

    # then
    assert insight.status == Insight.Status.FAILED
    assert insight.error == "No summary: the AI service answered HTTP 503, after 2 attempt(s)."
    assert len(fake_ai.requests) == 2


def test_a_refused_key_is_not_retried(scene: Scene, fake_ai: FakeAI) -> None:
    # given
    fake_ai.script = [(401, {"error": "bad key"})]

    # when
    insight = summary_of(scene)

    # then
    assert insight.status == Insight.Status.FAILED
    assert insight.error == "The AI service refused the request (HTTP 401)."
    assert len(fake_ai.requests) == 1


def test_a_disabled_organization_never_calls_the_provider(scene: Scene, fake_ai: FakeAI, acme: Tenant) -> None:
    # given
    MediaSettings.objects.update_or_create(organization=acme.org, defaults={"ai_enabled": False})
    fake_ai.script = [(200, completion({"highlights": [], "questions": []}))]

    # when
    insights = interview_analyse(interview_id=scene.interview.pk)

    # then
    assert {i.status for i in insights} == {Insight.Status.DISABLED}
    assert fake_ai.requests == []
