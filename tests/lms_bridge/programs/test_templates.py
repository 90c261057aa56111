"""Program templates: the shipped ones load, bad ones are refused with path-named reasons."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask

from lms_bridge.db import unit_of_work
from lms_bridge.programs import (
    ProgramVersionConflict,
    TemplateError,
    import_program,
    list_programs,
    load_template,
    parse_template,
    shipped_templates,
)

GOOD = """
code: contoh
version: 1
name: Program contoh
activity_base: https://lms.bpsdm.example.go.id/program/contoh
jp_total: 10
jp_total_confirmed: true
modules:
  - id: satu
    activity: https://lms.bpsdm.example.go.id/program/contoh/satu
    title: Modul satu
    mode: elearning
    nominal_jp: 10
"""


def _shipped(code: str) -> Path:
    return next(path for path in shipped_templates() if path.stem == code)


def test_every_shipped_template_loads() -> None:
    codes = {load_template(path).code for path in shipped_templates()}
    assert codes == {"latsar-cpns", "pkp", "pka", "pkn-ii"}


def test_latsar_cpns_modules_add_up_to_647_jp_across_four_modes() -> None:
    template = load_template(_shipped("latsar-cpns"))
    assert sum(m.nominal_jp for m in template.modules) == Decimal(647)
    assert {m.mode for m in template.modules} == {"elearning", "distance", "classical", "workplace"}
    assert template.pass_threshold == Decimal(70)
    weights = {m.code: m.weight for m in template.modules if m.weight}
    assert weights["evaluasi-akademik"] / sum(weights.values()) == Decimal("0.2")


def test_pkp_is_830_jp_of_which_540_are_the_change_project() -> None:
    template = load_template(_shipped("pkp"))
    by_mode: dict[str, Decimal] = {}
    for module in template.modules:
        by_mode[module.mode] = by_mode.get(module.mode, Decimal(0)) + module.nominal_jp
    assert sum(by_mode.values()) == Decimal(830)
    assert by_mode["workplace"] == Decimal(540)
    assert by_mode["distance"] + by_mode["classical"] == Decimal(290)


@pytest.mark.parametrize("code", ["pka", "pkn-ii"])
def test_unconfirmed_totals_are_marked_unconfirmed(code: str) -> None:
    template = load_template(_shipped(code))
    assert template.jp_total_confirmed is False
    assert template.jp_total is None


def test_module_activities_are_https_iris_under_the_example_lms() -> None:
    for path in shipped_templates():
        for module in load_template(path).modules:
            assert module.activity_id.startswith("https://lms.bpsdm.example.go.id/")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("mode: elearning", "mode: webinar"), "modules[0].mode:"),
        (("nominal_jp: 10", "nominal_jp: -1"), "modules[0].nominal_jp:"),
        (
            ("https://lms.bpsdm.example.go.id/program/contoh/satu", "http://x/satu"),
            "modules[0].activity:",
        ),
        (("jp_total: 10", "jp_total: 12"), "modules: jumlah nominal_jp 10"),
        (("version: 1", "version: satu"), "version:"),
        (("    title: Modul satu\n", ""), "modules[0].title:"),
    ],
)
def test_a_bad_template_is_refused_naming_the_path(edit: tuple[str, str], problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(GOOD.replace(*edit), "contoh.yaml")
    assert any(text.startswith(problem) for text in caught.value.problems), caught.value.problems


def test_min_score_outside_0_to_100_is_refused() -> None:
    text = GOOD + "    completion: {min_score: 120}\n"
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert any(p.startswith("modules[0].completion.min_score:") for p in caught.value.problems)


def test_two_modules_with_one_activity_are_refused() -> None:
    text = GOOD.replace("jp_total: 10", "jp_total: 20") + GOOD.split("modules:\n")[1].replace(
        "id: satu", "id: dua"
    )
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert any(p.startswith("modules[1].activity:") for p in caught.value.problems)


def test_importing_the_same_version_twice_changes_nothing(app_context: Flask) -> None:
    template = parse_template(GOOD)
    with unit_of_work() as session:
        first = import_program(session, template)
    with unit_of_work() as session:
        again = import_program(session, template)
        assert [(p.code, count) for p, count in list_programs(session)] == [("contoh", 1)]
    assert first.created
    assert not again.created
    assert first.program_id == again.program_id


def test_changed_content_under_an_existing_version_is_refused(app_context: Flask) -> None:
    with unit_of_work() as session:
        import_program(session, parse_template(GOOD))
    changed = parse_template(GOOD.replace("Modul satu", "Modul pertama"))
    with pytest.raises(ProgramVersionConflict), unit_of_work() as session:
        import_program(session, changed)
    with unit_of_work() as session:
        created = import_program(session, parse_template(GOOD.replace("version: 1", "version: 2")))
    assert created.created
    assert created.version == 2


def test_programs_import_and_list_commands(app_context: Flask, tmp_path: Path) -> None:
    runner = app_context.test_cli_runner()
    result = runner.invoke(args=["programs", "import", str(_shipped("latsar-cpns"))])
    assert result.exit_code == 0, result.output
    assert "dibuat (created)" in result.output
    listed = runner.invoke(args=["programs", "list"])
    assert "latsar-cpns\tv1\t10 modul\tJP 647" in listed.output
    bad = tmp_path / "rusak.yaml"
    bad.write_text(GOOD.replace("mode: elearning", "mode: webinar"), encoding="utf-8")
    refused = runner.invoke(args=["programs", "import", str(bad)])
    assert refused.exit_code != 0
    assert "modules[0].mode:" in refused.output


def test_shipped_templates_import_by_name_and_a_second_import_changes_nothing(
    app_context: Flask,
) -> None:
    runner = app_context.test_cli_runner()
    first = runner.invoke(args=["programs", "import", "latsar-cpns", "pkp"])
    assert first.exit_code == 0, first.output
    assert "latsar-cpns versi 1: dibuat" in first.output
    again = runner.invoke(args=["programs", "import", "latsar-cpns"])
    assert "tidak berubah (unchanged)" in again.output
    unknown = runner.invoke(args=["programs", "import", "latsar-pns"])
    assert unknown.exit_code != 0
    assert "latsar-cpns" in unknown.output  # the error lists the shipped names


def test_a_template_without_a_certificate_pattern_numbers_by_default_and_keeps_its_digest() -> None:
    template = parse_template(GOOD)
    assert template.certificate_number == "{seq:04d}/STTPL/{program}/{cohort_number}/{year}"
    assert "certificate_number" not in template.definition
    named = parse_template(GOOD + 'certificate_number: "{seq}/STTPL/{program}/{year}"\n')
    assert named.certificate_number == "{seq}/STTPL/{program}/{year}"
    assert named.digest != template.digest


@pytest.mark.parametrize(
    "pattern",
    [
        "STTPL/{year}",  # no sequence: every certificate would get one number
        "{seq}/{agency}",  # a field the service does not fill
        "{seq:04q}",  # a format the sequence cannot take
        "{seq}{",  # unbalanced
        "{seq}" + "x" * 300,  # numbers longer than the column
    ],
)
def test_a_bad_certificate_pattern_is_refused_naming_the_field(pattern: str) -> None:
    with pytest.raises(TemplateError) as refused:
        parse_template(GOOD + f"certificate_number: {pattern!r}\n")
    assert "certificate_number" in str(refused.value)
