# spdx23.jq — the required fields of an SPDX 2.3 JSON document (SPDX 2.3 spec, clauses 6-7 and
# 11, and the "required" lists of its JSON schema), checked by jq. Prints one line per problem
# and nothing for a valid document. Used by tests/applets/sbom.test on build/*.spdx.json.
def need($o; $path; $k): if ($o | has($k)) and ($o[$k] != null) and ($o[$k] != "") then empty else "\($path).\($k) missing" end;
def spdxid: test("^SPDXRef-[A-Za-z0-9.-]+$");
. as $d
| ( need($d; "doc"; "spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace", "creationInfo"),
    (if $d.spdxVersion != "SPDX-2.3" then "doc.spdxVersion is \($d.spdxVersion), not SPDX-2.3" else empty end),
    (if $d.dataLicense != "CC0-1.0" then "doc.dataLicense must be CC0-1.0" else empty end),
    (if $d.SPDXID != "SPDXRef-DOCUMENT" then "doc.SPDXID must be SPDXRef-DOCUMENT" else empty end),
    (if ($d.documentNamespace // "") | test("^[a-z][a-z0-9+.-]*:") | not then "doc.documentNamespace is not a URI" else empty end),
    need($d.creationInfo // {}; "creationInfo"; "created", "creators"),
    (if ($d.creationInfo.created // "") | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$") | not
     then "creationInfo.created is not YYYY-MM-DDThh:mm:ssZ" else empty end),
    (($d.packages // []) | to_entries[] | .key as $i | .value as $p
      | need($p; "packages[\($i)]"; "SPDXID", "name", "downloadLocation"),
        (if ($p.SPDXID // "") | spdxid | not then "packages[\($i)].SPDXID malformed" else empty end),
        (if $p.filesAnalyzed != false and ($p.packageVerificationCode == null) then "packages[\($i)]: filesAnalyzed needs packageVerificationCode" else empty end),
        (($p.checksums // [])[] | if (.algorithm | IN("SHA1","SHA256","SHA512","MD5")) and (.checksumValue | test("^[0-9a-f]+$")) then empty else "packages[\($i)].checksums malformed" end)),
    (($d.files // []) | to_entries[] | .key as $i | .value as $f
      | need($f; "files[\($i)]"; "SPDXID", "fileName"),
        (if ([$f.checksums[]? | select(.algorithm == "SHA1")] | length) == 0 then "files[\($i)] has no SHA1 checksum (required)" else empty end)),
    ([($d.packages // [])[].SPDXID, ($d.files // [])[].SPDXID, "SPDXRef-DOCUMENT"] as $ids
      | ($d.relationships // [])[] | select((.spdxElementId | IN($ids[]) | not) or (.relatedSpdxElement | IN($ids[]) | not))
      | "relationship \(.spdxElementId) \(.relationshipType) \(.relatedSpdxElement) names an unknown element"),
    (if ($d.documentDescribes // []) + [($d.relationships // [])[] | select(.relationshipType == "DESCRIBES")] | length == 0
     then "doc describes nothing" else empty end)
  )
