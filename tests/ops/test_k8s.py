"""ops/k8s: every manifest is valid against the Kubernetes schemas (kubernetes-validate's bundled,
strict ones: no network, unknown fields refused), and follows our own rules: non-root, read-only root
file systems, resources, the probes on /live and /ready, a grace period that fits the drain, secrets
from Secrets, the backup jobs' commands and file modes."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).parents[2]
K8S = ROOT / "ops/k8s"
KUBERNETES = "1.37.0"
DRAIN_MARGIN_S = 5  # closing the pool and exiting after the graceful shutdown


def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [{**doc, "_file": path.name} for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def find(kind: str, name: str) -> dict[str, Any]:
    (doc,) = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    if doc["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return None


def pods() -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in manifests():
        spec = pod_spec(doc)
        if spec is not None:
            yield f"{doc['kind']}/{doc['metadata']['name']}", spec


def config() -> dict[str, str]:
    data: dict[str, str] = find("ConfigMap", "neuropilot-config")["data"]
    return data


def env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate({k: v for k, v in doc.items() if k != "_file"}, KUBERNETES, strict=True)


@pytest.mark.parametrize("doc", manifests(), ids=lambda d: f"{d['_file']}:{d['kind']}")
def test_every_manifest_is_valid_against_the_kubernetes_schemas(doc: dict[str, Any]) -> None:
    validate(doc)


def test_the_validator_is_strict_and_needs_no_network() -> None:
    deployment = copy.deepcopy(find("Deployment", "neuropilot-api"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")  # a typo the API server would refuse
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{KUBERNETES}-local-strict"
    assert (schemas / "deployment-apps-v1.json").is_file(), "the schemas ship inside the package"


def test_the_kustomization_ties_every_manifest_together() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files
    assert kustomization["namespace"] == "neuropilot"
    assert {image["name"] for image in kustomization["images"]} == {"neuropilot", "neuropilot-backup"}


def test_every_container_runs_as_non_root_on_a_read_only_root_with_resources() -> None:
    for where, spec in pods():
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True and pod.get("runAsUser", 0) != 0, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert spec.get("automountServiceAccountToken") is False, where
        for container in spec.get("initContainers", []) + spec["containers"]:
            name = f"{where} {container['name']}"
            security = container.get("securityContext", {})
            assert security.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, name
            assert security.get("runAsUser", pod.get("runAsUser")) != 0, name
            assert security.get("readOnlyRootFilesystem") is True, name
            assert security.get("allowPrivilegeEscalation") is False, name
            assert security.get("capabilities", {}).get("drop") == ["ALL"], name
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{name}: {bound}"
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            if container["image"].startswith("neuropilot"):
                assert "/tmp" in mounts, f"{name}: a read-only root needs an emptyDir for /tmp"  # noqa: S108


def test_the_api_probes_drain_and_grace_period() -> None:
    spec = find("Deployment", "neuropilot-api")["spec"]["template"]["spec"]
    (api,) = spec["containers"]
    port = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert port["http"] == int(config()["PORT"])
    assert api["livenessProbe"]["httpGet"] == {"path": "/live", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    pre_stop = api["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    grace = int(config()["NEUROPILOT_SHUTDOWN_GRACE_S"])
    needed = int(pre_stop[1]) + grace + DRAIN_MARGIN_S
    assert spec["terminationGracePeriodSeconds"] >= needed, f"preStop {pre_stop[1]} s + grace {grace} s + margin"
    strategy = find("Deployment", "neuropilot-api")["spec"]["strategy"]["rollingUpdate"]
    assert strategy["maxUnavailable"] == 0


def test_the_api_reads_its_secrets_from_secrets_and_never_gets_the_owner() -> None:
    (api,) = find("Deployment", "neuropilot-api")["spec"]["template"]["spec"]["containers"]
    variables = env(api)
    for name in ("DATABASE_URL", "DATABASE_READ_URL", "NEUROPILOT_JWT_KEYS"):
        assert variables[name]["valueFrom"]["secretKeyRef"]["key"] == name, name
    assert variables["DATABASE_READ_URL"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert "MIGRATOR_DATABASE_URL" not in variables
    assert [source["configMapRef"]["name"] for source in api["envFrom"]] == ["neuropilot-config"]
    for value in config().values():
        assert not re.search(r"://[^/@]*:[^/@]*@", value), "no credentials in the ConfigMap"


def test_the_configmap_holds_only_settings_the_app_reads() -> None:
    source = (ROOT / "src/neuropilot/config.py").read_text()
    unknown = [key for key in config() if f'"{key}"' not in source]
    assert not unknown, f"the app reads no {unknown}"
    redis = find("Service", "neuropilot-redis")
    url = config()["REDIS_URL"]
    assert url == f"redis://{redis['metadata']['name']}:{redis['spec']['ports'][0]['port']}/0"


def test_service_pdb_and_autoscaler_point_at_the_api_pods() -> None:
    deployment = find("Deployment", "neuropilot-api")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = find("Service", "neuropilot-api")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    pdb = find("PodDisruptionBudget", "neuropilot-api")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items() and pdb["spec"]["maxUnavailable"] == 1
    hpa = find("HorizontalPodAutoscaler", "neuropilot-api")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "neuropilot-api"}
    assert hpa["minReplicas"] >= 2, "one replica may be disrupted and one must serve"


def test_the_migration_job_runs_migrate_as_the_owner() -> None:
    job = find("Job", "neuropilot-migrate")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] + container["args"] == ["neuropilot", "migrate"]
    owner = env(container)["MIGRATOR_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert owner == {"name": "neuropilot-db", "key": "MIGRATOR_DATABASE_URL"}
    assert "DATABASE_URL" not in env(container)


@pytest.mark.parametrize(
    ("name", "command", "secrets"),
    [
        ("neuropilot-backup", "exec neuropilot backup", {"neuropilot-backup", "neuropilot-rclone"}),
        ("neuropilot-restore-drill", "exec neuropilot backup verify", {"neuropilot-backup"}),
    ],
)
def test_the_backup_jobs_run_their_command_with_secret_files_of_mode_0400(
    name: str, command: str, secrets: set[str]
) -> None:
    cron = find("CronJob", name)
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    spec = pod_spec(cron)
    assert spec is not None
    (container,) = spec["containers"]
    script = container["args"][0].strip().splitlines()
    assert script[-1] == command
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounted = {v["secret"]["secretName"]: v for v in volumes.values() if "secret" in v}
    assert set(mounted) == secrets
    assert all(v["secret"]["defaultMode"] == 0o400 for v in mounted.values())
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert all(mounts[v["name"]].get("readOnly") is True for v in mounted.values())
    passphrase = env(container)["NEUROPILOT_BACKUP_PASSPHRASE_FILE"]["value"]
    run = next(m for m in container["volumeMounts"] if passphrase.startswith(m["mountPath"] + "/"))
    assert volumes[run["name"]]["emptyDir"]["medium"] == "Memory", "the passphrase copy never touches a disk"
    assert f"install -m 0400 /run/secrets/neuropilot-backup/passphrase {passphrase}" in script
    assert volumes["backups"]["persistentVolumeClaim"]["claimName"] == "neuropilot-backups"
    assert env(container)["MIGRATOR_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "neuropilot-db"


def test_the_images_the_manifests_run_are_built_by_the_containerfile() -> None:
    image = (ROOT / "Containerfile").read_text()
    assert "--uid 10001" in image and "AS backup" in image
    assert re.search(r"apt-get install .*postgresql-client gnupg rclone", image)
    users = {
        spec["securityContext"]["runAsUser"] for _, spec in pods() if "neuropilot" in spec["containers"][0]["image"]
    }
    assert users == {10001}
