"""Wagtail admin pieces every app uses so that the admin writes through the services.

- ``ServiceCreateView`` / ``ServiceEditView``: the generic model views, saving through the action
  registered for the model (``wagtail.actions.action_registry``, hook ``register_actions``), whose
  ``execute`` calls the app's service. A ``ServiceError`` becomes a message on the form, on the
  field it names.
- ``ReadOnlyPermissionPolicy``: for records that only services write (background jobs, logs):
  the admin lists and inspects them, nobody adds, edits or deletes them there.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from wagtail.admin.views import generic
from wagtail.permission_policies import ModelPermissionPolicy

from core.errors import ServiceError

READ_ACTIONS = {"view"}


class _ServiceFormMixin:
    form: Any

    def save_instance(self) -> Any:
        action = self.action_class(self.form.instance, user=self.request.user, form=self.form)  # type: ignore[attr-defined]
        return action.execute(skip_permission_checks=True)

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ServiceError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
            self.produced_error_code = "validation_error"  # read by the generic view's form_invalid
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return self.form_invalid(form)  # type: ignore[attr-defined]


class ServiceCreateView(_ServiceFormMixin, generic.CreateView):
    pass


class ServiceEditView(_ServiceFormMixin, generic.EditView):
    pass


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission(self, user: Any, action: str) -> bool:
        if action not in READ_ACTIONS:
            return False
        return bool(user.is_active and user.is_superuser) or super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        return self.user_has_permission(user, action)

    def users_with_any_permission(self, actions: Any) -> Any:
        readable = [action for action in actions if action in READ_ACTIONS]
        if not readable:
            return get_user_model().objects.none()
        return super().users_with_any_permission(readable)
