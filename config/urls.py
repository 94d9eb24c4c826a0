from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import api as cms_api
from cms import views as cms_views
from core import job_views
from exams import api as exams_api
from learning import api as learning_api
from learning import api_reports as learning_reports_api
from learning import api_training as learning_training_api
from orgs import api as orgs_api
from orgs import views as orgs_views
from orgs.forms import PhoneLoginForm
from surveys import api as surveys_api
from surveys import api_answer as surveys_answer_api

api_patterns = [
    path("me/", orgs_api.MeView.as_view(), name="api-me"),
    path("hazards/", orgs_api.HazardFactorList.as_view(), name="api-hazards"),
    path("diseases/", orgs_api.DiseaseList.as_view(), name="api-diseases"),
    path("regions/", orgs_api.RegionList.as_view(), name="api-regions"),
    path("employers/<str:code>/workers/", orgs_api.EmployerWorkerList.as_view(), name="api-employer-workers"),
    path("articles/", cms_api.ArticleList.as_view(), name="api-articles"),
    path("me/exams/", exams_api.MyExamList.as_view(), name="api-my-exams"),
    path("me/exam-attempts/", exams_api.MyAttemptList.as_view(), name="api-my-exam-attempts"),
    path("employers/<str:code>/exam-results/", exams_api.EmployerResultList.as_view(), name="api-employer-exam-results"),
    path("certificates/<str:verification>/", exams_api.CertificateCheck.as_view(), name="api-certificate-check"),
    *learning_training_api.api_patterns,
    *surveys_api.api_patterns,
    *surveys_answer_api.api_patterns,
    *learning_api.api_patterns,
    *learning_reports_api.api_patterns,
]

urlpatterns = [
    # First: a campaign's answer saves are the most frequent request, and every pattern tried
    # before the matching one costs time (an include that does not match raises and records it).
    # No other pattern matches an exam path, so the order changes nothing else.
    path("", include("exams.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("i18n/choose/<str:language>/", cms_views.language_choose, name="language_choose"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=PhoneLoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/activate/", orgs_views.activate, name="activate"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(success_url="/"), name="password_change"),
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("jobs/<str:kind>/<str:code>/progress/", job_views.job_progress, name="job_progress"),
    path("", include("core.urls")),
    path("", include("orgs.urls")),
    path("", include("surveys.urls")),
    path("", include("learning.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Pages go through cms.views.serve (Wagtail's serve plus the anonymous-visitor cache); Wagtail's
# own patterns stay for its utility views and for reversing "wagtail_serve".
urlpatterns += [
    path("", cms_views.serve, name="home"),
    re_path(wagtail_urls.serve_pattern, cms_views.serve),
    path("", include(wagtail_urls)),
]
