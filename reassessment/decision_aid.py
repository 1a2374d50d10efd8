"""The patient's decision aid as versioned, citable content: what each option involves and why mbc suggests one.

Pure data (no Django), like the instrument registry: templates only arrange it. Every fact names its source; every
English paragraph is written to score at least 60 on Flesch reading ease (tests/reassessment/test_decision_aid.py
checks it), with sentences of under 20 words on average. The suggestion itself is the engine's recommended start
(DESIGN 2b); this module only puts its modality and reason codes into words a patient understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

VERSION = "2026.11-1"
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Source:
    key: str
    citation: str  # as a reader would look it up
    url: str = ""  # shown as text, never loaded: the page links nowhere outside the clinic's site


@dataclass(frozen=True)
class Fact:
    text: str
    source: str  # a key of SOURCES


@dataclass(frozen=True)
class Option:
    key: str  # psychotherapy | medication | combined | checks
    title: str
    paragraphs: tuple[str, ...]
    facts: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Content:
    """Every text of the page in one language."""

    title: str
    crisis_heading: str
    intro: str
    not_advice: str
    latest_heading: str
    latest_sentence: str  # format fields: {total}, {max_total}, {date}
    no_score: str
    bands: Mapping[str, str]  # a band's severity code -> what it means, without jargon
    band_fallback: str
    suggestion_heading: str
    suggestions: Mapping[str, str]  # recommended start modality -> the suggestion in words
    reasons_heading: str
    reasons: Mapping[str, str]  # reason code -> the reason in words
    options_heading: str
    options: tuple[Option, ...]
    evidence_heading: str
    evidence: Mapping[str, Fact]  # which fact backs which suggestion: see evidence_for()
    safety_heading: str
    safety: Mapping[str, Fact]  # young_antidepressant | other_medicines | stopping_early
    preference_question: str
    preference_choices: tuple[tuple[str, str], ...]  # (preference code of DESIGN 2b, label)
    preference_note_label: str
    preference_short_labels: tuple[str, str]  # the choice and the note, as the error summary names them
    preference_missing: str
    note_too_long: str
    error_title: str
    preference_submit: str
    preference_saved: str  # format field: {choice}
    sources_heading: str


SOURCES: Mapping[str, Source] = {
    s.key: s
    for s in (
        Source(
            "keller2000",
            "Keller MB, McCullough JP, Klein DN, et al. A comparison of nefazodone, the cognitive behavioral-analysis "
            "system of psychotherapy, and their combination for the treatment of chronic depression. N Engl J Med "
            "2000;342:1462-1470.",
            "https://doi.org/10.1056/NEJM200005183422001",
        ),
        Source(
            "demaat2007",
            "de Maat SM, Dekker J, Schoevers RA, de Jonghe F. Relative efficacy of psychotherapy and combined therapy "
            "in the treatment of depression: a meta-analysis. Eur Psychiatry 2007;22:1-8.",
            "https://doi.org/10.1016/j.eurpsy.2006.10.008",
        ),
        Source(
            "cuijpers2014",
            "Cuijpers P, Sijbrandij M, Koole SL, et al. Adding psychotherapy to antidepressant medication in "
            "depression and anxiety disorders: a meta-analysis. World Psychiatry 2014;13:56-67.",
            "https://doi.org/10.1002/wps.20089",
        ),
        Source(
            "nice_ng222",
            "National Institute for Health and Care Excellence. Depression in adults: treatment and management "
            "(NG222), 2022.",
            "https://www.nice.org.uk/guidance/ng222",
        ),
        Source(
            "fda_boxed_warning",
            "US Food and Drug Administration. Antidepressant use in children, adolescents, and adults: boxed warning "
            "on suicidality in young adults (2007).",
        ),
        Source(
            "fda_serotonin",
            "US Food and Drug Administration. Drug labels of serotonergic medicines and MAO inhibitors: serotonin "
            "syndrome warnings.",
        ),
        Source(
            "mbc_rules",
            "This clinic's measurement-based care rules: reassess every 4 to 8 weeks; add the other treatment when "
            "symptoms improve less than 30% after a two-month course (mbc docs/rules.md).",
        ),
    )
}

_EN = Content(
    title="Therapy, medicine, or both?",
    crisis_heading="Please reach out now",
    intro=(
        "This page helps you think about which treatment to try. It uses your answers and what research has found. "
        "Read it at your own pace. You can come back to it while your link works."
    ),
    not_advice=(
        "This page does not decide anything on its own. Your care team will talk it through with you. You decide "
        "together."
    ),
    latest_heading="What your answers say",
    latest_sentence="Your latest score was {total} out of {max_total}, on {date}.",
    no_score="We do not have a score from you yet. Once you send your answers, this page will use them.",
    bands={
        "minimal": "Your answers show you have few or no symptoms right now.",
        "normal": "Your answers show you have few or no symptoms right now.",
        "mild": "Your answers show your symptoms are mild.",
        "moderate": "Your answers show your symptoms are moderate. They get in the way of daily life.",
        "moderately_severe": "Your answers show your symptoms are quite severe. They make daily life hard.",
        "severe": "Your answers show your symptoms are severe. They make daily life very hard.",
        "very_severe": "Your answers show your symptoms are severe. They make daily life very hard.",
    },
    band_fallback="Your care team will explain what your score means.",
    suggestion_heading="What your care team's guide suggests",
    suggestions={
        "medication_first": "Start with medicine. Add talking therapy when you feel able to.",
        "combined": "Try talking therapy and medicine, both at the same time.",
        "either": (
            "Talking therapy or medicine. Each one alone is likely to help about as much as the other. What you "
            "would like to try matters most."
        ),
        "psychotherapy": "Start with talking therapy. It is a good first step for you.",
        "monitor": "You may not need a new treatment now. Your care team will keep checking how you feel.",
    },
    reasons_heading="Why",
    reasons={
        "psychotic_features": "Your care team noted symptoms that medicine treats best at first.",
        "severe": "Your answers show your symptoms are severe.",
        "chronic": "You have felt this way for two years or more.",
        "recurrent": "This is not your first time with depression.",
        "suicide_item": "You told us about thoughts of death or of hurting yourself.",
        "anxiety_disorder": "You also have a kind of anxiety that does best with both together.",
        "bipolar": "With your diagnosis, a medicine to keep your mood steady usually goes with therapy.",
        "moderate": "Your answers show your symptoms are moderate.",
        "mild": "Your answers show your symptoms are mild.",
        "minimal": "Your answers show you have few or no symptoms right now.",
    },
    options_heading="What each option involves",
    options=(
        Option(
            "psychotherapy",
            "Talking therapy",
            (
                "You meet a trained therapist, often once a week. You learn ways to deal with thoughts, feelings "
                "and problems. It tends to help over weeks to months. The skills stay with you after it ends.",
            ),
        ),
        Option(
            "medication",
            "Medicine",
            (
                "You take a tablet each day. Many people notice the first effects within 2 to 6 weeks. You keep "
                "taking it for months after you feel well. This helps stop the low mood from coming back.",
            ),
        ),
        Option(
            "combined",
            "Both together",
            (
                "You have talking therapy and take medicine at the same time. Together, many people feel better "
                "faster than with one alone. This matters most when symptoms are severe or have lasted a long time.",
            ),
        ),
        Option(
            "checks",
            "How your care team checks progress",
            (
                "Every 4 to 8 weeks you fill in a short form like this one. If you feel less than 30% better after "
                "about two months, your care team will offer to add the other treatment.",
            ),
            (Fact("Check progress every 4 to 8 weeks. After two months, add the other one if needed.", "mbc_rules"),),
        ),
    ),
    evidence_heading="What research has found",
    evidence={
        "chronic_combined": Fact(
            "In a large study, people had had depression for two years or more. With medicine plus a special kind "
            "of therapy, 73 in 100 got better. With either one alone, 48 in 100 got better.",
            "keller2000",
        ),
        "combined_remission": Fact(
            "When many studies are put together, 46 in 100 people were free of depression after therapy and "
            "medicine together. After therapy alone, 34 in 100 were. That is about 10 more people in every 100.",
            "demaat2007",
        ),
        "combined_lasting": Fact(
            "Adding therapy to medicine works better than medicine alone for depression, panic and OCD. The gain "
            "lasts up to two years.",
            "cuijpers2014",
        ),
        "mild_therapy": Fact(
            "For a first time with mild depression, talking therapy alone is often enough.",
            "nice_ng222",
        ),
        "either_similar": Fact(
            "For mild to moderate depression, therapy and medicine each help about as much. Your choice matters.",
            "nice_ng222",
        ),
    },
    safety_heading="Staying safe",
    safety={
        "young_antidepressant": Fact(
            "You are under 25. When young people start an antidepressant or change the dose, a few have new "
            "thoughts of suicide in the first weeks. So your care team will check in with you every week for the "
            "first 4 weeks. Tell them straight away if you have such thoughts.",
            "fda_boxed_warning",
        ),
        "other_medicines": Fact(
            "Tell the person who prescribes your medicine about every medicine and supplement you take. Some mix "
            "badly with antidepressants. Examples are St John's wort, the painkiller tramadol and migraine "
            "medicines called triptans.",
            "fda_serotonin",
        ),
        "stopping_early": Fact(
            "Do not stop an antidepressant on your own, even when you feel better. Stopping too early is a common "
            "reason depression comes back. Most people keep taking it for at least 6 months after they feel well. "
            "Stop only with your prescriber.",
            "nice_ng222",
        ),
    },
    preference_question="What would you like to try?",
    preference_choices=(
        ("psychotherapy", "Talking therapy"),
        ("medication", "Medicine"),
        ("combined", "Both together"),
        ("none", "I am not sure yet"),
    ),
    preference_note_label="Anything you would like your care team to know? (optional)",
    preference_short_labels=("Your choice", "Your message"),
    preference_missing="Please choose one of the options.",
    note_too_long="Please keep it under 500 characters.",
    error_title="There is a problem",
    preference_submit="Send my choice",
    preference_saved="Thank you. Your care team will see that you chose: {choice}.",
    sources_heading="Sources",
)

_ES = Content(
    title="¿Terapia, medicación o ambas?",
    crisis_heading="Por favor, pida ayuda ahora",
    intro=(
        "Esta página le ayuda a pensar qué tratamiento probar. Usa sus respuestas y lo que ha encontrado la "
        "investigación. Léala a su ritmo. Puede volver a ella mientras su enlace funcione."
    ),
    not_advice=(
        "Esta página no decide nada por sí sola. Su equipo de atención lo hablará con usted. Ustedes deciden juntos."
    ),
    latest_heading="Lo que dicen sus respuestas",
    latest_sentence="Su última puntuación fue {total} de {max_total}, el {date}.",
    no_score="Todavía no tenemos una puntuación suya. Cuando envíe sus respuestas, esta página las usará.",
    bands={
        "minimal": "Sus respuestas indican que ahora tiene pocos síntomas o ninguno.",
        "normal": "Sus respuestas indican que ahora tiene pocos síntomas o ninguno.",
        "mild": "Sus respuestas indican que sus síntomas son leves.",
        "moderate": "Sus respuestas indican que sus síntomas son moderados. Afectan a su vida diaria.",
        "moderately_severe": (
            "Sus respuestas indican que sus síntomas son bastante graves. Le hacen difícil el día a día."
        ),
        "severe": "Sus respuestas indican que sus síntomas son graves. Le hacen muy difícil el día a día.",
        "very_severe": "Sus respuestas indican que sus síntomas son graves. Le hacen muy difícil el día a día.",
    },
    band_fallback="Su equipo de atención le explicará qué significa su puntuación.",
    suggestion_heading="Lo que sugiere la guía de su equipo de atención",
    suggestions={
        "medication_first": "Empezar con medicación. Añadir terapia psicológica cuando se sienta capaz.",
        "combined": "Probar terapia psicológica y medicación a la vez.",
        "either": (
            "Terapia psicológica o medicación. Cada una por sí sola suele ayudar más o menos lo mismo. Lo que usted "
            "prefiera es lo más importante."
        ),
        "psychotherapy": "Empezar con terapia psicológica.",
        "monitor": "Puede que ahora no necesite un tratamiento nuevo. Su equipo seguirá revisando cómo se encuentra.",
    },
    reasons_heading="Por qué",
    reasons={
        "psychotic_features": "Su equipo notó síntomas que al principio se tratan mejor con medicación.",
        "severe": "Sus respuestas indican que sus síntomas son graves.",
        "chronic": "Se ha sentido así durante dos años o más.",
        "recurrent": "No es la primera vez que tiene depresión.",
        "suicide_item": "Nos contó que ha tenido pensamientos de muerte o de hacerse daño.",
        "anxiety_disorder": "También tiene un tipo de ansiedad que mejora más con ambos tratamientos juntos.",
        "bipolar": "Con su diagnóstico, un medicamento que estabiliza el ánimo suele acompañar a la terapia.",
        "moderate": "Sus respuestas indican que sus síntomas son moderados.",
        "mild": "Sus respuestas indican que sus síntomas son leves.",
        "minimal": "Sus respuestas indican que ahora tiene pocos síntomas o ninguno.",
    },
    options_heading="En qué consiste cada opción",
    options=(
        Option(
            "psychotherapy",
            "Terapia psicológica",
            (
                "Se reúne con un terapeuta, a menudo una vez por semana. Aprende formas de manejar pensamientos, "
                "emociones y problemas. Suele ayudar en semanas o meses. Lo aprendido le sirve después.",
            ),
        ),
        Option(
            "medication",
            "Medicación",
            (
                "Toma una pastilla cada día. Muchas personas notan los primeros efectos en 2 a 6 semanas. Se sigue "
                "tomando meses después de sentirse bien. Así se evita que el ánimo bajo vuelva.",
            ),
        ),
        Option(
            "combined",
            "Ambas a la vez",
            (
                "Hace terapia psicológica y toma medicación al mismo tiempo. Juntas, muchas personas mejoran antes "
                "que con una sola. Importa más cuando los síntomas son graves o duran mucho tiempo.",
            ),
        ),
        Option(
            "checks",
            "Cómo revisa su equipo el progreso",
            (
                "Cada 4 a 8 semanas rellena un formulario corto como este. Si tras unos dos meses se siente menos "
                "de un 30% mejor, su equipo le ofrecerá añadir el otro tratamiento.",
            ),
            (Fact("Revisar cada 4 a 8 semanas. Tras dos meses, añadir el otro si hace falta.", "mbc_rules"),),
        ),
    ),
    evidence_heading="Lo que ha encontrado la investigación",
    evidence={
        "chronic_combined": Fact(
            "En un estudio grande de depresión de dos años o más, 73 de cada 100 personas mejoraron con medicación "
            "y un tipo especial de terapia. Con una sola de las dos, mejoraron 48 de cada 100.",
            "keller2000",
        ),
        "combined_remission": Fact(
            "Al juntar muchos estudios, 46 de cada 100 personas quedaron libres de depresión con terapia y "
            "medicación juntas. Con terapia sola, 34 de cada 100. Son unas 10 personas más de cada 100.",
            "demaat2007",
        ),
        "combined_lasting": Fact(
            "Añadir terapia a la medicación funciona mejor que la medicación sola para la depresión, el pánico y "
            "el TOC. La ventaja dura hasta dos años.",
            "cuijpers2014",
        ),
        "mild_therapy": Fact(
            "La primera vez que alguien tiene una depresión leve, la terapia psicológica sola suele bastar.",
            "nice_ng222",
        ),
        "either_similar": Fact(
            "En la depresión leve o moderada, la terapia y la medicación ayudan más o menos lo mismo. Su elección "
            "cuenta.",
            "nice_ng222",
        ),
    },
    safety_heading="Su seguridad",
    safety={
        "young_antidepressant": Fact(
            "Tiene menos de 25 años. Cuando una persona joven empieza un antidepresivo o cambia la dosis, unas pocas "
            "tienen pensamientos nuevos de suicidio en las primeras semanas. Por eso su equipo hablará con usted "
            "cada semana durante las primeras 4 semanas. Dígaselo enseguida si tiene esos pensamientos.",
            "fda_boxed_warning",
        ),
        "other_medicines": Fact(
            "Cuente a quien le receta la medicación todos los medicamentos y suplementos que toma. Algunos no se "
            "llevan bien con los antidepresivos. Por ejemplo, la hierba de San Juan, el tramadol y los "
            "medicamentos para la migraña llamados triptanes.",
            "fda_serotonin",
        ),
        "stopping_early": Fact(
            "No deje un antidepresivo por su cuenta, aunque se sienta mejor. Dejarlo demasiado pronto es una causa "
            "frecuente de que la depresión vuelva. La mayoría lo sigue tomando al menos 6 meses después de sentirse "
            "bien. Déjelo solo con quien se lo receta.",
            "nice_ng222",
        ),
    },
    preference_question="¿Qué le gustaría probar?",
    preference_choices=(
        ("psychotherapy", "Terapia psicológica"),
        ("medication", "Medicación"),
        ("combined", "Ambas a la vez"),
        ("none", "Todavía no lo sé"),
    ),
    preference_note_label="¿Algo que quiera que sepa su equipo de atención? (opcional)",
    preference_short_labels=("Su elección", "Su mensaje"),
    preference_missing="Por favor, elija una de las opciones.",
    note_too_long="Por favor, escriba menos de 500 caracteres.",
    error_title="Hay un problema",
    preference_submit="Enviar mi elección",
    preference_saved="Gracias. Su equipo verá que eligió: {choice}.",
    sources_heading="Fuentes",
)

CONTENT: Mapping[str, Content] = {"en": _EN, "es": _ES}

# Which research facts back which suggestion (DESIGN 2b's modalities): the page shows these, each with its source.
EVIDENCE_BY_SUGGESTION: Mapping[str, tuple[str, ...]] = {
    "medication_first": ("combined_lasting",),
    "combined": ("chronic_combined", "combined_remission", "combined_lasting"),
    "either": ("either_similar", "combined_remission"),
    "psychotherapy": ("mild_therapy",),
    "monitor": ("mild_therapy",),
}
# Suggestions where medicine is part of the plan: the medicine safety texts apply to them.
MEDICINE_SUGGESTIONS = ("medication_first", "combined", "either")


def content_language(language: str) -> str:
    """The language the page is shown in: "es-mx" reads "es"; English where mbc has no translation."""
    base = (language or "").split("-")[0].lower()
    return base if base in CONTENT else "en"


def content(language: str) -> Content:
    """The page's texts in a language ("es-mx" reads "es"); English where mbc has no translation."""
    return CONTENT[content_language(language)]


def evidence_for(suggestion: str | None, language: str) -> list[Fact]:
    c = content(language)
    keys = EVIDENCE_BY_SUGGESTION.get(suggestion or "", ("combined_remission", "mild_therapy"))
    return [c.evidence[k] for k in keys]


def safety_for(
    *, language: str, suggestion: str | None, under_25: bool, on_antidepressant: bool, on_any_medication: bool
) -> list[Fact]:
    """The safety texts that apply to this patient, in the order a prescriber would say them."""
    c = content(language)
    medicine_in_plan = suggestion in MEDICINE_SUGGESTIONS or on_antidepressant
    shown = []
    # FDA boxed warning: people under 25 starting an antidepressant or changing its dose are watched weekly.
    if under_25 and medicine_in_plan:
        shown.append(c.safety["young_antidepressant"])
    if medicine_in_plan or on_any_medication:
        shown.append(c.safety["other_medicines"])
    if on_antidepressant or medicine_in_plan:
        shown.append(c.safety["stopping_early"])
    return shown


def english_paragraphs() -> list[str]:
    """Every English paragraph the page can show: what the readability test scores."""
    c = _EN
    texts = [c.intro, c.not_advice, c.no_score, c.band_fallback]
    texts += list(c.bands.values()) + list(c.suggestions.values()) + list(c.reasons.values())
    for option in c.options:
        texts += list(option.paragraphs) + [f.text for f in option.facts]
    texts += [f.text for f in c.evidence.values()] + [f.text for f in c.safety.values()]
    return texts
