#!/usr/bin/env python3
"""Extracts the reference page's Python and JavaScript examples, byte for byte.

Usage: python3 tests/examples/extract_examples.py [REFERENCE.md] [--check]

The samples live in the page's OpenAPI block (x-codeSamples); the YAML is parsed (PyYAML)
so that the JavaScript sample's folded block scalar unfolds exactly as the page's reader
sees it. Written (or, with --check, compared) next to this script:
  trending_music.py   the Python sample
  trending_music.mjs  the JavaScript sample (.mjs: it uses top-level await, i.e. an ES module)
Nothing else is changed. examples_test.cc substitutes only the base URL and the key when it
runs them (see README.md).
"""
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_REFERENCE = "/work/shared/reference/trending-music-endpoint.md"


def samples(reference_text):
    block = re.search(r"````yaml [^\n]*\n(.*?)````", reference_text, re.S).group(1)
    doc = yaml.safe_load(block)
    code = doc["paths"]["/v1/tiktok/trending/music"]["get"]["x-codeSamples"]
    return {s["lang"]: s["source"] for s in code}


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    reference = pathlib.Path(args[0] if args else DEFAULT_REFERENCE)
    found = samples(reference.read_text(encoding="utf-8"))
    ok = True
    for lang, name in (("python", "trending_music.py"), ("javascript", "trending_music.mjs")):
        text = found[lang] + "\n"
        path = HERE / name
        if check:
            same = path.read_text(encoding="utf-8") == text
            print(f"{name}: {'identical' if same else 'DIFFERS'}")
            ok &= same
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
