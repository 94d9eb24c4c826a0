"""Training pages (see learning/urls.py); filled by the module's views."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
