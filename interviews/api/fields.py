"""Strict input for the API: wrong types and unknown keys are errors, never coerced or ignored.

DRF is lenient by default (``123`` becomes ``"123"``, ``"yes"`` becomes ``True``, a naive
datetime is assumed to be UTC, unknown keys are dropped). An integration that sends the wrong
thing must hear about it at once, field by field, instead of finding bad data later.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings

#: the largest id a database column holds (SQLite and PostgreSQL bigint); larger ones match nothing
MAX_ID = 2**63 - 1

_WRONG_TYPE = _("Expected %(kind)s, got %(got)s.")


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _fail_type(value: Any, kind: str) -> None:
    raise serializers.ValidationError(
        _WRONG_TYPE % {"kind": kind, "got": _type_name(value) if value is not None else "null"}
    )


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            _fail_type(data, "a string")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            _fail_type(data, "a string")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            _fail_type(data, "a string")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            _fail_type(data, "an integer")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            _fail_type(data, "true or false")
        return data


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that states its offset (``Z`` or ``+02:00``); stored in UTC."""

    default_error_messages = {
        "naive": _("Give the time zone too, e.g. 2026-05-04T09:00:00Z."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            _fail_type(value, "an ISO 8601 datetime string")
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return value.astimezone(UTC)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, int) or isinstance(data, bool):
            _fail_type(data, "an integer id")
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class IdListField(serializers.ListField):
    """A list of integer ids (each within the database's range)."""

    def __init__(self, **kwargs: Any):
        super().__init__(child=StrictIntegerField(min_value=1, max_value=MAX_ID), **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            _fail_type(data, "an array")
        return super().to_internal_value(data)


class StrictSlugRelatedField(serializers.SlugRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            _fail_type(data, "a string")
        return super().to_internal_value(data)


class StrictListField(serializers.ListField):
    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            _fail_type(data, "an array")
        return super().to_internal_value(data)


class StrictSerializerMixin:
    """Reject keys the serializer does not accept (unknown or read-only) with a field-level error."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("Send a JSON object.")]}, code="invalid"
            )
        fields = self.fields  # type: ignore[attr-defined]
        writable = {name for name, field in fields.items() if not field.read_only}
        errors = {}
        for key in data:
            if key in writable:
                continue
            errors[key] = [_("This field is read-only.") if key in fields else _("Unknown field.")]
        if errors:
            raise serializers.ValidationError(errors, code="unknown_field")
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    """A plain serializer with strict input."""


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """A model serializer whose generated fields are the strict ones."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
        models.DateTimeField: AwareDateTimeField,
    }
    serializer_choice_field = StrictChoiceField
    serializer_related_field = StrictPrimaryKeyRelatedField


__all__ = [
    "MAX_ID",
    "AwareDateTimeField",
    "IdListField",
    "StrictBooleanField",
    "StrictCharField",
    "StrictChoiceField",
    "StrictEmailField",
    "StrictIntegerField",
    "StrictListField",
    "StrictModelSerializer",
    "StrictPrimaryKeyRelatedField",
    "StrictSerializer",
    "StrictSlugRelatedField",
]
