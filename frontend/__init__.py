"""Server-rendered pages: caseload, patient detail with plotly charts, the patient's self-report form, outcomes."""
