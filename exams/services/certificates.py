"""Certificates: issued when a certifying exam is passed, rendered in the background, verified in
public, revoked with a reason, never deleted.

A certificate row is written inside the grading transaction (``certificate_issue``); its PNG and
PDF are drawn by a core job step (``certificate_render``, the Celery task
``exams.tasks.certificate_render``) with Pillow, in a CJK font (settings ``CERTIFICATE_FONT`` and
``CERTIFICATE_FONT_BOLD``, found among the Noto CJK files when unset). The public verify page asks
``certificate_verify``: valid, revoked or unknown, and only what the holder consented to show.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override
from PIL import Image, ImageDraw, ImageFont

from core.audit import audit
from core.errors import ServiceError
from core.jobs import job_claim, job_finish, job_progress
from core.masking import id_number_mask
from core.models import JobStatus
from core.notifications import notify
from core.scope import scope_for
from core.throttle import throttle_add, throttle_exceeded
from exams.models import Attempt, AttemptMode, Certificate

logger = logging.getLogger(__name__)


class CertificateError(ServiceError):
    """A refused revocation, consent change or lookup. ``code``: "reason_required",
    "already_revoked", "not_allowed", "not_holder", "throttled" (the API answers it with 429)."""

    def __init__(self, message: str, *, code: str = "invalid", field: str = "") -> None:
        super().__init__(message, field=field)
        self.code = code


class CertificateFontMissing(ImproperlyConfigured):
    """No font with Chinese glyphs: a certificate in a Latin font would print empty boxes."""


# -- issuing -------------------------------------------------------------------------------------

def certificate_issue(*, attempt: Attempt) -> Certificate:
    """The certificate for this passed attempt (one valid certificate per worker and exam: a later
    pass does not issue a second, but a pass after a revocation does), its rendering queued after
    commit. Called by grading inside its transaction."""
    from exams.tasks import certificate_render_task

    worker = attempt.worker
    exam = attempt.exam
    if worker is None or exam is None or attempt.mode != AttemptMode.EXAM or not attempt.passed or not exam.certifies:
        raise CertificateError(_("只有正式考试合格、且该考试合格发证时才发放证书"))
    existing = Certificate.objects.filter(worker=worker, exam=exam, revoked_at__isnull=True).first()
    if existing is not None:
        return existing
    # The employer the attempt was made for, printed as it is named today; a later rename or
    # transfer does not change an issued certificate.
    employer = attempt.employer or worker.employer
    certificate = Certificate.objects.create(
        attempt=attempt, worker=worker, employer=employer, exam=exam,
        holder_name=worker.name, holder_id_masked=id_number_mask(worker.id_number),
        employer_name=employer.name, exam_title=exam.title, hours=exam.certificate_hours,
        score_percent=attempt.percent or 0.0, issued_on=timezone.localdate(attempt.graded_at),
        progress_total=1,
    )
    transaction.on_commit(lambda: certificate_render_task.delay(certificate.pk))
    return certificate


# -- fonts ---------------------------------------------------------------------------------------

# Where fonts live on Linux and macOS, and the Noto CJK files (regular, bold) best first: Debian's and
# Ubuntu's fonts-noto-cjk (collections), then the per-language files of other distributions and of
# Google's download.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
             "/Library/Fonts", "~/Library/Fonts")
FONT_FILES = (
    ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"),
    ("NotoSerifCJKsc-Regular.otf", "NotoSerifCJKsc-Bold.otf"),
    ("NotoSerifSC-Regular.otf", "NotoSerifSC-Bold.otf"),
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    ("NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf"),
    ("NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf"),
)


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int  # the face in a collection (.ttc): the Simplified Chinese one


@dataclass(frozen=True)
class CertificateFonts:
    regular: FontFile
    bold: FontFile


def certificate_fonts() -> CertificateFonts:
    """The fonts certificates are drawn in: the settings, or the Noto CJK files found on this
    machine. Raises CertificateFontMissing with what to do when there is none."""
    return _fonts_for(settings.CERTIFICATE_FONT, settings.CERTIFICATE_FONT_BOLD)


@functools.lru_cache(maxsize=4)
def _fonts_for(regular: str, bold: str) -> CertificateFonts:
    if regular:
        regular_path = _configured_font(regular, "CERTIFICATE_FONT")
        bold_path = _configured_font(bold, "CERTIFICATE_FONT_BOLD") if bold else regular_path
    else:
        regular_path, bold_path = _discovered_fonts()
        if bold:
            bold_path = _configured_font(bold, "CERTIFICATE_FONT_BOLD")
    return CertificateFonts(FontFile(regular_path, _chinese_face(regular_path)),
                            FontFile(bold_path, _chinese_face(bold_path)))


def _configured_font(value: str, setting: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        raise CertificateFontMissing(f"{setting}={value!r}: no such font file. Point it at a .ttf, .otf or .ttc "
                                     f"with Chinese glyphs, e.g. /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc "
                                     f"(Debian/Ubuntu: apt install fonts-noto-cjk), or leave it empty to look for one.")
    return str(path)


def _discovered_fonts() -> tuple[str, str]:
    wanted = {name for pair in FONT_FILES for name in pair}
    found: dict[str, str] = {}
    roots = [Path(directory).expanduser() for directory in FONT_DIRS]
    for root in roots:
        if not root.is_dir():
            continue
        for folder, _dirs, files in os.walk(root):
            for name in wanted.intersection(files):
                found.setdefault(name, os.path.join(folder, name))
    for regular, bold in FONT_FILES:
        if regular in found:
            return found[regular], found.get(bold, found[regular])
    raise CertificateFontMissing(
        "No Chinese font for certificates: install Noto CJK (Debian/Ubuntu: apt install fonts-noto-cjk) or set "
        "CERTIFICATE_FONT to a .ttf, .otf or .ttc with Chinese glyphs (and CERTIFICATE_FONT_BOLD for the title). "
        f"Looked for {', '.join(pair[0] for pair in FONT_FILES)} under {', '.join(FONT_DIRS)}.")


def _chinese_face(path: str) -> int:
    """A collection holds the same glyphs for JP, KR, SC, TC and HK in that order or another: take
    the Simplified Chinese face, whose forms are the ones printed in the mainland."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(16):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith("SC"):
            return index
    return 0


@functools.lru_cache(maxsize=32)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    """Fonts are parsed once per process: a worker renders many certificates in the same sizes."""
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError as exc:
        raise CertificateFontMissing(f"{path}: cannot be read as a font ({exc}); set CERTIFICATE_FONT to a "
                                     f".ttf, .otf or .ttc with Chinese glyphs") from exc


# -- drawing -------------------------------------------------------------------------------------

# 2480 × 1754 pixels with the A-series ratio: an A4 landscape page at 212 dpi, enough for text printed
# on an office printer, at half the pixels of 300 dpi (the PNG encoder is most of a certificate's cost).
WIDTH, HEIGHT = 2480, 1754
A4_LANDSCAPE_INCHES = 297 / 25.4
RESOLUTION = WIDTH / A4_LANDSCAPE_INCHES
PDF_QUALITY = 90  # Pillow writes an RGB page as JPEG: above the default 75 so small text stays crisp
PAPER, INK, GREEN, GOLD, GREY = (255, 253, 245), (31, 42, 36), (11, 107, 58), (184, 134, 11), (90, 102, 96)
# Layout, in pixels of the page.
BODY_X, BODY_RIGHT, BODY_TOP, LINE_STEP = 300, 1660, 520, 92
SIZE_SITE, SIZE_TITLE, SIZE_BODY, SIZE_CODE, SIZE_SMALL = 52, 128, 58, 52, 36
QR_BOX, QR_RIGHT, QR_BOTTOM = 440, 2180, 1500
CODE_Y, URL_Y = 1470, 1550
# Long values wrap; these caps keep the body clear of the verification block at the bottom.
MAX_LINES = {"name": 2, "id": 1, "employer": 2, "exam": 2, "hours": 1, "date": 1}


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on one certificate, already translated and formatted."""

    site_name: str
    title: str
    fields: tuple[tuple[str, str, str], ...]  # (key of MAX_LINES, label with its colon, value)
    statement: str
    code_line: str
    url_line: str
    qr_caption: str
    verify_url: str


def verification_display(verification: str) -> str:
    """ABCD-EFGH-JKLM: read aloud and typed in groups of four (the dashes are ignored on input)."""
    return "-".join(verification[i:i + 4] for i in range(0, len(verification), 4))


def verify_url(verification: str) -> str:
    """The absolute public address the QR code points at."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("exams:verify", args=[verification])


def _hours_text(hours: Decimal) -> str:
    return _("%(hours)s 学时") % {"hours": f"{hours.normalize():f}"}


def certificate_text(certificate: Certificate) -> CertificateText:
    """The certificate's wording, in the active language."""
    fields: list[tuple[str, str, str]] = [
        ("name", _("姓名："), certificate.holder_name),
        ("id", _("身份证号："), certificate.holder_id_masked),
        ("employer", _("工作单位："), certificate.employer_name),
        ("exam", _("考试项目："), certificate.exam_title),
    ]
    if certificate.hours:
        fields.append(("hours", _("培训学时："), _hours_text(certificate.hours)))
    fields.append(("date", _("发证日期："), date_format(certificate.issued_on, "DATE_FORMAT")))
    url = verify_url(certificate.verification)
    return CertificateText(
        site_name=str(settings.WAGTAIL_SITE_NAME), title=_("职业健康培训考试合格证书"), fields=tuple(fields),
        statement=_("经考试合格，特发此证。"),
        code_line=_("验证码：%(code)s") % {"code": verification_display(certificate.verification)},
        url_line=_("验证网址：%(url)s") % {"url": url}, qr_caption=_("扫码验证真伪"), verify_url=url,
    )


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Lines of at most ``width`` pixels, broken between characters (Chinese has no spaces), the
    last one cut with an ellipsis when the text needs more than ``max_lines``."""
    if font.getlength(text) <= width:
        return [text]
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        low, high = 1, len(rest)
        while low < high:  # the longest prefix that fits
            middle = (low + high + 1) // 2
            if font.getlength(rest[:middle]) <= width:
                low = middle
            else:
                high = middle - 1
        lines.append(rest[:low])
        rest = rest[low:]
    if rest:
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _qr_image(url: str) -> Image.Image:
    import qrcode
    from qrcode.image.pil import PilImage

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    # Whole pixels per module: a scaled QR code blurs its edges and scans worse.
    code.box_size = max(4, QR_BOX // (code.modules_count + 2 * code.border))
    return code.make_image(image_factory=PilImage).get_image().convert("RGB")


def certificate_image(text: CertificateText, fonts: CertificateFonts | None = None) -> Image.Image:
    """Draw one certificate page."""
    fonts = fonts or certificate_fonts()

    def regular(size: int) -> ImageFont.FreeTypeFont:
        return _font(fonts.regular.path, fonts.regular.index, size)

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, WIDTH - 60, HEIGHT - 60), outline=GREEN, width=14)
    draw.rectangle((96, 96, WIDTH - 96, HEIGHT - 96), outline=GOLD, width=4)
    centre = WIDTH // 2
    draw.text((centre, 190), text.site_name, font=regular(SIZE_SITE), fill=GREEN, anchor="mt")
    title_font = _font(fonts.bold.path, fonts.bold.index, SIZE_TITLE)
    draw.text((centre, 280), _wrap(text.title, title_font, WIDTH - 400, 1)[0], font=title_font, fill=INK, anchor="mt")
    draw.line((centre - 400, 470, centre + 400, 470), fill=GOLD, width=4)
    body = regular(SIZE_BODY)
    y = BODY_TOP
    for key, label, value in text.fields:
        indent = body.getlength(label)
        lines = _wrap(value, body, BODY_RIGHT - BODY_X - indent, MAX_LINES.get(key, 1))
        draw.text((BODY_X, y), label + lines[0], font=body, fill=INK)
        for line in lines[1:]:
            y += LINE_STEP
            draw.text((BODY_X + indent, y), line, font=body, fill=INK)
        y += LINE_STEP
    draw.text((BODY_X, y + 20), text.statement, font=body, fill=INK)
    draw.text((BODY_X, CODE_Y), text.code_line, font=regular(SIZE_CODE), fill=GREEN)
    small = regular(SIZE_SMALL)
    draw.text((BODY_X, URL_Y), _wrap(text.url_line, small, BODY_RIGHT - BODY_X, 1)[0], font=small, fill=GREY)
    qr = _qr_image(text.verify_url)
    left, top = QR_RIGHT - qr.width, QR_BOTTOM - qr.height
    image.paste(qr, (left, top))
    draw.text((left + qr.width // 2, QR_BOTTOM + 20), text.qr_caption, font=regular(40), fill=GREY, anchor="mt")
    return image


def certificate_files(image: Image.Image) -> tuple[bytes, bytes]:
    """The page as PNG (the preview and the download) and as a one-page A4 landscape PDF."""
    png, pdf = io.BytesIO(), io.BytesIO()
    image.save(png, "PNG", dpi=(RESOLUTION, RESOLUTION))
    image.save(pdf, "PDF", resolution=RESOLUTION, quality=PDF_QUALITY)
    return png.getvalue(), pdf.getvalue()


# -- the background step -------------------------------------------------------------------------

def certificate_render(*, certificate_id: int) -> bool:
    """Draw and store the PNG and PDF of one certificate, then tell the holder. A core job step:
    claimed first, so running it twice renders once; a failure is recorded (FAILED, with a message)
    and ``certificate_render_retry`` queues it again; a worker that dies mid-way leaves a lease that
    the reaper gives back to the queue."""
    token = job_claim(Certificate, certificate_id, waiting=JobStatus.QUEUED, running=JobStatus.RUNNING)
    if token is None:
        return False
    certificate = Certificate.objects.get(pk=certificate_id)
    stored: list[str] = []
    try:
        with override(certificate.language):
            image = certificate_image(certificate_text(certificate))
        png, pdf = certificate_files(image)
        job_progress(Certificate, certificate_id, token, done=0, total=1)  # renews the lease before writing
        stored = _store(certificate, png, pdf)
    except Exception:
        logger.exception("certificate %s: rendering failed", certificate.verification)
        _delete(certificate, stored)
        with override(certificate.language):
            message = _("证书生成失败，请稍后重新生成；如果一再失败，请联系平台管理员。")
        job_finish(Certificate, certificate_id, token, status=JobStatus.FAILED, message=message)
        return False
    if not job_finish(Certificate, certificate_id, token, status=JobStatus.DONE, png=stored[0], pdf=stored[1],
                      message="", progress_done=1, progress_total=1):
        # Our lease ran out and another worker took the certificate over: its files stand.
        _delete(certificate, stored)
        return False
    _notify_ready(certificate)
    return True


def _store(certificate: Certificate, png: bytes, pdf: bytes) -> list[str]:
    stored = []
    for field, content, extension in ((certificate.png, png, "png"), (certificate.pdf, pdf, "pdf")):
        name = field.field.generate_filename(certificate, f"{certificate.verification}.{extension}")
        stored.append(field.storage.save(name, ContentFile(content)))
    return stored


def _delete(certificate: Certificate, names: Iterable[str]) -> None:
    storage = certificate.png.storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("certificate file %s could not be deleted", name)


def _notify_ready(certificate: Certificate) -> None:
    user_id = Certificate.objects.filter(pk=certificate.pk).values_list("worker__user_id", flat=True).first()
    if user_id is None:
        return
    with override(certificate.language):
        notify(recipients=[user_id], key=f"certificate:{certificate.verification}",
               title=_("证书已生成：%(exam)s") % {"exam": certificate.exam_title},
               body=_("您的合格证书已生成，可以在证书页面查看、下载 PNG 图片或 PDF 文件。"),
               url=reverse("exams:certificate", args=[certificate.verification]))


def certificate_render_retry(*, certificate: Certificate) -> bool:
    """Queue a failed rendering again; False when it is not failed (rendered, or on its way)."""
    from exams.tasks import certificate_render_task

    queued = Certificate.objects.filter(pk=certificate.pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, message="", claim_token="", lease_until=None, attempts=0, finished_at=None)
    if queued:
        transaction.on_commit(lambda: certificate_render_task.delay(certificate.pk))
    return bool(queued)


# -- revocation and consent ----------------------------------------------------------------------

REASON_MAX = Certificate._meta.get_field("revoked_reason").max_length or 200


def may_revoke(actor: Any, certificate: Certificate) -> bool:
    """The admins of the certificate's employer, and superusers."""
    scope = scope_for(actor)
    return scope.is_superuser or certificate.employer_id in scope.employer_ids


def certificate_revoke(*, actor: Any, certificate: Certificate, reason: str) -> Certificate:
    """Revoke with a reason (audited). The row and its files stay: the code keeps answering
    "revoked". Refused, changing nothing, when it is revoked already."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise CertificateError(_("请填写撤销原因"), code="reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise CertificateError(_("撤销原因最多 %(max)s 个字") % {"max": REASON_MAX}, code="reason_too_long",
                               field="reason")
    if not may_revoke(actor, certificate):
        raise CertificateError(_("只有发证单位的管理员可以撤销证书"), code="not_allowed")
    now = timezone.now()
    with transaction.atomic():
        # Conditional: of two admins revoking at once, one revokes and the other is told.
        revoked = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason, revoked_by=actor if getattr(actor, "pk", None) else None)
        certificate.refresh_from_db()
        if not revoked:
            raise CertificateError(
                _("该证书已于 %(date)s 撤销") % {"date": date_format(timezone.localdate(certificate.revoked_at),
                                                                 "DATE_FORMAT")},
                code="already_revoked")
        audit(actor, "exams.certificate.revoke", certificate, employer_id=certificate.employer_id,
              data={"verification": certificate.verification, "reason": reason})
        user_id = Certificate.objects.filter(pk=certificate.pk).values_list("worker__user_id", flat=True).first()
        if user_id is not None:
            notify(recipients=[user_id], key=f"certificate-revoked:{certificate.verification}",
                   title=_("证书已撤销：%(exam)s") % {"exam": certificate.exam_title},
                   body=_("您的合格证书已被发证单位撤销。原因：%(reason)s") % {"reason": reason},
                   url=reverse("exams:certificate", args=[certificate.verification]))
    return certificate


def certificate_consent_set(*, worker: Any, certificate: Certificate, show_name: bool,
                            show_employer: bool) -> Certificate:
    """What the public verify page may show besides valid / revoked: the holder decides."""
    if worker is None or certificate.worker_id != worker.pk:
        raise CertificateError(_("只有证书持有人可以修改验证页显示的内容"), code="not_holder")
    certificate.show_name = bool(show_name)
    certificate.show_employer = bool(show_employer)
    certificate.save(update_fields=["show_name", "show_employer"])
    return certificate


# -- public verification -------------------------------------------------------------------------

VERIFY_THROTTLE = "exams:verify"
_NOT_CODE = re.compile(r"[^A-Z0-9]")
CODE_LENGTH = Certificate._meta.get_field("verification").max_length or 12


@dataclass(frozen=True)
class Verification:
    """What anyone may learn from a verification code. ``state``: "valid", "revoked" or "unknown"
    (which malformed codes get too). Name and employer only when the holder consented; the reason
    of a revocation is never public."""

    state: str
    code: str
    holder_name: str = ""
    employer_name: str = ""
    exam_title: str = ""
    hours: Decimal | None = None
    issued_on: date | None = None
    revoked_on: date | None = None

    @property
    def found(self) -> bool:
        return self.state != "unknown"


def verification_normalise(value: Any) -> str:
    """What people type from paper: lower case, spaces, dashes; only letters and digits count.
    Anything that is not a code comes out as something no certificate has."""
    return _NOT_CODE.sub("", str(value or "").upper())[:40]


def certificate_verify(*, verification: Any, client_ip: str | None = None) -> Verification:
    """Look a code up for the public verify page and the API. Callers facing the public pass the
    client's address: unknown codes count against it (settings.CERTIFICATE_VERIFY_UNKNOWN_PER_HOUR),
    and past the limit every lookup from it is refused for the rest of the hour (CertificateError
    "throttled"), so codes cannot be guessed. Real codes never count: an employer behind one
    address may check a whole roster's certificates."""
    if client_ip is not None and throttle_exceeded(VERIFY_THROTTLE, client_ip or "unknown",
                                                   settings.CERTIFICATE_VERIFY_UNKNOWN_PER_HOUR):
        raise CertificateError(_("查询过于频繁，请一小时后再试"), code="throttled")
    code = verification_normalise(verification)
    certificate = None
    if len(code) == CODE_LENGTH:
        certificate = Certificate.objects.filter(verification=code).first()
    if certificate is None:
        if client_ip is not None:
            throttle_add(VERIFY_THROTTLE, client_ip or "unknown", 3600)
        return Verification(state="unknown", code=code)
    return Verification(
        state="valid" if certificate.is_valid else "revoked", code=code,
        holder_name=certificate.holder_name if certificate.show_name else "",
        employer_name=certificate.employer_name if certificate.show_employer else "",
        exam_title=certificate.exam_title, hours=certificate.hours, issued_on=certificate.issued_on,
        revoked_on=timezone.localdate(certificate.revoked_at) if certificate.revoked_at else None,
    )
