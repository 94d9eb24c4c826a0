from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "exams.question.create": _("添加试题"),
    "exams.question.edit": _("修改试题"),
    "exams.bank.import": _("导入题库"),
    "exams.category.create": _("添加题库分类"),
    "exams.category.edit": _("修改题库分类"),
    "exams.bank.export": _("导出题库"),
    "exams.exam.create": _("创建考试"),
    "exams.exam.edit": _("修改考试"),
    "exams.exam.assign": _("安排考试"),
    "exams.exam.unassign": _("取消考试安排"),
    "exams.exam.override": _("个人考试设置"),
    "exams.certificate.revoke": _("撤销证书"),
    "exams.results.export": _("导出考试成绩"),
}


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("考试与证书")

    def ready(self) -> None:
        from core.audit import register_audit_action
        from core.demo import register_seeder
        from core.jobs import JobKind, JobStep, register_job_kind
        from core.models import JobStatus
        from core.nextsteps import register_navigation, register_next_steps
        from exams import nextsteps
        from exams.demo import seed_demo
        from exams.models import Certificate, ExamJob, ResultsExport

        for action, label in AUDIT_ACTIONS.items():
            register_audit_action(action, label)
        register_job_kind(JobKind(
            name="exam-job", model=ExamJob, failed_status=JobStatus.FAILED,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "exams.tasks.exam_job"),),
        ))
        register_job_kind(JobKind(
            name="certificate", model=Certificate, failed_status=JobStatus.FAILED, progress_needs_write=False,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "exams.tasks.certificate_render"),),
        ))
        register_job_kind(JobKind(
            name="exam-results", model=ResultsExport, failed_status=JobStatus.FAILED,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "exams.tasks.results_export"),),
        ))
        register_seeder("exams", seed_demo, order=30)
        register_next_steps("exams", nextsteps.next_steps)
        register_navigation("exams", nextsteps.navigation)
