"""URL map: the versioned API under /api/v1/, the schema and offline docs, the admin, and the pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from instruments import api as instruments_api
from interop import api as interop_api
from mbc.health import MbcHealthView
from patients import api as patients_api
from reassessment import api as reassessment_api

api_v1 = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("patients/", patients_api.PatientListView.as_view(), name="api-patients"),
    path("patients/<int:patient_id>/", patients_api.PatientDetailView.as_view(), name="api-patient"),
    path("patients/<int:patient_id>/phases/", patients_api.PhaseListView.as_view(), name="api-phases"),
    path("patients/<int:patient_id>/medications/", patients_api.MedicationListView.as_view(), name="api-medications"),
    path("patients/<int:patient_id>/medications/<int:medication_id>/", patients_api.MedicationDetailView.as_view(),
         name="api-medication"),
    path("patients/<int:patient_id>/medications/<int:medication_id>/change-dose/",
         patients_api.MedicationDoseView.as_view(), name="api-medication-dose"),
    path("patients/<int:patient_id>/summary/", reassessment_api.SummaryView.as_view(), name="api-summary"),
    path("assessments/", instruments_api.AssessmentListView.as_view(), name="api-assessments"),
    path(
        "assessments/<int:assessment_id>/entered-in-error/",
        instruments_api.AssessmentEnteredInErrorView.as_view(),
        name="api-assessment-entered-in-error",
    ),
    path("instruments/", instruments_api.InstrumentListView.as_view(), name="api-instruments"),
    path("flags/", reassessment_api.FlagListView.as_view(), name="api-flags"),
    path("flags/<int:flag_id>/acknowledge/", reassessment_api.FlagAcknowledgeView.as_view(), name="api-flag-ack"),
    path("flags/<int:flag_id>/resolve/", reassessment_api.FlagResolveView.as_view(), name="api-flag-resolve"),
    path("outcomes/fidelity/", reassessment_api.FidelityView.as_view(), name="api-fidelity"),
    path("self-report/<str:token>/", reassessment_api.SelfReportView.as_view(), name="api-self-report"),
    path("patients/<int:patient_id>/fhir/", interop_api.PatientFhirView.as_view(), name="api-patient-fhir"),
    path("instruments/<str:code>/fhir/", interop_api.QuestionnaireView.as_view(), name="api-instrument-fhir"),
    path("fhir/QuestionnaireResponse", interop_api.QuestionnaireResponseImportView.as_view(), name="api-fhir-import"),
    path("export/assessments.csv", interop_api.AssessmentsCsvView.as_view(), name="api-export-assessments"),
    path("export/flags.csv", interop_api.FlagsCsvView.as_view(), name="api-export-flags"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, not inline, so the docs work under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("health/", MbcHealthView.as_view(), name="health"),
    path("", include("frontend.urls")),
]

# Under /api/ every error is JSON, even where no DRF view answers (an unknown path, a crash): mbc/exceptions.py.
handler400 = "mbc.exceptions.bad_request"
handler403 = "mbc.exceptions.permission_denied"
handler404 = "mbc.exceptions.page_not_found"
handler500 = "mbc.exceptions.server_error"
