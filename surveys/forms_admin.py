"""Form pieces of the questionnaire admin: editors type choices as lines and answers as letters,
never JSON. The widgets only translate between what is typed and the item's JSON fields; every
rule about an item is surveys.services.questionnaires'."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from exams.models import OPTION_LETTERS, Category

_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def choices_text(value: Any) -> str:
    """[{"value": "a", "label": "…"}, …] as the lines "a = …"."""
    value = _loads(value)
    if not isinstance(value, list):
        return "" if value in (None, "null") else str(value)
    lines = []
    for choice in value:
        if isinstance(choice, dict):
            lines.append(f"{choice.get('value', '')} = {choice.get('label', '')}")
        else:
            lines.append(str(choice))
    return "\n".join(lines)


def choices_parse(text: str) -> list[dict[str, str]]:
    """One choice a line, "value = label"; a line with only a label gets the next letter (a, b, c…)
    as its value, as the bank's options do."""
    choices: list[dict[str, str]] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if "=" in line:
            value, label = (part.strip() for part in line.split("=", 1))
        else:
            index = len(choices)
            value = OPTION_LETTERS[index].lower() if index < len(OPTION_LETTERS) else f"c{index + 1}"
            label = line
        choices.append({"value": value, "label": label})
    return choices


class ChoicesWidget(forms.Textarea):
    """The item's choices, one a line: "a = 职业健康监护档案"."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 4, "placeholder": "a = 选项一\nb = 选项二", **(attrs or {})})

    def format_value(self, value: Any) -> str:
        return choices_text(value)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str:
        return json.dumps(choices_parse(data.get(name, "")), ensure_ascii=False)


class ValueListWidget(forms.TextInput):
    """A list of choice values typed as "a" or "a c" (spaces, commas or 、 between)."""

    def format_value(self, value: Any) -> str:
        value = _loads(value)
        if isinstance(value, list):
            return " ".join(str(part) for part in value)
        return "" if value in (None, "null") else str(value)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str:
        return json.dumps([part for part in _SEPARATORS.split(data.get(name, "") or "") if part], ensure_ascii=False)


class CodeLockedForm(WagtailAdminModelForm):
    """An object whose code is its primary key: the code is typed once, when it is created."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None and not self.instance._state.adding and "code" in self.fields:
            self.fields["code"].disabled = True


class BankPickFilterForm(forms.Form):
    q = forms.CharField(label=_("题干包含"), required=False, max_length=100)
    category = forms.ModelChoiceField(label=pgettext_lazy("question bank", "分类"), queryset=Category.objects.all(),
                                      required=False, empty_label=_("全部分类"), help_text=_("含下级分类"))
