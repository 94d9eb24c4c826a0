"""Forms of the evaluator's wave pages. They only parse what was typed; every rule about a wave
(its period, its region within the evaluator's, who may change it) is surveys.services.waves'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.scope import Scope
from orgs.models import PostRole, Region
from surveys.models import Questionnaire, Wave

# datetime-local sends "2025-06-01T08:00"; the plain spelling is accepted for hand-typed values.
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
# The help text of TokenIssueForm.count says 500: keep them together.
MAX_TOKENS_PER_BATCH = 500


def regions_for(scope: Scope) -> QuerySet[Region]:
    """The regions a wave may be placed in: the evaluator's region subtrees (all for superusers)."""
    regions = Region.objects.order_by("code")
    if scope.is_superuser:
        return regions
    condition = Q(pk__in=[])
    for prefix in scope.region_prefixes:
        condition |= Q(code__startswith=prefix)
    return regions.filter(condition)


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Indented by level, so a province's cities and counties read as a tree in the list.
        return "\u3000" * (obj.level - 1) + f"{obj.name}（{obj.code}）"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class WaveForm(forms.Form):
    questionnaire = forms.ModelChoiceField(label=_("问卷"), queryset=Questionnaire.objects.none(),
                                           empty_label=_("请选择问卷"))
    title = forms.CharField(label=_("名称"), max_length=120,
                            help_text=_("例如：2025 年徐州市重点人群职业健康知识知晓率调查"))
    region = RegionChoiceField(label=_("调查地区"), queryset=Region.objects.none(), empty_label=_("请选择地区"))
    opens_at = forms.DateTimeField(label=_("开始时间"), input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    closes_at = forms.DateTimeField(label=_("结束时间"), input_formats=DATETIME_FORMATS, widget=DateTimeLocalInput())
    groups = forms.MultipleChoiceField(label=_("重点人群"), choices=PostRole.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("不选表示所有人群"))
    open_link = forms.BooleanField(label=_("公开链接可答"), required=False,
                                   help_text=_("关闭后只接受登录的劳动者或一次性答题码；开启时每部手机一份"))

    def __init__(self, *args: Any, scope: Scope, wave: Wave | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        if wave is not None and "initial" not in kwargs:
            kwargs["initial"] = {"questionnaire": wave.questionnaire_id, "title": wave.title,
                                 "region": wave.region_id, "opens_at": wave.opens_at, "closes_at": wave.closes_at,
                                 "groups": list(wave.groups), "open_link": wave.open_link}
        elif wave is None:
            kwargs.setdefault("initial", {"open_link": True})
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = Questionnaire.objects.order_by("title")  # type: ignore[attr-defined]
        regions = regions_for(scope)
        if wave is not None:
            # A wave over a larger area than the evaluator's keeps its region in the list, so the
            # form still shows it; wave_save refuses the change for a read-only reach.
            regions = regions | Region.objects.filter(pk=wave.region_id)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]

    def apply(self, wave: Wave) -> Wave:
        data = self.cleaned_data
        wave.questionnaire = data["questionnaire"]
        wave.title = data["title"].strip()
        wave.region = data["region"]
        wave.opens_at = data["opens_at"]
        wave.closes_at = data["closes_at"]
        # Kept in PostRole's order, whatever order the boxes came in.
        wave.groups = [value for value in PostRole.values if value in data["groups"]]
        wave.open_link = bool(data["open_link"])
        return wave


class TokenIssueForm(forms.Form):
    count = forms.IntegerField(label=_("答题码数量"), min_value=1, max_value=MAX_TOKENS_PER_BATCH, initial=50,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                               help_text=_("每张答题码只能提交一份答卷，一次最多 500 张"))
    link = forms.ChoiceField(label=_("答题链接"), required=False,
                             help_text=_("选择单位链接时，答卷自动记入该单位的地区、行业和规模"))

    def __init__(self, *args: Any, links: list[tuple[str, str]], general: bool, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        field = self.fields["link"]
        if general:
            field.choices = [("", _("总链接（不限单位）")), *links]  # type: ignore[attr-defined]
        else:
            # An evaluator of a part of a larger wave prints codes for their employers' links only:
            # a code on the general link belongs to no region, and would be counted in no one's part.
            field.required = True
            field.choices = [("", _("请选择单位链接")), *links]  # type: ignore[attr-defined]
            field.error_messages["required"] = _("请选择所辖单位的链接；没有时先在“链接和二维码”页为单位生成链接。")
