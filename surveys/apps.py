from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "surveys.questionnaire.create": _("创建调查问卷"),
    "surveys.questionnaire.edit": _("修改调查问卷"),
    "surveys.questionnaire.import": _("导入 XLSForm 问卷"),
    "surveys.questionnaire.export": _("导出 XLSForm 问卷"),
    "surveys.wave.create": _("创建调查轮次"),
    "surveys.wave.edit": _("修改调查轮次"),
    "surveys.frame.import": _("导入抽样框"),
    "surveys.paper.import": _("录入纸质问卷"),
    "surveys.tokens.issue": _("发放答题码"),
    "surveys.link.create": _("生成调查链接"),
    "surveys.target.create": _("添加指标目标"),
    "surveys.target.edit": _("修改指标目标"),
    "surveys.indicator.create": _("添加指标"),
    "surveys.indicator.edit": _("修改指标"),
    "surveys.awareness.export": _("导出知晓率结果"),
}


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("知晓率调查")

    def ready(self) -> None:
        from core.audit import register_audit_action
        from core.demo import register_seeder
        from core.jobs import JobKind, JobStep, register_job_kind
        from core.models import JobStatus
        from core.nextsteps import register_navigation, register_next_steps
        from surveys import nextsteps
        from surveys.demo import seed_demo
        from surveys.models import AwarenessExport, SurveyImport

        for action, label in AUDIT_ACTIONS.items():
            register_audit_action(action, label)
        register_job_kind(JobKind(
            name="survey-import", model=SurveyImport, failed_status=JobStatus.FAILED, progress_needs_write=False,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "surveys.tasks.survey_import"),),
        ))
        register_job_kind(JobKind(
            name="awareness-export", model=AwarenessExport, failed_status=JobStatus.FAILED, progress_needs_write=False,
            steps=(JobStep(JobStatus.QUEUED, JobStatus.RUNNING, "surveys.tasks.awareness_export"),),
        ))
        register_next_steps("surveys", nextsteps.next_steps)
        register_navigation("surveys", nextsteps.navigation)
        register_seeder("surveys", seed_demo, order=40)
