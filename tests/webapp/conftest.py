from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
INDEX = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="theme-color" content="#f8fafc" />
    <title>Partner program</title>
  </head>
  <body><div id="root"></div><script type="module" src="/static/app/assets/index.js"></script></body>
</html>
"""


def fake_build(directory: Path) -> Path:
    """A build output of the app's shape (Vite's index.html and the boot document), so tests of
    the pages do not depend on `npm run build` having run."""
    (directory / "index.html").write_text(INDEX)
    shutil.copy(FRONTEND / "src" / "api" / "boot.graphql", directory / "boot.graphql")
    return directory


@pytest.fixture
def built_app(tmp_path, settings) -> Path:
    settings.WEBAPP_DIST_DIR = fake_build(tmp_path)
    return tmp_path
