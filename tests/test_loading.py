"""Loading the shipped bundle safely, and what a service sees of it (logging, warm-up)."""
import ast
import json
import logging
import shutil
from pathlib import Path

import pytest

import curnlp
from curnlp import bundle, morph
from curnlp.entities import NER
from curnlp.errors import CorruptModel, IncompatibleModel, ModelNotFound
from curnlp.router import DEFAULT_MODEL, Router

TEXT = "На ул. Ленина в Курске огромная яма"


@pytest.fixture()
def copy(tmp_path):
    target = tmp_path / "kursk"
    shutil.copytree(DEFAULT_MODEL, target)
    return target


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _write(path: Path, manifest: dict) -> None:
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_a_copy_loads_and_routes_like_the_shipped_one(copy):
    a, b = Router.load(copy, entities=False), curnlp.load(entities=False)
    assert a.id == b.id and a.route(TEXT) == b.route(TEXT)


def test_a_file_dropped_from_the_manifest_is_refused(copy):
    manifest = _manifest(copy)
    manifest["files"] = {}
    _write(copy, manifest)
    with pytest.raises(CorruptModel, match="does not list: classifier.joblib"):
        Router.load(copy)


def test_a_manifest_naming_other_files_is_refused(copy):
    manifest = _manifest(copy)
    facts = manifest["files"].pop("classifier.joblib")
    (copy / "classifier.joblib").rename(copy / "model.joblib")
    manifest["files"]["model.joblib"] = facts
    _write(copy, manifest)
    with pytest.raises(CorruptModel, match="no classifier.joblib"):
        Router.load(copy)
    manifest["files"]["extra.joblib"] = facts
    _write(copy, manifest)
    with pytest.raises(CorruptModel, match="missing extra.joblib"):
        Router.load(copy)


def test_an_unlisted_model_file_is_refused(copy):
    shutil.copy(copy / "classifier.joblib", copy / "other.joblib")
    with pytest.raises(CorruptModel, match="does not list: other.joblib"):
        Router.load(copy)


def test_malformed_manifest_tables_are_corrupt_not_crashes(copy):
    manifest = _manifest(copy)
    manifest["files"]["classifier.joblib"] = "522ac25c"
    _write(copy, manifest)
    with pytest.raises(CorruptModel, match="not a table"):
        Router.load(copy)
    manifest = _manifest(copy)
    manifest["versions"] = ["scikit-learn"]
    _write(copy, manifest)
    with pytest.raises(CorruptModel, match="versions"):
        Router.load(copy)
    (copy / "manifest.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CorruptModel, match="files"):
        Router.load(copy)


def test_a_truncated_model_file_is_refused_before_unpickling(copy, monkeypatch):
    data = (copy / "classifier.joblib").read_bytes()
    (copy / "classifier.joblib").write_bytes(data[: len(data) - 1000])
    monkeypatch.setattr(bundle.joblib, "load", lambda *a, **k: pytest.fail("unpickled a damaged file"))
    with pytest.raises(CorruptModel, match="truncated"):
        Router.load(copy)


def _truncate(copy: Path, filename: str) -> None:
    """Cut a bundle file short and re-describe it in the manifest (checksums match)."""
    data = (copy / filename).read_bytes()
    (copy / filename).write_bytes(data[: len(data) // 2])
    manifest = _manifest(copy)
    manifest["files"][filename] = {"sha256": bundle.file_sha256(copy / filename), "bytes": len(data) // 2}
    _write(copy, manifest)


def test_a_truncated_predictor_with_a_matching_manifest_is_still_corrupt(copy):
    """What routing loads fails cleanly at load time."""
    _truncate(copy, "predictor.joblib")
    with pytest.raises(CorruptModel, match="predictor.joblib cannot be loaded"):
        Router.load(copy)


def test_a_truncated_classifier_fails_cleanly_when_it_is_asked_for(copy):
    """Routing does not read the scikit-learn classifier; asking for it reports the damage."""
    _truncate(copy, "classifier.joblib")
    router = Router.load(copy, entities=False)
    assert router.route(TEXT).agency is not None
    with pytest.raises(CorruptModel, match="classifier.joblib cannot be loaded"):
        router.classifier


def test_routing_loads_the_predictor_without_scikit_learn(tmp_path):
    """A fresh process: loading and routing import neither scikit-learn nor scipy."""
    import subprocess
    import sys
    code = ("import sys, curnlp; r = curnlp.load(entities=False); r.route(%r); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))" % TEXT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_bundle_without_predictor_still_routes_and_can_be_compiled(copy):
    """Bundles of older curnlp versions have only classifier.joblib: they route (through
    scikit-learn) and ``curnlp compile`` adds the predictor, with the same routings."""
    manifest = _manifest(copy)
    del manifest["files"]["predictor.joblib"]
    (copy / "predictor.joblib").unlink()
    _write(copy, manifest)
    texts = [TEXT, "<b>НЕ ГОРИТ фонарь</b> у дома 5 по ул. Сумской, г. Курск!!!", "в д. Духовец Курского р-на нет воды"]
    old = [r.to_dict() for r in Router.load(copy, entities=False).route_many(texts)]
    from curnlp.cli import main
    assert main(["compile", str(copy)]) == 0
    assert "predictor.joblib" in _manifest(copy)["files"]
    new = Router.load(copy, entities=False)
    assert [{**r.to_dict(), "model": None} for r in new.route_many(texts)] == [{**r, "model": None} for r in old]


def test_another_bundle_format_names_both_versions(copy):
    manifest = _manifest(copy)
    manifest["format_version"] = bundle.FORMAT_VERSION + 1
    manifest["versions"]["curnlp"] = "9.0.0"
    _write(copy, manifest)
    with pytest.raises(IncompatibleModel) as info:
        Router.load(copy)
    message = str(info.value)
    assert f"format {bundle.FORMAT_VERSION + 1}" in message and f"reads format {bundle.FORMAT_VERSION}" in message
    assert "9.0.0" in message and curnlp.__version__ in message


def test_missing_bundle(tmp_path):
    with pytest.raises(ModelNotFound):
        curnlp.load(tmp_path / "nothing")


# ---------------------------------------------------------------------------
# observability
# ---------------------------------------------------------------------------

def test_load_logs_model_id_version_and_time_once(caplog):
    with caplog.at_level(logging.INFO, logger="curnlp"):
        router = curnlp.load(entities=False)
    records = [r for r in caplog.records if r.name == "curnlp" and "loaded model" in r.getMessage()]
    assert len(records) == 1 and records[0].levelno == logging.INFO
    message = records[0].getMessage()
    assert router.id in message and str(DEFAULT_MODEL) in message and " s" in message
    assert f"curnlp {router.manifest['versions']['curnlp']}" in message
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="curnlp"):
        router.route(TEXT)
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]  # routing is quiet


def test_routing_records_the_bundle_id():
    router = curnlp.load(entities=False)
    d = router.route(TEXT).to_dict()
    assert d["model"] == router.id == router.manifest["bundle_id"]


def test_no_print_calls_in_the_library():
    """Library code logs to the "curnlp" logger; only command-line handlers print."""
    package = Path(curnlp.__file__).parent
    offenders = []

    def visit(node, where):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("_cmd_") or node.name == "main":
                return  # a CLI command writes to stdout/stderr on purpose
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            offenders.append(f"{where}:{node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    for file in package.rglob("*.py"):
        if file.name in ("cli.py", "__main__.py") or file.relative_to(package).parts[0] == "cli":
            continue  # the command-line package prints on purpose
        visit(ast.parse(file.read_text(encoding="utf-8")), file.name)
    assert not offenders


def test_load_warms_up_so_the_first_route_builds_nothing(monkeypatch):
    router = curnlp.load(entities=True)
    assert morph._analyzer is not None and NER._shared is not None
    monkeypatch.setattr(NER, "__init__", lambda *a, **k: pytest.fail("NER built on the first route"))
    monkeypatch.setattr(morph.pymorphy3, "MorphAnalyzer", lambda *a, **k: pytest.fail("analyzer built again"))
    assert router.route(TEXT).agency is not None


def test_warm_up_can_be_deferred():
    router = curnlp.load(entities=False, warm_up=False)
    assert router.warm_up() is router


def _run(code: str) -> str:
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_routing_imports_no_pandas_pyarrow_or_matplotlib_and_pandas_still_works_after():
    out = _run(
        "import sys, curnlp\n"
        "r = curnlp.load(entities=False)\n"
        "print(r.route('На ул. Ленина в Курске огромная яма').topic.label != '')\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'matplotlib') if m in sys.modules))\n"
        "import pandas as pd\n"  # imports normally afterwards, and scikit-learn takes DataFrames
        "from sklearn.preprocessing import OneHotEncoder\n"
        "print(OneHotEncoder().fit_transform(pd.DataFrame({'a': ['x', 'y']})).shape)\n")
    assert out.splitlines() == ["True", "[]", "(2, 2)"]


def test_pandas_imported_first_is_left_alone():
    out = _run("import pandas, sklearn.utils.fixes as f, curnlp\n"
               "print(f.pd is pandas, curnlp.load(entities=False).route('Нет воды в Курске').agency is not None)\n")
    assert out == "True True"


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads VmHWM from Linux /proc")
def test_peak_memory_after_loading_stays_within_bounds():
    # generous bounds (measured: ~160 MB fast mode, ~225 MB with NER; the bars are
    # 200 / 300 MB): this catches a heavy import or Navec loaded as Python objects again
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over fork + exec, so a
    # child of this big pytest process would report pytest's own peak
    code = ("import curnlp\n"
            "r = curnlp.load(entities={})\n"
            "r.route('Прошу Иванову Марию Петровну убрать мусор на ул. Ленина')\n"
            "status = dict(line.split(':', 1) for line in open('/proc/self/status'))\n"
            "print(int(status['VmHWM'].split()[0]) // 1024)\n")
    fast, full = int(_run(code.format(False))), int(_run(code.format(True)))
    assert fast < 200 and full < 300, (fast, full)
