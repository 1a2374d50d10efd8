"""The one table of drug classes and whether each is serotonergic by default (DESIGN §2; pure Python)."""

from __future__ import annotations

# Serotonin syndrome risk when two serotonergic drugs overlap (Boyer & Shannon, NEJM 2005;352:1112-1120).
# A medication's own `serotonergic` field may override its class default.
DRUG_CLASSES: dict[str, tuple[str, bool]] = {
    "ssri": ("SSRI", True),
    "snri": ("SNRI", True),
    "tca": ("Tricyclic antidepressant", True),
    "maoi": ("MAO inhibitor", True),
    "serotonergic_antidepressant": (
        "Other serotonergic antidepressant (trazodone, vortioxetine, vilazodone, mirtazapine)",
        True,
    ),
    "triptan": ("Triptan", True),
    "serotonergic_opioid": (
        "Serotonergic opioid (tramadol, methadone, fentanyl, pethidine/meperidine, tapentadol)",
        True,
    ),
    "dextromethorphan": ("Dextromethorphan", True),
    # Linezolid and methylene blue inhibit MAO: with another serotonergic drug, a contraindicated pair (FDA 2011).
    "linezolid": ("Linezolid (MAO-inhibiting antibiotic)", True),
    "methylene_blue": ("Methylene blue (MAO-inhibiting)", True),
    "amphetamine": ("Amphetamine (amphetamine, MDMA)", True),
    "lithium": ("Lithium", True),
    "serotonergic_supplement": ("Serotonergic supplement (St John's wort, 5-HTP)", True),
    "bupropion": ("Bupropion", False),
    "antipsychotic": ("Antipsychotic", False),
    "mood_stabilizer": ("Mood stabiliser", False),
    "benzodiazepine": ("Benzodiazepine", False),
    "stimulant": ("Stimulant (methylphenidate)", False),
    "other": ("Other", False),
}


def is_serotonergic_class(drug_class: str) -> bool:
    return DRUG_CLASSES[drug_class][1]

