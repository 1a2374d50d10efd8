"""Page URLs: sign-in (Django auth, with the pages' own templates), caseload, patient, outcomes, self-report."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from frontend import account_views, views

T = "frontend/accounts/"

accounts = [
    path("login/", auth_views.LoginView.as_view(template_name=T + "login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(template_name=T + "password_change_form.html"),
         name="password_change"),
    path("password_change/done/",
         auth_views.PasswordChangeDoneView.as_view(template_name=T + "password_change_done.html"),
         name="password_change_done"),
    path("password_reset/", auth_views.PasswordResetView.as_view(
        template_name=T + "password_reset_form.html",
        email_template_name=T + "password_reset_email.txt",
        subject_template_name=T + "password_reset_subject.txt",
        success_url=reverse_lazy("password_reset_done"),
    ), name="password_reset"),
    path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(template_name=T + "password_reset_done.html"),
         name="password_reset_done"),
    path("reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name=T + "password_reset_confirm.html", success_url=reverse_lazy("password_reset_complete"),
    ), name="password_reset_confirm"),
    path("2fa/setup/", account_views.two_factor_setup, name="two-factor-setup"),
    path("2fa/verify/", account_views.two_factor_verify, name="two-factor-verify"),
    path("reset/done/",
         auth_views.PasswordResetCompleteView.as_view(template_name=T + "password_reset_complete.html"),
         name="password_reset_complete"),
]

urlpatterns = [
    # The pages' own templates first; Django's include stays behind them for any auth URL not listed here.
    path("accounts/", include(accounts)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", views.caseload, name="caseload"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("patients/<int:patient_id>/assessments/<str:instrument>/", views.record_assessment,
         name="patient-assessment"),
    path("patients/<int:patient_id>/record/", views.change_record, name="patient-record"),
    path("patients/<int:patient_id>/assessments/<int:assessment_id>/entered-in-error/", views.mark_entered_in_error,
         name="patient-assessment-entered-in-error"),
    path("patients/<int:patient_id>/phases/", views.start_phase, name="patient-phase"),
    path("patients/<int:patient_id>/medications/", views.add_medication, name="patient-medication"),
    path("patients/<int:patient_id>/flags/<int:flag_id>/acknowledge/", views.acknowledge_flag,
         name="patient-flag-acknowledge"),
    path("patients/<int:patient_id>/flags/<int:flag_id>/resolve/", views.resolve_flag, name="patient-flag-resolve"),
    path("patients/<int:patient_id>/flags/", views.raise_concern, name="patient-concern"),
    path("patients/<int:patient_id>/medications/<int:medication_id>/stop/", views.stop_medication,
         name="patient-medication-stop"),
    path("patients/<int:patient_id>/medications/<int:medication_id>/change-dose/", views.change_medication_dose,
         name="patient-medication-dose"),
    path("patients/<int:patient_id>/link/", views.send_link, name="patient-link"),
    path("flags/<int:flag_id>/", views.flag, name="flag"),
    path("settings/notifications/", views.notification_settings, name="notification-settings"),
    path("import/", views.import_assessments, name="import-assessments"),
    path("r/<str:token>/", views.self_report, name="self-report"),
    path("r/<str:token>/done/", views.self_report_done, name="self-report-done"),
    path("r/<str:token>/options/", views.self_report_options, name="self-report-options"),
]
