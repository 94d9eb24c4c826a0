from django.urls import path

from surveys import dashboard_views

# The evaluator's dashboard and exports (surveys.dashboard_views).
urlpatterns = [
    path("surveys/waves/<str:code>/dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("surveys/waves/<str:code>/exports/", dashboard_views.exports, name="exports"),
    path("surveys/waves/<str:code>/exports/<str:export_code>/download/", dashboard_views.export_download,
         name="export_download"),
]
