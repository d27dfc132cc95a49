"""docker-compose.yml's Prometheus and Grafana: they read files that exist, scrape where the
API and the worker serve, and the dashboard names the datasource Grafana is given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from settings import Settings

REPO = Path(__file__).resolve().parents[2]


def load(path: str) -> Any:
    return yaml.safe_load((REPO / path).read_text())


def test_prometheus_scrapes_the_api_and_the_worker_where_compose_serves_them() -> None:
    services = load("docker-compose.yml")["services"]
    scrapes = {
        job["job_name"]: job for job in load("deploy/prometheus/prometheus.yml")["scrape_configs"]
    }

    worker_env = services["worker"]["environment"]
    worker_port = Settings(worker_metrics_address=worker_env["CARTNUDGE_WORKER_METRICS_ADDRESS"])
    assert scrapes["cartnudge-worker"]["static_configs"][0]["targets"] == [
        f"worker:{worker_port.worker_metrics_address.rpartition(':')[2]}"  # type: ignore[union-attr]
    ]
    api_port = services["api"]["command"][services["api"]["command"].index("--port") + 1]
    assert scrapes["cartnudge-api"]["static_configs"][0]["targets"] == [f"api:{api_port}"]
    assert scrapes["cartnudge-api"]["metrics_path"] == "/metrics"
    # the token file the API's scrape sends is the one the entrypoint writes
    entrypoint = " ".join(services["prometheus"]["entrypoint"])
    assert scrapes["cartnudge-api"]["authorization"]["credentials_file"] in entrypoint


def test_compose_mounts_the_files_grafana_and_prometheus_read() -> None:
    services = load("docker-compose.yml")["services"]
    for service in ("prometheus", "grafana"):
        for volume in services[service]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{service} mounts {source}, which is missing"


def test_the_dashboard_names_the_provisioned_datasource() -> None:
    (source,) = load("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"]
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/cartnudge.json").read_text())
    uids = {panel["datasource"]["uid"] for panel in dashboard["panels"]} | {
        target["datasource"]["uid"] for panel in dashboard["panels"] for target in panel["targets"]
    }
    assert uids == {source["uid"]}
    assert source["url"] == "http://prometheus:9090"
    provider = load("deploy/grafana/provisioning/dashboards/cartnudge.yml")["providers"][0]
    grafana_volumes = load("docker-compose.yml")["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in grafana_volumes
