"""Page URLs (filled by the dashboards issue); sign-in comes from Django auth."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
]
