"""Spanish (Spanish for the USA) wording of the PHQ-9 and the GAD-7, as published with the PHQ screeners.

The PHQ and GAD-7 screeners and their translations are free to use (Pfizer; phqscreeners.com, "Spanish for USA",
translated by MAPI Research Institute from the English originals of Spitzer, Williams and Kroenke). Only the texts
change: item order, answer scores and scoring are those of the English instruments.
"""

from __future__ import annotations

from instruments.translations import Translation

_FREQUENCY = ("Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días")
_DIFFICULTY = (
    "difficulty",
    "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su trabajo, "
    "encargarse de las tareas del hogar, o llevarse bien con otras personas?",
    ("No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil"),
)
_SOURCE = "Versión en español para EE. UU. (Pfizer, PHQ Screeners; traducción de MAPI Research Institute)."

PHQ9 = Translation(
    language="es",
    version="es-US-1",
    instructions=(
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?"
    ),
    items=(
        "Poco interés o placer en hacer cosas",
        "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
        "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
        "Se ha sentido cansado(a) o con poca energía",
        "Sin apetito o ha comido en exceso",
        "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con usted mismo(a) o con "
        "su familia",
        "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la "
        "televisión",
        "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario – muy "
        "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
    ),
    anchors=_FREQUENCY,
    citation=_SOURCE,
    extra_questions=(_DIFFICULTY,),
)

GAD7 = Translation(
    language="es",
    version="es-US-1",
    instructions="Durante las últimas 2 semanas, ¿con qué frecuencia le han molestado los siguientes problemas?",
    items=(
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        "No ha sido capaz de parar o controlar su preocupación",
        "Se ha preocupado demasiado por motivos diferentes",
        "Ha tenido dificultad para relajarse",
        "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
        "Se ha molestado o irritado fácilmente",
        "Ha tenido miedo de que algo terrible fuera a pasar",
    ),
    anchors=_FREQUENCY,
    citation=_SOURCE,
    extra_questions=(_DIFFICULTY,),
)
