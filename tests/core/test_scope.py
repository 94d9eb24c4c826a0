"""The request's scope: roles from every app's provider, and one resolver for owned objects that
answers another tenant's objects exactly like unknown ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from champions.models import ChampionReviewer
from core.scope import Reach, scope_for
from orgs.models import Employer, Region, RosterImport, Worker
from tests.conftest import Personas
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_names_every_role_the_apps_register(personas: Personas) -> None:
    reviewer = UserFactory(username="county-reviewer")
    ChampionReviewer.objects.create(user=reviewer, region=Region.objects.get(code="320305"))
    assert scope_for(personas.worker_user).roles == {"worker"}
    assert scope_for(personas.employer_admin).roles == {"employer_admin"}
    assert scope_for(personas.evaluator).roles == {"evaluator"}
    assert scope_for(personas.editor).roles == {"editor"}
    assert scope_for(personas.reviewer).roles == {"reviewer"}
    assert "superuser" in scope_for(personas.superuser).roles
    scope = scope_for(reviewer)
    assert scope.roles == {"champion_reviewer"}
    assert scope.review_regions == (("320305", 3),)
    assert scope_for(None).roles == frozenset()


def test_it_resolves_owned_objects_by_reach(personas: Personas) -> None:
    workers = Worker.objects.all()
    code = personas.worker.code
    assert scope_for(personas.employer_admin).owned_or_404(workers, write=True, code=code).reach is Reach.EMPLOYER
    own = scope_for(personas.worker_user).owned_or_404(workers, code=code)
    assert own.reach is Reach.OWNER and own.sees_raw and not own.can_write
    region = scope_for(personas.evaluator).owned_or_404(workers, code=code)
    assert region.reach is Reach.REGION and not region.sees_raw
    with pytest.raises(PermissionDenied):
        scope_for(personas.evaluator).owned_or_404(workers, write=True, code=code)
    with pytest.raises(PermissionDenied):
        scope_for(personas.worker_user).owned_or_404(workers, write=True, code=code)


@pytest.mark.parametrize("code", ["unknown-code", "bad\x00code", ""])
def test_it_answers_another_tenants_objects_like_unknown_ones(personas: Personas, code: str) -> None:
    roster_import = RosterImport.objects.create(employer=personas.employer, original_name="x.xlsx")
    outsider = scope_for(personas.outsider)
    for queryset, known in ((Employer.objects.all(), personas.employer.code),
                            (Worker.objects.all(), personas.worker.code),
                            (RosterImport.objects.all(), roster_import.code)):
        for lookup in (known, code):
            for write in (False, True):
                with pytest.raises(Http404):
                    outsider.owned_or_404(queryset, write=write, code=lookup)
        assert not outsider.filter(queryset).filter(code=known).exists()


def test_it_filters_querysets_for_each_reach(personas: Personas) -> None:
    assert set(scope_for(personas.evaluator).filter(Employer.objects.all())) == {personas.employer}
    assert set(scope_for(personas.outsider).filter(Employer.objects.all())) == {personas.other_employer}
    assert set(scope_for(personas.worker_user).filter(Worker.objects.all())) == {personas.worker}
    assert set(scope_for(personas.evaluator).filter(Worker.objects.all(), write=True)) == set()
    assert scope_for(personas.superuser).filter(Employer.objects.all()).count() == Employer.objects.count()
    assert not scope_for(None).filter(Employer.objects.all()).exists()
