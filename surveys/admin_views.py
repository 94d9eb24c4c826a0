"""Questionnaire admin pages beyond the generic ones: take knowledge items from the exam bank, and
copy a questionnaire (how a frozen one gets a new version). Both need the questionnaire's
"change" (editors, superusers) and only call surveys.services.questionnaires; surveys.wagtail_hooks
mounts them in the questionnaire viewset's URLs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from core.errors import ServiceError
from exams.models import Question
from surveys.forms_admin import BankPickFilterForm
from surveys.models import Questionnaire
from surveys.services.questionnaires import questionnaire_add_questions, questionnaire_copy

BANK_PAGE_SIZE = 50


class _QuestionnaireView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    model = Questionnaire
    permission_required = "change"
    header_icon = "form"
    index_url_name = ""
    edit_url_name = ""

    @cached_property
    def questionnaire(self) -> Questionnaire:
        return get_object_or_404(Questionnaire, pk=self.kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.questionnaire)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items,
                {"url": reverse(self.index_url_name), "label": _("调查问卷")},
                {"url": reverse(self.edit_url_name, args=[self.questionnaire.pk]), "label": str(self.questionnaire)},
                {"url": "", "label": str(self.page_title)}]

    def edit_url(self, questionnaire: Questionnaire) -> str:
        return reverse(self.edit_url_name, args=[questionnaire.pk])


class BankPickView(_QuestionnaireView):
    """从题库选题: active bank questions, searched by stem and filtered by category, ticked and
    added as knowledge items (their bank version kept)."""

    template_name = "surveys/admin/bank_pick.html"
    page_title = gettext_lazy("从题库选题")

    def questions(self, form: BankPickFilterForm) -> QuerySet[Question]:
        questions = Question.objects.filter(is_active=True, current_version__isnull=False).select_related(
            "category", "dimension").order_by("category__path", "pk")
        if form.is_valid():
            text = form.cleaned_data.get("q") or ""
            if text.strip():
                questions = questions.filter(stem__icontains=text.strip())
            category = form.cleaned_data.get("category")
            if category is not None:
                questions = questions.filter(Q(category__path=category.path)
                                             | Q(category__path__startswith=category.path + "/"))
        return questions

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = BankPickFilterForm(self.request.GET or None)
        page = Paginator(self.questions(form), BANK_PAGE_SIZE).get_page(self.request.GET.get("p"))
        taken = set(self.questionnaire.items.filter(source_version__isnull=False).values_list(
            "source_version__question_id", flat=True))
        context.update(questionnaire=self.questionnaire, form=form, page=page, taken=taken,
                       edit_url=self.edit_url(self.questionnaire), query=self.request.GET.urlencode())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ids = [int(value) for value in request.POST.getlist("questions") if value.isdigit()]
        questions = list(Question.objects.filter(pk__in=ids, is_active=True).order_by("category__path", "pk"))
        if not questions:
            messages.error(request, _("请勾选要加入问卷的试题"))
            return HttpResponseRedirect(request.get_full_path())
        try:
            added = questionnaire_add_questions(actor=request.user, questionnaire=self.questionnaire,
                                                questions=questions)
        except ServiceError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())
        if added:
            messages.success(request, _("已加入 %(count)s 道知识题，请检查分值和素养维度") % {"count": len(added)})
        else:
            messages.info(request, _("勾选的试题都已在问卷中"))
        return HttpResponseRedirect(self.edit_url(self.questionnaire))


class QuestionnaireCopyView(_QuestionnaireView):
    """A confirmation, then a copy with its own form_id, opened for editing."""

    permission_required = "add"
    template_name = "surveys/admin/questionnaire_copy.html"
    page_title = gettext_lazy("复制问卷")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(questionnaire=self.questionnaire, items=self.questionnaire.items.count(),
                       edit_url=self.edit_url(self.questionnaire))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            copy = questionnaire_copy(actor=request.user, questionnaire=self.questionnaire)
        except ServiceError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.path)
        messages.success(request, _("已复制为“%(title)s”（表单代码 %(form_id)s），可在副本中修改计分内容") % {
            "title": copy.title, "form_id": copy.form_id})
        return HttpResponseRedirect(self.edit_url(copy))
