"""我的培训, the worker's training pages (included under /learning/training/ by learning/urls.py)."""

from django.urls import path

from learning import training_views

urlpatterns = [
    path("", training_views.training, name="training"),
    path("<str:code>/", training_views.training_detail, name="training_detail"),
]
