from django.urls import URLPattern

# The public answering pages (surveys.views).
urlpatterns: list[URLPattern] = []
