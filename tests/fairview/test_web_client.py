"""The web app's typed client is generated from the API's OpenAPI schema: fail when it drifts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from fairview.runtime import openapi_json
from fairview.settings import ROOT, Settings
from tests.services import unavailable

WEB = ROOT / "web"


def test_generated_client_matches_the_api(tmp_path: Path) -> None:
    generator = WEB / "node_modules" / ".bin" / "openapi-typescript"
    if not generator.exists() or not shutil.which("node"):
        unavailable("the web toolchain (run `make web`)", generator)
    schema = tmp_path / "openapi.json"
    schema.write_text(openapi_json(Settings()))
    out = tmp_path / "schema.d.ts"
    # The same options as `npm run gen:api` (after its output path).
    script = json.loads((WEB / "package.json").read_text())["scripts"]["gen:api"]
    options = script.split("src/api/schema.d.ts", 1)[1].split()
    subprocess.run(
        [str(generator), str(schema), "-o", str(out), *options],
        check=True,
        cwd=WEB,
        capture_output=True,
    )
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text()
    assert out.read_text() == committed, (
        "web/src/api/schema.d.ts is out of date with the API: run `make web-client` and commit it"
    )
