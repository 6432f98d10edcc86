"""`ra-console demo`: a fresh instance on its embedded defaults, served with its jobs."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ra_console.adapters.heartbeat import runner_name
from ra_console.adapters.migrate import upgrade
from ra_console.adapters.runtime import build_runtime
from ra_console.app import create_app
from ra_console.core.config import ConfigError, load_config
from ra_console.jobs.scheduler import build_scheduler
from ra_console.usecases.demo import seed_demo
from ra_console.usecases.demo_people import DEMO_PEOPLE
from ra_console.usecases.local_ca import init_local_ca


def demo_config(instance: Path, public_url: str) -> dict:
    return load_config(overrides={
        "instance_path": str(instance.resolve()), "demo": True, "auth.mode": "dev",
        "mail.catcher": True, "jobs.in_process": True, "jobs.interval_seconds": 2,
        "public_base_url": public_url, "database_url": "",
    })


def prepare(instance: Path, public_url: str):
    """Create (or reuse) the instance: schema, local CA, demo data. Returns the runtime."""
    instance.mkdir(parents=True, exist_ok=True)
    try:
        runtime = build_runtime(demo_config(instance, public_url))
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
    upgrade(runtime.engine)
    if not (Path(runtime.config["pki.local_ca_path"]) / "ca.json").exists():
        click.echo("creating the local CA (RSA-4096 keys, a few seconds) ...")
        init_local_ca(runtime)
    with runtime.session() as session:
        seed_demo(session, idm_domains=runtime.config["organization.idm_domains"],
                  now=runtime.now())
        session.commit()
    return runtime


def run_demo(*, host: str, port: int, instance: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    url = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
    runtime = prepare(instance, url)
    app = create_app(runtime=runtime)
    scheduler = None
    if runtime.config["jobs.in_process"]:
        scheduler = build_scheduler(app, background=True, runner=runner_name())
        scheduler.start()
    click.echo(f"\nRA Console demo: {url}/  (instance: {runtime.config['instance_path']})")
    click.echo(f"mail catcher:    {url}/demo/mail")
    click.echo("demo identities: " + ", ".join(DEMO_PEOPLE))
    try:
        app.run(host=host, port=port, use_reloader=False, threaded=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
