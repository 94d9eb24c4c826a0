from django.urls import path

from exams import certificate_views, employer_views, views

app_name = "exams"

urlpatterns = [
    # The worker's pages (exams.views); the answer save, the most frequent request, first.
    path("exams/attempts/<str:code>/answer/", views.attempt_answer, name="answer"),
    path("exams/", views.exam_home, name="home"),
    path("exams/history/", views.history, name="history"),
    path("exams/practice/", views.practice_home, name="practice"),
    path("exams/practice/start/", views.practice_start, name="practice_start"),
    path("exams/wrong/", views.wrong_book, name="wrong_book"),
    path("exams/attempts/<str:code>/", views.attempt_page, name="attempt"),
    path("exams/attempts/<str:code>/submit/", views.attempt_submit, name="submit"),
    path("exams/attempts/<str:code>/state/", views.attempt_state, name="state"),
    path("exams/attempts/<str:code>/result/", views.attempt_result, name="result"),
    path("exams/<str:code>/", views.exam_detail, name="exam"),
    path("exams/<str:code>/start/", views.exam_start, name="start"),
    path("exams/<str:code>/mock/", views.mock_start, name="mock"),
    # Certificates (exams.certificate_views): the holder's page, files, and the public check.
    path("certificates/<str:verification>/", certificate_views.certificate_page, name="certificate"),
    path("certificates/<str:verification>/certificate.<str:fmt>", certificate_views.certificate_file,
         name="certificate_file"),
    path("verify/", certificate_views.verify_form, name="verify_form"),
    path("verify/<str:verification>/", certificate_views.verify, name="verify"),
    # The employer admin's pages (exams.employer_views).
    path("employer/<str:code>/exams/", employer_views.employer_exams, name="employer_exams"),
    path("employer/<str:code>/exams/<str:exam_code>/assign/", employer_views.exam_assign, name="employer_assign"),
    path("employer/<str:code>/exams/<str:exam_code>/results/", employer_views.exam_results, name="employer_results"),
    path("employer/<str:code>/exams/<str:exam_code>/overrides/", employer_views.exam_overrides,
         name="employer_overrides"),
    path("employer/<str:code>/exam-results/export/", employer_views.results_export, name="employer_results_export"),
    path("employer/<str:code>/certificates/<str:verification>/revoke/", certificate_views.certificate_revoke,
         name="certificate_revoke"),
]
