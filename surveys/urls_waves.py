from django.urls import path

from surveys import wave_views

# The evaluator's wave management (surveys.wave_views).
urlpatterns = [
    path("surveys/waves/", wave_views.wave_list, name="wave_list"),
    path("surveys/waves/new/", wave_views.wave_create, name="wave_create"),
    path("surveys/waves/<str:code>/", wave_views.wave_detail, name="wave_detail"),
    path("surveys/waves/<str:code>/edit/", wave_views.wave_edit, name="wave_edit"),
    path("surveys/waves/<str:code>/links/", wave_views.wave_links, name="wave_links"),
    path("surveys/waves/<str:code>/links/<str:link_code>/poster/", wave_views.wave_poster, name="wave_poster"),
    path("surveys/waves/<str:code>/tokens/", wave_views.wave_tokens, name="wave_tokens"),
]
