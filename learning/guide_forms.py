"""The small-employer guide's questions (learning.guide_views). The form only turns the request
into values; whether the answers make sense is learning.services.guide's to say (guide_check),
and the view puts its refusal next to the field it names."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from learning.services.guide import GUIDE_ROLES, HEADCOUNT_MAX
from orgs.models import HazardClass, HazardFactor, Industry, PostRole

HEADCOUNT_FIELDS = {role: f"headcount_{role}" for role in GUIDE_ROLES}
HEADCOUNT_HELP: dict[str, Any] = {
    PostRole.PRINCIPAL: _("法定代表人或实际负责人，通常为 1 人"),
    PostRole.MANAGER: _("专职或兼职负责职业病防治工作的人员；没有就填 0"),
    PostRole.EXPOSED: _("工作中接触粉尘、化学物质、噪声等职业病危害因素的人数"),
}


def industry_choices() -> list[tuple[str, Any]]:
    """GB/T 4754 sections, each with its divisions, for a grouped select."""
    sections: list[Industry] = []
    divisions: dict[str, list[Industry]] = defaultdict(list)
    for industry in Industry.objects.order_by("code"):
        if industry.level == 1:
            sections.append(industry)
        elif industry.parent_id:
            divisions[industry.parent_id].append(industry)
    choices: list[tuple[str, Any]] = [("", _("请选择行业"))]
    for section in sections:
        group = [(section.code, _("%(code)s %(name)s（整个门类）") % {"code": section.code, "name": section.name})]
        group += [(row.code, f"{row.code} {row.name}") for row in divisions[section.code]]
        choices.append((f"{section.code} {section.name}", group))
    return choices


class GuideForm(forms.Form):
    industry = forms.ChoiceField(
        label=_("所属行业"), error_messages={
            "required": _("请选择本单位所属的行业。"),
            "invalid_choice": _("没有这个行业代码：%(value)s。请从列表中选择。")})
    hazard_classes = forms.MultipleChoiceField(
        label=_("存在的职业病危害因素类别"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("按《职业病危害因素分类目录》，选择本单位工作场所存在的所有类别"),
        error_messages={"invalid_choice": _("没有这个危害因素类别：%(value)s")})
    hazard_factors = forms.MultipleChoiceField(
        label=_("具体危害因素（可选）"), required=False,
        help_text=_("知道的话，选出具体的危害因素，清单会核对花名册中的登记"),
        error_messages={"invalid_choice": _("没有这个危害因素：%(value)s")})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Kept as plain lists too: the labels of what was chosen are read back from them.
        self._industries = industry_choices()
        self._choice_field("industry").choices = self._industries
        self.classes = list(HazardClass.objects.order_by("position", "code"))
        self._class_options = [(row.pk, row.name) for row in self.classes]
        self._choice_field("hazard_classes").choices = self._class_options
        factors = list(HazardFactor.objects.filter(in_catalogue=True).order_by("hazard_class__position", "position")
                       .values_list("pk", "name", "hazard_class_id"))
        self._factor_options = [(str(pk), name) for pk, name, _class in factors]
        self._choice_field("hazard_factors").choices = self._factor_options
        self._factors = factors
        for role, name in HEADCOUNT_FIELDS.items():
            # The limits are only hints for the browser; guide_check says what is wrong.
            self.fields[name] = forms.IntegerField(
                label=_("%(role)s人数") % {"role": PostRole(role).label}, help_text=HEADCOUNT_HELP[role],
                widget=forms.NumberInput(attrs={"min": 0, "max": HEADCOUNT_MAX, "inputmode": "numeric"}),
                error_messages={"required": _("请填写人数（没有就填 0）。"), "invalid": _("请填写整数人数。")})

    def _choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def _labels(self, name: str, options: list[tuple[str, str]]) -> list[str]:
        """The names of the ticked choices of a checkbox field, in the catalogue's order."""
        chosen = {str(value) for value in self.cleaned_data.get(name) or []}
        return [str(label) for value, label in options if str(value) in chosen]

    def class_labels(self) -> list[str]:
        return self._labels("hazard_classes", self._class_options)

    def factor_labels(self) -> list[str]:
        return self._labels("hazard_factors", self._factor_options)

    def industry_label(self) -> str:
        chosen = str(self.cleaned_data.get("industry") or "")
        for _group, options in self._industries[1:]:
            for value, label in options:
                if value == chosen:
                    return str(label)
        return chosen

    def headcount_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in HEADCOUNT_FIELDS.values()]

    def factor_groups(self) -> list[dict[str, Any]]:
        """The catalogue's factors by class, with what is ticked, for one <details> per class
        (two hundred checkboxes in a row would be unusable on a phone)."""
        if self.is_bound:
            ticked = set(self.data.getlist("hazard_factors")) if hasattr(self.data, "getlist") else set()
        else:
            ticked = {str(value) for value in self.initial.get("hazard_factors") or []}
        groups = []
        for hazard_class in self.classes:
            items = [{"value": str(pk), "name": name, "checked": str(pk) in ticked}
                     for pk, name, class_code in self._factors if class_code == hazard_class.pk]
            if items:
                groups.append({"code": hazard_class.pk, "name": hazard_class.name, "items": items,
                               "ticked": sum(1 for item in items if item["checked"])})
        return groups

    def answers(self) -> dict[str, Any]:
        """The cleaned answers as learning.services.guide takes them."""
        data = self.cleaned_data
        return {"industry_code": data["industry"], "hazard_class_codes": list(data["hazard_classes"]),
                "hazard_factor_ids": list(data["hazard_factors"]),
                "headcount": {role: data[name] for role, name in HEADCOUNT_FIELDS.items()}}

    def hidden_answers(self) -> list[tuple[str, str]]:
        """The same answers as (name, value) pairs, for the assign button's form and the
        "change the answers" link."""
        data = self.cleaned_data
        pairs = [("industry", str(data["industry"]))]
        pairs += [("hazard_classes", str(code)) for code in data["hazard_classes"]]
        pairs += [("hazard_factors", str(pk)) for pk in data["hazard_factors"]]
        pairs += [(name, str(data[name])) for name in HEADCOUNT_FIELDS.values()]
        return pairs

    def field_for(self, name: str) -> str | None:
        """The form field a service refusal is about (None: the whole form)."""
        return name if name in self.fields else None
