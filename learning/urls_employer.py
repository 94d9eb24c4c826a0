"""The employer admin's 学时 pages (learning.employer_views), included under /learning/employer/
from learning/urls.py, in the learning namespace."""

from django.urls import path

from learning import employer_views

urlpatterns = [
    path("hours/", employer_views.hours_home, name="employer_hours_home"),
    path("<str:code>/hours/", employer_views.employer_hours, name="employer_hours"),
    path("<str:code>/hours/export/", employer_views.hours_export, name="employer_hours_export"),
    path("workers/<str:code>/sessions/", employer_views.worker_sessions, name="employer_worker_sessions"),
    path("workers/<str:code>/sessions/<str:session_code>/", employer_views.session_detail,
         name="employer_session"),
]
