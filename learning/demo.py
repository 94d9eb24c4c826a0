"""Demo data for the courses: two original courses under the catalogue at /courses/, written in
``learning/demo/courses.json`` and published through Wagtail revisions like an editor's work, the
lesson video of our own (``learning/demo/earplug-steps.mp4``, made by ``make_video.py``), and a
month of study for five workers of the demo employer.

1. 用人单位主要负责人和职业卫生管理人员职业健康培训 (principal + manager; five lessons on the duties
   the law puts on an employer, about 3.3 学时: a demo course, not the 16-学时 initial training);
2. 接害劳动者粉尘与噪声防护 (exposed workers; four lessons, the last with the earplug video and a
   three-question check from the exam bank's demo questions).

The month is the services' own: enrolment, opening a lesson, the heartbeats the page would send
every 30 s (``heartbeat_record`` with ``now=`` moved forward), the check, and a study device
issued on a stand-in session as a login would. So the 学时 ledger, the lessons completed and the
refused beats (idle, hidden, a gap, another device) are what the crediting rules made of them,
and the employer's drill-down has something true to show.

Idempotent: pages are found by slug, the video by its title, enrolments by the service; a worker
who has any study session is not simulated again.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Site

from cms.models import ArticlePage, HomePage
from learning.models import CourseIndexPage, CoursePage, Enrolment, LessonCheckQuestion, LessonPage, StudySession
from learning.services.enrolment import check_submit, enrol, lesson_open
from learning.services.study import Beat, BeatResult, device_issue, heartbeat_record

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_COURSES = DEMO_DIR / "courses.json"
# H.264 first: it plays in every phone browser (WeChat's on iOS included); the WebM is the
# smaller file for those who want it in the library instead.
VIDEO_FILES = (DEMO_DIR / "earplug-steps.mp4", DEMO_DIR / "earplug-steps.webm")
VIDEO_KEY = "earplug-steps"
VIDEO_TITLE = "示范动画：耳塞的正确佩戴"
VIDEO_SECONDS = 48.0
INDEX_SLUG = "courses"
INDEX_TITLE = "培训课程"
INDEX_INTRO = ("用人单位主要负责人、职业卫生管理人员和接触职业病危害的劳动者的在线职业卫生培训。"
               "在手机上学习，学时按实际学习时间自动记录，单位可以随时查看。")
WORKER_COURSE = "dust-and-noise"
MANAGER_COURSE = "employer-duties"
# The page sends a beat every STUDY_HEARTBEAT_SECONDS; the demo uses the default, whatever the
# settings say, so the month looks the same everywhere.
BEAT_SECONDS = 30
PHONES = {
    "android": "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/114.0.0.0 Mobile Safari/537.36",
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Mobile/15E148 MicroMessenger/8.0.49",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Safari/537.36",
}


# -- pages ---------------------------------------------------------------------------------------

def load_courses(path: Path = DEMO_COURSES) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def course_index() -> CourseIndexPage:
    """The catalogue under the site's home page, created on first use (one per site: max_count 1)."""
    existing = CourseIndexPage.objects.first()
    if existing is not None:
        return existing
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    if not isinstance(home, HomePage):
        home = HomePage.objects.first() or home
    index = CourseIndexPage(title=INDEX_TITLE, slug=INDEX_SLUG, intro=INDEX_INTRO)
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def demo_video() -> Any:
    """The earplug video in the document library (once)."""
    document_model = get_document_model()
    existing = document_model.objects.filter(title=VIDEO_TITLE).first()
    if existing is not None:
        return existing
    source = next((path for path in VIDEO_FILES if path.exists()), None)
    if source is None:
        raise FileNotFoundError(f"the demo video is missing: {VIDEO_FILES[0]} (run learning/demo/make_video.py)")
    with source.open("rb") as handle:
        document = document_model(title=VIDEO_TITLE)
        document.file.save(source.name, File(handle), save=False)
        document.save()
    return document


def _body(blocks: list[dict[str, Any]], videos: dict[str, int]) -> list[dict[str, Any]]:
    """The JSON's blocks as the StreamField stores them: the video named by key, related
    articles by slug (a block whose articles are all missing is left out: no knowledge base)."""
    body: list[dict[str, Any]] = []
    for block in blocks:
        kind, value = block["type"], block["value"]
        if kind == "video":
            value = {"file": videos[value["document"]], "embed": "", "caption": value.get("caption", "")}
        elif kind == "related":
            ids = dict(ArticlePage.objects.filter(slug__in=value["articles"]).values_list("slug", "pk"))
            articles = [ids[slug] for slug in value["articles"] if slug in ids]
            if not articles:
                continue
            value = {"title": value.get("title", "延伸阅读"), "articles": articles}
        body.append({"type": kind, "value": value})
    return body


def _check_questions(stems: list[str]) -> list[LessonCheckQuestion]:
    """The bank's demo questions with these stems (found by fingerprint, as the bank seeder
    dedups them); a stem not in the bank is skipped, so the check never points at nothing."""
    from exams.demo import load_bank, question_data
    from exams.models import Question
    from exams.services.bank import question_check, question_fingerprint
    from orgs.models import HazardFactor

    factor_ids = dict(HazardFactor.objects.values_list("name", "pk"))
    items = {item["stem"]: item for item in load_bank()}
    rows: list[LessonCheckQuestion] = []
    for position, stem in enumerate(stems):
        if stem not in items:
            continue
        clean_stem, options, _answer = question_check(question_data(items[stem], factor_ids))
        question = Question.objects.filter(fingerprint=question_fingerprint(clean_stem, options), is_active=True).first()
        if question is not None:
            rows.append(LessonCheckQuestion(question=question, sort_order=position))
    return rows


def _course_create(index: CourseIndexPage, spec: dict[str, Any]) -> CoursePage:
    from cms.demo import cover_image
    from orgs.models import Audience, HazardClass, HazardFactor, LiteracyDimension

    classes = spec.get("hazard_classes") or []
    course = CoursePage(title=spec["title"], slug=spec["slug"], summary=spec["summary"],
                        audience_roles=list(spec["audience_roles"]), cover=cover_image(classes[0] if classes else ""))
    course.audiences = list(Audience.objects.filter(code__in=spec.get("audiences") or []))
    course.hazard_classes = list(HazardClass.objects.filter(code__in=classes))
    course.hazard_factors = list(HazardFactor.objects.filter(name__in=spec.get("hazard_factors") or []))
    course.dimensions = list(LiteracyDimension.objects.filter(code__in=spec.get("dimensions") or []))
    index.add_child(instance=course)
    course.save_revision().publish()
    return course


def _lesson_create(course: CoursePage, spec: dict[str, Any], videos: dict[str, int]) -> LessonPage:
    lesson = LessonPage(title=spec["title"], slug=spec["slug"], summary=spec.get("summary", ""),
                        credited_minutes=spec["credited_minutes"],
                        body=json.dumps(_body(spec["body"], videos), ensure_ascii=False))
    lesson.check_questions = _check_questions(spec.get("check") or [])
    course.add_child(instance=lesson)
    lesson.save_revision().publish()
    return lesson


@transaction.atomic
def courses_seed(*, now: dt.datetime, path: Path = DEMO_COURSES) -> tuple[dict[str, CoursePage], int]:
    """The catalogue and the demo courses with their lessons; what exists already is kept.
    Returns the courses by slug and how many pages were created."""
    index = course_index()
    videos = {VIDEO_KEY: demo_video().pk}
    courses: dict[str, CoursePage] = {}
    created: list[int] = []
    for spec in load_courses(path):
        course = CoursePage.objects.child_of(index).filter(slug=spec["slug"]).first()
        if course is None:
            course = _course_create(index, spec)
            created.append(course.pk)
        for lesson_spec in spec["lessons"]:
            if not LessonPage.objects.child_of(course).filter(slug=lesson_spec["slug"]).exists():
                created.append(_lesson_create(course, lesson_spec, videos).pk)
        courses[spec["slug"]] = course
    if created:
        # Published before anyone enrolled (the month of study starts 30 days ago).
        published = now - dt.timedelta(days=45)
        from wagtail.models import Page

        Page.objects.filter(pk__in=created).update(first_published_at=published, last_published_at=published)
    return courses, len(created)


# -- a month of study ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What one worker does in the month: complete the first ``complete`` lessons of the course,
    then study ``partial`` of the next one's required time. ``second_phone``: on that day of the
    month they sign in on another phone while the first still has a lesson open."""

    course: str
    complete: int
    partial: float = 0.0
    source: str = Enrolment.Source.SELF
    phone: str = "android"
    second_phone: int | None = None
    sittings: int = 17


@dataclass
class Learner:
    """The simulated person's state while the month runs."""

    worker: Any
    plan: Plan
    lessons: list[LessonPage]
    rng: random.Random
    token: str = ""
    phone: str = "android"
    sessions: int = 0
    beats: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    stale_token: str = ""   # the first phone's token, after the second phone signed in
    check_failed_once: bool = False

    def target(self, position: int) -> int:
        """Credited seconds the lesson at ``position`` should reach (0 when the plan stops before it)."""
        lesson = self.lessons[position]
        if position < self.plan.complete:
            return lesson.required_seconds
        if position == self.plan.complete:
            return int(lesson.required_seconds * self.plan.partial)
        return 0


def demo_learners() -> list[tuple[Any, Plan]]:
    """Five workers of the demo employer: the worker login, two more exposed workers (dust and
    noise), the principal and the manager."""
    from orgs.demo import WORKER_PHONE
    from orgs.models import PostRole, Worker

    login = Worker.objects.filter(phone=WORKER_PHONE).select_related("user", "employer").first()
    if login is None:
        return []
    staff = Worker.objects.filter(employer=login.employer, is_active=True).select_related("user").order_by("pk")
    exposed = list(staff.filter(post_role=PostRole.EXPOSED, exposures__hazard_class__code="dust")
                   .filter(exposures__name="噪声").exclude(pk=login.pk).distinct()[:2])
    principal = staff.filter(post_role=PostRole.PRINCIPAL).first()
    manager = staff.filter(post_role=PostRole.MANAGER).first()
    assigned = Enrolment.Source.ASSIGNED
    learners: list[tuple[Any, Plan]] = [
        # The login: two lessons done, the third half way, the earplug lesson left to try.
        (login, Plan(WORKER_COURSE, complete=2, partial=0.5, phone="android", second_phone=12)),
    ]
    if exposed:
        # Finishes the whole course: the video watched, the check passed (at the second try).
        learners.append((exposed[0], Plan(WORKER_COURSE, complete=4, phone="iphone", sittings=15)))
    if len(exposed) > 1:
        learners.append((exposed[1], Plan(WORKER_COURSE, complete=1, partial=0.3, source=assigned, sittings=12)))
    if manager is not None:
        learners.append((manager, Plan(MANAGER_COURSE, complete=3, partial=0.4, source=assigned, phone="iphone",
                                       second_phone=14, sittings=20)))
    if principal is not None:
        learners.append((principal, Plan(MANAGER_COURSE, complete=1, partial=0.6, source=assigned, phone="desktop",
                                         sittings=10)))
    return learners


def _sitting_start(day: dt.date, rng: random.Random) -> dt.datetime:
    """The lunch break or the evening, in the site's time zone."""
    if rng.random() < 0.45:
        local = dt.datetime.combine(day, dt.time(12, 5)) + dt.timedelta(minutes=rng.randint(0, 35))
    else:
        local = dt.datetime.combine(day, dt.time(19, 30)) + dt.timedelta(minutes=rng.randint(0, 100))
    return timezone.make_aware(local + dt.timedelta(seconds=rng.randint(0, 59)))


class Month:
    """Runs one learner's month, sitting by sitting, through the services."""

    def __init__(self, learner: Learner, *, now: dt.datetime) -> None:
        self.learner = learner
        self.now = now
        self.position = 0  # the lesson being studied
        self.credited: dict[int, int] = {}  # credited seconds per lesson position, as the beats report

    def run(self) -> None:
        learner, rng = self.learner, self.learner.rng
        today = timezone.localdate(self.now)
        days = sorted(rng.sample(range(1, 31), learner.plan.sittings), reverse=True)
        first = _sitting_start(today - dt.timedelta(days=days[0]), rng) - dt.timedelta(minutes=3)
        # As a login would: the first phone's token, kept in a stand-in for its session.
        learner.token = device_issue(user=learner.worker.user, session={}, user_agent=PHONES[learner.plan.phone],
                                     now=first)
        learner.phone = learner.plan.phone
        for number, days_ago in enumerate(days):
            if self._done():
                break
            start = _sitting_start(today - dt.timedelta(days=days_ago), rng)
            if start >= self.now - dt.timedelta(hours=1):
                continue
            # This visit's share of what is left (more or less, as people are), so the plan is met
            # by the last one whatever the refusals cost on the way.
            left = len(days) - number
            beats = max(4, round(self._seconds_left() / BEAT_SECONDS / left * rng.uniform(0.6, 1.4) * 1.1))
            if left == 1:
                beats = max(beats, self._seconds_left() // BEAT_SECONDS + 4)
            self._sitting(start, beats, switch=learner.plan.second_phone == number)

    def _done(self) -> bool:
        return self.position >= len(self.learner.lessons) or self.learner.target(self.position) == 0

    def _seconds_left(self) -> int:
        return sum(max(0, self.learner.target(position) - self.credited.get(position, 0))
                   for position in range(self.position, len(self.learner.lessons)))

    def _sitting(self, start: dt.datetime, beats: int, *, switch: bool) -> None:
        """One visit: sessions on the current lesson, moving on when it completes, until the
        visit's beats are spent. Some visits have an interruption in the first page view."""
        rng = self.learner.rng
        clock = start
        left = beats
        interruption = "switch" if switch else rng.choice(["", "", "", "", "idle", "hidden", "gap"])
        while left > 0 and not self._done():
            clock, left = self._session(clock, left, interruption if left == beats else "")
            clock += dt.timedelta(seconds=rng.randint(5, 40))  # back to the outline, tap the next lesson

    def _session(self, clock: dt.datetime, left: int, interruption: str) -> tuple[dt.datetime, int]:
        """One page view of the current lesson: the opening beat, then one every ~30 s."""
        learner, rng = self.learner, self.learner.rng
        lesson = learner.lessons[self.position]
        target = learner.target(self.position)
        lesson_open(worker=learner.worker, lesson=lesson, now=clock)
        key = f"demo-{learner.worker.code}-{learner.sessions}"
        learner.sessions += 1
        video = lesson.has_file_video
        playhead = 0.0

        def playing() -> tuple[float, float] | None:
            return (playhead, VIDEO_SECONDS) if video else None

        seq = 0
        result = self._beat(lesson, key, seq, clock, video=playing())
        interrupt_at = rng.randint(2, max(2, min(left, 12) - 1)) if interruption else -1
        while left > 0:
            seq += 1
            left -= 1
            step = BEAT_SECONDS + rng.uniform(-1.5, 1.5)
            clock += dt.timedelta(seconds=step)
            if video:
                playhead = min(VIDEO_SECONDS, playhead + step)
            if seq == interrupt_at:
                clock, seq = self._interruption(interruption, lesson, key, seq, clock, playing())
                if interruption == "switch":
                    # The other phone opens the lesson again: a new page view, a new session.
                    return clock + dt.timedelta(seconds=rng.randint(20, 60)), left
                continue
            result = self._beat(lesson, key, seq, clock, video=playing())
            self.credited[self.position] = result.lesson_credited_seconds
            if result.lesson_credited_seconds >= target and (not video or playhead >= VIDEO_SECONDS):
                break
        self._finish_lesson(lesson, result, target, clock)
        return clock, left

    def _interruption(self, kind: str, lesson: LessonPage, key: str, seq: int, clock: dt.datetime,
                      video: tuple[float, float] | None) -> tuple[dt.datetime, int]:
        """What the rules refuse, recorded with its reason: the phone put down until the page asks
        您还在吗？ (idle), another app in front (hidden), the screen locked for minutes (a gap), a
        login on another phone while this page is still open (other_device). Returns the clock and
        the last seq sent."""
        learner, rng = self.learner, self.learner.rng
        if kind in ("idle", "hidden"):
            for _ in range(rng.randint(1, 2)):
                self._beat(lesson, key, seq, clock, active=kind != "idle", visible=kind != "hidden", video=video)
                seq += 1
                clock += dt.timedelta(seconds=BEAT_SECONDS + rng.uniform(-1, 1))
            # Back (我还在 tapped, or the page in front again): the next beat credits as usual.
            self._beat(lesson, key, seq, clock, video=video)
            return clock, seq
        if kind == "gap":
            clock += dt.timedelta(seconds=rng.randint(150, 420))
            self._beat(lesson, key, seq, clock, video=video)
            return clock, seq
        other = "desktop" if learner.phone != "desktop" else "android"
        learner.stale_token = learner.token
        learner.token = device_issue(user=learner.worker.user, session={}, user_agent=PHONES[other], now=clock)
        clock += dt.timedelta(seconds=BEAT_SECONDS)
        self._beat(lesson, key, seq, clock, token=learner.stale_token, video=video)
        learner.phone = other
        return clock, seq

    def _beat(self, lesson: LessonPage, key: str, seq: int, at: dt.datetime, *, active: bool = True,
              visible: bool = True, token: str | None = None, video: tuple[float, float] | None = None) -> BeatResult:
        learner = self.learner
        # The phone's clock, a little behind the server's by the time the request took.
        client_at = at - dt.timedelta(milliseconds=learner.rng.randint(80, 900))
        beat = Beat(lesson_id=lesson.pk, session_key=key, seq=seq, client_at=client_at, active=active,
                    visible=visible, video_position=round(video[0], 1) if video else None,
                    video_duration=video[1] if video else None)
        result = heartbeat_record(worker=learner.worker, device_token=token or learner.token, beat=beat,
                                  user_agent=PHONES[learner.phone], now=at)
        learner.beats += 1
        if result.reason and result.reason != "start":
            learner.refused[result.reason] = learner.refused.get(result.reason, 0) + 1
        return result

    def _finish_lesson(self, lesson: LessonPage, result: BeatResult, target: int, clock: dt.datetime) -> None:
        """Move on when the lesson's time is there; a lesson with a check is taken at the end
        (the first check of the month with one answer wrong, then right)."""
        if result.lesson_credited_seconds < target:
            return
        if self.position >= self.learner.plan.complete:
            self.position = len(self.learner.lessons)  # the partial lesson was the last of the plan
            return
        if lesson.check_questions.exists():
            self._take_check(lesson, clock)
        self.position += 1

    def _take_check(self, lesson: LessonPage, clock: dt.datetime) -> None:
        rows = list(lesson.check_questions.select_related("question__current_version").order_by("sort_order"))
        right = {row.question.code: _key(row.question.current_version) for row in rows}
        if not self.learner.check_failed_once and rows:
            wrong = dict(right)
            first = rows[0].question
            wrong[first.code] = "B" if right[first.code] != "B" else "C"
            check_submit(worker=self.learner.worker, lesson=lesson, answers=wrong, now=clock + dt.timedelta(seconds=50))
            self.learner.check_failed_once = True
        check_submit(worker=self.learner.worker, lesson=lesson, answers=right, now=clock + dt.timedelta(seconds=110))


def _key(version: Any) -> str:
    """The answer as the lesson's check form sends it: letters, or 对 / 错 for true or false."""
    from exams.models import QuestionKind

    if version.kind == QuestionKind.TRUE_FALSE and version.answer in ("A", "B"):
        return "对" if version.answer == "A" else "错"
    return str(version.answer)


def study_seed(courses: dict[str, CoursePage], *, now: dt.datetime, seed: int) -> dict[str, int]:
    """Enrol the demo learners and run their month (a learner with study sessions is left alone)."""
    from orgs.models import EmployerAdmin

    counts = {"learners_simulated": 0, "study_sessions_created": 0, "heartbeats_created": 0}
    refused: dict[str, int] = {}
    for worker, plan in demo_learners():
        course = courses[plan.course]
        admin = EmployerAdmin.objects.filter(employer=worker.employer).select_related("user").first()
        enrolled_at = now - dt.timedelta(days=31)
        actor = admin.user if admin is not None and plan.source == Enrolment.Source.ASSIGNED else None
        enrol(worker=worker, course=course, source=plan.source, actor=actor, now=enrolled_at)
        if StudySession.objects.filter(worker=worker).exists():
            continue
        lessons = list(LessonPage.objects.child_of(course).live().order_by("path").specific())
        # One generator per worker: a second run (or another worker's change) decides the same.
        learner = Learner(worker=worker, plan=plan, lessons=lessons,
                          rng=random.Random(f"{seed}/{worker.code}"))  # noqa: S311 - simulation, not secrets
        with transaction.atomic():
            Month(learner, now=now).run()
        counts["learners_simulated"] += 1
        counts["study_sessions_created"] += learner.sessions
        counts["heartbeats_created"] += learner.beats
        for reason, number in learner.refused.items():
            refused[reason] = refused.get(reason, 0) + number
    counts.update({f"refused_{reason}": number for reason, number in sorted(refused.items())})
    return counts


def seed_demo(*, seed: int = 2025, now: dt.datetime | None = None) -> dict[str, int]:
    """The courses, then the month of study (see the module docstring)."""
    now = now or timezone.now()
    courses, created = courses_seed(now=now)
    counts = {"courses": len(courses), "pages_created": created}
    counts.update(study_seed(courses, now=now, seed=seed))
    counts["enrolments"] = Enrolment.objects.filter(course__in=courses.values()).count()
    counts["courses_completed"] = Enrolment.objects.filter(course__in=courses.values(),
                                                           completed_at__isnull=False).count()
    counts.update(programmes_seed(courses, now=now))
    return counts


def programmes_seed(courses: dict[str, CoursePage], *, now: dt.datetime) -> dict[str, int]:
    """The statutory programmes get the demo courses and exams that serve them, through the
    programme service; then the training rules run over the demo rosters (they ran when the
    rosters were imported, before the courses existed: nothing is set twice)."""
    from exams.demo import MANAGER_EXAM, WORKER_EXAM
    from exams.models import Exam
    from learning.models import Programme
    from learning.services.programmes import programme_save, training_sync
    from orgs.models import Employer, PostRole

    exams = {exam.title: exam for exam in Exam.objects.filter(title__in=[WORKER_EXAM, MANAGER_EXAM])}
    linked = 0
    for programme in Programme.objects.filter(statutory=True):
        exposed = programme.role == PostRole.EXPOSED
        course = courses.get(WORKER_COURSE if exposed else MANAGER_COURSE)
        exam = exams.get(WORKER_EXAM if exposed else MANAGER_EXAM)
        if course is None or (programme.exam_id == (exam.pk if exam else None)
                              and programme.courses.filter(pk=course.pk).exists()):
            continue
        programme.exam = exam
        programme_save(actor=None, programme=programme, courses=[course])
        linked += 1
    today = timezone.localtime(now).date()
    cycles = sum(training_sync(employer=employer, today=today).created
                 for employer in Employer.objects.filter(workers__isnull=False).distinct().order_by("pk"))
    cycles += _noise_programme_seed(courses, now=now)
    return {"programmes_linked": linked, "training_cycles_created": cycles}


NOISE_PROGRAMME = "demo-noise-post"


def _noise_programme_seed(courses: dict[str, CoursePage], *, now: dt.datetime) -> int:
    """An editor's programme of our own (the statutory hours are more than the two demo courses
    hold): 1.5 学时 of the dust-and-noise course for noise-exposed workers, which the demo
    employer assigned a month ago to its noise posts, so the dashboard shows cycles met by the
    month of study, some nearly, and the rest still due."""
    from learning.models import AssignmentSource, Programme, TrainingAssignment
    from learning.services.programmes import programme_save, training_assign
    from orgs.demo import WORKER_PHONE
    from orgs.models import EmployerAdmin, HazardFactor, PostRole, Worker

    course = courses.get(WORKER_COURSE)
    login = Worker.objects.filter(phone=WORKER_PHONE).select_related("employer").first()
    noise = HazardFactor.objects.filter(name="噪声").first()
    if course is None or login is None or noise is None:
        return 0
    programme = Programme.objects.filter(code=NOISE_PROGRAMME).first()
    if programme is None:
        programme = Programme(
            code=NOISE_PROGRAMME, name="噪声岗位专项培训", role=PostRole.EXPOSED, kind="pre_job",
            required_hours=Decimal("1.5"), due_days=45, position=100,
            legal_basis="本单位规定：噪声岗位的劳动者完成粉尘与噪声防护课程的学习（不替代法定的上岗前和在岗期间培训）。")
        programme_save(actor=None, programme=programme, courses=[course], hazard_factors=[noise])
    if TrainingAssignment.objects.filter(programme=programme).exists():
        return 0
    admin = EmployerAdmin.objects.filter(employer=login.employer).select_related("user").first()
    assigned_on = timezone.localtime(now - dt.timedelta(days=31)).date()
    codes = list(Worker.objects.filter(employer=login.employer, is_active=True, post_role=PostRole.EXPOSED,
                                       exposures=noise).values_list("code", flat=True))
    result = training_assign(actor=admin.user if admin else None, employer=login.employer, programme=programme,
                             worker_codes=codes, due_on=assigned_on + dt.timedelta(days=45), today=assigned_on,
                             source=AssignmentSource.MANUAL)
    return result.created
