from tests.conftest import Personas


def test_it_builds_every_persona(personas: Personas) -> None:
    assert personas.worker.employer == personas.employer
    assert personas.worker.exposures.count() == 2
    assert personas.employer.region.code.startswith("3203")
