"""Rating scales: the instrument registry, scoring, and the Assessment record."""
