"""The one progress endpoint of every background job (core.jobs), resolved through the scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, JsonResponse

from core.jobs import job_kind
from core.scope import request_scope


@login_required
def job_progress(request: HttpRequest, kind: str, code: str) -> JsonResponse:
    job_type = job_kind(kind)
    if job_type is None:
        raise Http404
    job = request_scope(request).owned_or_404(job_type.model._default_manager.all(), write=job_type.progress_needs_write,
                                              code=code).obj
    return JsonResponse({"status": job.status, "label": job.status_label, "percent": job.progress_percent,
                         "done": job.progress_done, "total": job.progress_total, "running": job.is_running,
                         "message": job.message})
