"""Static checks of the compose stack (docker-compose.yml, conf/compose/, conf/compose.yaml, .env.example).

No Docker engine is needed: these tests parse the files and check that they agree with each other, with
the official Compose Specification schema and with the `compose` Settings profile.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import hashlib
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml

from lakecast.settings import PROJECT_ROOT, get_settings

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
COMPOSE_CONF = PROJECT_ROOT / "conf" / "compose"
TRINO_CATALOG = COMPOSE_CONF / "trino" / "catalog" / "iceberg.properties"
TRINO_CONFIG = COMPOSE_CONF / "trino" / "config.properties"
SPARK_DEFAULTS = COMPOSE_CONF / "spark" / "spark-defaults.conf"
RUNTIME_DOCKERFILE = COMPOSE_CONF / "spark" / "Dockerfile"
MINIO_POLICY = COMPOSE_CONF / "minio" / "lakecast-rw-policy.json"
MINIO_INIT_SCRIPT = COMPOSE_CONF / "minio" / "create-buckets.sh"
POSTGRES_INIT_SQL = COMPOSE_CONF / "postgres" / "initdb" / "10-lakecast.sql"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
# sha256 of the vendored schema (see compose-spec.SOURCE.md): an edited schema is not the official one.
COMPOSE_SPEC_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"

SPARK_CATALOG = "lakecast"
S3_FILE_IO = "org.apache.iceberg.aws.s3.S3FileIO"
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, $VAR, and $$ (a literal $).
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|_KEY$|CREDENTIAL")


# ---------------------------------------------------------------- loading helpers (each file read once)


@functools.cache
def load_compose() -> dict[str, Any]:
    """Return docker-compose.yml as loaded by YAML (anchors and `<<` merges resolved, not interpolated)."""
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


@functools.cache
def load_env_example() -> dict[str, str]:
    """Return the KEY=value pairs of .env.example."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f".env.example line is not KEY=value: {line!r}"
        values[key.strip()] = value.strip()
    return values


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Return `value` with Compose variable interpolation applied to every string inside it."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        is_set, current = name in env, env.get(name, "")
        if op == ":-":
            return current if current else arg
        if op == "-":
            return current if is_set else arg
        if op in (":?", "?"):
            if not is_set or (op == ":?" and not current):
                raise ValueError(f"required variable {name} is missing: {arg}")
            return current
        if op == ":+":
            return arg if current else ""
        if op == "+":
            return arg if is_set else ""
        return current

    return _INTERPOLATION.sub(substitute, value)


@functools.cache
def interpolated_compose() -> dict[str, Any]:
    """Return the compose model as `docker compose` sees it after `cp .env.example .env`."""
    return interpolate(load_compose(), load_env_example())


def read_properties(path: Path) -> dict[str, str]:
    """Return the key=value pairs of a Java-style .properties file (comments and blanks skipped)."""
    props: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {line!r}"
        assert key.strip() not in props, f"{path.name}: duplicate key {key.strip()}"
        props[key.strip()] = value.strip()
    return props


def read_spark_defaults(path: Path = SPARK_DEFAULTS) -> dict[str, str]:
    """Return spark-defaults.conf as a dict (key, whitespace, value per line)."""
    conf: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        assert len(parts) == 2, f"spark-defaults.conf line without a value: {line!r}"
        assert parts[0] not in conf, f"duplicate key {parts[0]}"
        conf[parts[0]] = parts[1].strip()
    return conf


def services() -> dict[str, dict[str, Any]]:
    return load_compose()["services"]


def service_env(name: str) -> dict[str, str]:
    env = services()[name].get("environment", {})
    assert isinstance(env, dict), f"{name}: use the mapping form of environment"
    return {k: str(v) for k, v in env.items()}


def command_args(name: str) -> list[str]:
    command = services()[name].get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def option_value(args: list[str], option: str) -> str:
    """Return the value following `option` in an argument list."""
    assert option in args, f"{option} missing from {args}"
    return args[args.index(option) + 1]


def first_group(pattern: str, text: str, flags: int = 0) -> str:
    """Return group 1 of the first match of `pattern` in `text`; fails the test if nothing matches."""
    match = re.search(pattern, text, flags)
    assert match, f"{pattern!r} not found in {text[:200]!r}"
    return match[1]


def one_shot_services() -> set[str]:
    """Services that others wait on with service_completed_successfully (they run once and exit)."""
    return {
        dep
        for svc in services().values()
        for dep, spec in (svc.get("depends_on") or {}).items()
        if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully"
    }


def listening_port(name: str) -> int:
    """Return the container port a service listens on, read from its own configuration."""
    if name == "iceberg-rest":
        return int(service_env(name)["REST_PORT"])
    if name == "trino":
        return int(read_properties(TRINO_CONFIG)["http-server.http.port"])
    if name == "minio":
        return int(option_value(command_args(name), "--address").rsplit(":", 1)[1])
    if name in ("mlflow", "api", "spark-master"):
        return int(option_value(command_args(name), "--port"))
    raise KeyError(name)


def published_ports(name: str) -> list[tuple[str, int, int]]:
    """Return (host_ip, host_port, container_port) for each of a service's short-syntax ports."""
    out = []
    for spec in interpolated_compose()["services"][name].get("ports", []):
        parts = str(spec).split(":")
        assert len(parts) == 3, f"{name}: publish as host_ip:host_port:container_port, got {spec!r}"
        out.append((parts[0], int(parts[1]), int(parts[2])))
    return out


def assert_points_at(url: str, service: str) -> None:
    """Assert that `url` targets `service` by its compose name on the port it really listens on."""
    parsed = urlparse(url)
    assert parsed.hostname == service, f"{url} should use the compose service name {service!r}"
    assert parsed.port == listening_port(service), f"{url}: {service} listens on {listening_port(service)}"


def bucket_of(s3_url: str) -> str:
    parsed = urlparse(s3_url)
    assert parsed.scheme == "s3", s3_url
    return parsed.netloc


# ---------------------------------------------------------------- the compose file itself


def test_vendored_schema_is_the_recorded_official_copy():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == COMPOSE_SPEC_SHA256
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["title"] == "Compose Specification"
    jsonschema.Draft202012Validator.check_schema(schema)


def _compose_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def test_compose_file_validates_against_the_compose_spec():
    errors = sorted(_compose_validator().iter_errors(interpolated_compose()), key=lambda e: e.json_path)
    assert [f"{e.json_path}: {e.message}" for e in errors] == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c["services"]["trino"].update(healthcheck={"test": ["CMD"], "interva": "5s"}),
        lambda c: c["services"]["api"]["depends_on"]["trino"].update(condition="service_ready"),
        lambda c: c["services"]["minio"].update(restart_policy="always"),
    ],
    ids=["misspelt-healthcheck-key", "unknown-depends-on-condition", "unknown-service-key"],
)
def test_the_schema_rejects_broken_variants_of_the_file(mutate):
    broken = copy.deepcopy(interpolated_compose())
    mutate(broken)
    assert list(_compose_validator().iter_errors(broken)), "the schema should have rejected this file"


def test_every_image_is_pinned():
    for name, svc in services().items():
        image = svc.get("image")
        assert image, f"{name}: set image (also for built services, to pin the tag they are built as)"
        assert "${" not in image, f"{name}: image must not come from a variable: {image}"
        last = image.rsplit("/", 1)[-1]
        assert "@sha256:" in image or ":" in last, f"{name}: image {image} has no tag"
        tag = last.split("@", 1)[0].partition(":")[2]
        assert tag and tag != "latest", f"{name}: image {image} must pin a tag other than latest"


def test_dockerfiles_of_built_services_exist_and_pin_their_base_images():
    built = {name: svc["build"] for name, svc in services().items() if "build" in svc}
    assert {"api", "spark-master", "spark-worker", "mlflow"} <= built.keys()
    for name, build in built.items():
        dockerfile = PROJECT_ROOT / build["context"] / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} missing"
        bases = re.findall(r"^FROM\s+(?:--\S+\s+)?(\S+)", dockerfile.read_text(), flags=re.M)
        assert bases, f"{dockerfile} has no FROM"
        for base in bases:
            tag = base.rsplit("/", 1)[-1].partition(":")[2]
            assert tag and tag != "latest", f"{dockerfile}: base image {base} is not pinned"


def test_long_running_services_have_healthchecks():
    one_shot = one_shot_services()
    assert one_shot == {"minio-init"}
    for name, svc in services().items():
        if name in one_shot:
            assert svc.get("restart") == "no", f"{name} runs once: restarting it would never complete"
            continue
        check = svc.get("healthcheck")
        assert check and not check.get("disable"), f"{name} runs for good and needs a healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test must be CMD/CMD-SHELL"
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck has no {key}"


def test_every_dependency_waits_on_a_condition_the_target_can_meet():
    for name, svc in services().items():
        deps = svc.get("depends_on", {})
        assert isinstance(deps, dict), f"{name}: depends_on must use the long form with a condition"
        for dep, spec in deps.items():
            assert dep in services(), f"{name} depends on unknown service {dep}"
            condition = spec.get("condition")
            if condition == "service_healthy":
                assert services()[dep].get("healthcheck"), f"{name} waits for {dep} to be healthy"
            elif condition == "service_completed_successfully":
                assert "healthcheck" not in services()[dep], f"{dep} is one-shot"
            else:
                pytest.fail(f"{name} -> {dep}: condition {condition!r}; use healthy or completed")


def test_dependencies_have_no_cycle_and_the_api_starts_last():
    graph = {name: set((svc.get("depends_on") or {}).keys()) for name, svc in services().items()}
    order: list[str] = []
    while graph:
        ready = sorted(n for n, deps in graph.items() if not deps - set(order))
        assert ready, f"dependency cycle among {sorted(graph)}"
        order.extend(ready)
        for n in ready:
            del graph[n]
    assert order[-1] == "api"
    assert order.index("minio-init") < order.index("iceberg-rest") < order.index("trino")


def test_no_secret_is_written_in_the_compose_file():
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"://[^/\s:@$]+:[^@\s$]+@", text), "credentials inside a URL"
    for name in services():
        for key, value in service_env(name).items():
            if _SECRET_KEY.search(key):
                assert re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*(:?\?[^}]*)?\}", value), (
                    f"{name}.{key} must be a bare ${{VAR}} / ${{VAR:?msg}} interpolation, got {value!r}"
                )
        for arg in command_args(name):
            assert not re.search(r"(?i)(password|secret)\s*[=:]\s*[^$\s]", arg), f"{name}: {arg}"


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_env_example_documents_every_variable_and_ships_no_usable_secret():
    # Values only, as Compose interpolates them (comments are not interpolated).
    used = {m["braced"] or m["bare"] for s in _strings(load_compose()) for m in _INTERPOLATION.finditer(s)}
    used.discard(None)
    documented = load_env_example()
    assert used, "no ${VAR} found: did the interpolation regex break?"
    assert sorted(used - documented.keys()) == [], "variables used in docker-compose.yml, not documented"
    assert sorted(documented.keys() - used) == [], ".env.example documents variables compose never reads"
    for key, value in documented.items():
        if _SECRET_KEY.search(key) and key != "S3_ACCESS_KEY":
            assert "CHANGE_ME" in value, f".env.example must hold a placeholder for {key}, not a secret"
    interpolated_compose()  # every required ${VAR:?} is satisfied by the example values


def test_a_missing_required_secret_stops_compose():
    env = dict(load_env_example())
    del env["POSTGRES_PASSWORD"]
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        interpolate(load_compose(), env)


def test_mounted_host_paths_and_named_volumes_exist():
    declared_volumes = set(load_compose().get("volumes", {}))
    used_volumes = set()
    for name, svc in services().items():
        for mount in svc.get("volumes", []):
            assert isinstance(mount, str), f"{name}: use the short volume syntax"
            source = mount.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert source.startswith("./"), f"{name}: bind {source} must be relative to the repo"
                assert (PROJECT_ROOT / source).exists(), f"{name}: host path {source} does not exist"
            else:
                assert source in declared_volumes, f"{name}: volume {source} is not declared"
                used_volumes.add(source)
    assert used_volumes == declared_volumes, "declared volumes no service mounts"


def test_every_service_is_on_the_stack_network_and_published_ports_are_local_and_distinct():
    networks = set(load_compose()["networks"])
    assert networks == {"lakecast"}
    seen: dict[int, str] = {}
    for name, svc in services().items():
        assert svc.get("networks") == ["lakecast"], f"{name} is not on the lakecast network"
        for host_ip, host_port, _ in published_ports(name):
            assert host_ip == "127.0.0.1", f"{name}: publish on loopback only (no auth in this stack)"
            assert host_port not in seen, f"host port {host_port} used by {seen.get(host_port)} and {name}"
            seen[host_port] = name


@pytest.mark.parametrize("service", ["minio", "iceberg-rest", "trino", "mlflow", "api", "spark-master"])
def test_published_container_port_is_the_port_the_service_listens_on(service):
    container_ports = {container for _, _, container in published_ports(service)}
    assert listening_port(service) in container_ports


def test_postgres_data_volume_matches_the_image_layout():
    svc = services()["postgres"]
    major = int(first_group(r"-pg(\d+)", svc["image"]))
    data_mounts = [m.split(":")[1] for m in svc["volumes"] if m.startswith("postgres-data:")]
    # The official images from PostgreSQL 18 on keep PGDATA in /var/lib/postgresql/<major>/docker.
    expected = "/var/lib/postgresql" if major >= 18 else "/var/lib/postgresql/data"
    assert data_mounts == [expected]


# ---------------------------------------------------------------- Trino


def test_trino_catalog_reads_the_rest_catalog_and_minio():
    props = read_properties(TRINO_CATALOG)
    assert props["connector.name"] == "iceberg"
    assert props["iceberg.catalog.type"] == "rest"
    assert_points_at(props["iceberg.rest-catalog.uri"], "iceberg-rest")
    assert props["fs.native-s3.enabled"] == "true"
    assert_points_at(props["s3.endpoint"], "minio")
    assert props["s3.path-style-access"] == "true"
    assert bucket_of(props["iceberg.rest-catalog.warehouse"]) == service_env("minio-init")["WAREHOUSE_BUCKET"]


def test_trino_reads_s3_secrets_from_env_vars_the_container_has():
    props = read_properties(TRINO_CATALOG)
    trino_env = service_env("trino")
    for key in ("s3.aws-access-key", "s3.aws-secret-key", "s3.region"):
        ref = re.fullmatch(r"\$\{ENV:([A-Z_][A-Z0-9_]*)\}", props[key])
        assert ref, f"{key} must be an ${{ENV:...}} reference, not a literal"
        assert ref[1] in trino_env, f"trino container has no {ref[1]} for {key}"


def test_trino_runs_as_a_single_node_on_the_published_port():
    config = read_properties(TRINO_CONFIG)
    assert config["coordinator"] == "true"
    assert config["node-scheduler.include-coordinator"] == "true"
    mounts = {m.split(":")[1] for m in services()["trino"]["volumes"]}
    assert {"/etc/trino/catalog", "/etc/trino/config.properties", "/etc/trino/jvm.config"} <= mounts


# ---------------------------------------------------------------- Spark


def test_spark_defaults_configure_the_lakecast_rest_catalog_on_minio():
    conf = read_spark_defaults()
    prefix = f"spark.sql.catalog.{SPARK_CATALOG}"
    assert conf[prefix] == "org.apache.iceberg.spark.SparkCatalog"
    assert conf[f"{prefix}.type"] == "rest"
    assert_points_at(conf[f"{prefix}.uri"], "iceberg-rest")
    assert conf[f"{prefix}.io-impl"] == S3_FILE_IO
    assert_points_at(conf[f"{prefix}.s3.endpoint"], "minio")
    assert conf[f"{prefix}.s3.path-style-access"] == "true"
    assert "IcebergSparkSessionExtensions" in conf["spark.sql.extensions"]
    assert conf["spark.sql.defaultCatalog"] == SPARK_CATALOG


def test_spark_master_url_matches_the_master_service():
    conf = read_spark_defaults()
    master = urlparse(conf["spark.master"])
    expected = ("spark", "spark-master", listening_port("spark-master"))
    assert (master.scheme, master.hostname, master.port) == expected
    assert option_value(command_args("spark-master"), "--host") == "spark-master"
    assert command_args("spark-worker")[-1] == conf["spark.master"]


def test_every_s3_location_uses_a_bucket_minio_init_creates():
    init_env = service_env("minio-init")
    buckets = {init_env["WAREHOUSE_BUCKET"], init_env["MLFLOW_BUCKET"]}
    warehouses = {
        read_spark_defaults()[f"spark.sql.catalog.{SPARK_CATALOG}.warehouse"],
        service_env("iceberg-rest")["CATALOG_WAREHOUSE"],
        read_properties(TRINO_CATALOG)["iceberg.rest-catalog.warehouse"],
    }
    assert len(warehouses) == 1, f"Spark, the REST catalog and Trino disagree on the warehouse: {warehouses}"
    assert bucket_of(warehouses.pop()) == init_env["WAREHOUSE_BUCKET"]
    artifacts = option_value(command_args("mlflow"), "--artifacts-destination")
    assert bucket_of(artifacts) == init_env["MLFLOW_BUCKET"]
    policy = json.loads(MINIO_POLICY.read_text())
    resources = {r for stmt in policy["Statement"] for r in stmt["Resource"]}
    assert resources == {f"arn:aws:s3:::{b}" for b in buckets} | {f"arn:aws:s3:::{b}/*" for b in buckets}


def test_minio_init_script_gets_every_variable_it_requires():
    required = set(re.findall(r'"\$\{([A-Z_][A-Z0-9_]*):\?\}"', MINIO_INIT_SCRIPT.read_text()))
    init_env = service_env("minio-init")
    assert required and required <= init_env.keys()
    assert_points_at(init_env["MINIO_ENDPOINT"], "minio")
    mounted = {m.split(":")[1] for m in services()["minio-init"]["volumes"]}
    assert Path(init_env["POLICY_FILE"]).parent.as_posix() in mounted
    assert services()["minio-init"]["entrypoint"][-1].startswith(tuple(mounted))


def test_s3_clients_all_get_the_scoped_service_account_not_root():
    for name in ("iceberg-rest", "trino", "spark-worker", "mlflow", "api"):
        env = service_env(name)
        assert env["AWS_ACCESS_KEY_ID"].startswith("${S3_ACCESS_KEY"), name
        assert env["AWS_SECRET_ACCESS_KEY"].startswith("${S3_SECRET_KEY"), name
        assert "MINIO_ROOT_PASSWORD" not in " ".join(env.values()), f"{name} must not get the root secret"


def test_runtime_image_matches_the_locked_project():
    dockerfile = RUNTIME_DOCKERFILE.read_text()
    base = re.search(r"^FROM\s+python:(\d+\.\d+)\.\d+", dockerfile, flags=re.M)
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert base and f">={base[1]}" in pyproject["project"]["requires-python"]
    assert f"/lib/python{base[1]}/site-packages/pyspark" in dockerfile  # SPARK_HOME in that venv
    assert "uv sync --frozen --no-dev" in dockerfile

    # The Iceberg runtime jar the image copies is the one inside the locked PyPI package.
    import snowpark_connect_deps_iceberg

    iceberg_version = first_group(r"^ARG ICEBERG_VERSION=(\S+)", dockerfile, flags=re.M)
    jar = f"iceberg-spark-runtime-3.5_2.12-{iceberg_version}.jar"
    assert (Path(snowpark_connect_deps_iceberg.__file__).parent / "jars" / jar).is_file()

    # Executors use the image's venv python, the one the Dockerfile exports.
    pyspark_python = first_group(r"PYSPARK_PYTHON=(\S+)", dockerfile)
    assert read_spark_defaults()["spark.pyspark.python"] == pyspark_python


def test_runtime_image_has_the_trino_client_the_compose_engine_needs():
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    locked = {p["name"] for p in lock["package"]}
    dockerfile = RUNTIME_DOCKERFILE.read_text()
    installs = re.search(r'uv pip install .*"trino==\$\{TRINO_CLIENT_VERSION\}"', dockerfile)
    assert "trino" in locked or installs, "engine.kind=trino would fail: no `trino` client in the image"


def test_api_service_runs_the_app_factory_and_checks_a_real_route():
    from fastapi.routing import APIRoute

    import api.main
    from api.routes import health

    args = command_args("api")
    assert args[:3] == ["uvicorn", "--factory", "api.main:create_app"]
    assert callable(api.main.create_app)
    probe = services()["api"]["healthcheck"]["test"][-1]
    url = urlparse(first_group(r"'(http://[^']+)'", probe))
    assert (url.hostname, url.port) == ("localhost", listening_port("api"))
    assert url.path in {route.path for route in health.router.routes if isinstance(route, APIRoute)}


def test_mlflow_image_runs_the_locked_mlflow_version():
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    dockerfile = (COMPOSE_CONF / "mlflow" / "Dockerfile").read_text()
    assert first_group(r"^ARG MLFLOW_VERSION=(\S+)", dockerfile, flags=re.M) == locked["mlflow"]
    assert services()["mlflow"]["image"].endswith(":" + locked["mlflow"])


def test_mlflow_uses_postgres_and_accepts_calls_from_other_containers():
    args = command_args("mlflow")
    store = urlparse(option_value(args, "--backend-store-uri"))
    assert store.scheme == "postgresql" and store.hostname == "postgres" and store.password is None
    assert store.username == service_env("postgres")["POSTGRES_USER"]
    database = store.path.lstrip("/")
    assert re.search(rf"^CREATE DATABASE {database}\b", POSTGRES_INIT_SQL.read_text(), flags=re.M)
    assert "PGPASSWORD" in service_env("mlflow")
    allowed = service_env("mlflow")["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",")
    for host_header in (f"mlflow:{listening_port('mlflow')}", f"localhost:{listening_port('mlflow')}"):
        assert any(fnmatch.fnmatch(host_header, pattern) for pattern in allowed), host_header


# ---------------------------------------------------------------- conf/compose.yaml through Settings


@pytest.fixture
def compose_settings(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("LAKECAST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LAKECAST_PROFILE", "compose")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_compose_profile_loads_and_points_at_the_compose_services(compose_settings):
    s = compose_settings
    assert s.profile == "compose"
    assert s.catalog.name == SPARK_CATALOG
    assert s.catalog.type == "rest"
    assert_points_at(s.catalog.uri, "iceberg-rest")
    assert_points_at(s.catalog.s3_endpoint, "minio")
    assert s.warehouse == read_spark_defaults()[f"spark.sql.catalog.{SPARK_CATALOG}.warehouse"]

    assert s.engine.kind == "trino"
    assert s.engine.trino_host == "trino" and s.engine.trino_host in services()
    assert s.engine.trino_port == listening_port("trino")
    assert (TRINO_CATALOG.parent / f"{s.engine.trino_catalog}.properties").is_file()

    assert s.spark.master == read_spark_defaults()["spark.master"]
    assert s.mlflow_tracking_uri == s.mlflow.tracking_uri
    assert_points_at(s.mlflow.tracking_uri, "mlflow")
    assert s.mlflow_artifact_location.startswith("mlflow-artifacts:/")
    assert s.api.port == listening_port("api")


def test_compose_profile_postgres_url_has_no_password_and_matches_the_service(compose_settings):
    s = compose_settings
    assert s.postgres.mode == "external"
    url = urlparse(s.postgres.url)
    pg_env = service_env("postgres")
    assert url.password is None
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == pg_env["POSTGRES_USER"]
    assert url.path.lstrip("/") == pg_env["POSTGRES_DB"]
    # The API (its consumer) gets the password as PGPASSWORD, which libpq reads.
    assert service_env("api")["PGPASSWORD"].startswith("${POSTGRES_PASSWORD")
    assert service_env("api")["LAKECAST_PROFILE"] == "compose"


def test_spark_extra_conf_of_the_profile_agrees_with_spark_defaults(compose_settings):
    extra = compose_settings.spark.extra_conf
    assert extra[f"spark.sql.catalog.{SPARK_CATALOG}.io-impl"] == S3_FILE_IO
    defaults = read_spark_defaults()
    assert {k: v for k, v in extra.items() if defaults.get(k) != v} == {}


def test_the_session_lakecast_builds_agrees_with_spark_defaults(compose_settings):
    """`lakecast run` (session from Settings) and spark-submit (spark-defaults.conf) see one catalog."""
    from lakecast.runtime.spark import spark_conf

    session = spark_conf(compose_settings)
    defaults = read_spark_defaults()
    shared = session.keys() & defaults.keys()
    prefix = f"spark.sql.catalog.{SPARK_CATALOG}"
    assert {f"{prefix}.uri", f"{prefix}.warehouse", f"{prefix}.s3.endpoint"} <= shared
    assert {k: (session[k], defaults[k]) for k in shared if session[k] != defaults[k]} == {}


def test_a_full_postgres_url_can_come_from_the_environment(compose_settings, monkeypatch):
    monkeypatch.setenv("LAKECAST_POSTGRES__URL", "postgresql://lakecast:from-env@postgres:5432/lakecast")
    get_settings.cache_clear()
    assert urlparse(get_settings().postgres.url).password == "from-env"
    assert get_settings().engine.trino_host == "trino"  # the rest of the profile still applies


# ---------------------------------------------------------------- the Postgres init script on a real server


@pytest.mark.integration
def test_postgres_init_sql_runs_on_postgres_18_and_the_app_migrates_on_top():
    """Replays what the pgvector image does on first start: initdb/*.sql as POSTGRES_USER in POSTGRES_DB."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    from lakecast.appdb import migrate
    from lakecast.appdb.testing import temporary_server

    pg_env = service_env("postgres")
    user, database = pg_env["POSTGRES_USER"], pg_env["POSTGRES_DB"]
    sql = re.sub(r"--[^\n]*", "", POSTGRES_INIT_SQL.read_text())
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    with temporary_server(migrated=False) as (_, admin_url):
        with psycopg.connect(admin_url, autocommit=True) as conn:  # the image's superuser is POSTGRES_USER
            conn.execute(f'CREATE ROLE "{user}" LOGIN SUPERUSER')
        owner_url = make_conninfo(admin_url, user=user, dbname=database)
        with psycopg.connect(owner_url, autocommit=True) as conn:  # psql runs each statement on its own
            for statement in statements:
                conn.execute(statement)
            extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
            mlflow_db = conn.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mlflow'"
            ).fetchone()
        assert {"vector", "pg_trgm"} <= extensions
        assert mlflow_db == (user,)
        migrate.upgrade(owner_url)  # the API's startup migration still applies on top
        with psycopg.connect(owner_url) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
