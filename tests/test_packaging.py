"""environment.yml (conda) and pyproject.toml (pip) must describe the same environment."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PYPI = {"pytorch": "torch"}  # conda-forge names that differ from PyPI's
NOT_PACKAGES = {"python", "pip"}


def split_requirement(req: str) -> tuple[str, str]:
    """'torch>=2.3' -> ('torch', '>=2.3'); names normalised as PyPI does."""
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", req).groups()
    return re.sub(r"[-_.]+", "-", name).lower(), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(split_requirement(r) for r in reqs)


def conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section installs minilm itself
            continue
        name, spec = split_requirement(dep)
        if name not in NOT_PACKAGES:
            out[CONDA_TO_PYPI.get(name, name)] = spec
    return out


def test_environment_yml_names_every_pyproject_package_with_the_same_bound():
    pip, conda = pyproject_requirements(), conda_requirements()
    assert set(pip) - set(conda) == set(), "in pyproject.toml but not environment.yml"
    assert set(conda) - set(pip) == set(), "in environment.yml but not pyproject.toml"
    mismatched = {n: (pip[n], conda[n]) for n in pip if pip[n] != conda[n]}
    assert mismatched == {}, "version bounds differ (pyproject, environment.yml)"


def test_environment_yml_python_matches_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert split_requirement(python)[1] == project["requires-python"]


def test_environment_yml_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(line.split("#")[0].strip() == "-e ." for line in pip_section)


def test_split_requirement_normalises_names():
    assert split_requirement("Scikit_Learn >= 1.3") == ("scikit-learn", ">=1.3")
    assert split_requirement("torch") == ("torch", "")


def test_ci_pins_the_torch_that_pyproject_allows():
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^TORCH\s*\?=\s*torch==([\d.]+)", makefile, re.M).group(1)
    lower = pyproject_requirements()["torch"].removeprefix(">=")
    as_tuple = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
    assert as_tuple(pinned) >= as_tuple(lower)


def test_the_teaching_extra_is_part_of_dev_so_its_browser_tests_run_in_ci():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    dev = dict(split_requirement(r) for r in extras["dev"])
    for req in extras["teach"]:
        name, spec = split_requirement(req)
        assert dev.get(name) == spec, f"{req} is in [teach] but not in [dev] with the same bound"
