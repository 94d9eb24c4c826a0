from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    # Before the code pattern; a public code is 12 characters, so it can never be "read-all".
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_read_all"),
    path("inbox/<str:code>/", views.notification_open, name="notification_open"),
]
