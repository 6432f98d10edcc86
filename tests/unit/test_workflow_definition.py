"""The workflow definition loader: the real files load; bad definitions are named."""

from __future__ import annotations

import copy

import pytest
import yaml
from click.testing import CliRunner

from ra_console.cli.main import main
from ra_console.workflow.definition import (
    WORKFLOWS_DIR,
    DefinitionError,
    load_all,
    parse_definition,
)
from ra_console.workflow.diagram import mermaid

GOOD = {
    "name": "thing", "initial": "new",
    "states": [{"name": "new", "labels": {"de": "Neu", "en": "New"}},
               {"name": "done", "labels": {"de": "Fertig", "en": "Done"}}],
    "transitions": [{"trigger": "finish", "source": "new", "dest": "done", "roles": ["user"],
                     "labels": {"de": "Fertig", "en": "Finish"}}],
}


def test_shipped_definitions_load():
    workflows = load_all()
    assert set(workflows) == {"certificate", "mailbox", "identity", "problem_report"}
    assert {t.trigger for t in workflows["problem_report"].transitions_from("open")} == {
        "remind", "revoke_certificate", "close"}
    cert = workflows["certificate"]
    assert cert.initial == "requested"
    assert {t.trigger for t in cert.transitions_from("issued")} == {"revoke", "expire"}
    assert cert.state_label("sent", "de") == "Gesendet, nicht ausgestellt"
    assert workflows["mailbox"].entries == ("verified",)


def test_good_minimal_definition():
    workflow = parse_definition(copy.deepcopy(GOOD), "thing.yaml")
    assert [s.value for s in workflow.states] == ["new", "done"]


def _broken(change) -> dict:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(colour="red"), "unknown key"),
    (lambda d: d["transitions"][0].pop("roles"), "'roles' is required"),
    (lambda d: d["transitions"][0].update(roles=["janitor"]), "unknown role 'janitor'"),
    (lambda d: d["transitions"][0].update(conditions=["is_sunny"]), "unknown condition 'is_sunny'"),
    (lambda d: d["transitions"][0].update(effects=["launch"]), "unknown effect 'launch'"),
    (lambda d: d["transitions"][0].update(effects="os.system"), "must be a list of names"),
    (lambda d: d["transitions"][0].update(dest="nowhere"), "unknown state 'nowhere'"),
    (lambda d: d["transitions"][0].pop("labels"), "'labels' needs"),
    (lambda d: d["transitions"][0].update(labels={"de": "x"}), "'labels' needs"),
    (lambda d: d["transitions"][0].update(confirm={"en": "sure?"}), "'confirm' needs"),
    (lambda d: d["transitions"][0].update(audience="everyone"), "unknown audience"),
    (lambda d: d["transitions"][0].update(on_enter="x"), "unknown key"),
    (lambda d: d["states"].append({"name": "lost", "labels": {"de": "a", "en": "b"}}),
     "unreachable state"),
    (lambda d: d["states"].append(copy.deepcopy(d["states"][0])), "duplicate state"),
    (lambda d: d.update(initial="missing"), "'initial' must name a state"),
    (lambda d: d.update(entries=["ghost"]), "unknown state 'ghost'"),
    (lambda d: d.update(transitions=[]), "'transitions' must be"),
])
def test_bad_definitions_are_named(change, message):
    with pytest.raises(DefinitionError, match=message) as info:
        parse_definition(_broken(change), "thing.yaml")
    assert str(info.value).startswith("thing.yaml")


def test_file_name_must_match(tmp_path):
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(GOOD))
    with pytest.raises(DefinitionError, match="'name' is 'thing'"):
        load_all(tmp_path)


def test_lint_command(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["workflow", "lint"])
    assert ok.exit_code == 0 and "certificate:" in ok.output
    (tmp_path / "thing.yaml").write_text(yaml.safe_dump(_broken(
        lambda d: d["transitions"][0].update(roles=["janitor"]))))
    bad = runner.invoke(main, ["workflow", "lint", str(tmp_path)])
    assert bad.exit_code == 1 and "unknown role 'janitor'" in bad.output


def test_diagram_is_drawn_from_the_definition():
    workflows = load_all(WORKFLOWS_DIR)
    text = mermaid(workflows["certificate"], "de", highlight="sent")
    assert text.startswith("stateDiagram-v2")
    assert "requested --> sent: submit (user)" in text
    assert 'state "Gesendet, nicht ausgestellt" as sent' in text
    assert "class sent current" in text
    result = CliRunner().invoke(main, ["workflow", "diagram", "mailbox"])
    assert result.exit_code == 0 and "pending_challenge --> verified: redeem" in result.output
