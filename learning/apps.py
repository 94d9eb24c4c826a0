from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "learning.enrolment.create": _("安排选课"),
    "learning.hours.export": _("导出学时"),
    "learning.training.assign": _("布置培训"),
    "learning.training.withdraw": _("撤销培训任务"),
    "learning.training.guide": _("按培训清单布置"),
    "learning.compliance.export": _("导出培训合规"),
    "learning.programme.save": _("保存培训项目"),
}


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = _("培训与学时")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core.audit import register_audit_action
        from learning.signals import issue_study_device, training_sync_later

        for action, label in AUDIT_ACTIONS.items():
            register_audit_action(action, label)
        user_logged_in.connect(issue_study_device, dispatch_uid="learning.issue_study_device")
        from orgs.signals import workers_changed

        workers_changed.connect(training_sync_later, dispatch_uid="learning.training_sync_later")

        from core.jobs import JobKind, JobStep, register_job_kind
        from core.models import JobStatus
        from core.nextsteps import register_navigation, register_next_steps
        from learning import nextsteps, nextsteps_employer
        from learning.models import ComplianceExport, StudyHoursExport

        register_job_kind(JobKind(
            name="study-hours", model=StudyHoursExport, failed_status=JobStatus.FAILED,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "learning.tasks.study_hours_export"),),
        ))
        register_job_kind(JobKind(
            name="training-compliance", model=ComplianceExport, failed_status=JobStatus.FAILED,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "learning.tasks.compliance_export"),),
        ))
        register_next_steps("learning", nextsteps.next_steps)
        register_navigation("learning", nextsteps.navigation)
        register_next_steps("learning-employer", nextsteps_employer.next_steps)
        register_navigation("learning-employer", nextsteps_employer.navigation)

        from core.demo import register_seeder
        from learning.demo import seed_demo

        # After exams (30), whose question bank supplies the lesson checks; before surveys (40).
        register_seeder("learning", seed_demo, order=35)
