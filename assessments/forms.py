"""Forms of the assessments back office that are not model forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments import problem_io
from assessments.services.problems import size_text


class ProblemImportForm(forms.Form):
    file = forms.FileField(
        label=_("Problem file"),
        help_text=_("JSON or YAML with “format: talentsync-problem/1”, %(size)s at most.")
        % {"size": size_text(problem_io.MAX_FILE_BYTES)},
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.yaml,.yml,application/json,application/yaml"}),
    )
    replace = forms.BooleanField(
        label=_("Replace the problem with the same slug (its test cases are replaced too)"), required=False
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Checked before reading, so an oversized upload is never loaded into memory.
        if upload.size > problem_io.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is over %(size)s.") % {"size": size_text(problem_io.MAX_FILE_BYTES)}
            )
        return upload


class ExportFormatForm(forms.Form):
    format = forms.ChoiceField(choices=[("json", "JSON"), ("yaml", "YAML")])
