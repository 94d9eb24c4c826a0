"""The courses demo: two original courses and a video of our own, and a month of study made
through the services, which a second run leaves as it is."""

from __future__ import annotations

import datetime as dt
import json
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.blocks import BodyBlock
from exams.demo import bank_seed, load_bank
from learning.demo import DEMO_DIR, MANAGER_COURSE, VIDEO_SECONDS, WORKER_COURSE, load_courses, seed_demo
from learning.models import (
    CourseIndexPage,
    CoursePage,
    Enrolment,
    Heartbeat,
    LessonPage,
    LessonProgress,
    StudyDevice,
    StudyHours,
    StudySession,
)
from learning.services.study import ledger_rebuild
from orgs.models import EmployerAdmin, HazardFactor, PostRole
from tests.conftest import Personas
from tests.factories import WorkerFactory

COURSES = load_courses()
WEBM = DEMO_DIR / "earplug-steps.webm"
MP4 = DEMO_DIR / "earplug-steps.mp4"


# -- the files -----------------------------------------------------------------------------------

def test_two_courses_whose_blocks_are_the_shared_ones_and_whose_hours_add_up():
    assert [course["slug"] for course in COURSES] == [MANAGER_COURSE, WORKER_COURSE]
    manager, worker = COURSES
    assert manager["audience_roles"] == [PostRole.PRINCIPAL, PostRole.MANAGER]
    assert worker["audience_roles"] == [PostRole.EXPOSED]
    assert [len(course["lessons"]) for course in COURSES] == [5, 4]
    assert [lesson["title"] for lesson in worker["lessons"]] == [
        "粉尘的危害与尘肺病", "防尘口罩的选择与佩戴", "噪声的危害", "耳塞的正确佩戴"]
    blocks = set(BodyBlock.base_blocks)
    for course in COURSES:
        assert len(course["summary"]) <= 300
        minutes = sum(lesson["credited_minutes"] for lesson in course["lessons"])
        # The summary says how many 学时 the course is worth: the credited minutes, rounded.
        assert f"约 {minutes / 45:.2g} 学时" in course["summary"] or f"约 {minutes / 45:.1f} 学时" in course["summary"]
        for lesson in course["lessons"]:
            assert {block["type"] for block in lesson["body"]} <= blocks, lesson["slug"]
            assert len(lesson["summary"]) <= 200
    # About 2–4 学时: a demo, not the 16 学时 of a manager's initial training (and it says so).
    assert 90 <= sum(lesson["credited_minutes"] for lesson in manager["lessons"]) <= 180
    assert "16 学时" in manager["summary"]


def test_the_earplug_lesson_has_the_video_and_a_check_of_three_bank_questions():
    earplug = COURSES[1]["lessons"][3]
    videos = [block for block in earplug["body"] if block["type"] == "video"]
    assert [video["value"]["document"] for video in videos] == ["earplug-steps"]
    stems = {item["stem"]: item for item in load_bank()}
    assert len(earplug["check"]) == 3
    assert all(stems[stem]["category"] == "个体防护/护听器" for stem in earplug["check"])
    # Only this lesson has a check.
    assert [lesson["slug"] for course in COURSES for lesson in course["lessons"] if lesson.get("check")] == [
        "earplug-fitting"]


def _webm_seconds(data: bytes) -> float:
    """The Segment Info's Duration (EBML id 0x4489, a float in TimecodeScale units, 1 ms by default)."""
    at = data.index(b"\x44\x89")
    size = data[at + 2] & 0x7F
    value = data[at + 3:at + 3 + size]
    return (struct.unpack(">d", value)[0] if size == 8 else struct.unpack(">f", value)[0]) / 1000


def _mp4_seconds(data: bytes) -> float:
    at = data.index(b"mvhd")
    version = data[at + 4]
    if version == 1:
        timescale, duration = struct.unpack(">IQ", data[at + 24:at + 36])
    else:
        timescale, duration = struct.unpack(">II", data[at + 16:at + 24])
    return duration / timescale


def test_the_committed_video_is_small_and_30_to_60_seconds_long():
    webm, mp4 = WEBM.read_bytes(), MP4.read_bytes()
    assert webm[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in webm[:64]  # EBML, DocType webm
    assert mp4[4:8] == b"ftyp"
    assert len(webm) <= 400 * 1024 and len(mp4) <= 400 * 1024
    assert 30 <= _webm_seconds(webm) <= 60
    assert 30 <= _mp4_seconds(mp4) <= 60
    # The seeder reports the length the player will: the same file.
    assert abs(_mp4_seconds(mp4) - VIDEO_SECONDS) < 0.5
    # faststart: the index comes before the media, so a phone starts playing before it has it all.
    assert mp4.index(b"moov") < mp4.index(b"mdat")


# -- the seeder ----------------------------------------------------------------------------------

def _crew(personas: Personas) -> dict[str, Any]:
    """The demo employer as orgs.demo leaves it, in small: the login (王工, coal dust and noise),
    two more workers exposed to dust and noise, one to noise only, the principal and the manager."""
    dust_and_noise = list(HazardFactor.objects.filter(name__in=["煤尘", "噪声"]))
    exposed = [WorkerFactory(employer=personas.employer) for _ in range(2)]
    for worker in exposed:
        worker.exposures.set(dust_and_noise)
    noise_only = WorkerFactory(employer=personas.employer)
    noise_only.exposures.set(HazardFactor.objects.filter(name="噪声"))
    principal = WorkerFactory(employer=personas.employer, post_role=PostRole.PRINCIPAL, post="总经理")
    manager = WorkerFactory(employer=personas.employer, post_role=PostRole.MANAGER, post="职业卫生专员")
    return {"login": personas.worker, "finisher": exposed[0], "exposed": exposed[1], "noise_only": noise_only,
            "principal": principal, "manager": manager}


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in apps.get_app_config("learning").get_models()}
    counts["documents"] = get_document_model().objects.count()
    counts["images"] = get_image_model().objects.count()
    return counts


def _progress(worker: Any, course: CoursePage) -> list[bool]:
    lessons = LessonPage.objects.child_of(course).order_by("path")
    done = {row.lesson_id: row.completed_at is not None
            for row in LessonProgress.objects.filter(enrolment__worker=worker, enrolment__course=course)}
    return [done.get(lesson.pk, False) for lesson in lessons]


@pytest.mark.django_db
def test_the_seeder_publishes_the_courses_and_a_month_of_study_and_twice_changes_nothing(personas: Personas):
    crew = _crew(personas)
    bank_seed(actor=None)
    now = timezone.now()

    result = seed_demo(now=now)

    index = CourseIndexPage.objects.get()
    assert (index.title, index.slug, index.live) == ("培训课程", "courses", True)
    assert index.url_path.endswith("/courses/")
    courses = {course.slug: course for course in CoursePage.objects.child_of(index).live()}
    assert set(courses) == {MANAGER_COURSE, WORKER_COURSE} and result["courses"] == 2
    assert result["pages_created"] == 2 + 5 + 4
    for course in courses.values():
        # Published through a revision, like an editor's work, before anyone enrolled.
        assert course.latest_revision is not None and course.live_revision == course.latest_revision
        assert course.first_published_at < now - dt.timedelta(days=31)
    assert courses[WORKER_COURSE].audience_roles == ["exposed"]
    assert set(courses[WORKER_COURSE].hazard_classes.values_list("code", flat=True)) == {"dust", "physical"}
    earplug = LessonPage.objects.child_of(courses[WORKER_COURSE]).get(slug="earplug-fitting")
    assert earplug.has_file_video and earplug.check_questions.count() == 3
    video = next(block.value for block in earplug.body if block.block_type == "video")
    assert video["file"].file.name.endswith(".mp4") and video["file"].file.size == MP4.stat().st_size
    assert [lesson.has_file_video for lesson in LessonPage.objects.child_of(courses[WORKER_COURSE])
            .order_by("path").specific()] == [False, False, False, True]

    enrolments = {e.worker_id: e for e in Enrolment.objects.select_related("course")}
    assert set(enrolments) == {crew[name].pk for name in ("login", "finisher", "exposed", "principal", "manager")}
    assert enrolments[crew["manager"].pk].course.slug == MANAGER_COURSE
    assert enrolments[crew["manager"].pk].source == Enrolment.Source.ASSIGNED
    assert enrolments[crew["login"].pk].source == Enrolment.Source.SELF

    # One course finished by one worker: the video watched, the check passed at the second try.
    assert [e.worker_id for e in enrolments.values() if e.completed_at] == [crew["finisher"].pk]
    assert _progress(crew["finisher"], courses[WORKER_COURSE]) == [True] * 4
    check = LessonProgress.objects.get(enrolment__worker=crew["finisher"], lesson=earplug)
    assert check.check_attempts == 2 and check.check_passed_at is not None
    assert check.video_furthest >= VIDEO_SECONDS * settings.STUDY_COMPLETE_PERCENT / 100
    # The login has two lessons done, the third under way, the earplug lesson still to try.
    assert _progress(crew["login"], courses[WORKER_COURSE]) == [True, True, False, False]
    login = enrolments[crew["login"].pk]
    assert login.lessons_completed == 2 and login.last_lesson is not None
    assert _progress(crew["manager"], courses[MANAGER_COURSE])[:3] == [True, True, True]

    # About twenty page views each over the last month, all in the past.
    sessions = Counter(StudySession.objects.values_list("worker_id", flat=True))
    assert all(8 <= sessions[crew[name].pk] <= 40 for name in ("login", "finisher", "manager")), sessions
    beats = Heartbeat.objects.all()
    assert beats.count() == result["heartbeats_created"] <= 2500
    assert not beats.filter(received_at__gt=now).exists()
    assert not beats.filter(received_at__lt=now - dt.timedelta(days=31)).exists()
    # Refusals of each kind the employer's drill-down shows, recorded with their reason.
    reasons = Counter(beats.values_list("reason", flat=True))
    for reason in (Heartbeat.Reason.IDLE, Heartbeat.Reason.HIDDEN, Heartbeat.Reason.GAP, Heartbeat.Reason.OTHER_DEVICE):
        assert reasons[reason] >= 1, reasons
    # …and a few: most beats credit.
    assert reasons[Heartbeat.Reason.NONE] > 5 * sum(reasons[r] for r in reasons if r not in ("", "start"))
    other_device = beats.filter(reason=Heartbeat.Reason.OTHER_DEVICE).first()
    assert other_device is not None and other_device.session is not None
    assert other_device.session.device_token != StudyDevice.objects.get(user=other_device.worker.user).token
    # The ledger is what the credited beats add up to.
    assert StudyHours.objects.filter(worker=crew["finisher"]).get().seconds >= 85 * 60
    assert ledger_rebuild() == 0
    # Assigned enrolments name who assigned them (the employer admin), in the log.
    from wagtail.models import ModelLogEntry

    assert ModelLogEntry.objects.filter(action="learning.enrolment.create").count() == 3
    assert EmployerAdmin.objects.filter(employer=personas.employer).exists()

    # The programmes: the statutory ones get the demo courses and exams; the noise posts' own
    # programme was assigned a month ago, and the finisher's month of study meets it.
    from learning.demo import NOISE_PROGRAMME
    from learning.models import Programme, TrainingAssignment
    from learning.services.compliance import Status, standing_of

    assert result["programmes_linked"] == 7
    assert set(Programme.objects.get(code="exposed-annual").courses.values_list("slug", flat=True)) == {WORKER_COURSE}
    noise_cycles = TrainingAssignment.objects.filter(programme__code=NOISE_PROGRAMME)
    assert standing_of(noise_cycles.get(worker=crew["finisher"])).status == Status.MET
    assert noise_cycles.filter(starts_on__lt=timezone.localdate()).count() == noise_cycles.count() >= 2

    before = _counts()
    again = seed_demo(now=now + dt.timedelta(hours=1))
    assert _counts() == before
    assert again["pages_created"] == 0 and again["learners_simulated"] == 0 and again["heartbeats_created"] == 0


@pytest.mark.django_db
def test_without_the_bank_or_the_rosters_the_courses_are_still_published(personas: Personas):
    """On a site with no exam bank the check is left out rather than pointing at nothing; with no
    demo worker there is nobody to simulate."""
    personas.worker.phone = "13900000009"
    personas.worker.save(update_fields=["phone"])

    result = seed_demo()

    assert result["courses"] == 2 and result["learners_simulated"] == 0
    earplug = LessonPage.objects.get(slug="earplug-fitting")
    assert earplug.live and earplug.check_questions.count() == 0
    assert not StudySession.objects.exists() and not Enrolment.objects.exists()


def test_the_courses_file_is_valid_json_in_utf8():
    text = Path(DEMO_DIR / "courses.json").read_text(encoding="utf-8")
    assert json.loads(text) == COURSES
