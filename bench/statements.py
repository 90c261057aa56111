"""Realistic xAPI statements, shaped like those Moodle's logstore_xapi sends.

The shapes follow Moodle's (see ``tests/fixtures/statements/moodle/``): an actor identified by an
``account`` (``homePage`` = the LMS, ``name`` = the Moodle user id), Moodle's verbs and activity
types, ``context.contextActivities`` with ``category`` (the site), ``parent`` (module, section,
course) and ``grouping`` (the training program), the Learning Locker ``info`` extension, and
results with ``duration``, ``score``, ``completion``, ``success`` and ``response``.

What matters for a load test is the cardinality of the indexed columns, so the population is
fixed and deterministic for a given seed: about 2,000 learners in cohorts of 50, 20 courses of
10 activities each (200 activities) grouped into 8 programs, and 10 verbs with Moodle-like
frequencies (mostly *viewed* and *answered*). A learner acts on the courses of their cohort's
program, so statements cluster the way real ones do. Everything here is plain data: no network.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

SITE = "https://lms.bpsdm.example.go.id"
SIASN = "https://siasn.bkn.go.id"
SITE_NAME = "LMS BPSDM (benchmark)"
PLUGIN_VERSION = "5.0.1"
REGISTRATION_NAMESPACE = uuid.UUID("6f1c3f0e-2b7a-4d8e-9a51-3c0f4b8d2e17")
TIME_ORIGIN = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
TIME_SPAN = timedelta(days=120)

Json = dict[str, Any]

INFO_EXTENSION = "http://lrs.learninglocker.net/define/extensions/info"

# Activity types, as Moodle's logstore_xapi names them (see the corpus).
TYPE_LMS = "http://id.tincanapi.com/activitytype/lms"
TYPE_PROGRAM = "http://id.tincanapi.com/activitytype/lms/program"
TYPE_COURSE = "https://w3id.org/xapi/cmi5/activitytype/course"
TYPE_SECTION = "http://id.tincanapi.com/activitytype/section"
MODULE_TYPES: dict[str, str] = {
    "page": "https://w3id.org/xapi/acrossx/activities/page",
    "resource": "http://id.tincanapi.com/activitytype/resource",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "assign": "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/assignment",
    "forum": "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/forum",
    "scorm": "http://adlnet.gov/expapi/activities/module",
    "facetoface": "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion",
}
# One course = the course itself + these nine activities: 10 per course, 200 for 20 courses.
COURSE_LAYOUT: tuple[str, ...] = (
    "page",
    "resource",
    "quiz",
    "question",
    "question",
    "assign",
    "forum",
    "scorm",
    "facetoface",
)


@dataclass(frozen=True)
class Verb:
    """An xAPI verb, how often Moodle emits it, and which activity kinds it applies to."""

    id: str
    display: str
    weight: int
    kinds: tuple[str, ...]
    event: str  # the Moodle event class, for the info extension


VERBS: tuple[Verb, ...] = (
    Verb(
        "http://id.tincanapi.com/verb/viewed",
        "Viewed",
        38,
        ("course", "page", "resource", "quiz", "assign", "forum", "scorm", "facetoface"),
        "course_module_viewed",
    ),
    Verb(
        "http://adlnet.gov/expapi/verbs/answered",
        "Answered",
        16,
        ("question",),
        "attempt_submitted",
    ),
    Verb(
        "http://adlnet.gov/expapi/verbs/completed",
        "Completed",
        14,
        ("page", "resource", "quiz", "scorm", "course"),
        "course_module_completion_updated",
    ),
    Verb(
        "http://activitystrea.ms/schema/1.0/submit",
        "Submitted",
        6,
        ("assign",),
        "assessable_submitted",
    ),
    Verb(
        "http://adlnet.gov/expapi/verbs/commented",
        "Commented",
        5,
        ("forum",),
        "post_created",
    ),
    Verb(
        "http://adlnet.gov/expapi/verbs/launched",
        "Launched",
        5,
        ("scorm",),
        "sco_launched",
    ),
    Verb(
        "https://w3id.org/xapi/tla/verbs/scored",
        "Scored",
        4,
        ("assign",),
        "submission_graded",
    ),
    Verb(
        "http://adlnet.gov/expapi/verbs/attended",
        "Attended",
        4,
        ("facetoface",),
        "take_attendance",
    ),
    Verb(
        "https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled",
        "Enrolled",
        4,
        ("course",),
        "user_enrolment_created",
    ),
    Verb(
        "https://w3id.org/xapi/tla/verbs/achieved",
        "Achieved",
        4,
        ("course",),
        "course_completed",
    ),
)

FIRST_NAMES = (
    "Adi", "Agus", "Ayu", "Bambang", "Budi", "Citra", "Dewi", "Dian", "Eka", "Fajar", "Fitri",
    "Gita", "Hadi", "Hendra", "Indah", "Intan", "Joko", "Kartika", "Lestari", "Made", "Nur",
    "Putri", "Rahmat", "Rina", "Sari", "Siti", "Teguh", "Tri", "Wahyu", "Yudi",
)  # fmt: skip
LAST_NAMES = (
    "Hidayat", "Kurniawan", "Lubis", "Nasution", "Pratama", "Purnomo", "Rahayu", "Saputra",
    "Setiawan", "Simanjuntak", "Siregar", "Sitompul", "Susanto", "Wibowo", "Wijaya", "Yulianti",
)  # fmt: skip
COURSE_TOPICS = (
    "Pelayanan Publik", "Manajemen ASN", "Etika Birokrasi", "Keuangan Negara",
    "Pengadaan Barang dan Jasa", "Kepemimpinan Pengawas", "Kepemimpinan Administrator",
    "Analisis Kebijakan", "Manajemen Risiko", "Transformasi Digital", "Wawasan Kebangsaan",
    "Akuntabilitas Kinerja", "Komunikasi Efektif", "Perencanaan Pembangunan", "Arsip Digital",
    "Smart ASN", "Inovasi Sektor Publik", "Audit Internal", "Layanan Berbasis Elektronik",
    "Literasi Data",
)  # fmt: skip
PROGRAM_NAMES = (
    "Latsar CPNS", "PKP", "PKA", "PKN II", "Pelatihan Fungsional Analis Kebijakan",
    "Pelatihan Teknis Pengadaan", "Pelatihan Auditor", "Pelatihan Digital Talent",
)  # fmt: skip
CHOICES = ("answer-a", "answer-b", "answer-c", "answer-d")


@dataclass(frozen=True)
class Activity:
    """One activity: ``kind`` says which verbs apply; ``course`` is the course index."""

    id: str
    name: str
    kind: str
    type: str
    course: int
    cmid: int

    def definition(self) -> Json:
        definition: Json = {"name": {"id": self.name}, "type": self.type}
        if self.kind == "question":
            definition["description"] = {"id": f"Soal: {self.name}"}
            definition["interactionType"] = "choice"
            definition["choices"] = [
                {"id": choice, "description": {"id": f"Jawaban {choice[-1].upper()}"}}
                for choice in CHOICES
            ]
            definition["correctResponsesPattern"] = [self.correct_choice]
        return definition

    @property
    def correct_choice(self) -> str:
        """Of a question: the right answer (questions are numbered by the last query value)."""
        return CHOICES[int(self.id.rsplit("=", 1)[1]) % len(CHOICES)]

    def as_object(self) -> Json:
        return {"id": self.id, "definition": self.definition(), "objectType": "Activity"}


@dataclass(frozen=True)
class Course:
    index: int
    course_id: int
    activity: Activity
    section: Json
    modules: tuple[Activity, ...]
    by_kind: dict[str, tuple[Activity, ...]] = field(hash=False, compare=False)


@dataclass(frozen=True)
class Program:
    index: int
    activity: Json
    courses: tuple[int, ...]


@dataclass(frozen=True)
class Learner:
    """A learner; ``agent`` is the xAPI Agent as Moodle sends it."""

    user_id: int
    name: str
    cohort: int

    @property
    def nip(self) -> str:
        """A valid 18-digit NIP: birth date, appointment month, gender digit, serial."""
        born = date(1975, 1, 1) + timedelta(days=self.user_id * 7 % 9000)
        appointed = f"{born.year + 25 + self.user_id % 10}{1 + self.user_id % 12:02d}"
        return f"{born:%Y%m%d}{appointed}{1 + self.user_id % 2}{1 + self.user_id % 999:03d}"

    @property
    def account(self) -> Json:
        """Half the learners are identified by NIP under SIASN (credited at once), half by
        their Moodle user id (credit parked as unmatched until a mapping arrives)."""
        if self.user_id % 2 == 0:
            return {"homePage": SIASN, "name": self.nip}
        return {"homePage": SITE, "name": str(self.user_id)}

    @property
    def agent(self) -> Json:
        return {"account": self.account, "name": self.name}

    def query_agent(self) -> Json:
        """The Agent as a query parameter: the identifier only (the name is not matched)."""
        return {"objectType": "Agent", "account": self.account}


@dataclass(frozen=True)
class Population:
    """The fixed world statements are drawn from; equal seeds give equal populations."""

    learners: tuple[Learner, ...]
    courses: tuple[Course, ...]
    programs: tuple[Program, ...]
    cohort_size: int
    verbs: tuple[Verb, ...] = VERBS

    @classmethod
    def build(
        cls,
        seed: int = 1,
        *,
        learners: int = 2000,
        courses: int = 20,
        programs: int = 8,
        cohort_size: int = 50,
        courses_per_program: int = 5,
    ) -> Population:
        rng = random.Random(f"population-{seed}")
        course_list = tuple(_course(i) for i in range(courses))
        program_list = tuple(
            Program(
                index=p,
                activity={
                    "id": f"{SITE}/totara/program/view.php?id={p + 1}",
                    "definition": {
                        "name": {"id": PROGRAM_NAMES[p % len(PROGRAM_NAMES)]},
                        "type": TYPE_PROGRAM,
                    },
                    "objectType": "Activity",
                },
                courses=tuple(
                    sorted(
                        {(p * 3 + k) % courses for k in range(min(courses_per_program, courses))}
                    )
                ),
            )
            for p in range(programs)
        )
        learner_list = tuple(
            Learner(
                user_id=1001 + i,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                cohort=i // cohort_size,
            )
            for i in range(learners)
        )
        return cls(learner_list, course_list, program_list, cohort_size)

    @property
    def activities(self) -> tuple[Activity, ...]:
        return tuple(a for c in self.courses for a in (c.activity, *c.modules))

    def program_of(self, learner: Learner) -> Program:
        return self.programs[learner.cohort % len(self.programs)]


def _course(index: int) -> Course:
    course_id = index + 2  # Moodle's site course is id 1
    topic = COURSE_TOPICS[index % len(COURSE_TOPICS)]
    course = Activity(
        id=f"{SITE}/course/view.php?id={course_id}",
        name=topic,
        kind="course",
        type=TYPE_COURSE,
        course=index,
        cmid=0,
    )
    section = {
        "id": f"{SITE}/course/section.php?id={course_id * 10}",
        "definition": {"name": {"id": f"{topic} Bagian 1"}, "type": TYPE_SECTION},
        "objectType": "Activity",
    }
    modules: list[Activity] = []
    quiz_cmid = 0
    for slot, kind in enumerate(COURSE_LAYOUT):
        cmid = course_id * 100 + slot
        if kind == "question":
            modules.append(
                Activity(
                    id=f"{SITE}/question/question.php?cmid={quiz_cmid}&id={cmid}",
                    name=f"{topic} soal {slot}",
                    kind=kind,
                    type=MODULE_TYPES[kind],
                    course=index,
                    cmid=quiz_cmid,
                )
            )
            continue
        if kind == "quiz":
            quiz_cmid = cmid
        modules.append(
            Activity(
                id=f"{SITE}/mod/{kind}/view.php?id={cmid}",
                name=f"{topic}: {kind}",
                kind=kind,
                type=MODULE_TYPES[kind],
                course=index,
                cmid=cmid,
            )
        )
    by_kind: dict[str, list[Activity]] = {"course": [course]}
    for module in modules:
        by_kind.setdefault(module.kind, []).append(module)
    return Course(
        index=index,
        course_id=course_id,
        activity=course,
        section=section,
        modules=tuple(modules),
        by_kind={k: tuple(v) for k, v in by_kind.items()},
    )


class StatementFactory:
    """Draws statements from a population; each factory has its own deterministic stream."""

    def __init__(self, population: Population, stream: str, seed: int = 1) -> None:
        self.population = population
        self.rng = random.Random(f"{stream}-{seed}")
        self._verb_weights = [v.weight for v in population.verbs]
        self._site = {
            "id": SITE,
            "definition": {"name": {"id": SITE_NAME}, "type": TYPE_LMS},
            "objectType": "Activity",
        }
        self._quiz_by_cmid = {
            a.cmid: a for c in population.courses for a in c.modules if a.kind == "quiz"
        }
        self._instructor = {"account": {"homePage": SITE, "name": "2"}, "name": "Widyaiswara"}

    def statement(self) -> Json:
        rng = self.rng
        pop = self.population
        learner = rng.choice(pop.learners)
        program = pop.program_of(learner)
        verb = rng.choices(pop.verbs, weights=self._verb_weights)[0]
        course = pop.courses[rng.choice(program.courses)]
        kind = rng.choice(verb.kinds)
        activity = rng.choice(course.by_kind[kind])
        return self._compose(learner, program, verb, course, activity)

    def statements(self, count: int) -> list[Json]:
        return [self.statement() for _ in range(count)]

    def _compose(
        self, learner: Learner, program: Program, verb: Verb, course: Course, activity: Activity
    ) -> Json:
        rng = self.rng
        parents: list[Json] = []
        if activity.kind == "question":
            parents.append(self._quiz_by_cmid[activity.cmid].as_object())
        if activity.kind != "course":
            parents.extend((course.section, course.activity.as_object()))
        context_activities: Json = {"category": [self._site], "grouping": [program.activity]}
        if parents:
            context_activities["parent"] = parents
        component = "core" if activity.kind == "course" else f"mod_{activity.kind}"
        event = f"\\{component}\\event\\{verb.event}"
        context: Json = {
            "contextActivities": context_activities,
            "extensions": {
                INFO_EXTENSION: {
                    "event_function": f"\\src\\transformer\\events\\{component}\\{verb.event}",
                    "event_name": event,
                    "http://moodle.org": "4.5.1",
                    "https://github.com/xAPI-vle/moodle-logstore_xapi": PLUGIN_VERSION,
                }
            },
            "language": "id",
            "platform": "Moodle",
            "registration": str(
                uuid.uuid5(REGISTRATION_NAMESPACE, f"{learner.user_id}:{course.course_id}")
            ),
        }
        if activity.kind == "facetoface":
            context["instructor"] = self._instructor
        statement: Json = {
            "actor": learner.agent,
            "verb": {"id": verb.id, "display": {"en": verb.display}},
            "object": activity.as_object(),
            "context": context,
            "timestamp": _timestamp(rng),
        }
        result = self._result(verb, activity)
        if result:
            statement["result"] = result
        return statement

    def _result(self, verb: Verb, activity: Activity) -> Json:
        rng = self.rng
        name = verb.display
        if name == "Answered":
            right = activity.correct_choice
            response = right if rng.random() < 0.7 else rng.choice(CHOICES)
            return {
                "completion": True,
                "success": response == right,
                "response": response,
                "extensions": {
                    "http://learninglocker.net/xapi/cmi/choice/response": (
                        f"Jawaban {response[-1].upper()}"
                    )
                },
            }
        if name in ("Completed", "Scored", "Achieved") and activity.kind in (
            "quiz",
            "assign",
            "scorm",
            "course",
        ):
            raw = rng.randint(40, 100)
            return {
                "completion": True,
                "success": raw >= 70,
                "duration": _duration(rng),
                "score": {"min": 0, "max": 100, "raw": raw, "scaled": raw / 100},
            }
        if name == "Completed":
            return {"completion": True, "duration": _duration(rng)}
        if name == "Attended":
            return {"completion": True, "duration": f"PT{rng.choice((2, 3, 4, 8))}H"}
        if name == "Commented":
            return {"response": "Terima kasih, materinya sangat bermanfaat."}
        return {}


def _timestamp(rng: random.Random) -> str:
    moment = TIME_ORIGIN + timedelta(seconds=rng.uniform(0, TIME_SPAN.total_seconds()))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(rng: random.Random) -> str:
    seconds = rng.randint(30, 5400)
    minutes, seconds = divmod(seconds, 60)
    return f"PT{minutes}M{seconds}S" if minutes else f"PT{seconds}S"


def serialize(payload: Json | Sequence[Json]) -> bytes:
    """Compact UTF-8 JSON, as an LMS plugin would send it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
