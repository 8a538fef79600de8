"""Fetch axe-core, the accessibility engine the browser page's tests run in
chromium, from the npm registry: a pinned version, checked against the
registry's sha512 before anything is unpacked. Only the tests use it; the
page itself loads nothing from outside the box.

    .venv/bin/python scripts/fetch_axe.py DEST_DIR
"""
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request

VERSION = "4.14.1"
URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
SHA512 = "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="


def main():
    dest = sys.argv[1]
    out = os.path.join(dest, "axe.min.js")
    if os.path.exists(out):
        return
    data = urllib.request.urlopen(URL, timeout=60).read()
    got = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != SHA512:
        sys.exit(f"fetch_axe: {URL} does not match its pinned sha512")
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        js = t.extractfile("package/axe.min.js").read()
    os.makedirs(dest, exist_ok=True)
    tmp = out + ".part"
    with open(tmp, "wb") as f:
        f.write(js)
    os.replace(tmp, out)
    print(f"setup: axe-core {VERSION} in {dest}")


if __name__ == "__main__":
    main()
