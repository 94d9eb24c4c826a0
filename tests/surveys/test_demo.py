"""The surveys' demo: made through the services, with strata below and above target."""

from __future__ import annotations

import pytest

from orgs.models import Employer, Region, User
from surveys.demo import seed_demo
from surveys.models import Questionnaire, Response, Stratum, Wave
from tests.factories import EmployerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_employers(db) -> list[Employer]:
    User.objects.create_user(username="editor", is_superuser=True)
    return [
        EmployerFactory(name="徐州矿业", region=Region.objects.get(code="320305"), industry_id="06",
                        size_class=Employer.Size.LARGE),
        EmployerFactory(name="徐州环卫", region=Region.objects.get(code="320303"), industry_id="78",
                        size_class=Employer.Size.SMALL),
        EmployerFactory(name="河源陶瓷", region=Region.objects.get(code="441625"), industry_id="30",
                        size_class=Employer.Size.SMALL),
    ]


def test_the_demo_seeds_waves_with_frames_and_responses_once(demo_employers):
    counts = seed_demo(seed=7)
    assert counts["questionnaires_created"] == 1 and counts["waves_created"] == 3
    assert counts["responses_created"] == Response.objects.count() > 200
    questionnaire = Questionnaire.objects.get()
    assert questionnaire.items.filter(kind="knowledge").count() == 20
    assert set(questionnaire.items.filter(kind="knowledge").values_list("dimension_id", flat=True)) == {
        "law", "protection_knowledge", "protection_skills", "healthy_behaviour"}
    open_waves = [wave for wave in Wave.objects.all() if wave.is_open()]
    assert len(open_waves) == 1 and open_waves[0].region_id == "320300"
    # Every response sits in its stratum, within quota.
    for stratum in Stratum.objects.all():
        assert stratum.responses.count() <= stratum.quota
    assert not Response.objects.filter(stratum__isnull=True).exists()
    # Awareness differs: small employers' exposed workers low, large employers' managers high.
    def aware_share(**filters) -> float:
        rows = list(Response.objects.filter(**filters).values_list("points_earned", "points_possible"))
        return sum(earned >= 0.8 * possible for earned, possible in rows) / len(rows)
    current = open_waves[0]
    low = aware_share(wave=current, group="exposed", employer_size="small")
    high = aware_share(wave=current, group="manager", employer_size="large")
    assert 0.3 < low < 0.7 and high > 0.85, (low, high)
    assert seed_demo(seed=7) == {"questionnaires_created": 0, "waves_created": 0, "responses_created": 0}
