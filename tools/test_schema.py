# SPDX-License-Identifier: GPL-3.0-or-later
"""The committed JSON Schemas (schema/*.schema.json, written by `archsim schema`) against the
bundled scenarios, the spec's fragments and the sweep files: each passes the schema and the
reader (`archsim check`); a few mistakes are flagged by the schema as an editor would."""
import copy
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ARCHSIM = ROOT / ".build" / "release" / "archsim"
SCENARIO_SCHEMA = json.loads((ROOT / "schema" / "scenario.schema.json").read_text())
SWEEP_SCHEMA = json.loads((ROOT / "schema" / "sweep.schema.json").read_text())
FIXTURES = ROOT / "Tests" / "CLITests" / "Fixtures"


def scenarios():
    """Scenario files `archsim check` accepts: not the workload and architecture parts, not sweeps."""
    found = []
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        rel = path.relative_to(ROOT / "scenarios").as_posix()
        if rel.startswith(("workloads/", "architectures/")) or rel.endswith(".sweep.yaml"):
            continue
        found.append(path)
    return found + [FIXTURES / "spec-fragments.yaml", FIXTURES / "spec-complete.yaml", FIXTURES / "spec-v11.yaml",
                    FIXTURES / "sweep" / "base.yaml"]


def sweeps():
    return sorted((ROOT / "scenarios").rglob("*.sweep.yaml")) + [FIXTURES / "sweep" / "grid12.yaml"]


def validator(schema, definition=None):
    """A validator of the whole schema, or of one of its definitions (an included file)."""
    if definition is not None:
        schema = {**copy.deepcopy(schema), "$ref": f"#/definitions/{definition}"}
        for key in ("properties", "required", "additionalProperties", "type"):
            schema.pop(key, None)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(v, document):
    """Every problem as `key.path: message`; one that matches no alternative (anyOf) shows the
    alternatives' own problems, as an editor would."""
    found = []

    def walk(error):
        if error.context:
            for sub in error.context:
                walk(sub)
        else:
            found.append(f"{'.'.join(map(str, error.absolute_path))}: {error.message}")
    for e in v.iter_errors(document):
        walk(e)
    return found


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_schemas_are_valid_draft7():
    jsonschema.Draft7Validator.check_schema(SCENARIO_SCHEMA)
    jsonschema.Draft7Validator.check_schema(SWEEP_SCHEMA)


@pytest.mark.parametrize("path", scenarios(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_bundled_scenario_passes_the_schema(path):
    document = load(path)
    assert errors(validator(SCENARIO_SCHEMA), document) == []
    # A workload or architecture given as a path: that file holds the map.
    for key in ("workload", "architecture"):
        if isinstance(document.get(key), str):
            included = path.parent / document[key]
            assert errors(validator(SCENARIO_SCHEMA, key), load(included)) == [], included


@pytest.mark.parametrize("path", sweeps(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_sweep_file_passes_the_sweep_schema(path):
    assert errors(validator(SWEEP_SCHEMA), load(path)) == []


@pytest.mark.skipif(not ARCHSIM.exists(), reason="needs the release build (swift build -c release)")
def test_the_same_files_pass_the_reader():
    result = subprocess.run([str(ARCHSIM), "check", *map(str, scenarios())], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


MM1 = FIXTURES / "spec-complete.yaml"


def mutated(change):
    document = load(MM1)
    change(document)
    return errors(validator(SCENARIO_SCHEMA), document)


def test_unknown_key_is_flagged():
    found = mutated(lambda d: d["architecture"]["services"]["app"].update({"worker": 2}))
    assert any("worker" in e and "architecture.services.app" in e for e in found), found


def test_wrong_type_is_flagged():
    found = mutated(lambda d: d["architecture"]["services"]["app"].update({"workers": [1]}))
    assert any(e.startswith("architecture.services.app.workers") for e in found), found


def test_duration_without_unit_is_flagged():
    found = mutated(lambda d: d.update({"duration": "10"}))
    assert any(e.startswith("duration:") for e in found), found


def test_missing_required_key_is_flagged():
    found = mutated(lambda d: d.pop("architecture"))
    assert any("'architecture' is a required property" in e for e in found), found


def test_unknown_step_kind_and_bad_distribution_are_flagged():
    def change(d):
        d["architecture"]["services"]["app"]["operations"]["op"]["steps"] = [{"sleep": "1ms"}]
        d["architecture"]["services"]["app"]["operations"]["op"]["cpu"] = "exponentail(mean=1ms)"
    found = mutated(change)
    assert any(e.startswith("architecture.services.app.operations.op.steps.0") for e in found), found
    assert any(e.startswith("architecture.services.app.operations.op.cpu") for e in found), found


def test_bound_from_limits_is_flagged():
    found = mutated(lambda d: d["architecture"]["services"]["app"].update({"instances": 100001}))
    assert any(e.startswith("architecture.services.app.instances") for e in found), found
