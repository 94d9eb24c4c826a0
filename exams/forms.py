from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from exams.services.practice import PRACTICE_SIZE, PracticeChoice

SIZES = (5, 10, 20, 30, 50)
ORDERS = [("sequential", _("顺序练习")), ("random", _("随机练习")), ("wrong", _("错题本"))]


class PracticeForm(forms.Form):
    """What to practise. The dimension and hazard class are chosen from lists given as choices,
    so a value from the request is matched against them and never sent to the database."""

    order = forms.ChoiceField(label=_("练习方式"), widget=forms.RadioSelect, initial="sequential", choices=ORDERS)
    dimension = forms.ChoiceField(label=_("素养维度"), required=False)
    hazard_class = forms.ChoiceField(label=_("危害因素类别"), required=False)
    size = forms.TypedChoiceField(label=_("每组题数"), coerce=int, initial=PRACTICE_SIZE, required=False,
                                  empty_value=None, choices=[(size, str(size)) for size in SIZES])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from orgs.models import HazardClass, LiteracyDimension

        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        everything: list[tuple[str, Any]] = [("", _("不限"))]
        cast(forms.ChoiceField, self.fields["dimension"]).choices = everything + list(
            LiteracyDimension.objects.values_list("code", "name"))
        cast(forms.ChoiceField, self.fields["hazard_class"]).choices = everything + list(
            HazardClass.objects.values_list("code", "name"))
        # The page offers 顺序 and 随机 here; the 错题本 has its own button.
        self.fields["order"].widget.choices = ORDERS[:2]

    def choice(self) -> PracticeChoice:
        data = self.cleaned_data
        return PracticeChoice(order=data["order"], dimension=data.get("dimension") or "",
                              hazard_class=data.get("hazard_class") or "", size=data.get("size") or PRACTICE_SIZE)
