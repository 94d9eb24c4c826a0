"""The learning app's models: courses and the study records (``courses``), and the mandatory
training programmes with their assignments (``programmes``)."""

from learning.models.courses import *  # noqa: F403
from learning.models.courses import __all__ as _courses
from learning.models.courses import study_hours
from learning.models.programmes import *  # noqa: F403
from learning.models.programmes import __all__ as _programmes

__all__ = [*_courses, *_programmes, "study_hours"]
