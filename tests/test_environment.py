"""environment.yml, pyproject.toml and requirements.lock describe one environment."""

import re
import tomllib

import yaml

from analysis import config


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~; \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _lock_pins() -> dict[str, str]:
    text = (config.PROJ_ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", text, flags=re.M)
    }


def _conda_deps() -> dict[str, str]:
    env = yaml.safe_load((config.PROJ_ROOT / "environment.yml").read_text(encoding="utf-8"))
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep:
            name, version = dep.split("=", 1)
            out[name.lower()] = version
    return out


def test_environment_yml_lists_every_pyproject_dependency_at_the_locked_version():
    project = tomllib.loads((config.PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = {_name(r) for r in project["project"]["dependencies"]}
    wanted |= {_name(r) for r in project["project"]["optional-dependencies"]["dev"]}
    conda = _conda_deps()
    pins = _lock_pins()
    assert wanted - set(conda) == set(), "in pyproject.toml but not in environment.yml"
    assert set(conda) - wanted - {"python"} == set(), "in environment.yml but not in pyproject.toml"
    for name in wanted:
        assert conda[name] == pins[name], (
            f"{name}: environment.yml {conda[name]} != lock {pins[name]}"
        )


def test_lock_pins_every_dependency():
    project = tomllib.loads((config.PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = _lock_pins()
    for req in project["project"]["dependencies"]:
        assert _name(req) in pins, f"{_name(req)} is not pinned in requirements.lock"


def test_dask_and_distributed_are_pinned_to_one_release():
    # The client, the scheduler and every worker of a cluster must run the same release
    # (docs/distributed.md): an exact pin in pyproject.toml, the same for both packages.
    project = tomllib.loads((config.PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {
        _name(r): r.split("==", 1)[1].strip()
        for r in project["project"]["dependencies"]
        if _name(r) in {"dask", "distributed"} and "==" in r
    }
    assert set(pins) == {"dask", "distributed"}, "dask and distributed need an exact == pin"
    assert pins["dask"] == pins["distributed"]
    assert _lock_pins()["dask"] == pins["dask"]
