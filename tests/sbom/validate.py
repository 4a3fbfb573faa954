#!/usr/bin/python3
# tests/sbom/validate.py — check SPDX 2.3 JSON documents: python3-jsonschema against
# tests/sbom/spdx-2.3.schema.json (the spec's fields, required fields and value sets), then what a
# schema cannot say: SPDXIDs unique, every relationship names an element of the document (or of
# an external document it declares in externalDocumentRefs), the document DESCRIBES something, every licence expression parses against
# the SPDX licence list (python3-license-expression; NONE and NOASSERTION allowed, LicenseRef-
# only when hasExtractedLicensingInfos defines it).
#
#   tests/sbom/validate.py FILE.spdx.json…     prints "FILE: valid" or one line per problem
# Exit 0 when every document is valid, 1 when one is not, 3 when a file cannot be read.
import json
import os
import sys

import jsonschema
import license_expression

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spdx-2.3.schema.json")


def problems(doc, schema, licensing):
    v = jsonschema.Draft7Validator(schema)
    for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        yield "/".join(map(str, e.absolute_path)) + ": " + e.message[:300]
    if not isinstance(doc, dict):
        return
    ids = ["SPDXRef-DOCUMENT"]
    for kind in ("packages", "files", "snippets"):
        ids += [x.get("SPDXID") for x in doc.get(kind, []) if isinstance(x, dict)]
    seen = set()
    for i in ids:
        if i in seen:
            yield f"SPDXID {i} used twice"
        seen.add(i)
    docrefs = {x.get("externalDocumentId") for x in doc.get("externalDocumentRefs", []) if isinstance(x, dict)}
    for i, r in enumerate(doc.get("relationships", [])):
        for k in ("spdxElementId", "relatedSpdxElement"):
            x = r.get(k, "") if isinstance(r, dict) else ""
            if x.startswith("DocumentRef-"):
                if x.split(":")[0] not in docrefs:
                    yield f"relationships/{i}/{k}: {x} names no document of externalDocumentRefs"
            elif x not in seen and x not in ("NONE", "NOASSERTION"):
                yield f"relationships/{i}/{k}: {x} is no element of this document"
    describes = doc.get("documentDescribes", []) + [r for r in doc.get("relationships", [])
                                                    if isinstance(r, dict) and r.get("relationshipType") == "DESCRIBES"]
    if not describes:
        yield "the document DESCRIBES nothing"
    refs = {x.get("licenseId") for x in doc.get("hasExtractedLicensingInfos", []) if isinstance(x, dict)}
    for kind in ("packages", "files"):
        for i, x in enumerate(doc.get(kind, [])):
            for k in ("licenseConcluded", "licenseDeclared"):
                expr = x.get(k) if isinstance(x, dict) else None
                if expr is None or expr in ("NONE", "NOASSERTION"):
                    continue
                info = licensing.validate(expr)
                bad = list(info.errors)
                bad += [f"{s} is not defined by hasExtractedLicensingInfos" for s in
                        licensing.license_symbols(expr) if str(s).startswith("LicenseRef-") and str(s) not in refs] if not bad else []
                for b in bad:
                    yield f"{kind}/{i}/{k}: {expr}: {b}"


def main(argv):
    with open(SCHEMA) as f:
        schema = json.load(f)
    licensing = license_expression.get_spdx_licensing()
    rc = 0
    for path in argv:
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: unreadable: {e}")
            return 3
        found = list(problems(doc, schema, licensing))
        for p in found:
            print(f"{path}: {p}")
        if found:
            rc = 1
        else:
            print(f"{path}: valid")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else 2)
