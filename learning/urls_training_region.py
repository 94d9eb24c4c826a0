"""The evaluator's regional view of mandatory training (learning.region_views), included under
/learning/region/ from learning/urls.py, in the learning namespace."""

from django.urls import path

from learning import region_views

urlpatterns = [
    path("training/", region_views.training_region, name="training_region"),
    path("training/export/", region_views.training_region_export, name="training_region_export"),
]
