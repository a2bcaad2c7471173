"""The package's shape: light modules stay light, imports only go downwards, no cycles."""
import ast
import os
import subprocess
import sys

import pytest

from conftest import REPO

PACKAGE = os.path.join(REPO, "kerastransfer")
# Each room may import only rooms of a lower rank (and itself); the loose modules at the
# top of the package are the floor.
RANKS = {"artifact": 0, "image_io": 0, "progress": 0, "models": 1, "perceptual": 2,
         "inference": 3, "serving": 3, "export": 4, "training": 5, "evaluation": 6, "cli": 7}


def module_files():
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path[:-3], REPO).replace(os.sep, ".")
                yield dotted.removesuffix(".__init__"), path


def import_graph():
    """{module: set of kerastransfer modules it imports}, at any depth of its code
    (imports inside functions count: they run too)."""
    modules = dict(module_files())
    graph = {}
    for module, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kerastransfer"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("kerastransfer"))
        graph[module] = {t for t in targets if t in modules and t not in (module, "kerastransfer")}
    del graph["kerastransfer"]  # the package's docstring and version
    return graph


def room(module):
    return module.split(".")[1]


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target, path + [target])
                if cycle:
                    return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [module])
            if cycle:
                return cycle
    return None


def test_every_room_has_a_rank():
    assert {room(m) for m in import_graph()} == set(RANKS)


def test_the_import_graph_has_no_cycles():
    graph = import_graph()
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph))


def test_imports_only_go_downwards_and_models_import_nothing_above_them():
    upwards = [f"{m} imports {t}" for m, targets in import_graph().items()
               for t in targets if room(t) != room(m) and RANKS[room(t)] >= RANKS[room(m)]]
    assert upwards == []
    models = {t for m, targets in import_graph().items() if room(m) == "models"
              for t in targets}
    assert {room(t) for t in models} <= {"models"}


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("modules", [
    "kerastransfer.artifact, kerastransfer.serving.core",
    "kerastransfer.training.config",
    "kerastransfer.cli.tiling_flags",
])
def test_light_modules_import_neither_keras_nor_tensorflow(modules):
    code = (f"import sys, {modules}\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('keras', 'tensorflow', 'tf_keras') or m.startswith('kerastransfer.models'))\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
