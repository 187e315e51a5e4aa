"""The layering the README's layout promises, checked on every import in the code: base/ (repository
ids, settings) is under everything; landing/ (the contract) builds on base/ alone; warehouse/ reads
only the contract; extract/, analysis/, report/ and labelling/ build
on those; only dagster_project/ imports
Dagster; nothing in the product imports demo/ (test and demo code)."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: package -> top-level modules it must never import
FORBIDDEN = {
    "base": {"landing", "extract", "labelling", "warehouse", "report", "analysis", "dagster", "dagster_dbt",
             "dagster_duckdb", "dagster_project", "demo", "tests"},
    "landing": {"extract", "labelling", "warehouse", "report", "analysis", "dagster", "dagster_dbt",
                "dagster_duckdb", "dagster_project", "demo", "tests"},
    "extract": {"dagster", "dagster_dbt", "dagster_duckdb", "dagster_project", "report",
                "analysis", "labelling", "demo", "tests"},
    "warehouse": {"extract", "dagster", "dagster_dbt", "dagster_duckdb", "dagster_project",
                  "report", "analysis", "labelling", "demo", "tests"},
    "report": {"dagster", "dagster_dbt", "dagster_duckdb", "dagster_project", "labelling", "demo",
               "tests"},
    "analysis": {"dagster", "dagster_dbt", "dagster_duckdb", "dagster_project", "report",
                 "labelling", "demo", "tests"},
    # labelling/ sits beside report/: on extract/ (the importer), landing/, analysis/ (kappa) and
    # warehouse/ (the published file, through open_published)
    "labelling": {"dagster", "dagster_dbt", "dagster_duckdb", "dagster_project", "report", "demo",
                  "tests"},
    "dagster_project": {"demo", "tests"},
}  # fmt: skip


def _imports(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_against_the_layering(package):
    directory = ROOT / package
    if not directory.is_dir():
        pytest.skip(f"{package}/ does not exist")
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(directory.rglob("*.py"))
        for module, line in _imports(path)
        if module in FORBIDDEN[package]
    ]
    assert offending == []


#: the packages the wheel ships (pyproject's wheel target): every one keeps the 60-line rule
TOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
PRODUCT = tuple(TOOLS["hatch"]["build"]["targets"]["wheel"]["packages"])


def _long_functions(package: str) -> dict[str, int]:
    long = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    return long


@pytest.mark.parametrize("package", PRODUCT)
def test_no_function_in_the_product_is_over_60_lines(package):
    """Code stays easy to change: planners, clients and small steps, not long functions."""
    assert _long_functions(package) == {}


def test_lint_checks_every_product_package():
    """A package added to the wheel is type-checked by mypy and its imports are checked against
    the declared dependencies by deptry (make lint), not left out by a list nobody updated."""
    assert set(TOOLS["mypy"]["files"]) == set(PRODUCT)
    assert set(PRODUCT) <= set(TOOLS["deptry"]["known_first_party"])


def test_base_imports_only_the_standard_library():
    """A command that needs a repository id must not pay for pyarrow or PyGithub at start-up."""
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "base").rglob("*.py"))
        for module, line in _imports(path)
        if module not in sys.stdlib_module_names and module != "base"
    ]
    assert offending == []
