from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from orgs.services.roster import clean_phone


class PhoneLoginForm(AuthenticationForm):
    """Workers sign in with their mobile number; staff with their username."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("手机号或用户名")
        self.fields["username"].widget.attrs.update({"inputmode": "text", "autocomplete": "username"})

    def clean_username(self) -> str:
        # Workers' usernames are phones as the roster import cleans them, so every spelling the
        # import accepts (+86, spaces, brackets, full-width digits) must log in too; the folded
        # name is also what django-axes counts failures under, so spellings share one lockout.
        # Anything that is not a phone is a staff username: only the ends are trimmed.
        username = self.cleaned_data.get("username", "")
        try:
            return clean_phone(username)
        except ValueError:
            return username.strip()


class ActivationForm(forms.Form):
    phone = forms.CharField(label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    code = forms.CharField(label=_("激活码"), max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}))
    password1 = forms.CharField(label=_("设置密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("再次输入密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        elif data.get("password1"):
            try:
                password_validation.validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("花名册文件（.xlsx 或 .csv）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
