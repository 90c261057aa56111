"""Importing and listing program versions (the templates as stored)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_bridge.db import utcnow
from lms_bridge.models.programs import Program, ProgramModule
from lms_bridge.programs.errors import ProgramNotFound, ProgramVersionConflict
from lms_bridge.programs.template import ProgramTemplate
from lms_bridge.sql.keys import index_key


@dataclass(frozen=True)
class ProgramImport:
    """The stored version and whether this import created it."""

    program_id: int
    code: str
    version: int
    created: bool


def import_program(session: Session, template: ProgramTemplate) -> ProgramImport:
    """Store ``template`` as a new program version (flushes only).

    Versions are immutable because cohorts point at them: importing the same content again
    is a no-op, and changed content under an existing version number is refused so an
    edited file cannot silently change a running cohort's modules.
    """
    existing = session.scalar(
        select(Program).where(Program.code == template.code, Program.version == template.version)
    )
    if existing is not None:
        if existing.digest != template.digest:
            raise ProgramVersionConflict(
                f"program {template.code} versi {template.version} sudah ada dengan isi berbeda; "
                "naikkan `version` (version exists with other content: raise `version`)"
            )
        return ProgramImport(existing.id, existing.code, existing.version, created=False)
    program = Program(
        code=template.code,
        version=template.version,
        name=template.name,
        activity_base=template.activity_base,
        pass_threshold=template.pass_threshold,
        definition=template.definition,
        digest=template.digest,
        imported_at=utcnow(),
    )
    session.add(program)
    session.flush()
    session.add_all(
        ProgramModule(
            program_id=program.id,
            module_code=module.code,
            position=position,
            activity_id=module.activity_id,
            activity_key=index_key(module.activity_id),
            title=module.title,
            mode=module.mode,
            nominal_jp=module.nominal_jp,
            mandatory=module.mandatory,
            verbs=list(module.verbs),
            min_score=module.min_score,
            weight=module.weight,
        )
        for position, module in enumerate(template.modules)
    )
    session.flush()
    return ProgramImport(program.id, program.code, program.version, created=True)


def list_programs(session: Session) -> list[tuple[Program, int]]:
    """Every stored version with its module count, by code then version."""
    counts = (
        select(ProgramModule.program_id, func.count().label("modules"))
        .group_by(ProgramModule.program_id)
        .subquery()
    )
    rows = session.execute(
        select(Program, counts.c.modules)
        .join(counts, counts.c.program_id == Program.id)
        .order_by(Program.code, Program.version)
    ).all()
    return [(program, int(modules)) for program, modules in rows]


def find_program(session: Session, code: str, version: int | None = None) -> Program:
    """The program version (the newest when ``version`` is None)."""
    query = select(Program).where(Program.code == code)
    if version is not None:
        query = query.where(Program.version == version)
    program: Program | None = session.scalar(query.order_by(Program.version.desc()).limit(1))
    if program is None:
        wanted = code if version is None else f"{code} versi {version}"
        raise ProgramNotFound(f"program {wanted} tidak ditemukan (not found)")
    return program


def program_modules(session: Session, program_id: int) -> list[ProgramModule]:
    """The modules of a program version, in template order."""
    return list(
        session.scalars(
            select(ProgramModule)
            .where(ProgramModule.program_id == program_id)
            .order_by(ProgramModule.position)
        )
    )
