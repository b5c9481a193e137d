"""`bakso catalog …`: the service catalogue and the villages the office serves."""

from __future__ import annotations


import click

from bakso_tui.cli.context import CliEnv, env_command, json_option, print_table
from bakso_tui.domain import regions
from bakso_tui.domain.catalog import load_catalog
from bakso_tui.locale import t
from bakso_tui.locale.plain import dumps


@click.group("catalog")
def catalog_group() -> None:
    """The service catalogue and the villages the office serves."""


@env_command("services", catalog_group)
@json_option
def catalog_services(env: CliEnv, as_json: bool) -> None:
    """Services with their requirement documents and outputs."""
    lang = env.settings.lang
    catalog = load_catalog()
    if as_json:
        click.echo(dumps(catalog.as_json_services(), ensure_ascii=False, indent=2))
        return
    for svc in catalog.services:
        click.echo(
            f"{svc.id} ({svc.short}): {svc.display_name(lang)} "
            + t("cli.service_days", days=svc.service_days)
            + (f" · {t('cli.needs_recording')}" if svc.needs_recording else "")
        )
        for req in svc.requirements:
            mark = "*" if req.mandatory else "|" if req.one_of else " "
            click.echo(f"  {mark} {req.id}: {req.display_name(lang)}{_condition(req, lang)}")
        click.echo(f"  → {', '.join(catalog.output(o).display_name(lang) for o in svc.outputs)}")
    click.echo(t("cli.mandatory_legend"))


def _condition(req, lang: str) -> str:
    """How a requirement that is not simply mandatory or optional is needed."""
    parts = []
    if req.one_of:
        parts.append(t("cli.req_one_of", group=req.one_of))
    if req.mandatory_from_age is not None:
        parts.append(t("cli.req_from_age", age=req.mandatory_from_age))
    if req.mandatory_under_age is not None:
        parts.append(t("cli.req_under_age", age=req.mandatory_under_age))
    if req.when:
        parts.append(t("cli.req_when", condition=req.condition(lang)))
    return f" [{'; '.join(parts)}]" if parts else ""


@env_command("villages", catalog_group)
@json_option
def catalog_villages(env: CliEnv, as_json: bool) -> None:
    """The desa and kelurahan of the office, with their Kemendagri codes."""
    env.settings  # noqa: B018 - loads the language (and refuses a broken config file)
    kecamatan = {k.code: k.name for k in regions.office_kecamatan()}
    villages = regions.office_villages()
    if as_json:
        click.echo(dumps(
            [{"code": v.code, "name": v.name, "kecamatan": kecamatan[v.kecamatan_code]}
             for v in villages],
            ensure_ascii=False, indent=2,
        ))
        return
    print_table(
        (t("cli.col_code"), t("cli.col_village"), t("cli.col_kecamatan")),
        [(v.code, v.name, kecamatan[v.kecamatan_code]) for v in villages],
    )
