"""Date formats for the clinic, from settings (MBC_DATE_FORMAT, MBC_SHORT_DATE_FORMAT)."""
