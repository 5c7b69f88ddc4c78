"""Shapes of the problem API: camelCase names, strict input, test cases nested in their problem."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from assessments.models import Problem, TestCase
from assessments.services.problems import MAX_CASES
from interviews.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictSerializer,
    _fail_type,
)
from interviews.stage_config import LANGUAGES


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if not isinstance(data, int | float) or isinstance(data, bool):
            _fail_type(data, "a number")
        return super().to_internal_value(data)


class StrictDictField(serializers.DictField):
    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            _fail_type(data, "an object")
        return super().to_internal_value(data)


class TestCaseSerializer(StrictSerializer):
    """One case; send its ``id`` to keep (and change) an existing case, leave it out for a new one."""

    __test__ = False  # not a pytest test class

    id = StrictIntegerField(min_value=1, required=False, help_text=_("An existing case of this problem."))
    name = StrictCharField(max_length=120, allow_blank=True, required=False)
    input = StrictCharField(
        allow_blank=True, required=False, trim_whitespace=False, max_length=TestCase.MAX_BYTES, help_text=_("stdin")
    )
    expectedOutput = StrictCharField(
        source="expected_output", allow_blank=True, trim_whitespace=False, max_length=TestCase.MAX_BYTES
    )
    hidden = StrictBooleanField(required=False, help_text=_("Hidden cases are never shown to candidates."))
    order = StrictIntegerField(
        min_value=0, max_value=32767, required=False, help_text=_("Default: position in the list.")
    )


class ProblemSerializer(StrictModelSerializer):
    slug = StrictCharField(
        max_length=80, allow_blank=True, required=False, help_text=_("Made from the title when left out.")
    )
    statement = StrictCharField(max_length=50000, trim_whitespace=False, help_text=_("Markdown."))
    starterCode = StrictDictField(
        source="starter_code",
        child=StrictCharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=_("Code per language (any of: %(languages)s).") % {"languages": ", ".join(LANGUAGES)},
    )
    cpuTimeLimitMs = StrictIntegerField(source="cpu_time_limit_ms", min_value=100, max_value=20000, required=False)
    memoryLimitMb = StrictIntegerField(source="memory_limit_mb", min_value=16, max_value=2048, required=False)
    floatTolerance = StrictFloatField(source="float_tolerance", min_value=0.0, max_value=1.0, required=False)
    testCases = TestCaseSerializer(source="test_cases", many=True, allow_empty=False, max_length=MAX_CASES)  # type: ignore[call-arg]
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = Problem
        fields = (
            "id",
            "title",
            "slug",
            "statement",
            "difficulty",
            "starterCode",
            "cpuTimeLimitMs",
            "memoryLimitMb",
            "checker",
            "floatTolerance",
            "testCases",
            "createdAt",
            "updatedAt",
        )
