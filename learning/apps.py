from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "learning.enrolment.create": _("安排选课"),
    "learning.hours.export": _("导出学时"),
}


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = _("培训与学时")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core.audit import register_audit_action
        from learning.signals import issue_study_device

        for action, label in AUDIT_ACTIONS.items():
            register_audit_action(action, label)
        user_logged_in.connect(issue_study_device, dispatch_uid="learning.issue_study_device")

        from core.jobs import JobKind, JobStep, register_job_kind
        from core.models import JobStatus
        from core.nextsteps import register_navigation, register_next_steps
        from learning import nextsteps, nextsteps_employer
        from learning.models import StudyHoursExport

        register_job_kind(JobKind(
            name="study-hours", model=StudyHoursExport, failed_status=JobStatus.FAILED,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "learning.tasks.study_hours_export"),),
        ))
        register_next_steps("learning", nextsteps.next_steps)
        register_navigation("learning", nextsteps.navigation)
        register_next_steps("learning-employer", nextsteps_employer.next_steps)
        register_navigation("learning-employer", nextsteps_employer.navigation)

        from core.demo import register_seeder
        from learning.demo import seed_demo

        # After exams (30), whose question bank supplies the lesson checks; before surveys (40).
        register_seeder("learning", seed_demo, order=35)
