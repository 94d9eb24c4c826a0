"""Certificates: issued on a pass of a certifying exam, rendered (PNG and PDF, CJK font, QR to the
public verify page), verified in public with the holder's consent, revoked with a reason and
never deleted; the holder's page and files answer nobody else."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse
from PIL import Image
from wagtail.models import ModelLogEntry

from core.models import JobStatus, Notification
from exams.models import Attempt, Certificate
from exams.services import certificates as services
from exams.services.attempts import answer_save, attempt_open, attempt_start, attempt_submit, mock_start
from exams.services.certificates import (
    CertificateError,
    CertificateFontMissing,
    certificate_consent_set,
    certificate_render,
    certificate_render_retry,
    certificate_revoke,
    certificate_verify,
)
from tests.exams.helpers import answer_key, make_bank, make_exam

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The certificate fields' storage was built at start-up: point it at a folder of this test."""
    storage = Certificate._meta.get_field("png").storage  # type: ignore[union-attr]
    monkeypatch.setattr(storage, "location", str(tmp_path))
    return tmp_path


def sit(worker: Any, exam: Any, *, correct: bool = True, mode: str = "exam") -> Attempt:
    attempt = mock_start(worker=worker, exam=exam) if mode == "mock" else attempt_start(worker=worker, exam=exam)
    token = attempt_open(attempt=attempt)
    for position, key in answer_key(attempt).items():
        wrong = "A" if key != "A" else "B"
        if key in ("对", "错"):
            wrong = "错" if key == "对" else "对"
        answer_save(attempt=attempt, device_token=token, position=position, response=key if correct else wrong)
    return attempt_submit(attempt=attempt)


@pytest.fixture
def certified(personas: Any, django_capture_on_commit_callbacks: Any) -> Certificate:
    """王工 passed a certifying exam; the certificate is rendered (eager Celery, after commit)."""
    make_bank(12)
    exam = make_exam(workers=[personas.worker], attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = sit(personas.worker, exam)
    certificate = Certificate.objects.get(attempt=attempt)
    assert certificate.status == JobStatus.DONE, certificate.message
    return certificate


# -- issuing and rendering -----------------------------------------------------------------------

def test_a_pass_of_a_certifying_exam_renders_png_and_pdf(personas: Any, certified: Certificate) -> None:
    certificate = certified
    assert certificate.holder_name == "王工"
    assert certificate.employer_name == personas.employer.name and certificate.employer_id == personas.employer.pk
    masked = certificate.holder_id_masked
    assert masked[:6] == personas.worker.id_number[:6] and masked[-4:] == personas.worker.id_number[-4:]
    assert "*" in masked and personas.worker.id_number not in masked
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{12}", certificate.verification)

    with certificate.png.open("rb") as stream:
        image = Image.open(io.BytesIO(stream.read()))
        image.load()
    assert image.format == "PNG" and image.size == (services.WIDTH, services.HEIGHT) == (2480, 1754)
    assert round(image.info["dpi"][0]) == 212
    with certificate.pdf.open("rb") as stream:
        pdf = stream.read()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    media_box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert media_box is not None  # A4 landscape: 297 × 210 mm = 841.9 × 595.3 pt
    assert abs(float(media_box[1]) - 841.9) < 1 and abs(float(media_box[2]) - 595.3) < 1

    note = Notification.objects.get(recipient=personas.worker_user, key=f"certificate:{certificate.verification}")
    assert note.url == reverse("exams:certificate", args=[certificate.verification])


def test_the_page_prints_the_qr_code_of_the_absolute_verify_address(certified: Certificate) -> None:
    with override_settings(WAGTAILADMIN_BASE_URL="https://training.example.cn/"):
        text = services.certificate_text(certified)
        image = services.certificate_image(text)
    assert text.verify_url == f"https://training.example.cn/verify/{certified.verification}/"
    values = dict((key, value) for key, _label, value in text.fields)
    assert values["name"] == "王工" and values["hours"] == "8 学时" and values["id"] == certified.holder_id_masked
    assert values["exam"] == certified.exam_title and values["employer"] == certified.employer_name
    assert "-".join([certified.verification[:4], certified.verification[4:8], certified.verification[8:]]) in text.code_line
    qr = services._qr_image(text.verify_url)
    left, top = services.QR_RIGHT - qr.width, services.QR_BOTTOM - qr.height
    assert image.crop((left, top, services.QR_RIGHT, services.QR_BOTTOM)).tobytes() == qr.tobytes()


def test_no_certificate_for_a_fail_a_non_certifying_exam_or_a_mock(personas: Any,
                                                                     django_capture_on_commit_callbacks: Any) -> None:
    make_bank(12)
    certifying = make_exam(workers=[personas.worker])
    plain = make_exam(workers=[personas.worker], certifies=False)
    with django_capture_on_commit_callbacks(execute=True):
        failed = sit(personas.worker, certifying, correct=False)
        passed_plain = sit(personas.worker, plain)
        mock = sit(personas.worker, certifying, mode="mock")
    assert not failed.passed and passed_plain.passed and mock.passed
    assert not Certificate.objects.exists()
    with pytest.raises(CertificateError):
        services.certificate_issue(attempt=mock)


def test_a_second_pass_issues_no_second_certificate_but_a_pass_after_revocation_does(
        personas: Any, certified: Certificate, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        again = sit(personas.worker, certified.exam)
    assert again.passed and Certificate.objects.filter(worker=personas.worker).count() == 1
    certificate_revoke(actor=personas.employer_admin, certificate=certified, reason="代考")
    with django_capture_on_commit_callbacks(execute=True):
        third = sit(personas.worker, certified.exam)
    assert Certificate.objects.filter(worker=personas.worker).count() == 2
    assert Certificate.objects.get(attempt=third).is_valid


def test_rendering_twice_renders_once(certified: Certificate) -> None:
    names = (certified.png.name, certified.pdf.name)
    assert certificate_render(certificate_id=certified.pk) is False
    certified.refresh_from_db()
    assert (certified.png.name, certified.pdf.name) == names


def test_a_failed_rendering_keeps_nothing_and_can_be_retried(personas: Any, monkeypatch: pytest.MonkeyPatch,
                                                             private_files: Path,
                                                             django_capture_on_commit_callbacks: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(services, "certificate_files", broken)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = sit(personas.worker, exam)  # the grading page does not fail with the rendering
    certificate = Certificate.objects.get(attempt=attempt)
    assert certificate.status == JobStatus.FAILED and "证书生成失败" in certificate.message
    assert not certificate.png and not list(private_files.rglob("*.png"))
    assert not Notification.objects.filter(key=f"certificate:{certificate.verification}").exists()

    monkeypatch.undo()
    monkeypatch.setattr(Certificate._meta.get_field("png").storage, "location", str(private_files))  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        assert certificate_render_retry(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.status == JobStatus.DONE and certificate.png and certificate.pdf
    assert not certificate_render_retry(certificate=certificate)  # nothing to retry now


def test_a_missing_font_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services._fonts_for.cache_clear()
    try:
        with override_settings(CERTIFICATE_FONT=str(tmp_path / "nope.ttf")), pytest.raises(CertificateFontMissing) as bad:
            services.certificate_fonts()
        assert "CERTIFICATE_FONT" in str(bad.value) and "nope.ttf" in str(bad.value)
        assert isinstance(bad.value, ImproperlyConfigured)
        monkeypatch.setattr(services, "FONT_DIRS", (str(tmp_path),))
        with override_settings(CERTIFICATE_FONT=""), pytest.raises(CertificateFontMissing) as none:
            services.certificate_fonts()
        assert "fonts-noto-cjk" in str(none.value) and "CERTIFICATE_FONT" in str(none.value)
    finally:
        services._fonts_for.cache_clear()


def test_the_noto_cjk_fonts_are_found_with_their_chinese_face() -> None:
    services._fonts_for.cache_clear()
    with override_settings(CERTIFICATE_FONT="", CERTIFICATE_FONT_BOLD=""):
        fonts = services.certificate_fonts()
    assert "NotoS" in fonts.regular.path and "CJK" in fonts.regular.path
    face = services._font(fonts.regular.path, fonts.regular.index, 20)
    assert (face.getname()[0] or "").endswith("SC")
    assert "Bold" in fonts.bold.path or fonts.bold.path == fonts.regular.path
    services._fonts_for.cache_clear()


def test_long_values_wrap_and_never_leave_the_page(certified: Certificate) -> None:
    certified.employer_name = "徐州市" + "某某煤矿机械制造与安全技术服务" * 6 + "有限公司"
    certified.exam_title = "主要负责人及职业卫生管理人员" * 6
    certified.holder_name = "阿卜杜热合曼·艾合买提江·买买提依明·阿不都热依木"
    text = services.certificate_text(certified)
    fonts = services.certificate_fonts()
    body = services._font(fonts.regular.path, fonts.regular.index, services.SIZE_BODY)
    lines = services._wrap(certified.employer_name, body, 1200, 2)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(body.getlength(line) <= 1200 for line in lines)
    image = services.certificate_image(text)
    assert image.size == (2480, 1754)


# -- verification ----------------------------------------------------------------------------------

def test_verify_states_and_consent(personas: Any, certified: Certificate) -> None:
    code = certified.verification
    valid = certificate_verify(verification=code)
    assert valid.state == "valid" and valid.holder_name == "王工" and valid.employer_name == ""
    assert valid.exam_title == certified.exam_title and valid.issued_on == certified.issued_on

    certificate_consent_set(worker=personas.worker, certificate=certified, show_name=False, show_employer=True)
    shown = certificate_verify(verification=code)
    assert shown.holder_name == "" and shown.employer_name == personas.employer.name
    with pytest.raises(CertificateError) as not_holder:
        certificate_consent_set(worker=personas.other_worker, certificate=certified, show_name=True, show_employer=True)
    assert not_holder.value.code == "not_holder"

    spaced = f" {code[:4].lower()}-{code[4:8]} {code[8:]} "
    assert certificate_verify(verification=spaced).state == "valid"
    for bad in ["", "ABCDEFGHJKLM", "x" * 500, "'; DROP TABLE exams_certificate; --", "\x00", None, code[:-1]]:
        unknown = certificate_verify(verification=bad)
        assert unknown.state == "unknown" and not unknown.found
        assert (unknown.holder_name, unknown.exam_title, unknown.issued_on) == ("", "", None)

    certificate_revoke(actor=personas.employer_admin, certificate=certified, reason="考试由他人代考")
    revoked = certificate_verify(verification=code)
    assert revoked.state == "revoked" and revoked.revoked_on is not None
    assert "代考" not in repr(revoked)


def test_the_public_verify_page(personas: Any, certified: Certificate) -> None:
    anonymous = personas.client(None)
    code = certified.verification
    page = anonymous.get(reverse("exams:verify", args=[code]))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-state="valid"' in body and "王工" in body
    assert certified.employer_name not in body and certified.holder_id_masked not in body
    assert "noindex" in page["X-Robots-Tag"] and '<meta name="robots" content="noindex' in body
    assert "no-store" in page["Cache-Control"]

    canonical = anonymous.get(reverse("exams:verify", args=[f"{code[:4].lower()}-{code[4:]}"]))
    assert canonical.status_code == 302 and canonical["Location"] == reverse("exams:verify", args=[code])
    typed = anonymous.get(reverse("exams:verify_form"), {"code": f"{code[:4]} {code[4:8]}-{code[8:]}"})
    assert typed.status_code == 302 and typed["Location"] == reverse("exams:verify", args=[code])
    assert anonymous.get(reverse("exams:verify_form")).status_code == 200
    assert anonymous.get(reverse("exams:verify_form"), {"code": "--"}).status_code == 200

    unknown = anonymous.get(reverse("exams:verify", args=["ZZZZZZZZZZZZ"]))
    assert unknown.status_code == 200 and 'data-state="unknown"' in unknown.content.decode()

    certificate_revoke(actor=personas.employer_admin, certificate=certified, reason="考试由他人代考")
    revoked = anonymous.get(reverse("exams:verify", args=[code])).content.decode()
    assert 'data-state="revoked"' in revoked and "代考" not in revoked


def test_unknown_codes_are_throttled_per_address(personas: Any, certified: Certificate) -> None:
    with override_settings(CERTIFICATE_VERIFY_UNKNOWN_PER_HOUR=3):
        for _ in range(3):
            assert certificate_verify(verification="ZZZZZZZZZZZZ", client_ip="10.0.0.1").state == "unknown"
        with pytest.raises(CertificateError) as refused:  # past the limit even a real code is not answered
            certificate_verify(verification=certified.verification, client_ip="10.0.0.1")
        assert refused.value.code == "throttled"
        assert certificate_verify(verification=certified.verification, client_ip="10.0.0.2").state == "valid"
        # Real codes do not count: an employer checking many certificates is never stopped.
        for _ in range(5):
            assert certificate_verify(verification=certified.verification, client_ip="10.0.0.3").state == "valid"
        # A caller that names no address (a script of ours, not the public) is not counted.
        for _ in range(5):
            assert certificate_verify(verification="ZZZZZZZZZZZZ").state == "unknown"
        assert certificate_verify(verification=certified.verification).state == "valid"

        anonymous = personas.client(None)
        for _ in range(3):
            anonymous.get(reverse("exams:verify", args=["YYYYYYYYYYYY"]), REMOTE_ADDR="10.0.0.9")
        page = anonymous.get(reverse("exams:verify", args=[certified.verification]), REMOTE_ADDR="10.0.0.9")
        assert page.status_code == 429 and "王工" not in page.content.decode()
        assert 'data-testid="verify-refused"' in page.content.decode()


# -- revocation --------------------------------------------------------------------------------------

def test_revocation_needs_a_reason_is_audited_and_never_deletes(personas: Any, certified: Certificate) -> None:
    with pytest.raises(CertificateError) as empty:
        certificate_revoke(actor=personas.employer_admin, certificate=certified, reason="   ")
    assert empty.value.code == "reason_required"
    with pytest.raises(CertificateError) as outsider:
        certificate_revoke(actor=personas.outsider, certificate=certified, reason="x")
    assert outsider.value.code == "not_allowed"
    with pytest.raises(CertificateError):
        certificate_revoke(actor=personas.worker_user, certificate=certified, reason="x")
    certified.refresh_from_db()
    assert certified.is_valid

    certificate_revoke(actor=personas.employer_admin, certificate=certified, reason="考试由他人代考")
    certified.refresh_from_db()
    assert not certified.is_valid and certified.revoked_by == personas.employer_admin
    revoked_at = certified.revoked_at
    entry = ModelLogEntry.objects.get(action="exams.certificate.revoke")
    assert entry.user == personas.employer_admin and entry.object_id == str(certified.pk)
    assert entry.data["employer"] == personas.employer.pk and entry.data["reason"] == "考试由他人代考"
    assert Notification.objects.filter(recipient=personas.worker_user,
                                       key=f"certificate-revoked:{certified.verification}").exists()

    with pytest.raises(CertificateError) as twice:
        certificate_revoke(actor=personas.superuser, certificate=certified, reason="再次撤销")
    assert twice.value.code == "already_revoked"
    certified.refresh_from_db()
    assert certified.revoked_at == revoked_at and certified.revoked_reason == "考试由他人代考"
    assert ModelLogEntry.objects.filter(action="exams.certificate.revoke").count() == 1
    assert Certificate.objects.filter(pk=certified.pk).exists() and certified.png and certified.pdf


def test_the_revoke_page(personas: Any, certified: Certificate) -> None:
    url = reverse("exams:certificate_revoke", args=[personas.employer.code, certified.verification])
    admin = personas.client(personas.employer_admin)
    page = admin.get(url)
    assert page.status_code == 200 and "确认撤销" in page.content.decode()
    blank = admin.post(url, {"reason": ""})
    assert blank.status_code == 200 and Certificate.objects.get(pk=certified.pk).is_valid

    for user in (personas.outsider, personas.worker_user, personas.other_worker.user, personas.editor):
        client = personas.client(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x"}).status_code == 404
    # The outsider's own employer in the address does not reach this certificate either.
    foreign = reverse("exams:certificate_revoke", args=[personas.other_employer.code, certified.verification])
    assert personas.client(personas.outsider).post(foreign, {"reason": "x"}).status_code == 404
    assert personas.client(personas.evaluator).post(url, {"reason": "x"}).status_code == 403
    assert Certificate.objects.get(pk=certified.pk).is_valid

    done = admin.post(url, {"reason": "考试由他人代考"})
    assert done.status_code == 302
    assert not Certificate.objects.get(pk=certified.pk).is_valid
    after = admin.get(url).content.decode()
    assert "考试由他人代考" in after and "确认撤销" not in after
    assert personas.client(personas.superuser).post(url, {"reason": "x"}).status_code == 200  # told: revoked already


def test_a_superuser_may_revoke(personas: Any, certified: Certificate) -> None:
    url = reverse("exams:certificate_revoke", args=[personas.employer.code, certified.verification])
    assert personas.client(personas.superuser).post(url, {"reason": "单位申请"}).status_code == 302
    assert not Certificate.objects.get(pk=certified.pk).is_valid


# -- the holder's page and the files -------------------------------------------------------------------

def test_the_holder_page_answers_the_holder_only(personas: Any, certified: Certificate) -> None:
    url = reverse("exams:certificate", args=[certified.verification])
    holder = personas.client(personas.worker_user)
    page = holder.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="certificate-preview"' in body and "download-pdf" in body
    for user in (personas.other_worker.user, personas.outsider, personas.employer_admin, personas.evaluator,
                 personas.editor):
        assert personas.client(user).get(url).status_code == 404
        assert personas.client(user).post(url, {"action": "consent", "show_name": "on"}).status_code == 404
    assert personas.client(None).get(url).status_code == 302  # to the login page
    assert holder.get(reverse("exams:certificate", args=["ZZZZZZZZZZZZ"])).status_code == 404

    saved = holder.post(url, {"action": "consent", "show_employer": "on"})
    assert saved.status_code == 302
    certified.refresh_from_db()
    assert certified.show_employer and not certified.show_name


def test_the_files_answer_the_holder_and_the_employer_admin(personas: Any, certified: Certificate) -> None:
    png = reverse("exams:certificate_file", args=[certified.verification, "png"])
    pdf = reverse("exams:certificate_file", args=[certified.verification, "pdf"])
    holder = personas.client(personas.worker_user)
    response = holder.get(png)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (2480, 1754)
    download = holder.get(pdf + "?download=1")
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    for user in (personas.employer_admin, personas.superuser):
        assert personas.client(user).get(pdf).status_code == 200
    for user in (personas.other_worker.user, personas.outsider, personas.evaluator, personas.editor):
        assert personas.client(user).get(png).status_code == 404
    assert holder.get(reverse("exams:certificate_file", args=[certified.verification, "gif"])).status_code == 404
    assert holder.get(reverse("exams:certificate_file", args=["ZZZZZZZZZZZZ", "png"])).status_code == 404

    certificate_revoke(actor=personas.employer_admin, certificate=certified, reason="代考")
    assert holder.get(png).status_code == 404
    assert personas.client(personas.employer_admin).get(png).status_code == 200
    page = holder.get(reverse("exams:certificate", args=[certified.verification])).content.decode()
    assert 'data-state="revoked"' in page and "代考" in page and "download-png" not in page


def test_while_rendering_the_file_shows_the_job_progress(personas: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    attempt = sit(personas.worker, exam)  # on_commit never runs here: the certificate waits in the queue
    certificate = Certificate.objects.get(attempt=attempt)
    assert certificate.status == JobStatus.QUEUED
    holder = personas.client(personas.worker_user)
    pending = holder.get(reverse("exams:certificate_file", args=[certificate.verification, "pdf"]))
    assert pending.status_code == 202
    assert reverse("job_progress", args=["certificate", certificate.code]) in pending.content.decode()
    page = holder.get(reverse("exams:certificate", args=[certificate.verification])).content.decode()
    assert "data-job-progress" in page

    assert certificate_render(certificate_id=certificate.pk)
    assert holder.get(reverse("exams:certificate_file", args=[certificate.verification, "pdf"])).status_code == 200


def test_the_progress_of_a_rendering_answers_the_holder(personas: Any) -> None:
    make_bank(12)
    exam = make_exam(workers=[personas.worker])
    certificate = Certificate.objects.get(attempt=sit(personas.worker, exam))
    url = reverse("job_progress", args=["certificate", certificate.code])
    assert personas.client(personas.outsider).get(url).status_code == 404
    progress = personas.client(personas.worker_user).get(url).json()
    assert progress["running"] is True and progress["status"] == JobStatus.QUEUED
