from django.urls import path

from surveys import views

# The public answering pages (surveys.views): what a wave's link and its QR code open.
urlpatterns = [
    path("s/<str:link_code>/", views.answer, name="answer"),
    path("s/<str:link_code>/done/", views.answer_done, name="answer_done"),
]
