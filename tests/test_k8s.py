"""deploy/k8s checked offline: every manifest against the Kubernetes 1.28 schemas that
kubernetes-validate ships (strict: unknown fields fail), and the properties a deployment of the
helpline depends on. The network is closed while validating, so it cannot fetch a schema."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    found = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert found, f"no {kind} {name} in deploy/k8s"
    return found[0]


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
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}  # the namespace's "restricted"
        assert pod.get("automountServiceAccountToken") is False  # no process here talks to the API
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True  # writable places are emptyDir volumes
            assert context["capabilities"]["drop"] == ["ALL"]
            assert "requests" in container["resources"] and "limits" in container["resources"]


def test_a_key_given_twice_is_refused() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key 'labels'"):
        load_all("metadata:\n  labels: {a: b}\n  labels: {c: d}\n")
    assert load_all("a: 1\n---\nb: {a: 1}\n") == [{"a": 1}, {"b": {"a": 1}}]


# --- the manifests agree with each other --------------------------------------------------------

SECRET = "helpline-secrets"
SECRET_EXAMPLE = "secret.example.yaml"


def pod_templates() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload name, pod template labels, pod spec) of every Deployment, StatefulSet and Job."""
    return [(doc["metadata"]["name"], doc["spec"]["template"]["metadata"]["labels"], doc["spec"]["template"]["spec"])
            for doc in manifests() if "template" in doc.get("spec", {})]


def selected(selector: dict[str, str]) -> list[dict[str, Any]]:
    """The pod specs whose labels include every label of `selector`."""
    return [pod for _, labels, pod in pod_templates() if selector.items() <= labels.items()]


def container_ports(pod: dict[str, Any]) -> set[str | int]:
    return {value for container in pod["containers"] for port in container.get("ports", [])
            for value in (port["containerPort"], port.get("name")) if value is not None}


def service(name: str) -> dict[str, Any]:
    return named("Service", name)


def service_port(name: str, port: str | int) -> dict[str, Any]:
    """The port of Service `name` with that name or number; fails when there is none."""
    ports = [p for p in service(name)["spec"]["ports"] if port in (p["port"], p.get("name"), str(p["port"]))]
    assert ports, f"Service {name} has no port {port}"
    return ports[0]


def config() -> dict[str, str]:
    return named("ConfigMap", "helpline-config")["data"]


def expand(text: str) -> str:
    """${VAR} of the endpoints file, from the ConfigMap every Rasa pod reads (envFrom)."""
    for key, value in config().items():
        text = text.replace("${" + key + "}", value)
    return text


def test_every_service_selects_pods_and_targets_one_of_their_ports() -> None:
    services = [d for d in manifests() if d["kind"] == "Service"]
    assert len(services) >= 6
    for svc in services:
        pods = selected(svc["spec"]["selector"])
        assert pods, f"Service {svc['metadata']['name']} selects no pod template"
        for port in svc["spec"]["ports"]:
            for pod in pods:
                assert port["targetPort"] in container_ports(pod), (svc["metadata"]["name"], port)


def test_every_workload_selector_and_disruption_budget_matches_its_pods() -> None:
    for doc in manifests():
        if doc["kind"] in ("Deployment", "StatefulSet", "PodDisruptionBudget"):
            selector = doc["spec"]["selector"]["matchLabels"]
            assert selected(selector), f"{doc['kind']} {doc['metadata']['name']} selects no pod template"
        if doc["kind"] in ("Deployment", "StatefulSet"):
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert doc["spec"]["selector"]["matchLabels"].items() <= labels.items(), doc["metadata"]["name"]


def test_every_secret_reference_names_a_key_of_the_example_secret() -> None:
    keys = named("Secret", SECRET)["stringData"]
    references = [(name, env["name"], env["valueFrom"]["secretKeyRef"])
                  for name, _, pod in pod_templates() for container in pod["containers"]
                  for env in container.get("env", []) if "secretKeyRef" in env.get("valueFrom", {})]
    assert len(references) >= 15
    for workload, variable, ref in references:
        assert ref["name"] == SECRET, (workload, variable)
        assert ref["key"] in keys, (workload, variable, ref["key"])


def test_the_endpoints_point_at_services_that_exist() -> None:
    endpoints = yaml.safe_load(expand(named("ConfigMap", "helpline-endpoints")["data"]["endpoints.yml"]))
    action = urlsplit(endpoints["action_endpoint"]["url"])
    assert action.hostname and action.port and action.path == "/webhook"
    service_port(action.hostname, action.port)
    for store in ("tracker_store", "lock_store"):
        service_port(endpoints[store]["url"], endpoints[store]["port"])
    assert endpoints["lock_store"]["type"] == "bot.lock_store.HelplineLockStore"
    secret = named("Secret", SECRET)["stringData"]
    for url in (secret["HELPLINE_DB_URL"], secret["HELPLINE_REDIS_URL"], config()["CONSOLE_RASA_URL"]):
        parts = urlsplit(url)
        assert parts.hostname and parts.port, url
        service_port(parts.hostname, parts.port)
    # the endpoints' password variables come from the Secret in Rasa's pods
    rasa = selected(service("helpline-rasa")["spec"]["selector"])[0]["containers"][0]
    from_secret = {env["name"] for env in rasa["env"] if "secretKeyRef" in env.get("valueFrom", {})}
    assert {"TRACKER_DB_PASSWORD", "REDIS_PASSWORD"} <= from_secret


def ingress_paths() -> dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]:
    """(host, path) -> (the Ingress, its backend service) of every Ingress rule."""
    return {(rule["host"], path["path"]): (doc, path["backend"]["service"])
            for doc in manifests() if doc["kind"] == "Ingress"
            for rule in doc["spec"]["rules"] for path in rule["http"]["paths"]}


def test_the_ingress_routes_socketio_with_cookie_affinity_to_rasa() -> None:
    paths = ingress_paths()
    chat = urlsplit(config()["RASA_PUBLIC_URL"]).hostname
    ingress, backend = paths[(chat, "/socket.io")]
    assert backend["name"] == "helpline-rasa"
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-name"]
    assert paths[(chat, "/webhooks")][1]["name"] == "helpline-rasa"
    assert paths[(chat, "/")][1]["name"] == "helpline-web"
    assert "helpline-console" in {backend["name"] for _, backend in paths.values()}
    assert paths[(chat, "/webhooks/operator")][1]["name"] != "helpline-rasa"  # for the console inside only
    for ingress, backend in paths.values():
        service_port(backend["name"], backend["port"].get("name", backend["port"].get("number")))
        assert all(tls["secretName"] for tls in ingress["spec"]["tls"])
        hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
        assert {rule["host"] for rule in ingress["spec"]["rules"]} <= hosts


def test_body_limits_are_the_applications() -> None:
    from bot.channels.base import MAX_BODY
    from bot.channels.guard import MAX_MESSAGE_BODY

    def limit(ingress: dict[str, Any]) -> int:
        value = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert value.endswith("k"), value
        return int(value[:-1]) * 1024

    chat = urlsplit(config()["RASA_PUBLIC_URL"]).hostname
    paths = ingress_paths()
    assert limit(paths[(chat, "/socket.io")][0]) == MAX_MESSAGE_BODY
    assert limit(paths[(chat, "/")][0]) == MAX_MESSAGE_BODY
    assert limit(paths[(chat, "/webhooks")][0]) == MAX_BODY


def test_probes_target_declared_ports() -> None:
    probed = 0
    for workload, _, pod in pod_templates():
        for container in pod["containers"]:
            ports = container_ports({"containers": [container]})
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                if "httpGet" in container.get(probe, {}):
                    assert container[probe]["httpGet"]["port"] in ports, (workload, probe)
                    probed += 1
    assert probed >= 10


def test_processes_listen_where_their_services_send() -> None:
    """The commands and ports of scripts/run.sh, on the pod's address."""
    settings = config()
    expected = {"helpline-web": (["python", "-m", "bot.web.server"], settings["WEB_PORT"], settings["WEB_HOST"]),
                "helpline-console": (["python", "-m", "bot.console.app"], settings["CONSOLE_PORT"],
                                     settings["CONSOLE_HOST"])}
    for name, (command, port, host) in expected.items():
        container = selected(service(name)["spec"]["selector"])[0]["containers"][0]
        assert container["command"] == command
        assert {p["containerPort"] for p in container["ports"]} == {int(port)}
        assert host == "0.0.0.0"
    actions = selected(service("helpline-actions")["spec"]["selector"])[0]["containers"][0]
    assert actions["command"][:3] == ["rasa", "run", "actions"]
    assert {"name": "SANIC_HOST", "value": "0.0.0.0"} in actions["env"]
    port = int(actions["command"][actions["command"].index("--port") + 1])
    assert {p["containerPort"] for p in actions["ports"]} == {port}
    assert int(settings["ACTION_SERVER_SANIC_WORKERS"]) >= 2
    assert named("Deployment", "helpline-actions")["spec"]["replicas"] >= 2


def test_kustomization_lists_every_manifest_but_the_example_secret() -> None:
    kustomization = load_all((K8S / KUSTOMIZATION).read_text())[0]
    files = {path.name for path in K8S.glob("*.yaml")} - {KUSTOMIZATION, SECRET_EXAMPLE}
    assert sorted(kustomization["resources"]) == sorted(files)
    assert SECRET_EXAMPLE not in kustomization["resources"]
    assert kustomization["namespace"] == named("Namespace", "helpline")["metadata"]["name"]
    assert not list(K8S.glob("*.yml")), "name manifests *.yaml (only those are checked)"


def test_the_image_runs_as_the_pods_user_with_its_model_built_in() -> None:
    dockerfile = (K8S.parent / "Dockerfile").read_text()
    stages = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert stages[-1] == "python:3.10-slim"
    assert "requirements.lock" in dockerfile and "USER 10001:10001" in dockerfile
    assert "rasa train --fixed-model-name helpline --out models" in dockerfile
    rasa = named("Deployment", "helpline-rasa")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert rasa[rasa.index("--model") + 1] == "models/helpline.tar.gz"
    for _, _, pod in pod_templates():
        if any(c["image"].startswith("helpline-assistant:") for c in pod["containers"]):
            assert pod["securityContext"]["runAsUser"] == 10001
