"""certificates: certificates rendered per second by our renderer against raw Pillow drawing the same image.

Ours is the background step itself, `exams.services.certificates.certificate_render` on issued
certificates: the job claim (a conditional UPDATE), the wording (translated labels, dates, the
masked ID number, the verify address), the layout (wrapping measured for every value), the
drawing, the QR code, PNG and PDF encoding, both files written to the private storage, the
finishing UPDATE and the holder's notification. The reference is a plain Pillow script with the
layout written out by hand: the same strings at the same places, the same QR code, the same size
(2480 × 1754), the same PNG and PDF options, both files written to disk, fonts loaded once per
process as ours does; no database. Before timing, the child checks that the reference draws
exactly our image (pixel for pixel), so the two cannot drift apart unnoticed.

The measurement runs in a child process (`python -m bench.certificates prepare|measure|clean`)
on the production settings (bench.settings) with the bench database, its files in a temporary
folder; each run renders every certificate once, and the rate is the median over the runs. Ours and the
reference take turns run by run in one child process (which goes first alternates), so a machine
that gets busier during the benchmark slows both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BenchError, Row, child_env, median, run_child

NAME = "certificates"
GOAL_RATIO = 0.8
GOAL = f"≥ {GOAL_RATIO}"
FULL_COUNT, FULL_RUNS = 40, 5
QUICK_COUNT, QUICK_RUNS = 3, 3
SETTINGS = "bench.settings"
CHILD_TIMEOUT = 1800

EMPLOYER_NAME = "徐州证书基准测试矿业有限公司"
EMPLOYER_BODY = "CERTBENCH"  # the credit code's 9-character body (no I, O, S, V or Z)
EMPLOYER_REGION = "320303"
# 沛县: numbers no other benchmark (nor the demo) hands out, so leftovers never collide.
ID_REGION = "320322"
USERNAME_PREFIX = "certbench"
PHONE_PREFIX = "196"  # the demo draws 135…187, roster_import 199, exam_campaign 197
# Short enough for one line on the certificate: the reference draws every value on one line.
EXAM_TITLE = "基准测试·接害劳动者职业健康考试"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰"


# --------------------------------------------------------------------------- parent (no Django)

def run(*, quick: bool, database_url: str) -> Row:
    count, runs = (QUICK_COUNT, QUICK_RUNS) if quick else (FULL_COUNT, FULL_RUNS)
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as workdir:
        # An empty broker: the production settings would otherwise send the holder's e-mail task
        # (none is configured) and the render task to a Celery that is not running.
        env = child_env(database_url, SETTINGS, PRIVATE_MEDIA_ROOT=str(Path(workdir) / "private"),
                        CELERY_BROKER_URL="", NOTIFY_EMAIL="0")
        try:
            prepared = _child(env, "prepare", "--count", str(count))
            measured = _child(env, "measure", "--runs", str(runs), "--out", str(Path(workdir) / "reference"))
        finally:
            with contextlib.suppress(BenchError):
                _child(env, "clean")
    ours, reference = measured["ours"], measured["reference"]
    ours_rate = count / median(ours["seconds"])
    reference_rate = count / median(reference["seconds"])
    ratio = ours_rate / reference_rate
    note = (
        f"{count} certificates of {prepared['width']} × {prepared['height']} px (A4 landscape at "
        f"{prepared['dpi']:.0f} dpi), each run renders every one, median of {runs} runs of each, ours and the "
        f"reference taking turns in one process; ours: the Celery task's "
        f"service (claim, wording, layout, Pillow, PNG + PDF to the private storage, finish, notification) on "
        f"PostgreSQL; reference: the same image drawn by a plain Pillow script and written to disk "
        f"({'identical pixels' if reference['identical'] else 'IMAGES DIFFER'}); Pillow {prepared['pillow']}, "
        f"font {Path(prepared['font']).name}; PNG {reference['png_bytes'] // 1024} KiB, "
        f"PDF {reference['pdf_bytes'] // 1024} KiB"
    )
    return Row(
        name=NAME,
        ours=f"{ours_rate:,.1f} cert/s",
        reference=f"{reference_rate:,.1f} cert/s",
        ratio=ratio,
        goal=GOAL,
        holds=ratio >= GOAL_RATIO and reference["identical"],
        note=note,
        details={"count": count, "runs": runs, "ours_seconds": ours["seconds"], "reference_seconds": reference["seconds"],
                 "ours_per_s": ours_rate, "reference_per_s": reference_rate, "identical": reference["identical"],
                 "rendered": ours["rendered"], "files_checked": ours["files_checked"], "prepared": prepared,
                 "png_bytes": reference["png_bytes"], "pdf_bytes": reference["pdf_bytes"]},
    )


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    return run_child(["-m", "bench.certificates", *args], env, timeout=CHILD_TIMEOUT)


# --------------------------------------------------------------------------- children (Django)

def _setup_django() -> None:
    import django

    django.setup()


def _clean() -> dict[str, Any]:
    """Every bench certificate goes, with its attempt, exam, worker, login, notifications and files.
    (Certificates are never deleted by the product; these are the benchmark's own.)"""
    from core.models import Notification
    from exams.models import Attempt, Certificate, Exam
    from orgs.models import Employer, User, Worker

    certificates = Certificate.objects.filter(exam__title=EXAM_TITLE)
    for png, pdf in certificates.values_list("png", "pdf"):
        for name in (png, pdf):
            if name:
                Certificate._meta.get_field("png").storage.delete(name)  # type: ignore[union-attr]
    users = list(User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("pk", flat=True))
    Notification.objects.filter(recipient_id__in=users).delete()
    deleted, _detail = certificates.delete()
    Attempt.objects.filter(exam__title=EXAM_TITLE).delete()
    Exam.objects.filter(title=EXAM_TITLE).delete()
    Worker.objects.filter(user_id__in=users).delete()
    User.objects.filter(pk__in=users).delete()
    Employer.objects.filter(name=EMPLOYER_NAME).delete()
    return {"certificates": deleted}


def _prepare(count: int) -> dict[str, Any]:
    """A bench employer, a certifying exam and ``count`` workers who passed it, each with an issued
    certificate waiting to be rendered (rows as certificate_issue writes them, without its task)."""
    import datetime as dt
    import random
    from decimal import Decimal

    import PIL
    from django.utils import timezone

    from core.masking import id_number_mask
    from exams.models import Attempt, AttemptMode, Certificate, Exam
    from exams.services import certificates
    from orgs.idnumbers import id_number_make, uscc_make
    from orgs.models import PostRole, User, Worker
    from orgs.services import employer_create

    _clean()
    rng = random.Random(2025)
    now = timezone.now()
    employer = employer_create(actor=None, name=EMPLOYER_NAME, credit_code=uscc_make("91", EMPLOYER_REGION, EMPLOYER_BODY),
                               region_code=EMPLOYER_REGION, industry_code="06", size_class="large")
    exam = Exam.objects.create(title=EXAM_TITLE, status=Exam.Status.PUBLISHED, opens_at=now - dt.timedelta(days=1),
                               closes_at=now + dt.timedelta(days=30), certifies=True, certificate_hours=Decimal("8"))
    for number in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"{PHONE_PREFIX}{number:08d}"
        user = User.objects.create(username=f"{USERNAME_PREFIX}{number:05d}", full_name=name)
        id_number = id_number_make(ID_REGION, dt.date(1970 + number % 30, 1 + number % 12, 1 + number % 28), number % 1000)
        worker = Worker.objects.create(user=user, employer=employer, name=name, id_number=id_number, phone=phone,
                                       post_role=PostRole.EXPOSED)
        attempt = Attempt.objects.create(mode=AttemptMode.EXAM, exam=exam, worker=worker, employer=employer,
                                         status=Attempt.Status.GRADED, number=1, started_at=now, graded_at=now,
                                         score=Decimal("92"), max_score=Decimal("100"), percent=92.0, passed=True)
        Certificate.objects.create(
            attempt=attempt, worker=worker, employer=employer, exam=exam, holder_name=name,
            holder_id_masked=id_number_mask(id_number), employer_name=employer.name,
            exam_title=exam.title, hours=exam.certificate_hours, score_percent=92.0,
            issued_on=timezone.localdate(now), progress_total=1)
    fonts = certificates.certificate_fonts()
    return {"count": count, "width": certificates.WIDTH, "height": certificates.HEIGHT, "dpi": certificates.RESOLUTION,
            "pillow": PIL.__version__, "font": fonts.regular.path}


def _bench_certificates() -> Any:
    from exams.models import Certificate

    return Certificate.objects.filter(exam__title=EXAM_TITLE).order_by("pk")


def _requeue() -> None:
    """Back to the state certificate_issue leaves: queued, no files, the holder not yet told."""
    from core.models import JobStatus, Notification
    from exams.models import Certificate

    certificates = _bench_certificates()
    storage = Certificate._meta.get_field("png").storage  # type: ignore[union-attr]
    for png, pdf in certificates.values_list("png", "pdf"):
        for name in (png, pdf):
            if name:
                storage.delete(name)
    certificates.update(status=JobStatus.QUEUED, png="", pdf="", claim_token="", lease_until=None, attempts=0,
                        finished_at=None, progress_done=0, message="")
    Notification.objects.filter(key__startswith="certificate:",
                                recipient__username__startswith=USERNAME_PREFIX).delete()


def _ours_run(ids: list[int]) -> float:
    from core.models import JobStatus
    from exams.services.certificates import certificate_render

    _requeue()
    started = time.perf_counter()
    rendered = sum(certificate_render(certificate_id=pk) for pk in ids)
    seconds = time.perf_counter() - started
    done = _bench_certificates().filter(status=JobStatus.DONE).exclude(png="").exclude(pdf="").count()
    if rendered != len(ids) or done != len(ids):
        messages = list(_bench_certificates().exclude(status=JobStatus.DONE).values_list("message", flat=True)[:3])
        raise SystemExit(f"ours rendered {done} of {len(ids)} certificates: {messages}")
    return seconds


def _check_files(certificate: Any) -> bool:
    from PIL import Image

    from exams.services.certificates import HEIGHT, WIDTH

    with certificate.png.open("rb") as stream:
        image = Image.open(io.BytesIO(stream.read()))
        image.load()
    with certificate.pdf.open("rb") as stream:
        pdf = stream.read()
    if image.size != (WIDTH, HEIGHT) or not pdf.startswith(b"%PDF-"):
        raise SystemExit(f"ours wrote a {image.size} PNG and a PDF starting {pdf[:8]!r}")
    return True


def _texts() -> list[dict[str, Any]]:
    """What each certificate says, as plain strings: the reference's input (computed untimed, by
    our wording, so both print the same words)."""
    from django.utils.translation import override

    from exams.services.certificates import certificate_text

    texts = []
    for certificate in _bench_certificates():
        with override(certificate.language):
            text = certificate_text(certificate)
        texts.append({
            "code": certificate.verification, "site_name": text.site_name, "title": text.title,
            "lines": [label + value for _key, label, value in text.fields], "statement": text.statement,
            "code_line": text.code_line, "url_line": text.url_line, "qr_caption": text.qr_caption,
            "verify_url": text.verify_url,
        })
    return texts


# The reference: Pillow as anyone would write it for this one layout, numbers spelled out; fonts
# loaded once per process, as ours are.
_REFERENCE_FONTS: dict[tuple[str, int], Any] = {}


def _reference_font(path: str, index: int, size: int) -> Any:
    from PIL import ImageFont

    key = (f"{path}#{index}", size)
    if key not in _REFERENCE_FONTS:
        _REFERENCE_FONTS[key] = ImageFont.truetype(path, size, index=index)
    return _REFERENCE_FONTS[key]


def reference_image(text: dict[str, Any], regular: tuple[str, int], bold: tuple[str, int]) -> Any:
    import qrcode
    from PIL import Image, ImageDraw
    from qrcode.image.pil import PilImage

    paper, ink, green, gold, grey = (255, 253, 245), (31, 42, 36), (11, 107, 58), (184, 134, 11), (90, 102, 96)
    image = Image.new("RGB", (2480, 1754), paper)
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 2420, 1694), outline=green, width=14)
    draw.rectangle((96, 96, 2384, 1658), outline=gold, width=4)
    draw.text((1240, 190), text["site_name"], font=_reference_font(*regular, 52), fill=green, anchor="mt")
    draw.text((1240, 280), text["title"], font=_reference_font(*bold, 128), fill=ink, anchor="mt")
    draw.line((840, 470, 1640, 470), fill=gold, width=4)
    body = _reference_font(*regular, 58)
    y = 520
    for line in text["lines"]:
        draw.text((300, y), line, font=body, fill=ink)
        y += 92
    draw.text((300, y + 20), text["statement"], font=body, fill=ink)
    draw.text((300, 1470), text["code_line"], font=_reference_font(*regular, 52), fill=green)
    draw.text((300, 1550), text["url_line"], font=_reference_font(*regular, 36), fill=grey)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(text["verify_url"])
    code.make(fit=True)
    code.box_size = 440 // (code.modules_count + 4)
    qr = code.make_image(image_factory=PilImage).get_image().convert("RGB")
    image.paste(qr, (2180 - qr.width, 1500 - qr.height))
    draw.text((2180 - qr.width + qr.width // 2, 1520), text["qr_caption"], font=_reference_font(*regular, 40),
              fill=grey, anchor="mt")
    return image


def _reference_run(texts: list[dict[str, Any]], regular: tuple[str, int], bold: tuple[str, int],
                   out: Path) -> tuple[float, int, int]:
    from exams.services.certificates import RESOLUTION

    started = time.perf_counter()
    for text in texts:
        image = reference_image(text, regular, bold)
        png, pdf = out / f"{text['code']}.png", out / f"{text['code']}.pdf"
        image.save(png, "PNG", dpi=(RESOLUTION, RESOLUTION))
        image.save(pdf, "PDF", resolution=RESOLUTION, quality=90)
    seconds = time.perf_counter() - started
    png_bytes, pdf_bytes = png.stat().st_size, pdf.stat().st_size
    for leftover in out.iterdir():
        leftover.unlink()
    return seconds, png_bytes, pdf_bytes


def _measure(runs: int, out: Path) -> dict[str, Any]:
    from PIL import ImageChops

    from exams.services.certificates import certificate_fonts, certificate_image, certificate_text

    fonts = certificate_fonts()
    regular, bold = (fonts.regular.path, fonts.regular.index), (fonts.bold.path, fonts.bold.index)
    ids = list(_bench_certificates().values_list("pk", flat=True))
    texts = _texts()  # the reference's input, read before any timing
    out.mkdir(parents=True, exist_ok=True)
    ours: list[float] = []
    reference: list[float] = []
    png_bytes = pdf_bytes = 0
    for number in range(runs):
        if number % 2 == 0:
            ours.append(_ours_run(ids))
        seconds, png_bytes, pdf_bytes = _reference_run(texts, regular, bold, out)
        reference.append(seconds)
        if number % 2 == 1:
            ours.append(_ours_run(ids))
    files_checked = _check_files(_bench_certificates().first())
    # After timing, so that the check warms neither side.
    identical = ImageChops.difference(certificate_image(certificate_text(_bench_certificates().first())),
                                      reference_image(texts[0], regular, bold)).getbbox() is None
    return {"ours": {"seconds": ours, "rendered": len(ids) * runs, "files_checked": files_checked},
            "reference": {"seconds": reference, "identical": identical, "png_bytes": png_bytes, "pdf_bytes": pdf_bytes}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.certificates", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare").add_argument("--count", type=int, required=True)
    measure = commands.add_parser("measure")
    measure.add_argument("--runs", type=int, required=True)
    measure.add_argument("--out", type=Path, required=True)
    commands.add_parser("clean")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    _setup_django()
    if args.command == "prepare":
        result = _prepare(args.count)
    elif args.command == "measure":
        result = _measure(args.runs, args.out)
    else:
        result = _clean()
    # The parent reads the last line of output.
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
