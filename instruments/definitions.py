"""The instrument registry: validated rating scales as versioned, citable data (pure Python, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Rater = Literal["self", "clinician"]


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as printed on the form
    text: str
    anchors: tuple[str, ...]  # the label of each answer, index = score; min is always 0
    loinc: str | None = None

    @property
    def max_score(self) -> int:
        return len(self.anchors) - 1


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    severity: str  # a stable code: "moderately_severe"
    label: str  # what a clinician reads: "Moderately severe"


@dataclass(frozen=True)
class ExtraQuestion:
    """A question stored with the answers but never part of the total (PHQ-9's functional-impairment question)."""

    key: str
    text: str
    anchors: tuple[str, ...]
    loinc: str | None = None


@dataclass(frozen=True)
class Definition:
    code: str
    version: str
    name: str
    rater: Rater
    instructions: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    remission_max: int  # a total at or below this is remission
    moderate_min: int  # the lowest total of the moderate band: the relapse threshold
    suicide_item: int | None  # 1-based item number
    reliable_change: int  # points of change beyond measurement error
    citation: str
    bands_citation: str
    loinc_panel: str | None = None
    loinc_total: str | None = None
    answer_loinc: tuple[str, ...] = ()
    extra_questions: tuple[ExtraQuestion, ...] = field(default=())

    @property
    def max_total(self) -> int:
        return sum(item.max_score for item in self.items)

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"{self.code}: total {total} is outside 0..{self.max_total}")


_PHQ_ANSWERS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

# Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606-613). Wording of the public-domain PHQ-9 (Pfizer).
PHQ9 = Definition(
    code="phq9",
    version="1",
    name="PHQ-9 (Patient Health Questionnaire-9)",
    rater="self",
    instructions="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=tuple(
        Item(number=n, text=text, anchors=_PHQ_ANSWERS, loinc=loinc)
        for n, (text, loinc) in enumerate(
            [
                ("Little interest or pleasure in doing things", "44250-9"),
                ("Feeling down, depressed, or hopeless", "44255-8"),
                ("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
                ("Feeling tired or having little energy", "44254-1"),
                ("Poor appetite or overeating", "44251-7"),
                (
                    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
                    "44258-2",
                ),
                (
                    "Trouble concentrating on things, such as reading the newspaper or watching television",
                    "44252-5",
                ),
                (
                    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
                    "fidgety or restless that you have been moving around a lot more than usual",
                    "44253-3",
                ),
                ("Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
            ],
            start=1,
        )
    ),
    # Kroenke 2001: 5/10/15/20 cut points for mild, moderate, moderately severe, severe.
    bands=(
        Band(0, 4, "minimal", "Minimal"),
        Band(5, 9, "mild", "Mild"),
        Band(10, 14, "moderate", "Moderate"),
        Band(15, 19, "moderately_severe", "Moderately severe"),
        Band(20, 27, "severe", "Severe"),
    ),
    remission_max=4,  # remission: PHQ-9 < 5 (Kroenke 2001; Löwe 2004)
    moderate_min=10,
    suicide_item=9,
    reliable_change=6,  # Löwe 2004 (Med Care 42:1194): a change of >= 6 points is reliable (RCI)
    citation="Kroenke K, Spitzer RL, Williams JBW. The PHQ-9. J Gen Intern Med 2001;16:606-613.",
    bands_citation="Kroenke 2001: 5, 10, 15, 20 = mild, moderate, moderately severe, severe.",
    loinc_panel="44249-1",
    loinc_total="44261-6",
    answer_loinc=("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"),
    extra_questions=(
        ExtraQuestion(
            key="difficulty",
            text=(
                "If you checked off any problems, how difficult have these problems made it for you to do your "
                "work, take care of things at home, or get along with other people?"
            ),
            anchors=("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"),
            loinc="69722-7",
        ),
    ),
)


def _hamd(number: int, text: str, *anchors: str) -> Item:
    return Item(number=number, text=text, anchors=tuple(anchors))


# Hamilton M. A rating scale for depression. J Neurol Neurosurg Psychiatry 1960;23:56-62 (17-item version).
HAMD17 = Definition(
    code="hamd17",
    version="1",
    name="HAM-D 17 (Hamilton Rating Scale for Depression, 17 items)",
    rater="clinician",
    instructions="Rate each item for the past week, from the interview. Choose the anchor that best fits.",
    items=(
        _hamd(
            1,
            "Depressed mood (sadness, hopeless, helpless, worthless)",
            "Absent",
            "These feeling states indicated only on questioning",
            "These feeling states spontaneously reported verbally",
            "Communicates feeling states non-verbally (facial expression, posture, voice, tendency to weep)",
            "Reports virtually only these feeling states in spontaneous verbal and non-verbal communication",
        ),
        _hamd(
            2,
            "Feelings of guilt",
            "Absent",
            "Self-reproach, feels they have let people down",
            "Ideas of guilt or rumination over past errors or sinful deeds",
            "Present illness is a punishment; delusions of guilt",
            "Hears accusatory or denunciatory voices and/or experiences threatening visual hallucinations",
        ),
        _hamd(
            3,
            "Suicide",
            "Absent",
            "Feels life is not worth living",
            "Wishes they were dead or any thoughts of possible death to self",
            "Ideas or gestures of suicide",
            "Attempts at suicide (any serious attempt rates 4)",
        ),
        _hamd(
            4,
            "Insomnia: early in the night",
            "No difficulty falling asleep",
            "Complains of occasional difficulty falling asleep, i.e. more than half an hour",
            "Complains of nightly difficulty falling asleep",
        ),
        _hamd(
            5,
            "Insomnia: middle of the night",
            "No difficulty",
            "Complains of being restless and disturbed during the night",
            "Waking during the night; any getting out of bed rates 2 (except for purposes of voiding)",
        ),
        _hamd(
            6,
            "Insomnia: early hours of the morning",
            "No difficulty",
            "Waking in early hours of the morning but goes back to sleep",
            "Unable to fall asleep again if they get out of bed",
        ),
        _hamd(
            7,
            "Work and activities",
            "No difficulty",
            "Thoughts and feelings of incapacity, fatigue or weakness related to activities, work or hobbies",
            "Loss of interest in activity, hobbies or work, reported directly or shown by listlessness, indecision "
            "and vacillation",
            "Decrease in actual time spent in activities or decrease in productivity",
            "Stopped working because of present illness",
        ),
        _hamd(
            8,
            "Retardation (slowness of thought and speech, impaired ability to concentrate, decreased motor activity)",
            "Normal speech and thought",
            "Slight retardation during the interview",
            "Obvious retardation during the interview",
            "Interview difficult",
            "Complete stupor",
        ),
        _hamd(
            9,
            "Agitation",
            "None",
            "Fidgetiness",
            "Playing with hands, hair, etc.",
            "Moving about, can't sit still",
            "Hand wringing, nail biting, hair-pulling, biting of lips",
        ),
        _hamd(
            10,
            "Anxiety: psychic",
            "No difficulty",
            "Subjective tension and irritability",
            "Worrying about minor matters",
            "Apprehensive attitude apparent in face or speech",
            "Fears expressed without questioning",
        ),
        _hamd(
            11,
            "Anxiety: somatic (dry mouth, indigestion, palpitations, hyperventilation, sweating, urinary frequency)",
            "Absent",
            "Mild",
            "Moderate",
            "Severe",
            "Incapacitating",
        ),
        _hamd(
            12,
            "Somatic symptoms: gastro-intestinal",
            "None",
            "Loss of appetite but eating without encouragement; heavy feelings in abdomen",
            "Difficulty eating without urging; requests or requires laxatives or medication for bowels or "
            "gastro-intestinal symptoms",
        ),
        _hamd(
            13,
            "General somatic symptoms",
            "None",
            "Heaviness in limbs, back or head; backaches, headaches, muscle aches; loss of energy and fatigability",
            "Any clear-cut symptom rates 2",
        ),
        _hamd(
            14,
            "Genital symptoms (loss of libido, menstrual disturbances)",
            "Absent",
            "Mild",
            "Severe",
        ),
        _hamd(
            15,
            "Hypochondriasis",
            "Not present",
            "Self-absorption (bodily)",
            "Preoccupation with health",
            "Frequent complaints, requests for help, etc.",
            "Hypochondriacal delusions",
        ),
        _hamd(
            16,
            "Loss of weight",
            "No weight loss",
            "Probable weight loss associated with present illness",
            "Definite weight loss (according to the patient or to weekly measurement)",
        ),
        _hamd(
            17,
            "Insight",
            "Acknowledges being depressed and ill",
            "Acknowledges illness but attributes cause to bad food, climate, overwork, virus, need for rest, etc.",
            "Denies being ill at all",
        ),
    ),
    # The CamCOPS bands; other published sets differ (Zimmerman 2013: 0-7, 8-16, 17-23, >=24).
    bands=(
        Band(0, 7, "normal", "Normal"),
        Band(8, 13, "mild", "Mild"),
        Band(14, 18, "moderate", "Moderate"),
        Band(19, 22, "severe", "Severe"),
        Band(23, 52, "very_severe", "Very severe"),
    ),
    remission_max=7,  # remission: HAM-D 17 <= 7 (Frank 1991; Zimmerman 2013)
    moderate_min=14,
    suicide_item=3,
    reliable_change=8,  # DESIGN §2: 8 points
    citation="Hamilton M. A rating scale for depression. J Neurol Neurosurg Psychiatry 1960;23:56-62.",
    bands_citation="CamCOPS (Cardinal RN): 0-7 normal, 8-13 mild, 14-18 moderate, 19-22 severe, >=23 very severe.",
)

REGISTRY: dict[str, Definition] = {d.code: d for d in (PHQ9, HAMD17)}
DEFAULT_SELF_REPORT = "phq9"


def get(code: str) -> Definition:
    """The current definition of an instrument; KeyError when the code is unknown."""
    return REGISTRY[code]


def self_report_instrument(primary: str) -> Definition:
    """The instrument offered on a patient's link: the primary one if self-rated, else PHQ-9 (DESIGN §2)."""
    definition = REGISTRY.get(primary)
    if definition is not None and definition.rater == "self":
        return definition
    return REGISTRY[DEFAULT_SELF_REPORT]
