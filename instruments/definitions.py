"""The instrument registry: validated rating scales as versioned, citable data (pure Python, no Django)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from instruments.translations import Translation, es

Rater = Literal["self", "clinician"]

# PCL-5 has no verified LOINC code: its items and total are coded in mbc's own code system (a URN it owns).
LOCAL_CODE_SYSTEM = "urn:mbc:fhir:CodeSystem:instrument"


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
    answer_loinc: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    code: str
    version: str
    name: str
    short_name: str  # what tables and charts say: "PHQ-9"
    rater: Rater
    instructions: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    remission_max: int  # a total at or below this is remission
    moderate_min: int  # the lowest total of the moderate band: the relapse threshold
    combined_min: int  # at or above: severe enough to start with combined treatment (DESIGN 2b)
    suicide_item: int | None  # 1-based item number
    reliable_change: int  # points of change beyond measurement error
    citation: str
    bands_citation: str
    loinc_panel: str | None = None
    loinc_total: str | None = None
    answer_loinc: tuple[str, ...] = ()
    extra_questions: tuple[ExtraQuestion, ...] = field(default=())
    translations: tuple[Translation, ...] = ()
    language: str = "en"  # the language of the texts above

    @property
    def max_total(self) -> int:
        return sum(item.max_score for item in self.items)

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.language, *(t.language for t in self.translations))

    def in_language(self, language: str) -> Definition:
        """The same instrument worded in `language` where a published translation exists, else unchanged.

        Only the texts change: item numbers, ranges, codes and scoring are those of the original.
        """
        base = (language or "").split("-")[0].lower()
        translation = next((t for t in self.translations if t.language == base), None)
        if translation is None:
            return self
        extra_texts = {key: (text, anchors) for key, text, anchors in translation.extra_questions}
        return replace(
            self,
            instructions=translation.instructions,
            items=tuple(
                replace(item, text=text, anchors=translation.anchors)
                for item, text in zip(self.items, translation.items, strict=True)
            ),
            extra_questions=tuple(
                replace(q, text=extra_texts[q.key][0], anchors=extra_texts[q.key][1]) if q.key in extra_texts else q
                for q in self.extra_questions
            ),
            citation=f"{self.citation} {translation.citation}",
            language=translation.language,
            translations=(),
        )

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"{self.code}: total {total} is outside 0..{self.max_total}")


# The functional-impairment question closing the PHQ-9 and the GAD-7 (LOINC 69722-7); never part of a total.
_DIFFICULTY = ExtraQuestion(
    key="difficulty",
    text=(
        "If you checked off any problems, how difficult have these problems made it for you to do your "
        "work, take care of things at home, or get along with other people?"
    ),
    anchors=("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"),
    loinc="69722-7",
    answer_loinc=("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"),  # LOINC answer list LL359-1
)

_PHQ_ANSWERS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

# Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606-613). Wording of the public-domain PHQ-9 (Pfizer).
PHQ9 = Definition(
    code="phq9",
    version="1",
    name="PHQ-9 (Patient Health Questionnaire-9)",
    short_name="PHQ-9",
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
    combined_min=16,  # NICE NG222 (2022): "more severe" depression is PHQ-9 16 or more
    suicide_item=9,
    reliable_change=6,  # Löwe 2004 (Med Care 42:1194): a change of >= 6 points is reliable (RCI)
    citation="Kroenke K, Spitzer RL, Williams JBW. The PHQ-9. J Gen Intern Med 2001;16:606-613.",
    bands_citation="Kroenke 2001: 5, 10, 15, 20 = mild, moderate, moderately severe, severe.",
    loinc_panel="44249-1",
    loinc_total="44261-6",
    answer_loinc=("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"),
    extra_questions=(_DIFFICULTY,),
    translations=(es.PHQ9,),
)


def _hamd(number: int, text: str, *anchors: str) -> Item:
    return Item(number=number, text=text, anchors=tuple(anchors))


# Hamilton M. A rating scale for depression. J Neurol Neurosurg Psychiatry 1960;23:56-62 (17-item version).
HAMD17 = Definition(
    code="hamd17",
    version="1",
    name="HAM-D 17 (Hamilton Rating Scale for Depression, 17 items)",
    short_name="HAM-D 17",
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
    combined_min=19,  # DESIGN 2b: the severe band (CamCOPS 19-22)
    suicide_item=3,
    reliable_change=8,  # DESIGN §2: 8 points
    citation="Hamilton M. A rating scale for depression. J Neurol Neurosurg Psychiatry 1960;23:56-62.",
    bands_citation="CamCOPS (Cardinal RN): 0-7 normal, 8-13 mild, 14-18 moderate, 19-22 severe, >=23 very severe.",
)

# Spitzer RL, Kroenke K, Williams JBW, Löwe B 2006 (Arch Intern Med 166:1092-1097). Public-domain wording (Pfizer).
GAD7 = Definition(
    code="gad7",
    version="1",
    name="GAD-7 (Generalized Anxiety Disorder 7-item scale)",
    short_name="GAD-7",
    rater="self",
    instructions="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=tuple(
        Item(number=n, text=text, anchors=_PHQ_ANSWERS, loinc=loinc)
        for n, (text, loinc) in enumerate(
            [
                ("Feeling nervous, anxious, or on edge", "69725-0"),
                ("Not being able to stop or control worrying", "68509-9"),
                ("Worrying too much about different things", "69733-4"),
                ("Trouble relaxing", "69734-2"),
                ("Being so restless that it is hard to sit still", "69735-9"),
                ("Becoming easily annoyed or irritable", "69689-8"),
                ("Feeling afraid, as if something awful might happen", "69736-7"),
            ],
            start=1,
        )
    ),
    # Spitzer 2006: 5, 10 and 15 are the cut points for mild, moderate and severe anxiety.
    bands=(
        Band(0, 4, "minimal", "Minimal"),
        Band(5, 9, "mild", "Mild"),
        Band(10, 14, "moderate", "Moderate"),
        Band(15, 21, "severe", "Severe"),
    ),
    remission_max=4,  # remission: GAD-7 < 5, below the mild cut point (Spitzer 2006)
    moderate_min=10,  # Spitzer 2006: 10 or more, the screening cut point for GAD (sensitivity 89%, specificity 82%)
    combined_min=15,  # the severe band (Spitzer 2006)
    suicide_item=None,
    reliable_change=4,  # NHS Talking Therapies manual (2024): a change of 4 or more points on the GAD-7 is reliable
    citation=(
        "Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety disorder: "
        "the GAD-7. Arch Intern Med 2006;166:1092-1097."
    ),
    bands_citation="Spitzer 2006: 5, 10, 15 = mild, moderate, severe.",
    loinc_panel="69737-5",
    loinc_total="70274-6",
    answer_loinc=("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"),  # the PHQ-9's answer list (LL358-3)
    extra_questions=(_DIFFICULTY,),
    translations=(es.GAD7,),
)

_PCL_ANSWERS = ("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely")
# Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD Checklist for DSM-5 (PCL-5), 2013,
# National Center for PTSD (public domain). The version without the criterion A section ("past month" wording).
_PCL5_ITEMS = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you were "
    "actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience (for example, heart "
    "pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, conversations, "
    "activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, having thoughts such "
    "as: I am bad, there is something seriously wrong with me, no one can be trusted, the world is completely "
    "dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving feelings "
    "for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)
PCL5_CUTOFF_RANGE = (31, 33)  # Bovin 2016; Weathers 2013 / National Center for PTSD: probable PTSD at 31-33


def pcl5(cutoff: int = 33) -> Definition:
    """The PCL-5 with its probable-PTSD cut point (33 by default; a clinic may choose 31 to 33)."""
    low, high = PCL5_CUTOFF_RANGE
    if not low <= cutoff <= high:
        raise ValueError(f"The PCL-5 cut point must be from {low} to {high}, not {cutoff}.")
    return Definition(
        code="pcl5",
        version=f"1-cut{cutoff}",
        name="PCL-5 (PTSD Checklist for DSM-5)",
        short_name="PCL-5",
        rater="self",
        instructions=(
            "Below is a list of problems that people sometimes have in response to a very stressful experience. "
            "Keeping your worst event in mind, please read each problem carefully and then choose how much you have "
            "been bothered by that problem in the past month. In the past month, how much were you bothered by:"
        ),
        items=tuple(Item(number=n, text=text, anchors=_PCL_ANSWERS) for n, text in enumerate(_PCL5_ITEMS, start=1)),
        # The PCL-5 has no severity bands; the National Center for PTSD gives one cut point for probable PTSD.
        bands=(
            Band(0, cutoff - 1, "below_cutoff", "Below the PTSD cut point"),
            Band(cutoff, 80, "probable_ptsd", "Probable PTSD"),
        ),
        # Below the cut point is "no longer probable PTSD", the remission most PCL-5 trials report.
        remission_max=cutoff - 1,
        moderate_min=cutoff,  # partial response and relapse are judged from probable PTSD, as for the band
        # VA/DoD PTSD guideline (2023) and NICE NG116 (2018): trauma-focused psychotherapy first whatever the
        # severity, no evidence for starting combined: no PCL-5 total recommends it (81 is above the maximum 80).
        combined_min=81,
        suicide_item=None,  # item 16 (risk taking) is not a suicide item
        reliable_change=10,  # National Center for PTSD: 5-10 points reliable change; 10 points clinically meaningful
        citation=(
            "Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD Checklist for DSM-5 "
            "(PCL-5). National Center for PTSD, 2013. Bovin MJ et al. Psychol Assess 2016;28:1379-1391."
        ),
        bands_citation=f"National Center for PTSD: probable PTSD at 31-33; this clinic uses {cutoff}.",
        # No LOINC code verified for the PCL-5: the FHIR export codes it in LOCAL_CODE_SYSTEM.
    )


PCL5 = pcl5()

REGISTRY: dict[str, Definition] = {d.code: d for d in (PHQ9, HAMD17, GAD7, PCL5)}
DEFAULT_SELF_REPORT = "phq9"


def get(code: str) -> Definition:
    """The current definition of an instrument; KeyError when the code is unknown."""
    return REGISTRY[code]


def configure(*, pcl5_cutoff: int) -> None:
    """The clinic's choices among published alternatives (settings, read once at start-up)."""
    REGISTRY["pcl5"] = pcl5(pcl5_cutoff)


def instrument_choices() -> list[tuple[str, str]]:
    """Model field choices: a callable, so adding an instrument needs no migration."""
    return [(d.code, d.name) for d in REGISTRY.values()]


def self_rated() -> list[Definition]:
    return [d for d in REGISTRY.values() if d.rater == "self"]


def link_instruments(primary: str, chosen: Sequence[str] = ()) -> tuple[Definition, ...]:
    """The instruments a patient's link carries: the clinician's choice of self-rated ones, in its order; else the
    primary one if self-rated, else PHQ-9 (DESIGN §2). A clinician-rated instrument is never on a link."""
    picked = tuple(REGISTRY[c] for c in dict.fromkeys(chosen) if c in REGISTRY and REGISTRY[c].rater == "self")
    return picked or (self_report_instrument(primary),)


def self_report_instrument(primary: str) -> Definition:
    """The instrument offered on a patient's link: the primary one if self-rated, else PHQ-9 (DESIGN §2)."""
    definition = REGISTRY.get(primary)
    if definition is not None and definition.rater == "self":
        return definition
    return REGISTRY[DEFAULT_SELF_REPORT]
