from django.urls import path

from orgs import views

app_name = "orgs"

urlpatterns = [
    path("employer/", views.employer_home, name="employer_home"),
    path("employer/<str:code>/", views.roster, name="roster"),
    path("employer/<str:code>/roster/template.xlsx", views.roster_template, name="roster_template"),
    path("employer/<str:code>/roster/export.xlsx", views.roster_export, name="roster_export"),
    path("employer/<str:code>/roster/import/", views.roster_import, name="roster_import"),
    path("employer/<str:code>/roster/import/<str:import_code>/", views.roster_import_detail,
         name="roster_import_detail"),
    path("employer/<str:code>/roster/import/<str:import_code>/confirm/", views.roster_import_confirm,
         name="roster_import_confirm"),
    path("employer/<str:code>/activation/", views.activation_codes, name="activation_codes"),
    path("employer/<str:code>/log/", views.audit_log, name="audit_log"),
    path("workers/<str:code>/", views.worker_detail, name="worker"),
    path("workers/<str:code>/status/", views.worker_status, name="worker_status"),
    path("transfers/<str:code>/", views.transfer, name="transfer"),
    path("region/", views.region, name="region"),
]
