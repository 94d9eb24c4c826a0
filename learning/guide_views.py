"""The small-employer guide (中小微型企业职业健康管理辅助工具): step 1 asks the questions (a GET form,
so the checklist of step 2 has an address of its own that prints and bookmarks), step 2 shows the
checklist, and its button (a POST) assigns it and goes to the training dashboard.

Access as the employer's other training pages: the employer's admins and superusers; an evaluator
of its region 403; anyone else 404, the same as for an unknown code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.text import safe_parameter
from learning.guide_forms import GuideForm
from learning.services import guide
from learning.services.compliance import today_local
from learning.services.programmes import TrainingError
from orgs.access import employer_or_404
from orgs.models import Employer, PostRole

# A GET carries the answers when it has any of these (the questions were submitted).
ANSWER_KEYS = ("industry", "hazard_classes", "hazard_factors")


def _employer(request: HttpRequest, code: str) -> Employer:
    try:
        return employer_or_404(request, code, write=True).obj
    except PermissionDenied:
        raise PermissionDenied(_("培训清单向导只有本单位管理员可以使用。")) from None


def _dashboard(employer: Employer) -> str:
    try:
        return reverse("learning:training_employer", args=[employer.code])
    except NoReverseMatch:
        # The dashboard's routes are another module's; its documented address until they land.
        return f"/learning/employer/{employer.code}/training/"


def _refused(form: GuideForm, error: TrainingError) -> None:
    form.add_error(form.field_for(error.field), error.message)


def _questions(request: HttpRequest, employer: Employer, form: GuideForm) -> HttpResponse:
    return render(request, "learning/guide/questions.html", {"employer": employer, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def training_guide(request: HttpRequest, code: str) -> HttpResponse:
    employer = _employer(request, code)
    if request.method == "POST":
        return _assign(request, employer)
    if not any(key in request.GET for key in ANSWER_KEYS):
        return _questions(request, employer, GuideForm(initial=guide.guide_initial(employer)))
    form = GuideForm(request.GET)
    if not form.is_valid():
        return _questions(request, employer, form)
    today = today_local()
    try:
        duties = guide.guide_duties(employer=employer, today=today, **form.answers())
    except TrainingError as error:
        _refused(form, error)
        return _questions(request, employer, form)
    if safe_parameter(request.GET.get("step", ""), 4) == "1":
        # "Change the answers": the questions again, filled in as answered.
        return _questions(request, employer, form)
    hidden = form.hidden_answers()
    training = [duty for duty in duties if duty.is_training]
    return render(request, "learning/guide/checklist.html", {
        "employer": employer, "form": form, "duties": duties, "today": today,
        "tasks": [duty for duty in duties if not duty.is_training], "training": training,
        "to_assign": sum(duty.to_assign for duty in training if duty.due_on),
        "hidden": hidden, "edit_query": urlencode([*hidden, ("step", "1")]),
        "chosen_classes": form.class_labels(), "chosen_factors": form.factor_labels(),
        "industry_name": form.industry_label(),
        "counts": [(PostRole(role).label, count) for role, count in form.answers()["headcount"].items()],
    })


def _assign(request: HttpRequest, employer: Employer) -> HttpResponse:
    form = GuideForm(request.POST)
    if not form.is_valid():
        return _questions(request, employer, form)
    try:
        result = guide.guide_assign(actor=request.user, employer=employer, **form.answers())
    except TrainingError as error:
        _refused(form, error)
        return _questions(request, employer, form)
    if result.created:
        messages.success(request, _("已按培训清单布置 %(count)s 项培训任务。") % {"count": result.created})
    else:
        messages.info(request, _("培训清单中的培训都已布置过，没有新的培训任务。"))
    return redirect(_dashboard(employer))
