from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    "orgs.employer.create": _("登记用人单位"),
    "orgs.employer.edit": _("修改用人单位"),
    "orgs.worker.create": _("添加劳动者"),
    "orgs.worker.deactivate": _("设为离职"),
    "orgs.worker.reactivate": _("恢复在岗"),
    "orgs.worker.password_reset": _("重置密码"),
    "orgs.worker.activate": _("激活账号"),
    "orgs.activation_code.issue": _("生成激活码"),
    "orgs.activation_codes.issue": _("批量生成激活码"),
    "orgs.employer_admin.grant": _("授予单位管理员"),
    "orgs.evaluator.grant": _("授予评估人员"),
    "orgs.user.create": _("创建账号"),
    "orgs.user.edit": _("修改账号"),
    "orgs.roster.upload": _("上传花名册"),
    "orgs.roster.check": _("检查花名册"),
    "orgs.roster.confirm": _("确认导入花名册"),
    "orgs.roster.import": _("导入花名册"),
    "orgs.roster.export": _("导出花名册"),
    "orgs.roster.purge": _("清除过期上传文件"),
    "orgs.transfer.request": _("调入申请"),
    "orgs.transfer.join": _("调入"),
    "orgs.transfer.confirm": _("本人确认调入"),
    "orgs.transfer.decline": _("本人拒绝调入"),
    "orgs.transfer.released": _("原单位离职后调入"),
}


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = _("单位与人员")

    def ready(self) -> None:
        from core.audit import register_audit_action
        from core.demo import register_seeder
        from core.jobs import JobKind, JobStep, register_job_kind
        from core.nextsteps import register_navigation, register_next_steps
        from core.sessions import read_with_user
        from orgs import access, selectors
        from orgs.demo import seed_demo
        from orgs.models import RosterImport, Worker

        access.register_roles()
        # A worker's own pages and the heartbeat ask for it on nearly every signed-in request.
        read_with_user(Worker)
        register_next_steps("orgs", selectors.next_steps)
        register_navigation("orgs", selectors.navigation)
        for action, label in AUDIT_ACTIONS.items():
            register_audit_action(action, label)
        status = RosterImport.Status
        register_job_kind(JobKind(
            name="roster-import", model=RosterImport, failed_status=status.FAILED,
            steps=(JobStep(status.UPLOADED, status.CHECKING, "orgs.tasks.roster_import_check"),
                   JobStep(status.CHECKED, status.IMPORTING, "orgs.tasks.roster_import_commit")),
        ))
        register_seeder("orgs", seed_demo, order=10)
