from django.urls import include, path

app_name = "surveys"

# Each group of pages keeps its own pattern list: the public answering pages (surveys.views),
# the evaluator's wave management (surveys.wave_views) and dashboard and exports
# (surveys.dashboard_views), and the evaluator's file imports (surveys.import_views).
urlpatterns = [
    path("", include("surveys.urls_answer")),
    path("", include("surveys.urls_waves")),
    path("", include("surveys.urls_dashboard")),
    path("", include("surveys.import_views")),
]
