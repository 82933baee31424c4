"""Refuse answers that would render a broken project, with one line that says what to type instead.

What the answers mean (which data each task can learn from, which answers are adapted to the task) is
the table of option facts in cookiecutter.json (its private `_` keys); this hook reads it from there.
"""

import json
import keyword
import os
import re
import shlex
import sys
import unicodedata
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# What the rendered projects install, with everything they depend on (for every answer set): a project
# named like one of them would replace it on install, or shadow its module on import. tests/test_answers.py
# checks these against the distributions that rendered projects really pull in.
DEPENDENCY_DISTRIBUTIONS = {
    "absl-py", "aiohappyeyeballs", "aiohttp", "aiosignal", "alembic", "annotated-doc", "annotated-types", "anyio",
    "attrs", "cachetools", "certifi", "cffi", "cfgv", "charset-normalizer", "click", "cloudpickle", "colorlog",
    "contourpy", "cryptography", "cwevals", "cycler", "databricks-sdk", "distlib", "distro", "docstring-parser",
    "fastapi", "filelock", "fonttools", "frozenlist", "fsspec", "gitdb", "gitpython", "google-auth",
    "googleapis-common-protos", "grpcio", "h11", "httpcore", "httpx", "identify", "idna", "importlib-metadata",
    "iniconfig", "jinja2", "joblib", "jsonargparse", "kiwisolver", "lazy-importer", "lightning", "lightning-fabric",
    "lightning-utilities", "mako", "markdown", "markdown-it-py", "markupsafe", "matplotlib", "mdurl", "mlflow-skinny",
    "mpmath", "multidict", "narwhals", "networkx", "nodeenv", "numpy", "opentelemetry-api",
    "opentelemetry-exporter-http-transport", "opentelemetry-exporter-otlp-common",
    "opentelemetry-exporter-otlp-proto-common", "opentelemetry-exporter-otlp-proto-http", "opentelemetry-proto",
    "opentelemetry-sdk", "opentelemetry-semantic-conventions", "optuna", "packaging", "pandas", "pillow",
    "platformdirs", "pluggy", "pre-commit", "propcache", "protobuf", "pyasn1", "pyasn1-modules", "pycparser",
    "pydantic", "pydantic-core", "pygments", "pyparsing", "pytest", "python-dateutil", "python-discovery",
    "python-dotenv", "python-multipart", "pytorch-lightning", "pyyaml", "requests", "rich", "ruff", "scikit-learn",
    "scipy", "setuptools", "smmap", "sniffio", "sqlalchemy", "sqlparse", "starlette", "sympy", "tensorboard",
    "tensorboard-data-server", "threadpoolctl", "torch", "torchmetrics", "tqdm", "typeshed-client", "typing-extensions",
    "typing-inspection", "tzdata", "urllib3", "uvicorn", "virtualenv", "wandb", "werkzeug", "xxhash", "yarl", "zipp",
    # The export extra (onnx, onnxscript, onnxruntime) and what it requires; the dev extra pulls it in.
    "flatbuffers", "ml-dtypes", "onnx", "onnx-ir", "onnxruntime", "onnxscript",
}  # fmt: skip
DEPENDENCY_MODULES = {
    "absl", "aiohappyeyeballs", "aiohttp", "aiosignal", "alembic", "annotated_doc", "annotated_types", "anyio", "attr",
    "attrs", "cachetools", "certifi", "cffi", "cfgv", "charset_normalizer", "click", "cloudpickle", "colorlog",
    "contourpy", "coreweave_evaluations", "cryptography", "cycler", "databricks", "dateutil", "distlib", "distro",
    "docstring_parser", "dotenv", "fastapi", "filelock", "fontTools", "frozenlist", "fsspec", "functorch", "git",
    "gitdb", "google", "grpc", "h11", "httpcore", "httpx", "identify", "idna", "importlib_metadata", "iniconfig",
    "isympy", "jinja2", "joblib", "jsonargparse", "kiwisolver", "lazy_importer", "lightning", "lightning_fabric",
    "lightning_utilities", "mako", "markdown", "markdown_it", "markupsafe", "matplotlib", "mdurl", "mlflow",
    "mpl_toolkits", "mpmath", "multidict", "multipart", "narwhals", "networkx", "nodeenv", "numpy", "opentelemetry",
    "optuna", "packaging", "pandas", "PIL", "platformdirs", "pluggy", "pre_commit", "propcache", "py", "pyasn1",
    "pyasn1_modules", "pycparser", "pydantic", "pydantic_core", "pygments", "pylab", "pyparsing", "pytest",
    "python_discovery", "python_multipart", "pytorch_lightning", "requests", "rich", "ruff", "scipy", "setuptools",
    "sklearn", "smmap", "sniffio", "sqlalchemy", "sqlparse", "starlette", "sympy", "tensorboard",
    "tensorboard_data_server", "threadpoolctl", "torch", "torchgen", "torchmetrics", "tqdm", "typeshed_client",
    "typing_extensions", "typing_inspection", "tzdata", "urllib3", "uvicorn", "virtualenv", "wandb", "werkzeug",
    "xxhash", "yaml", "yarl", "zipp",
    # The export extra and what it requires.
    "flatbuffers", "ml_dtypes", "onnx", "onnx_ir", "onnxruntime", "onnxscript",
}  # fmt: skip
# The rendered project's own folders, which a package of the same name would be confused with.
PROJECT_FOLDERS = {"tests", "test", "src", "data", "logs", "runs", "configs", "scripts", "predictions", "exports"}
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 100
# What build backends accept in core metadata: ASCII, no quotes, no spaces (RFC 5322's plain form).
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# Answers of one line: a line break (or another control character) would start a new line in the
# files they land in, such as a comment in scripts/slurm.sh, where no escaping is possible.
# (author_email has a pattern of its own.)
ONE_LINE_ANSWERS = ("project_name", "description", "author_name")


def check_package_name(name: str) -> str | None:
    if not name.isidentifier() or not name.isascii() or name != name.lower():
        return (
            f"package_name {name!r} is not an importable name:"
            " use lowercase letters, digits and underscores, starting with a letter"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name {name!r} is a Python keyword: choose another name, e.g. '{name}_model'"
    if name in PROJECT_FOLDERS:
        return f"package_name {name!r} is the name of one of the project's own folders: choose another, e.g. '{name}_x'"
    if name in sys.stdlib_module_names or name in DEPENDENCY_MODULES:
        return (
            f"package_name {name!r} would shadow a module of Python or of the project's dependencies:"
            f" choose another name, e.g. '{name}_project'"
        )
    return None


def check_project_slug(slug: str) -> str | None:
    if not re.search("[a-z0-9]", slug):
        return (
            f"project_slug {slug!r} has no letters or digits: give the project a name with some (the slug is made"
            " from it), or pass project_slug=my-project"
        )
    if not SLUG.match(slug):
        return (
            f"project_slug {slug!r} is not a valid folder and distribution name:"
            " use lowercase letters, digits and single dashes, e.g. 'my-project'"
        )
    if len(slug) > MAX_SLUG_LENGTH:
        shorter = slug[:40].strip("-")
        return f"project_slug is {len(slug)} characters long: keep it to {MAX_SLUG_LENGTH}, e.g. {shorter!r}"
    if slug in DEPENDENCY_DISTRIBUTIONS:
        return (
            f"project_slug {slug!r} is the name of a distribution the project installs: installing it would"
            f" replace that one; choose another name, e.g. '{slug}-project'"
        )
    return None


def check_one_line(key: str, text: str) -> str | None:
    if any(unicodedata.category(character) == "Cc" for character in text):
        return f"{key} {text!r} has a line break or another control character: type it on one line"
    return None


def check_author_email(email: str) -> str | None:
    if not EMAIL.match(email):
        return f"author_email {email!r} is not a plain e-mail address: type one like 'name@example.com'"
    return None


def check_data_source(answers: dict) -> tuple[str, dict] | None:
    """The refusal of a data source the task cannot learn from, with the answer that fixes it."""
    task, source = answers["task"], answers["data_source"]
    sources = list(answers["_tasks"][task]["data_modules"])
    if source in sources:
        return None
    message = (
        f"task {task} {answers['_tasks'][task]['goal']}, and data_source {source} holds"
        f" {answers['_data_sources'][source]['holds']}: for {task} choose {' or '.join(sources)}"
    )
    # tojson sorts keys, so the fix is the first fitting source by name: csv for regression, digits for a GAN.
    return message, {"data_source": sources[0]}


def write_fixed_replay(answers: dict, fix: dict) -> str | None:
    """Save the answers given, with `fix` applied, where cookiecutter keeps its replay files; return the path.

    The context is made again from the template's cookiecutter.json, so derived values and adaptations
    follow the fixed answer. Returns None when cookiecutter's own modules cannot do it.
    """
    try:
        from cookiecutter.config import get_user_config
        from cookiecutter.generate import generate_context
        from cookiecutter.prompt import prompt_for_config
        from cookiecutter.replay import dump

        given = {key: value for key, value in answers.items() if not key.startswith("_")} | fix
        context = generate_context(Path(answers["_repo_dir"], "cookiecutter.json"), extra_context=given)
        context["cookiecutter"] = prompt_for_config(context, no_input=True)
        for key in ("_template", "_output_dir", "_repo_dir", "_checkout"):
            context["cookiecutter"][key] = answers[key]
        replay_dir = get_user_config()["replay_dir"]
        name = f"{os.path.basename(os.path.abspath(answers['_repo_dir']))}-fixed"
        dump(replay_dir, name, context)
        return os.path.join(replay_dir, f"{name}.json")
    except Exception:  # the refusal stands; only the shortcut to re-run it is lost
        return None


def rerun_hint(answers: dict, fix: dict) -> str:
    fixed = " ".join(f"{key}={value}" for key, value in fix.items())
    replay = write_fixed_replay(answers, fix)
    if replay is None:
        return f"Run cookiecutter again and answer {fixed}."
    command = shlex.join(["cookiecutter", "--replay-file", replay, answers["_template"]])
    return f"To render it with {fixed} and all your other answers: {command}"


def print_adaptations(notes: str) -> None:
    """The answers that did not apply to the others and were adapted (cookiecutter.json's `_adapt`)."""
    for note in filter(None, notes.splitlines()):
        print(f"note: {note}")


def main() -> int:
    errors = [check_one_line(key, ANSWERS[key]) for key in ONE_LINE_ANSWERS]
    slug_error = check_project_slug(ANSWERS["project_slug"])
    # A package name made from a refused slug is refused with it: one line, about the slug.
    derived = ANSWERS["package_name"] == ANSWERS["project_slug"].replace("-", "_")
    errors += [
        slug_error,
        None if slug_error and derived else check_package_name(ANSWERS["package_name"]),
        check_author_email(ANSWERS["author_email"]),
    ]
    print_adaptations(ANSWERS["__adapted"])
    refused = check_data_source(ANSWERS)
    for error in filter(None, errors):
        print(f"ERROR: {error}", file=sys.stderr)
    if refused:
        message, fix = refused
        print(f"ERROR: {message}", file=sys.stderr)
        if not any(errors):
            print(rerun_hint(ANSWERS, fix), file=sys.stderr)
    return 1 if any(errors) or refused else 0


if __name__ == "__main__":
    sys.exit(main())
