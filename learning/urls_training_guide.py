"""The small-employer guide (learning.guide_views), included under /learning/employer/ from
learning/urls.py, in the learning namespace."""

from django.urls import path

from learning import guide_views

urlpatterns = [
    path("<str:code>/guide/", guide_views.training_guide, name="training_guide"),
]
