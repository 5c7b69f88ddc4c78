"""Writes for the problem bank: a problem and its test cases are created, changed and removed together.

Rules a problem must keep (checked here, so the admin, the API and file imports share them):
at least one test case, at least one visible case (a problem whose cases are all hidden gives
the candidate nothing to run), inputs and expected outputs of at most ``MAX_CASE_BYTES`` each,
starter code only for known languages, a slug unique within the organization.

Field errors use the model's names; a case's errors are keyed ``test_cases[<index>].<field>``
(index in the list given), so each interface can point at the exact row, field or file line.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.services import audit_record
from assessments.models import Problem, TestCase
from assessments.permissions import can_add_problem, can_change_problem, can_delete_problem
from interviews.stage_config import LANGUAGES
from talentsync.errors import NotAllowed, StateError

#: the fields ``problem_update`` may change
PROBLEM_FIELDS = frozenset(
    {
        "title",
        "slug",
        "statement",
        "difficulty",
        "starter_code",
        "cpu_time_limit_ms",
        "memory_limit_mb",
        "checker",
        "float_tolerance",
    }
)
CASE_FIELDS = ("order", "name", "input", "expected_output", "hidden")
MAX_CASES = 200
MAX_CASE_BYTES = TestCase.MAX_BYTES
MAX_STARTER_BYTES = 64 * 1024
LANGUAGE_ALIASES = {"cpp": "c++"}
CASES = "test_cases"


class CaseSpec(TypedDict, total=False):
    id: int | None  # an existing case of the problem to change; new when missing
    order: int
    name: str
    input: str
    expected_output: str
    hidden: bool


def size_text(n: int) -> str:
    """``1048576`` → "1 MiB", ``65536`` → "64 KiB", ``100`` → "100 bytes"."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return _("%(n)d bytes") % {"n": n}


def case_key(index: int, field: str | None = None) -> str:
    return f"{CASES}[{index}]" + (f".{field}" if field else "")


def _starter_code_clean(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValidationError(_('Starter code must be an object of language → code, e.g. {"python": "..."}.'))
    code: dict[str, str] = {}
    for raw, text in value.items():
        language = LANGUAGE_ALIASES.get(raw, raw)
        if language not in LANGUAGES:
            raise ValidationError(
                _("Unknown language “%(name)s” (known: %(known)s).") % {"name": raw, "known": ", ".join(LANGUAGES)}
            )
        if not isinstance(text, str):
            raise ValidationError(_("The starter code for %(name)s must be text.") % {"name": raw})
        if len(text.encode()) > MAX_STARTER_BYTES:
            raise ValidationError(
                _("The starter code for %(name)s is over %(size)s.")
                % {"name": raw, "size": size_text(MAX_STARTER_BYTES)}
            )
        if text.strip():
            code[language] = text
    return code


def _slug_taken(organization: Organization, slug: str, exclude_pk: int | None) -> Problem | None:
    return Problem.objects.for_org(organization).filter(slug__iexact=slug).exclude(pk=exclude_pk).first()


def _slug_for(problem: Problem, *, explicit: bool, errors: dict[str, list[str]]) -> None:
    """Give ``problem`` a lower-case slug: the one asked for (must be free), else one made from the title."""
    if explicit:
        problem.slug = problem.slug.strip().lower()
        other = _slug_taken(problem.organization, problem.slug, problem.pk) if problem.slug else None
        if other is not None:
            errors.setdefault("slug", []).append(
                _("The problem “%(title)s” already uses the slug “%(slug)s”.") % {"title": other, "slug": problem.slug}
            )
        return
    base = slugify(problem.title)[:70].strip("-") or "problem"
    slug, n = base, 1
    while _slug_taken(problem.organization, slug, problem.pk) is not None:
        n += 1
        slug = f"{base}-{n}"
    problem.slug = slug


def _cases_build(problem: Problem, specs: list[CaseSpec], errors: dict[str, list[str]]) -> list[TestCase]:
    """Unsaved (or changed existing) cases for ``specs``, validated; errors go into ``errors``."""
    if not specs:
        errors.setdefault(CASES, []).append(_("Add at least one test case."))
        return []
    if len(specs) > MAX_CASES:
        errors.setdefault(CASES, []).append(_("A problem has at most %(n)d test cases.") % {"n": MAX_CASES})
        return []
    existing = {c.pk: c for c in problem.test_cases.all()} if problem.pk else {}
    built: list[TestCase] = []
    seen: set[int] = set()
    for index, spec in enumerate(specs):
        pk = spec.get("id")
        if pk is not None and (pk not in existing or pk in seen):
            errors.setdefault(case_key(index, "id"), []).append(_("No such test case in this problem."))
            continue
        case = existing[pk] if pk is not None else TestCase(problem=problem)
        if pk is not None:
            seen.add(pk)
        for field in CASE_FIELDS:
            if field in spec:
                setattr(case, field, spec[field])  # type: ignore[literal-required]
        if "order" not in spec and pk is None:
            case.order = index
        for field in ("input", "expected_output"):
            if len(getattr(case, field).encode()) > MAX_CASE_BYTES:
                errors.setdefault(case_key(index, field), []).append(
                    _("At most %(size)s.") % {"size": size_text(MAX_CASE_BYTES)}
                )
        try:
            case.full_clean(exclude=["problem"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(case_key(index, field), []).extend(messages)
        built.append(case)
    if built and all(c.hidden for c in built):
        errors.setdefault(CASES, []).append(
            _("Make at least one test case visible: candidates run their code against the visible ones.")
        )
    return built


def _problem_check(problem: Problem, errors: dict[str, list[str]]) -> None:
    try:
        problem.starter_code = _starter_code_clean(problem.starter_code)
    except ValidationError as exc:
        errors.setdefault("starter_code", []).extend(exc.messages)
    try:
        problem.full_clean(exclude=["starter_code", "created_by"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def _cases_save(problem: Problem, cases: list[TestCase]) -> dict[str, int]:
    keep = [c.pk for c in cases if c.pk is not None]
    removed, _by_model = problem.test_cases.exclude(pk__in=keep).delete()
    added = changed = 0
    for case in cases:
        case.problem = problem
        if case.pk is None:
            added += 1
        changed += case.pk is not None
        case.save()
    return {"added": added, "kept": changed, "removed": removed}


@transaction.atomic
def problem_create(*, organization: Organization, actor: Any, cases: list[CaseSpec], **fields: Any) -> Problem:
    """Add a problem with its test cases to the organization's bank."""
    if not can_add_problem(actor, organization):
        raise NotAllowed(_("Only admins and recruiters manage problems."))
    unknown = set(fields) - PROBLEM_FIELDS
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    problem = Problem(organization=organization, created_by=actor if getattr(actor, "pk", None) else None, **fields)
    errors: dict[str, list[str]] = {}
    _slug_for(problem, explicit=bool(fields.get("slug")), errors=errors)
    _problem_check(problem, errors)
    built = _cases_build(problem, cases, errors)
    if errors:
        raise ValidationError(errors)
    problem.save()
    _cases_save(problem, built)
    audit_record(action="problem.create", actor=actor, target=problem, changes={"test_cases": len(built)})
    return problem


@transaction.atomic
def problem_update(
    *, problem: Problem, actor: Any, data: dict[str, Any], cases: list[CaseSpec] | None = None
) -> Problem:
    """Change a problem and, given ``cases``, replace its test cases (cases with an ``id`` are kept and changed)."""
    if not can_change_problem(actor, problem):
        raise NotAllowed(_("Only admins and recruiters manage problems."))
    unknown = set(data) - PROBLEM_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    changes: dict[str, Any] = {}
    for field, value in data.items():
        if getattr(problem, field) != value:
            changes[field] = [str(getattr(problem, field))[:200], str(value)[:200]]
        setattr(problem, field, value)
    errors: dict[str, list[str]] = {}
    if "slug" in data:
        _slug_for(problem, explicit=bool(data["slug"]), errors=errors)
    _problem_check(problem, errors)
    built = _cases_build(problem, cases, errors) if cases is not None else None
    if errors:
        raise ValidationError(errors)
    problem.save()
    if built is not None:
        before = {c.pk: tuple(getattr(c, f) for f in CASE_FIELDS) for c in TestCase.objects.filter(problem=problem)}
        counts = _cases_save(problem, built)
        after = {c.pk: tuple(getattr(c, f) for f in CASE_FIELDS) for c in built}
        if before != after:
            changes["test_cases"] = counts
    if changes:
        audit_record(action="problem.update", actor=actor, target=problem, changes=changes)
    return problem


def _stages_using(problem: Problem) -> list[str]:
    from interviews.models import PipelineStage

    stages = PipelineStage.objects.filter(pipeline__organization=problem.organization).select_related("pipeline")
    return [
        f"{s.pipeline.name}: {s.name}"
        for s in stages.exclude(dsa_config={})
        if problem.pk in (s.dsa_config or {}).get("problems", [])
    ]


@transaction.atomic
def problem_delete(*, problem: Problem, actor: Any) -> None:
    """Remove a problem and its test cases unless a stage assigns it or a candidate submitted code for it."""
    if not can_delete_problem(actor, problem):
        raise NotAllowed(_("Only admins and recruiters manage problems."))
    stages = _stages_using(problem)
    if stages:
        raise StateError(
            _("Stages assign this problem (%(stages)s); remove it from them first.") % {"stages": "; ".join(stages)},
            code="problem_in_use",
        )
    audit_record(action="problem.delete", actor=actor, target=problem)
    try:
        with transaction.atomic():
            problem.delete()
    except ProtectedError:
        raise StateError(
            _("Candidates have submitted code for this problem; it cannot be deleted."), code="problem_in_use"
        ) from None


@transaction.atomic
def problem_import(
    *, organization: Organization, actor: Any, fields: dict[str, Any], cases: list[CaseSpec], replace: bool = False
) -> tuple[Problem, bool]:
    """Create a problem from an imported file, or with ``replace`` overwrite the one with the same slug.

    Returns the problem and whether it was created. Nothing is written when anything is refused.
    """
    if not can_add_problem(actor, organization):
        raise NotAllowed(_("Only admins and recruiters manage problems."))
    slug = (fields.get("slug") or slugify(fields.get("title", ""))[:70].strip("-")).lower()
    existing = _slug_taken(organization, slug, None) if slug else None
    if existing is None:
        problem = problem_create(organization=organization, actor=actor, cases=cases, **{**fields, "slug": slug})
        audit_record(action="problem.import", actor=actor, target=problem, changes={"replaced": False})
        return problem, True
    if not replace:
        raise ValidationError(
            {
                "slug": _(
                    "The problem “%(title)s” already uses the slug “%(slug)s”: choose another slug, "
                    "or import again with “replace” to overwrite it."
                )
                % {"title": existing, "slug": slug}
            }
        )
    data = {f: fields[f] for f in PROBLEM_FIELDS if f in fields and f != "slug"}
    defaults = {
        f: cast(Any, Problem._meta.get_field(f)).get_default() for f in PROBLEM_FIELDS - {"slug", "title", "statement"}
    }
    problem = problem_update(problem=existing, actor=actor, data={**defaults, **data}, cases=cases)
    audit_record(action="problem.import", actor=actor, target=problem, changes={"replaced": True})
    return problem, False
