from django.urls import URLPattern

# The evaluator's wave management (surveys.wave_views).
urlpatterns: list[URLPattern] = []
