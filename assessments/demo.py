"""Demo data of the assessments app for ``manage.py seed_demo``: a problem bank, a coding
question that names its problem (so the live room can run the code against the test cases), and
async coding assessments — one open with proctoring, one finished with graded submissions and a
plagiarism match. Idempotent: running it again finds what is there."""

from __future__ import annotations

from typing import Any

from accounts.models import Organization, User
from assessments.models import Problem
from assessments.services.problems import problem_create

TWO_SUM_STATEMENT = """\
Given an array of integers and a target, print the **indices** (0-based, ascending) of the two
numbers that add up to the target. Exactly one answer exists.

**Input:** the first line holds `n` and `target`; the second line holds `n` integers.

**Output:** the two indices separated by a space.

| input | output |
|---|---|
| `4 9`<br>`2 7 11 15` | `0 1` |

Aim for better than O(n²).
"""

BRACKETS_STATEMENT = """\
A line of text holds brackets `()[]{}` among other characters. Print `YES` when every bracket is
closed by the matching bracket in the right order, `NO` otherwise.

| input | output |
|---|---|
| `f(a[1]) { ok }` | `YES` |
| `(]` | `NO` |
"""

MEAN_STATEMENT = """\
Read `n` and then `n` numbers; print their mean. Answers within `1e-6` are accepted.
"""

TWO_SUM_STARTER = {
    "python": (
        "import sys\n\n\ndef two_sum(nums, target):\n    # your code here\n    return 0, 1\n\n\n"
        "def main():\n    data = sys.stdin.read().split()\n    n, target = int(data[0]), int(data[1])\n"
        "    nums = list(map(int, data[2:2 + n]))\n    i, j = two_sum(nums, target)\n    print(i, j)\n\n\nmain()\n"
    ),
    "javascript": (
        "const data = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
        "const [n, target] = data;\nconst nums = data.slice(2, 2 + n);\n\n"
        "function twoSum(nums, target) {\n  // your code here\n  return [0, 1];\n}\n\n"
        "console.log(twoSum(nums, target).join(' '));\n"
    ),
    "java": (
        "import java.util.*;\n\npublic class Solution {\n    public static void main(String[] args) {\n"
        "        Scanner in = new Scanner(System.in);\n        int n = in.nextInt(), target = in.nextInt();\n"
        "        int[] nums = new int[n];\n        for (int i = 0; i < n; i++) nums[i] = in.nextInt();\n"
        '        // your code here\n        System.out.println("0 1");\n    }\n}\n'
    ),
    "c++": (
        "#include <bits/stdc++.h>\nusing namespace std;\n\nint main() {\n    int n; long long target;\n"
        "    cin >> n >> target;\n    vector<long long> nums(n);\n    for (auto &x : nums) cin >> x;\n"
        '    // your code here\n    cout << "0 1" << endl;\n}\n'
    ),
}

SOLUTION_TWO_SUM = (
    "import sys\n\n\ndef two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
    "        if target - n in seen:\n            return seen[target - n], i\n        seen[n] = i\n"
    "    return -1, -1\n\n\n"
    "def main():\n    data = sys.stdin.read().split()\n    n, target = int(data[0]), int(data[1])\n"
    "    nums = list(map(int, data[2:2 + n]))\n    i, j = two_sum(nums, target)\n    print(i, j)\n\n\nmain()\n"
)
# Another candidate's copy, renamed: the plagiarism check flags the pair.
COPIED_TWO_SUM = SOLUTION_TWO_SUM.replace("seen", "index_of").replace("two_sum", "find_pair").replace("main", "run")
# A different, quadratic approach: right on the small cases, slow on the large hidden one.
BRUTE_TWO_SUM = (
    "n, target = map(int, input().split())\nnums = list(map(int, input().split()))\n"
    "for i in range(n):\n    for j in range(n):\n        if i != j and nums[i] + nums[j] == target:\n"
    "            print(min(i, j), max(i, j))\n            raise SystemExit\n"
)


def _two_sum_cases() -> list[dict[str, Any]]:
    big_n = 2000
    nums = list(range(1, big_n + 1))
    return [
        {"name": "example", "input": "4 9\n2 7 11 15\n", "expected_output": "0 1\n", "hidden": False},
        {"name": "negatives", "input": "5 -8\n-3 4 -5 1 6\n", "expected_output": "0 2\n", "hidden": False},
        {"name": "duplicates", "input": "4 6\n3 2 4 3\n", "expected_output": "0 3\n", "hidden": True},
        {
            "name": "large",
            "input": f"{big_n} {big_n * 2 - 1}\n{' '.join(map(str, nums))}\n",
            "expected_output": f"{big_n - 2} {big_n - 1}\n",
            "hidden": True,
        },
    ]


PROBLEMS: list[dict[str, Any]] = [
    {
        "slug": "two-sum",
        "title": "Two sum",
        "difficulty": Problem.Difficulty.MEDIUM,
        "statement": TWO_SUM_STATEMENT,
        "starter_code": TWO_SUM_STARTER,
        "checker": Problem.Checker.WHITESPACE,
        "cases": _two_sum_cases,
    },
    {
        "slug": "balanced-brackets",
        "title": "Balanced brackets",
        "difficulty": Problem.Difficulty.EASY,
        "statement": BRACKETS_STATEMENT,
        "starter_code": {"python": "line = input()\n# print YES or NO\n"},
        "checker": Problem.Checker.EXACT,
        "cases": lambda: [
            {"name": "example", "input": "f(a[1]) { ok }\n", "expected_output": "YES\n", "hidden": False},
            {"name": "crossed", "input": "(]\n", "expected_output": "NO\n", "hidden": False},
            {"name": "nested", "input": "{[()()]}\n", "expected_output": "YES\n", "hidden": True},
            {"name": "unclosed", "input": "((x)\n", "expected_output": "NO\n", "hidden": True},
        ],
    },
    {
        "slug": "mean",
        "title": "Mean of numbers",
        "difficulty": Problem.Difficulty.EASY,
        "statement": MEAN_STATEMENT,
        "starter_code": {"python": "n = int(input())\nnums = [float(x) for x in input().split()]\n"},
        "checker": Problem.Checker.FLOAT,
        "cases": lambda: [
            {"name": "example", "input": "3\n1 2 4\n", "expected_output": "2.3333333333\n", "hidden": False},
            {"name": "one", "input": "1\n-7.5\n", "expected_output": "-7.5\n", "hidden": True},
        ],
    },
]


def seed_problem_bank(*, organization: Organization, recruiter: User) -> dict[str, Problem]:
    """The organization's demo problems by slug, created through the service on the first run."""
    problems: dict[str, Problem] = {}
    for spec in PROBLEMS:
        problem = Problem.objects.filter(organization=organization, slug=spec["slug"]).first()
        if problem is None:
            fields = {k: v for k, v in spec.items() if k != "cases"}
            problem = problem_create(organization=organization, actor=recruiter, cases=spec["cases"](), **fields)
        problems[spec["slug"]] = problem
    return problems


DSA_CANDIDATES = [
    ("Ada Lovelace", "ada@example.test"),  # an assessment to open now (proctoring on)
    ("Linus Park", "linus@example.test"),  # finished: solved it
    ("Mona Copy", "mona@example.test"),  # finished: a renamed copy of Linus's code (flagged)
]


def _demo_snapshot() -> bytes:
    """A small JPEG standing in for a webcam frame (a real image, so validation accepts it)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (40, 60, 90))
    ImageDraw.Draw(image).ellipse((110, 50, 210, 170), fill=(220, 190, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def seed_dsa(
    *, organization: Organization, recruiter: User, interviewer: User, pipeline: Any, problems: dict[str, Problem]
) -> dict[str, str]:
    """A proctored coding-assessment stage with an open assessment and two finished ones.

    Returns the open assessment's token link and the recruiter pages of the finished one.
    """
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from assessments.models import PlagiarismMatch
    from assessments.plagiarism.services import submission_plagiarism_check
    from assessments.services import dsa
    from interviews import services
    from interviews.models import Candidate, Interview, Participant, PipelineStage
    from interviews.services.interviews import dsa_url

    stage = pipeline.stages.filter(stage_type=PipelineStage.Type.TECHNICAL_DSA).first()
    if stage is None:
        stage = services.stage_add(
            pipeline=pipeline,
            actor=recruiter,
            spec={
                "name": "Coding assessment",
                "stage_type": "technical_dsa",
                "duration_minutes": 90,
                "dsa_config": {
                    "problems": [problems["two-sum"].pk, problems["balanced-brackets"].pk],
                    "proctoringEnabled": True,
                    "timeLimitMinutes": 90,
                    "maxSubmissions": 10,
                    "languages": ["python", "javascript", "java", "c++", "go"],
                },
            },
        )
    position = pipeline.positions.filter(organization=organization).first()
    people = []
    for name, email in DSA_CANDIDATES:
        candidate = Candidate.objects.filter(organization=organization, email=email).first()
        if candidate is None:
            candidate = services.candidate_create(
                organization=organization,
                actor=recruiter,
                full_name=name,
                email=email,
                source="careers_site",
                position=position,
            )
        people.append(candidate)

    def assessment(candidate: Candidate, *, at: Any) -> tuple[Interview, str | None]:
        interview = Interview.objects.filter(candidate=candidate, stage=stage).exclude(status="cancelled").first()
        if interview is None:
            interview, _tokens = services.interview_schedule(
                candidate=candidate,
                stage=stage,
                scheduled_at=at,
                interviewers=[interviewer],
                actor=recruiter,
                duration_minutes=240,
            )
        if interview.status not in (Interview.Status.SCHEDULED, Interview.Status.LIVE):
            return interview, None
        participant = interview.participants.get(role=Participant.Role.CANDIDATE)
        return interview, services.participant_issue_link(participant=participant, actor=recruiter)

    now = timezone.now().replace(second=0, microsecond=0)
    # Finished assessments first: two candidates, the second one's code a renamed copy.
    finished = []
    for candidate, code in ((people[1], SOLUTION_TWO_SUM), (people[2], COPIED_TWO_SUM)):
        interview, token = assessment(candidate, at=now - timedelta(hours=2))
        if token is not None:
            access = dsa.dsa_access_by_token(token=token)
            dsa.dsa_consent(access=access)
            dsa.integrity_record(
                access=access,
                events=[
                    {"kind": "tab_hidden", "at": (timezone.now() - timedelta(minutes=1)).isoformat()},
                    {"kind": "tab_visible", "at": timezone.now().isoformat()},
                    {"kind": "paste", "length": len(code), "at": timezone.now().isoformat()},
                ],
            )
            dsa.snapshot_store(access=access, data=_demo_snapshot())
            body = dsa.CodeBody(language="python", code=BRUTE_TWO_SUM, problem_id=problems["two-sum"].pk, case_ids=None)
            dsa.dsa_submit(access=access, body=body)
            body = dsa.CodeBody(language="python", code=code, problem_id=problems["two-sum"].pk, case_ids=None)
            dsa.dsa_submit(access=access, body=body)
            dsa.dsa_finish(access=access)
        finished.append(interview)
    latest = finished[-1].dsa_session.submissions.order_by("-created_at").first()
    if latest is not None and not PlagiarismMatch.objects.filter(problem=latest.problem).exists():
        submission_plagiarism_check(submission_id=latest.pk)

    _open_interview, token = assessment(people[0], at=now)
    links = {"admin_session": reverse("admin:assessments_dsasession_change", args=[finished[0].dsa_session.pk])}
    if token is not None:
        links["open"] = dsa_url(token)
    match = PlagiarismMatch.objects.filter(problem=problems["two-sum"], flagged=True).first()
    if match is not None:
        links["plagiarism"] = reverse("admin:assessments_plagiarismmatch_change", args=[match.pk])
    return links


def seed_live_problem(*, organization: Organization, recruiter: User, problem: Problem, interview: Any) -> None:
    """A coding question that names its problem, in the live demo interview's plan: the
    interviewer can run the candidate's code against its test cases from the room."""
    from interviews import services
    from interviews.models import InterviewQuestion

    question = InterviewQuestion.objects.filter(organization=organization, problem=problem).first()
    if question is None:
        question = services.question_create(
            organization=organization,
            actor=recruiter,
            question_text="Two sum: print the indices of the two numbers that add up to the target.",
            interviewer_hints="Ask for the brute force first, then a single pass with a hash map.",
            expected_answer_guide="One pass with a dict of value → index; O(n) time, O(n) space.",
            difficulty="medium",
            follow_up_questions=["What if the array is sorted?", "What if there can be several answers?"],
            problem=problem,
            tags=["algorithms"],
        )
    planned = list(interview.plan.values_list("question_id", flat=True))
    if question.pk not in planned:
        services.interview_plan_set(interview=interview, question_ids=[*planned, question.pk], actor=recruiter)


def seed_assessments(*, organization: Organization, recruiter: User, interviewer: User) -> dict[str, str]:
    """Everything above for the demo organization; returns the links ``seed_demo`` prints."""
    from interviews.models import Interview, PipelineTemplate

    problems = seed_problem_bank(organization=organization, recruiter=recruiter)
    pipeline = PipelineTemplate.objects.get(organization=organization, name="Backend engineering")
    live = (
        Interview.objects.filter(
            organization=organization, stage__stage_type="technical_live", status__in=("scheduled", "live")
        )
        .order_by("-scheduled_at")
        .first()
    )
    if live is not None:
        seed_live_problem(organization=organization, recruiter=recruiter, problem=problems["two-sum"], interview=live)
    return seed_dsa(
        organization=organization, recruiter=recruiter, interviewer=interviewer, pipeline=pipeline, problems=problems
    )
