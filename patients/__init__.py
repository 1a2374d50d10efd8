"""The clinical record of a patient: the patient, care team, treatment phases, medications and the audit trail."""
