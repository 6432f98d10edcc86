"""Load and validate the declarative workflow definitions in workflows/*.yaml."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from transitions import Machine

from ra_console.core.config import PROJECT_ROOT
from ra_console.workflow import conditions, effects, registry  # noqa: F401  (fill the registries)

WORKFLOWS_DIR = PROJECT_ROOT / "workflows"
# key_holder: anyone who proved possession of a certificate's private key (no account)
ROLES = {"user", "network_contact", "id_verifier", "ra_admin", "auditor", "system",
         "key_holder"}
LANGUAGES = ("de", "en")
AUDIENCES = {"user", "operator", "system"}
TOP_KEYS = {"name", "initial", "entries", "states", "transitions"}
STATE_KEYS = {"name", "labels"}
TRANSITION_KEYS = {
    "trigger", "source", "dest", "roles", "conditions", "unless", "effects", "labels",
    "confirm", "audience",
}


class DefinitionError(Exception):
    """A workflow definition is invalid; the message names the file and the place."""

@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    roles: frozenset[str]
    conditions: tuple[str, ...]
    unless: tuple[str, ...]
    effects: tuple[str, ...]
    labels: dict[str, str]
    confirm: dict[str, str] | None
    audience: str


@dataclass
class Workflow:
    name: str
    initial: str
    entries: tuple[str, ...]
    states: type[enum.StrEnum]
    state_labels: dict[str, dict[str, str]]
    transitions: tuple[Transition, ...]
    machine: Machine = field(repr=False)

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def state_label(self, state: str, lang: str) -> str:
        return self.state_labels.get(state, {}).get(lang, state)


def _fail(where: str, message: str) -> None:
    raise DefinitionError(f"{where}: {message}")


def _labels(where: str, value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or any(not isinstance(value.get(lang), str) or
                                          not value.get(lang) for lang in LANGUAGES):
        _fail(where, f"'{key}' needs non-empty texts for {', '.join(LANGUAGES)}")
    return {lang: value[lang] for lang in LANGUAGES}


def _names(where: str, value: Any, key: str, known: dict[str, Any]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(where, f"'{key}' must be a list of names")
    for name in value:
        if name not in known:
            _fail(where, f"unknown {key[:-1] if key.endswith('s') else key} '{name}'")
    return tuple(value)


def _parse_transition(where: str, raw: Any, states: set[str]) -> Transition:
    if not isinstance(raw, dict):
        _fail(where, "a transition must be a mapping")
    unknown = set(raw) - TRANSITION_KEYS
    if unknown:
        _fail(where, f"unknown key(s) {sorted(unknown)}")
    trigger = raw.get("trigger")
    if not isinstance(trigger, str) or not trigger.isidentifier():
        _fail(where, "'trigger' must be a name")
    where = f"{where} ({trigger})"
    sources = raw.get("source")
    sources = [sources] if isinstance(sources, str) else sources
    if not sources or not isinstance(sources, list):
        _fail(where, "'source' is required")
    for state in [*sources, raw.get("dest")]:
        if state not in states:
            _fail(where, f"unknown state '{state}'")
    roles = raw.get("roles")
    if not roles or not isinstance(roles, list):
        _fail(where, "'roles' is required and must list at least one role")
    for role in roles:
        if role not in ROLES:
            _fail(where, f"unknown role '{role}'")
    audience = raw.get("audience", "operator")
    if audience not in AUDIENCES:
        _fail(where, f"unknown audience '{audience}'")
    confirm = raw.get("confirm")
    return Transition(
        trigger=trigger,
        sources=tuple(sources),
        dest=raw["dest"],
        roles=frozenset(roles),
        conditions=_names(where, raw.get("conditions"), "conditions", registry.CONDITIONS),
        unless=_names(where, raw.get("unless"), "unless", registry.CONDITIONS),
        effects=_names(where, raw.get("effects"), "effects", registry.EFFECTS),
        labels=_labels(where, raw.get("labels"), "labels"),
        confirm=_labels(where, confirm, "confirm") if confirm is not None else None,
        audience=audience,
    )


def _check_reachable(where: str, initial: str, entries: tuple[str, ...],
                     states: list[str], transitions: list[Transition]) -> None:
    reached, frontier = set(), [initial, *entries]
    while frontier:
        state = frontier.pop()
        if state in reached:
            continue
        reached.add(state)
        frontier.extend(t.dest for t in transitions if state in t.sources)
    unreachable = [s for s in states if s not in reached]
    if unreachable:
        _fail(where, f"unreachable state(s) {unreachable}")


def _condition_callback(name: str):
    check = registry.CONDITIONS[name]
    return lambda event: bool(check(event.kwargs["ctx"]))


def _record_taken(transition: Transition):
    def record(event) -> None:
        event.kwargs["ctx"].transition = transition
    return record


def parse_definition(data: Any, where: str) -> Workflow:
    """Validate one definition (already parsed from YAML) and build its machine."""
    if not isinstance(data, dict):
        _fail(where, "the file must hold a mapping")
    unknown = set(data) - TOP_KEYS
    if unknown:
        _fail(where, f"unknown key(s) {sorted(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        _fail(where, "'name' must be a name")
    raw_states = data.get("states")
    if not isinstance(raw_states, list) or not raw_states:
        _fail(where, "'states' must be a non-empty list")
    state_labels: dict[str, dict[str, str]] = {}
    for i, raw in enumerate(raw_states):
        spot = f"{where}: states[{i}]"
        if not isinstance(raw, dict) or set(raw) - STATE_KEYS or not isinstance(raw.get("name"), str):
            _fail(spot, "a state needs exactly 'name' and 'labels'")
        if raw["name"] in state_labels:
            _fail(spot, f"duplicate state '{raw['name']}'")
        state_labels[raw["name"]] = _labels(f"{spot} ({raw['name']})", raw.get("labels"), "labels")
    states = list(state_labels)
    initial = data.get("initial")
    if initial not in state_labels:
        _fail(where, f"'initial' must name a state, got {initial!r}")
    entries = tuple(data.get("entries") or ())
    for entry in entries:
        if entry not in state_labels:
            _fail(where, f"'entries' names unknown state '{entry}'")
    raw_transitions = data.get("transitions")
    if not isinstance(raw_transitions, list) or not raw_transitions:
        _fail(where, "'transitions' must be a non-empty list")
    transitions = [_parse_transition(f"{where}: transitions[{i}]", raw, set(states))
                   for i, raw in enumerate(raw_transitions)]
    _check_reachable(where, initial, entries, states, transitions)

    state_enum = enum.StrEnum(f"{name.title()}Status", {s: s for s in states})
    machine = Machine(
        model=None, states=state_enum, initial=state_enum(initial), auto_transitions=False,
        send_event=True, model_attribute="status", ignore_invalid_triggers=False,
    )
    for t in transitions:
        machine.add_transition(
            t.trigger, [state_enum(s) for s in t.sources], state_enum(t.dest),
            conditions=[_condition_callback(c) for c in t.conditions],
            unless=[_condition_callback(c) for c in t.unless],
            after=[_record_taken(t)],  # fire() learns which candidate was taken
        )
    return Workflow(name, initial, entries, state_enum, state_labels, tuple(transitions), machine)


def load_file(path: Path) -> Workflow:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path.name}: cannot read: {exc}") from None
    workflow = parse_definition(data, path.name)
    if workflow.name != path.stem:
        _fail(path.name, f"'name' is '{workflow.name}' but the file is named '{path.stem}'")
    return workflow


def load_all(directory: Path = WORKFLOWS_DIR) -> dict[str, Workflow]:
    """Load every workflows/*.yaml; raise DefinitionError on the first problem."""
    workflows = {}
    for path in sorted(directory.glob("*.yaml")):
        workflow = load_file(path)
        workflows[workflow.name] = workflow
    return workflows
