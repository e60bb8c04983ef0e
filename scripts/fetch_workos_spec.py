"""Fetch WorkOS's OpenAPI spec (npm package @workos/openapi-spec, pinned, integrity-checked) for
the emulator's contract and fuzz tests, when no local copy is given. Prints the file's path.

    .venv/bin/python scripts/fetch_workos_spec.py   # -> .cache/workos-openapi-spec-<version>.yaml
"""

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "0.1.0"
TARBALL = f"https://registry.npmjs.org/@workos/openapi-spec/-/openapi-spec-{VERSION}.tgz"
# the `dist.integrity` npm publishes for this version
INTEGRITY = "sha512-pVw8SPFsva6UR8Z2ovE1DC4Aq1fRdPXywT8JP7yN1G8Y02+/kDb6KgFXmpKiv76XinUXDOAmU9tr/G73UI8mHw=="
TARGET = Path(__file__).resolve().parent.parent / ".cache" / f"workos-openapi-spec-{VERSION}.yaml"


def fetch():
    if TARGET.exists():
        return TARGET
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        data = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != INTEGRITY:
        raise SystemExit(f"{TARBALL} does not match its pinned integrity ({digest}); refusing it")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        spec = archive.extractfile("package/open-api-spec.yaml").read()
    TARGET.parent.mkdir(exist_ok=True)
    partial = TARGET.with_suffix(".part")
    partial.write_bytes(spec)
    partial.replace(TARGET)
    return TARGET


if __name__ == "__main__":
    try:
        print(fetch())
    except OSError as exc:
        sys.exit(f"could not fetch WorkOS's OpenAPI spec: {exc}")
