"""Training programmes in the Wagtail admin: editors add and change them through the programme
service (its refusals land on the form), statutory programmes keep their role, kind and the law's
minimum hours, nobody deletes one, and the assignments are read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from learning.models import Programme, TrainingAssignment
from orgs.models import PostRole
from tests.learning.helpers import make_course

pytestmark = pytest.mark.django_db


def _form(**values: Any) -> dict[str, Any]:
    data = {"name": "粉尘作业人员专项培训", "code": "dust-special", "role": PostRole.EXPOSED, "kind": "pre_job",
            "required_hours": "4", "due_days": "30", "legal_basis": "", "is_active": "on"}
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


def test_an_editor_adds_a_programme_with_its_courses(personas: Any) -> None:
    course = make_course(["reading"], audience_roles=[PostRole.EXPOSED])
    client = personas.client(personas.editor)
    response = client.post(reverse("programmes:add"), _form(courses=[course.pk], hazard_classes=["dust"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = Programme.objects.get(code="dust-special")
    assert list(programme.courses.all()) == [course] and list(programme.hazard_classes.values_list("pk", flat=True)) == ["dust"]
    assert ModelLogEntry.objects.filter(action="learning.programme.save", object_id=str(programme.pk)).exists()


def test_a_course_for_another_role_is_refused_on_the_form(personas: Any) -> None:
    course = make_course(["reading"], audience_roles=[PostRole.PRINCIPAL], title="主要负责人法规课")
    response = personas.client(personas.editor).post(reverse("programmes:add"), _form(courses=[course.pk]))
    assert response.status_code == 200
    assert "不面向接害劳动者" in response.content.decode()
    assert not Programme.objects.filter(code="dust-special").exists()


def test_statutory_programmes_keep_their_role_kind_and_minimum_hours(personas: Any) -> None:
    programme = Programme.objects.get(code="exposed-pre-job")
    client = personas.client(personas.editor)
    url = reverse("programmes:edit", args=[programme.pk])
    base = _form(name=programme.name, code=programme.code, kind=programme.kind, legal_basis=programme.legal_basis,
                 auto_assign="on")
    assert "不能调低" in client.post(url, {**base, "required_hours": "6"}).content.decode()
    assert "不能修改" in client.post(url, {**base, "required_hours": "8", "role": PostRole.OTHER}).content.decode()
    assert client.post(url, {**base, "required_hours": "10"}).status_code == 302
    programme.refresh_from_db()
    assert programme.required_hours == 10 and programme.statutory


def test_nobody_deletes_a_programme_and_assignments_are_read_only(personas: Any) -> None:
    programme = Programme.objects.get(code="exposed-pre-job")
    for user in (personas.editor, personas.superuser):
        client = personas.client(user)
        assert client.post(reverse("programmes:delete", args=[programme.pk])).status_code in (302, 403)
        assert Programme.objects.filter(pk=programme.pk).exists()
        assert client.get(reverse("training_assignments:index")).status_code == 200
        assert client.get(reverse("training_assignments:add")).status_code in (302, 403)
    assert not TrainingAssignment.objects.exists()


def test_people_outside_the_editorial_groups_do_not_reach_the_programmes(personas: Any) -> None:
    for user in (personas.worker_user, personas.employer_admin, personas.evaluator, personas.outsider):
        response = personas.client(user).get(reverse("programmes:index"))
        assert response.status_code in (302, 403)
