"""What the real server (gunicorn with gunicorn.conf.py) sends: no software name or version."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def test_no_response_names_the_server_software(gunicorn_server: str) -> None:
    with urllib.request.urlopen(gunicorn_server + "/about", timeout=10) as response:
        assert response.status == 200
        assert "Server" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(gunicorn_server + "/statements", timeout=10)
    assert refused.value.code == 400  # no X-Experience-API-Version
    assert "Server" not in refused.value.headers
