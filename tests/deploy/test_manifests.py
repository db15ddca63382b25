"""The deployment files, checked offline against the code: every Kubernetes manifest against
the API schemas (kubernetes-validate ships them), every role the code defines present in the
manifests, the compose file and the Prometheus configurations, and every setting they name
known to shared/settings.py and accepted by its production rules with secrets by reference."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import kubernetes_validate
import msgspec
import pytest
import yaml

from shared.messaging.metrics import MessagingMetrics
from shared.metrics import Registry
from shared.settings import _PRODUCTION_SECRETS, ROLES, SANDBOX_INTERNAL_SECRET, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "deploy" / "compose"
K8S_VERSION = "1.30.0"
SPLIT_ROLES = tuple(r for r in ROLES if r != "all")
PRODUCTION_ROLES = tuple(r for r in SPLIT_ROLES if r != "sandbox")
KNOWN = {f"HUB_{f.name.upper()}" for f in msgspec.structs.fields(Settings) if f.name != "sandbox_explicit"}
KNOWN |= {"HUB_CONFIG"}  # read by load_settings itself (the hub.toml path)
# Never in a ConfigMap or a committed file: they come from the Secret (or the environment).
SECRET_SETTINGS = {f"HUB_{n.upper()}" for n in _PRODUCTION_SECRETS} | {
    "HUB_DATABASE_URL", "HUB_REDIS_URL", "HUB_ALERT_WEBHOOK_SECRET"}


def _manifests() -> list[tuple[Path, dict]]:
    docs = []
    for path in sorted(K8S.rglob("*.yaml")):
        docs += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def _of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in _manifests() if doc["kind"] == kind}


def _role_of(deployment: dict) -> str:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[:2] == ["serve", "--role"], args
    return args[2]


def _configmap() -> dict[str, str]:
    return _of_kind("ConfigMap")["commerce-hub"]["data"]


def _compose() -> dict:
    return yaml.safe_load((COMPOSE / "compose.yaml").read_text())


def _hub_services(compose: dict) -> dict[str, str]:
    """compose service -> the role it serves."""
    return {name: svc["command"][2] for name, svc in compose["services"].items()
            if svc.get("command", [])[:2] == ["serve", "--role"]}


def test_every_kubernetes_manifest_is_valid_against_the_api_schema() -> None:
    docs = _manifests()
    assert len(docs) >= 20
    for path, doc in docs:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.relative_to(ROOT)}: {doc['kind']} {doc['metadata']['name']}: {exc.message}")


def test_the_schema_validation_catches_a_broken_manifest() -> None:
    deployment = _of_kind("Deployment")["hub-gateway"]
    broken = {**deployment, "spec": {**deployment["spec"], "replicas": "three"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
    unknown_field = {**deployment, "spec": {**deployment["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown_field, K8S_VERSION, strict=True)


def test_every_role_has_a_deployment_and_service_with_probes_resources_and_secrets_by_reference() -> None:
    deployments = {_role_of(d): d for d in _of_kind("Deployment").values()}
    assert set(deployments) == set(SPLIT_ROLES)
    services = _of_kind("Service")
    for role, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        [container] = pod["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", role
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", role
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), role
        assert {"configMapRef": {"name": "commerce-hub"}} in container["envFrom"], role
        assert {"secretRef": {"name": "commerce-hub"}} in container["envFrom"], role
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True and pod["spec"]["securityContext"]["runAsUser"] != 0
        assert container["image"] == "commerce-hub:0.1.0"
        labels = pod["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "commerce-hub" and labels["app.kubernetes.io/component"] == role
        service = services[f"hub-{role}"]
        assert service["spec"]["selector"].items() <= labels.items(), role
    [job] = _of_kind("Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["db", "upgrade"]


def test_every_production_role_has_a_disruption_budget_and_an_autoscaler_on_its_signal() -> None:
    pdbs, hpas = _of_kind("PodDisruptionBudget"), _of_kind("HorizontalPodAutoscaler")
    deployments = {_role_of(d): d for d in _of_kind("Deployment").values()}
    for role in PRODUCTION_ROLES:
        pod_labels = deployments[role]["spec"]["template"]["metadata"]["labels"]
        assert pdbs[f"hub-{role}"]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        hpa = hpas[f"hub-{role}"]["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"hub-{role}"}
    assert hpas["hub-gateway"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"  # the edge: CPU
    [backlog] = hpas["hub-worker"]["spec"]["metrics"]
    metric = backlog["external"]["metric"]["name"]
    assert metric == "hub_outbox_oldest_pending_seconds"
    assert f"# TYPE {metric} gauge" in _rendered(MessagingMetrics), "the workers' HPA scales on a metric nobody exports"


def _rendered(metrics_class: type) -> str:
    registry = Registry()
    metrics_class(registry)
    return registry.render()


def test_the_configmap_names_only_known_settings_and_no_secret() -> None:
    names = {k for k in _configmap() if k.startswith("HUB_")}
    assert names <= KNOWN, f"unknown settings: {sorted(names - KNOWN)}"
    assert not names & SECRET_SETTINGS, f"secrets in the ConfigMap: {sorted(names & SECRET_SETTINGS)}"
    sandbox = _of_kind("Deployment")["hub-sandbox"]["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"] for e in sandbox["env"]} <= KNOWN


def test_the_data_key_file_is_mounted_from_a_secret_in_every_role_that_reads_it() -> None:
    """HUB_DATA_KEY_FILE (the ConfigMap holds its path, never the key) names a read-only Secret
    volume in the roles that seal and open webhook secrets, and in no other role."""
    from commerce_hub.preflight import SEALING_ROLES

    path = Path(_configmap()["HUB_DATA_KEY_FILE"])
    for role, deployment in {_role_of(d): d for d in _of_kind("Deployment").values()}.items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        secret_volumes = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        mounts = [m for m in container.get("volumeMounts", []) if m["name"] in secret_volumes]
        if role not in SEALING_ROLES:
            assert not mounts, f"{role} mounts the data key it never reads"
            continue
        [mount] = mounts
        assert mount["readOnly"] is True and path.parent == Path(mount["mountPath"]), role
        assert secret_volumes[mount["name"]] == "commerce-hub-data-key"
    compose = _compose()
    compose_path = compose["x-hub"]["environment"]["HUB_DATA_KEY_FILE"]
    for name, role in _hub_services(compose).items():
        mounted = [v for v in compose["services"][name].get("volumes", []) if v.split(":")[1] == compose_path]
        assert (mounted == [f"./secrets/data-key:{compose_path}:ro"]) == (role in SEALING_ROLES), name


def test_production_settings_start_with_the_secret_given_and_refuse_a_published_value() -> None:
    config = _configmap()
    assert config["HUB_SANDBOX"] == "0"
    secret = {name: secrets.token_urlsafe(24) for name in SECRET_SETTINGS - {"HUB_ALERT_WEBHOOK_SECRET"}}
    secret |= {"HUB_DATABASE_URL": "postgresql+asyncpg://hub:pw@db:5432/hub", "HUB_REDIS_URL": "redis://redis:6379/0"}
    settings = load_settings(env={**config, **secret}, toml_path="/nonexistent")
    assert settings.sandbox is False and settings.internal_secret == secret["HUB_INTERNAL_SECRET"]
    with pytest.raises(SettingsError, match="HUB_INTERNAL_SECRET"):
        load_settings(env={**config, **secret, "HUB_INTERNAL_SECRET": SANDBOX_INTERNAL_SECRET}, toml_path="/nonexistent")
    with pytest.raises(SettingsError, match="HUB_SHOPIFY_ACCESS_TOKEN"):  # the ConfigMap alone never starts
        load_settings(env=config, toml_path="/nonexistent")


def test_compose_runs_every_role_the_stores_a_collector_and_prometheus() -> None:
    compose = _compose()
    roles = sorted(_hub_services(compose).values())
    assert roles == sorted([*SPLIT_ROLES, "gateway", "worker"]), "gateway x2, worker x2, one of each other role"
    services = compose["services"]
    assert {"postgres", "redis", "otel-collector", "prometheus", "lb", "migrate"} <= set(services)
    assert services["migrate"]["command"] == ["db", "upgrade"]
    haproxy = (COMPOSE / "haproxy.cfg").read_text()
    gateways = [n for n, r in _hub_services(compose).items() if r == "gateway"]
    assert all(re.search(rf"^\s*server {g} {g}:8080 check", haproxy, re.M) for g in gateways)


def test_compose_settings_are_known_point_at_its_services_and_take_secrets_from_the_environment() -> None:
    compose = _compose()
    env = compose["x-hub"]["environment"]
    names = {k for k in env if k.startswith("HUB_")}
    assert names <= KNOWN, f"unknown settings: {sorted(names - KNOWN)}"
    for name in names & SECRET_SETTINGS:
        value = env[name]
        if name.endswith("_URL"):  # a URL may be written; a password in it may not
            value = (re.match(r"\w[\w+]*://[^:@/]+:([^@]+)@", value) or re.match("()", "")).group(1) or "${none}"
        assert value.startswith("${"), f"{name} is written in the compose file instead of taken from the environment"
    for name, value in env.items():
        if name.endswith("_URL") and value.startswith("http"):
            host = re.match(r"https?://([^:/]+)", value).group(1)
            assert host in compose["services"], f"{name} points at {host}, which is no compose service"
    given = {k: re.sub(r"\$\{[^}]+\}", secrets.token_hex(12), v) for k, v in env.items() if k.startswith("HUB_")}
    settings = load_settings(env=given, toml_path="/nonexistent")
    assert settings.redis_url and not settings.is_sqlite and settings.sandbox


def test_prometheus_scrapes_every_role_with_the_gateway_key_from_a_file() -> None:
    compose = _compose()
    config = yaml.safe_load((COMPOSE / "prometheus.yml").read_text())
    targets = {t.split(":")[0] for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]}
    assert targets == set(_hub_services(compose)), "a role the compose file runs is not scraped (or a ghost is)"
    mounts = compose["services"]["prometheus"]["volumes"]
    k8s = yaml.safe_load((K8S / "prometheus-scrape.yml").read_text())
    for scrape in (config, k8s):
        [gateway] = [j for j in scrape["scrape_configs"] if j["job_name"] == "hub-gateway"]
        [key_file] = gateway["http_headers"]["X-API-Key"]["files"]
        assert set(gateway["http_headers"]["X-API-Key"]) == {"files"}, "the metrics key is never written inline"
        if scrape is config:
            assert any(m.endswith(f":{key_file}:ro") for m in mounts)
    kept = "|".join(r["regex"] for j in k8s["scrape_configs"] for r in j["relabel_configs"]
                    if r["source_labels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"] and "regex" in r)
    assert set(kept.split("|")) == set(SPLIT_ROLES)


def test_the_dockerfile_is_multi_stage_pinned_non_root_and_carries_every_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, re.M).group(1)
    assert re.search(r"(:\d+\.\d+\.\d+[-\w]*|@sha256:[0-9a-f]{64})$", base), f"base not pinned: {base}"
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert len(stages) >= 2 and all(s.startswith("${BASE_IMAGE}") for s in stages)
    user = re.findall(r"^USER (\S+)", text, re.M)[-1]
    assert user.split(":")[0] not in ("0", "root")
    assert re.search(r'^ENTRYPOINT \["hub"\]$', text, re.M)
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in (p.rstrip("*") for p in packages):
        assert re.search(rf"^COPY {package} \./{package}$", text, re.M), f"the image lacks {package}"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_the_debian_override_only_replaces_third_party_services() -> None:
    override = yaml.safe_load((COMPOSE / "compose.debian.yaml").read_text())["services"]
    compose = _compose()
    assert set(override) <= set(compose["services"]) - set(_hub_services(compose)) - {"migrate"}
