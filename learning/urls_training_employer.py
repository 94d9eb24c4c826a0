"""The employer admin's training pages (learning.compliance_views), included under
/learning/employer/ from learning/urls.py, in the learning namespace."""

from django.urls import path

from learning import compliance_views

urlpatterns = [
    path("training/", compliance_views.training_home, name="training_home"),
    path("training/workers/<str:code>/", compliance_views.training_worker, name="training_worker"),
    path("<str:code>/training/", compliance_views.training_employer, name="training_employer"),
    path("<str:code>/training/assign/", compliance_views.training_assign_view, name="training_assign"),
    path("<str:code>/training/export/", compliance_views.training_export, name="training_export"),
]
