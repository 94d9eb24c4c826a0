from django.urls import URLPattern

# The evaluator's dashboard and exports (surveys.dashboard_views).
urlpatterns: list[URLPattern] = []
