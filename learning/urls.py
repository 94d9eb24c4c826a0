"""The learning app's pages outside the Wagtail tree (the course and lesson pages are Wagtail's)."""

from django.urls import include, path

from learning import study_views, views

app_name = "learning"

urlpatterns = [
    path("courses/sw.js", study_views.service_worker, name="service_worker"),
    path("courses/manifest.webmanifest", study_views.manifest, name="manifest"),
    path("courses/icon-<int:size>.png", study_views.icon, name="study_icon"),
    path("learning/mine/", views.mine, name="mine"),
    path("learning/employer/", include("learning.urls_employer")),
    # Training programmes: the worker's 我的培训, the employer's compliance and guide, the region's view.
    path("learning/training/", include("learning.urls_training_worker")),
    path("learning/employer/", include("learning.urls_training_employer")),
    path("learning/employer/", include("learning.urls_training_guide")),
    path("learning/region/", include("learning.urls_training_region")),
]
