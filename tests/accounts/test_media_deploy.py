"""deploy/nginx.conf serves uploads from MEDIA_ROOT, as it serves static files."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

RENDER = Path(__file__).resolve().parents[2] / "deploy" / "render_nginx.py"
spec = importlib.util.spec_from_file_location("render_nginx", RENDER)
render_nginx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render_nginx)

SITE = {
    "server_name": "lms.example.com",
    "daphne": ["127.0.0.1:8001"],
    "static_root": "/srv/lms/staticfiles",
    "certificate": "/etc/ssl/lms/fullchain.pem",
    "certificate_key": "/etc/ssl/lms/privkey.pem",
}


def media_location(text: str) -> str:
    match = re.search(r"location /media/ \{(.*?)\}", text, flags=re.S)
    assert match, text
    return match.group(1)


def test_media_is_served_from_the_given_root():
    block = media_location(render_nginx.render(**SITE, media_root="/data/uploads/"))
    assert "alias /data/uploads/;" in block
    assert "add_header X-Content-Type-Options nosniff;" in block


def test_media_root_defaults_to_media_beside_the_static_root():
    block = media_location(render_nginx.render(**SITE))
    assert "alias /srv/lms/media/;" in block


@pytest.mark.parametrize("media_root", ["media", "/srv/lms/media; include /etc/passwd"])
def test_an_unsafe_media_root_is_refused(media_root):
    result = subprocess.run(
        [
            sys.executable,
            str(RENDER),
            "--server-name=lms.example.com",
            "--daphne=127.0.0.1:8001",
            "--static-root=/srv/lms/staticfiles",
            f"--media-root={media_root}",
            "--certificate=/etc/ssl/lms/fullchain.pem",
            "--certificate-key=/etc/ssl/lms/privkey.pem",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "media root" in result.stderr and not result.stdout
