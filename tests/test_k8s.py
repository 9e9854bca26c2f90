"""deploy/k8s checked offline: every manifest against the Kubernetes 1.28 schemas that
kubernetes-validate ships (strict: unknown fields fail), and the properties a deployment of the
helpline depends on. The network is closed while validating, so it cannot fetch a schema."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.28"
KUSTOMIZATION = "kustomization.yaml"


class StrictLoader(yaml.SafeLoader):
    """yaml's safe loader refusing a key given twice in one mapping: yaml keeps the last one
    silently, so a second `labels:` or `env:` would drop the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=StrictLoader))


def manifests() -> list[dict[str, Any]]:
    """The Kubernetes objects of deploy/k8s (kustomization.yaml is kustomize's, not the API's)."""
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != KUSTOMIZATION
            for doc in load_all(path.read_text()) if doc]


def named(kind: str, name: str) -> dict[str, Any]:
    return next(d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise OSError("no network while validating")
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_manifest_validates_offline_and_strictly(no_network: None) -> None:
    docs = manifests()
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"} <= kinds
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_a_broken_manifest_fails(no_network: None) -> None:
    rasa = named("Deployment", "helpline-rasa")
    rasa["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(rasa, KUBERNETES_VERSION, strict=True)
    rasa = named("Deployment", "helpline-rasa")
    rasa["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {"path": "/"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(rasa, KUBERNETES_VERSION, strict=True)


def test_rasa_runs_three_replicas_probed_on_its_port() -> None:
    rasa = named("Deployment", "helpline-rasa")
    assert rasa["spec"]["replicas"] == 3
    container = rasa["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["helpline-rasa", "run"]
    port = container["command"][container["command"].index("--port") + 1]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/"
        assert str(ports.get(get["port"], get["port"])) == port
    endpoints = container["command"][container["command"].index("--endpoints") + 1]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert str(Path(endpoints).parent) in mounts
    assert named("PodDisruptionBudget", "helpline-rasa")["spec"]["minAvailable"] < 3


def test_secrets_are_referenced_not_inlined() -> None:
    secret = named("Secret", "helpline-secrets")
    assert all("CHANGE-ME" in value for value in secret["stringData"].values())
    for doc in manifests():
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for env in container.get("env", []):
                if any(word in env["name"] for word in ("PASSWORD", "TOKEN", "KEY", "DB_URL", "REDIS_URL")):
                    assert "value" not in env, env["name"]
                    assert env["valueFrom"]["secretKeyRef"]["key"] in secret["stringData"]


def test_pods_run_as_non_root_without_privileges() -> None:
    for doc in manifests():
        pod = doc.get("spec", {}).get("template", {}).get("spec")
        if pod is None:
            continue
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "requests" in container["resources"] and "limits" in container["resources"]


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'labels'"):
        load_all("metadata:\n  labels: {a: b}\n  labels: {c: d}\n")
    assert load_all("a: 1\n---\nb: {a: 1}\n") == [{"a": 1}, {"b": {"a": 1}}]
