"""Forms of the learning app: the course page's admin form and the lesson check a worker answers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm

from orgs.models import PostRole


class CoursePageForm(WagtailAdminPageForm):
    """The course's edit form in the Wagtail admin (``CoursePage.base_form_class``).

    ``audience_roles`` is a JSON list in the database (the programmes match on it); editors tick
    the training duties (PostRole values) a course serves instead of typing JSON.
    """

    audience_roles = forms.MultipleChoiceField(
        label=_("面向岗位角色"),
        choices=PostRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("本课程用于哪些岗位的培训（培训计划按此匹配）"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "audience_roles" in self.fields and not self.is_bound:
            # A value no longer among the choices (a role since retired) would make the form
            # refuse to save until the editor noticed it; only known roles are offered back.
            stored = self.initial.get("audience_roles")
            stored = stored if isinstance(stored, list) else []
            self.initial["audience_roles"] = [value for value in stored if value in PostRole.values]

    def clean_audience_roles(self) -> list[str]:
        chosen = set(self.cleaned_data.get("audience_roles") or [])
        # Kept in the catalogue's order, so the same choice is always stored the same way.
        return [value for value in PostRole.values if value in chosen]
