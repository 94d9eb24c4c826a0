"""The sampling frame from xlsx: every refusal named by row and column, all or nothing, no
replacing once responses arrived, the evaluator's pages (scoped) and the command."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from wagtail.models import ModelLogEntry

from orgs.models import PostRole, Region
from surveys.models import Response, Stratum, SurveyImport, Wave
from surveys.services.frame import frame_import, frame_template
from surveys.services.imports import SurveyImportStatus, survey_import_commit, survey_import_start
from tests.surveys.test_xlsform import _questionnaire

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HEADER = ["地区代码", "行业代码", "人群", "总体人数", "样本配额"]


@pytest.fixture(autouse=True)
def import_urls() -> None:
    """surveys.import_views' pages under surveys.urls, until the lead includes them there."""
    from django.urls import NoReverseMatch, clear_url_caches, include, path

    import surveys.urls

    try:
        reverse("surveys:frame_import", args=["x"])
    except NoReverseMatch:
        surveys.urls.urlpatterns.append(path("", include("surveys.import_views")))
        clear_url_caches()


@pytest.fixture
def wave(personas) -> Wave:
    return Wave.objects.create(questionnaire=_questionnaire(), title="2026 年徐州市重点人群调查",
                               region=Region.objects.get(code="320300"), opens_at=NOW - dt.timedelta(days=10),
                               closes_at=NOW + dt.timedelta(days=20), groups=[PostRole.EXPOSED, PostRole.MANAGER])


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in [HEADER, *rows]:
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


GOOD = [["320303", "B", "接害劳动者", 1000, 100], ["320305", "06", "exposed", 500, None],
        ["320303", "C", "manager", "40", ""]]


def test_a_good_frame_replaces_the_strata(personas, wave):
    Stratum.objects.create(wave=wave, region_id="320300", industry_id="A", group="exposed", population=5)
    report = frame_import(actor=personas.evaluator, wave=wave, file=_xlsx(GOOD), dry_run=False)
    assert report.errors == [] and report.committed
    strata = sorted(Stratum.objects.filter(wave=wave).values_list("region_id", "industry_id", "group", "population",
                                                                  "quota"))
    # 06 (煤炭开采和洗选业) is counted in its section B, as respondents' industries are.
    assert strata == [("320303", "B", "exposed", 1000, 100), ("320303", "C", "manager", 40, None),
                      ("320305", "B", "exposed", 500, None)]
    assert report.details == {"wave": wave.code, "population": 1540, "quota": 100, "replaced": 1}
    entry = ModelLogEntry.objects.get(action="surveys.frame.import")
    assert entry.data["strata"] == 3 and entry.user_id == personas.evaluator.pk


def test_a_dry_run_writes_nothing(personas, wave):
    report = frame_import(actor=personas.evaluator, wave=wave, file=_xlsx(GOOD), dry_run=True)
    assert report.ok and report.created == 3 and not report.committed
    assert not Stratum.objects.exists()


def test_every_bad_row_is_named_and_nothing_is_written(personas, wave):
    rows = [*GOOD,
            ["441621", "B", "exposed", 10, 5],
            ["999999", "B", "exposed", 10, None],
            ["320303", "Z", "exposed", 10, None],
            ["320303", "C", "老板", 10, None],
            ["320303", "C", "principal", 10, None],
            ["320303", "D", "exposed", 0, None],
            ["320303", "E", "exposed", 10, 20],
            ["320305", "B", "exposed", 50, None],
            ["320303", "F", "exposed", 10, "-3"]]
    report = frame_import(actor=personas.evaluator, wave=wave, file=_xlsx(rows), dry_run=False)
    assert [error.text for error in report.errors] == [
        "第 5 行 A 列（地区代码）：紫金县（441621） 不在本轮调查的地区（徐州市（320300））内",
        "第 6 行 A 列（地区代码）：地区代码 999999 不存在",
        "第 7 行 B 列（行业代码）：行业代码 Z 不存在（填国民经济行业分类的门类字母或两位大类代码）",
        "第 8 行 C 列（人群）：不认识的人群“老板”（可填：principal 主要负责人、manager 职业卫生管理人员、exposed 接害劳动者、other 其他）",
        "第 9 行 C 列（人群）：主要负责人 不在本轮调查的重点人群（接害劳动者、职业卫生管理人员）中",
        "第 10 行 D 列（总体人数）：总体人数应为正整数，不能是“0”",
        "第 11 行 E 列（样本配额）：样本配额 20 大于总体人数 10",
        "第 12 行 B 列（行业代码）：与第 3 行是同一层（地区、行业、人群都相同）",
        "第 13 行 E 列（样本配额）：样本配额应为正整数（留空表示不限），不能是“-3”",
    ]
    assert not report.committed and not Stratum.objects.exists()
    assert not ModelLogEntry.objects.filter(action="surveys.frame.import").exists()


def test_a_frame_is_not_replaced_once_responses_arrived(personas, wave):
    Response.objects.create(wave=wave, region_id="320303")
    report = frame_import(actor=personas.evaluator, wave=wave, file=_xlsx(GOOD), dry_run=True)
    assert [error.text for error in report.errors] == [
        "文件：本轮调查已有 1 份答卷，它们已按现在的抽样框分层并加权；替换抽样框会让这些答卷的权重失去依据，因此不能再替换。"
        "如需新的抽样框，请新建一个调查轮次。"]
    assert not Stratum.objects.exists()


def test_only_the_waves_evaluators_may_import(personas, wave):
    from django.core.exceptions import PermissionDenied

    for user in (personas.outsider, personas.employer_admin, personas.editor):
        with pytest.raises(PermissionDenied):
            frame_import(actor=user, wave=wave, file=_xlsx(GOOD), dry_run=True)


def test_the_template_has_the_columns_and_reads_back(personas, wave):
    content = frame_template()
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADER
    report = frame_import(actor=personas.evaluator, wave=wave, file=content, dry_run=True)
    assert [error.text for error in report.errors] == ["文件：文件里没有抽样层（表头下面是空的）"]


def test_the_job_checks_in_the_background_for_large_files(personas, wave, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    from surveys.services import imports

    monkeypatch.setattr(imports, "INLINE_BYTES", 0)
    with django_capture_on_commit_callbacks(execute=True):
        job = survey_import_start(actor=personas.evaluator, kind=SurveyImport.Kind.FRAME, file=_xlsx(GOOD),
                                  original_name="frame.xlsx", wave=wave)
    job.refresh_from_db()
    assert job.status == SurveyImportStatus.CHECKED and job.progress_total == 3
    with django_capture_on_commit_callbacks(execute=True):
        survey_import_commit(actor=personas.evaluator, job=job)
    job.refresh_from_db()
    assert job.status == SurveyImportStatus.IMPORTED
    assert Stratum.objects.filter(wave=wave).count() == 3


# -- the pages -----------------------------------------------------------------------------------
def test_evaluator_uploads_checks_and_confirms(personas, wave):
    client = personas.client(personas.evaluator)
    page = client.get(reverse("surveys:frame_import", args=[wave.code]))
    assert page.status_code == 200 and "导入抽样框" in page.content.decode()
    template = client.get(reverse("surveys:frame_template", args=[wave.code]))
    assert template.status_code == 200 and template.content.startswith(b"PK")
    upload = io.BytesIO(_xlsx([*GOOD, ["320303", "Z", "exposed", 10, None]]))
    upload.name = "frame.xlsx"
    response = client.post(reverse("surveys:frame_import", args=[wave.code]), {"file": upload})
    job = SurveyImport.objects.get()
    assert response.status_code == 302 and job.status == SurveyImportStatus.REJECTED
    text = client.get(reverse("surveys:frame_import_detail", args=[wave.code, job.code])).content.decode()
    assert "行业代码 Z 不存在" in text and "确认导入</button>" not in text
    upload = io.BytesIO(_xlsx(GOOD))
    upload.name = "frame.xlsx"
    client.post(reverse("surveys:frame_import", args=[wave.code]), {"file": upload})
    job = SurveyImport.objects.filter(status=SurveyImportStatus.CHECKED).get()
    assert "确认导入</button>" in client.get(reverse("surveys:frame_import_detail",
                                                     args=[wave.code, job.code])).content.decode()
    client.post(reverse("surveys:frame_import_confirm", args=[wave.code, job.code]))
    assert Stratum.objects.filter(wave=wave).count() == 3


def test_a_city_evaluator_reads_a_provincial_wave_but_does_not_replace_its_frame(personas):
    wave = Wave.objects.create(questionnaire=_questionnaire(), title="江苏省调查", region=Region.objects.get(code="320000"),
                               opens_at=NOW, closes_at=NOW + dt.timedelta(days=5))
    client = personas.client(personas.evaluator)
    assert client.get(reverse("surveys:frame_import", args=[wave.code])).status_code == 200
    upload = io.BytesIO(_xlsx(GOOD))
    upload.name = "frame.xlsx"
    assert client.post(reverse("surveys:frame_import", args=[wave.code]), {"file": upload}).status_code == 403
    assert not SurveyImport.objects.exists()


def test_outsiders_get_404_on_every_frame_page(personas, wave):
    job = SurveyImport.objects.create(kind=SurveyImport.Kind.FRAME, wave=wave, original_name="f.xlsx", file="f.xlsx",
                                      status=SurveyImportStatus.CHECKED)
    pages = [("get", "surveys:frame_import", [wave.code]), ("get", "surveys:frame_template", [wave.code]),
             ("get", "surveys:frame_import_detail", [wave.code, job.code]),
             ("post", "surveys:frame_import_confirm", [wave.code, job.code]),
             ("post", "surveys:frame_import", [wave.code])]
    for user in (personas.outsider, personas.employer_admin, personas.worker_user, personas.editor):
        client = personas.client(user)
        for method, name, args in pages:
            assert getattr(client, method)(reverse(name, args=args)).status_code == 404, (user, name)
    job.refresh_from_db()
    assert job.status == SurveyImportStatus.CHECKED


# -- the command ---------------------------------------------------------------------------------
def test_command_dry_run_prints_the_errors_and_fails(personas, wave, tmp_path, capsys):
    target = tmp_path / "frame.xlsx"
    target.write_bytes(_xlsx([*GOOD, ["320303", "E", "exposed", 10, 20]]))
    with pytest.raises(CommandError, match="发现 1 处问题，未写入任何数据"):
        call_command("frame_import", wave.code, str(target), "--dry-run")
    assert "第 5 行 E 列（样本配额）：样本配额 20 大于总体人数 10" in capsys.readouterr().out


def test_command_imports_a_good_frame(personas, wave, tmp_path, capsys):
    target = tmp_path / "frame.xlsx"
    target.write_bytes(_xlsx(GOOD))
    call_command("frame_import", wave.code, str(target), "--dry-run")
    assert "检查通过（未写入）：将3 个抽样层，总体人数合计 1540" in capsys.readouterr().out
    assert not Stratum.objects.exists()
    call_command("frame_import", wave.code, str(target), "--user", "evaluator")
    assert Stratum.objects.filter(wave=wave).count() == 3
