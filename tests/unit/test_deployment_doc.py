"""docs/deployment.md shows the files of deploy/ exactly as CI tests them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "deploy").rglob("*")
               if p.is_file())


def test_deploy_holds_the_proxy_and_service_files():
    assert {"deploy/apache/portal.conf", "deploy/nginx/portal.conf",
            "deploy/systemd/ra-console-web.service",
            "deploy/systemd/ra-console-jobs.service"} <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_guide_shows_the_file_verbatim(name):
    content = (ROOT / name).read_text(encoding="utf-8")
    assert f"`{name}`:\n\n```" in GUIDE and f"\n{content}```\n" in GUIDE, \
        f"{name} differs from docs/deployment.md: copy it into the guide"


def test_ci_installs_the_real_servers():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "need+=(apache2)" in ci and "need+=(nginx)" in ci
