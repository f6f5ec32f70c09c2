#!/usr/bin/env bash
# Self-test for validate.py: installs requirements.txt into a throwaway venv
# under /tmp and checks the tool's verdicts on the hand-written fixtures.
# Usage: bash tools/openapi-check/selftest.sh   (PYTHON=python3.x to choose)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$here/fixtures"
work="$(mktemp -d /tmp/openapi-check-selftest.XXXXXX)"
trap 'rm -rf "$work"' EXIT

"${PYTHON:-python3}" -m venv "$work/venv"
py="$work/venv/bin/python"
# --no-deps + pip check: proves requirements.txt pins the whole closure,
# rather than letting pip quietly fetch an unpinned dependency.
"$py" -m pip install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt"
"$py" -m pip check --disable-pip-version-check >/dev/null

passed=0
failed=0

# expect NAME WANT_RC WANT_STDOUT_FILE -- ARGS...
expect() {
    local name="$1" want_rc="$2" want_out="$3"
    shift 4
    local rc=0
    "$py" "$here/validate.py" "$@" >"$work/out" 2>"$work/err" || rc=$?
    if [[ "$rc" == "$want_rc" ]] && diff -u "$want_out" "$work/out" >"$work/diff"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: exit $rc (want $want_rc)"
        [[ -s "$work/diff" ]] && cat "$work/diff"
        sed 's/^/  stderr: /' "$work/err"
        failed=$((failed + 1))
    fi
    rm -f "$work/diff"
}

# 1. The brief's four exchanges: a good one (with a null nullable field and a
#    query string), a wrong type, an extra property, an undocumented status.
cat >"$work/want-basic" <<'EOF'
FAIL GET /api/v1/things/wrong-type 200: response body $.count: '3' is not of type 'integer'
FAIL GET /api/v1/things/extra 200: response body $: Additional properties are not allowed ('colour' was unexpected)
FAIL GET /api/v1/things/teapot 418: status 418 not documented (documented: 200, 404)
4 exchanges, 3 failures, operations covered: 1 of 2
EOF
expect "three of four exchanges fail" 1 "$work/want-basic" -- \
    "$fixtures/spec.json" "$fixtures/exchanges.json"

# 2. Same verdicts when the prefix lives in an absolute server url, the way
#    the app's own document is laid out (servers /api/v1, paths /events/...).
"$py" - "$fixtures/spec.json" "$work/prefixed.json" <<'EOF'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["servers"] = [{"url": "https://musubi.example/api/v1"}]
spec["paths"] = {p.removeprefix("/api/v1"): item for p, item in spec["paths"].items()}
json.dump(spec, open(sys.argv[2], "w"))
EOF
{ head -n 3 "$work/want-basic"; echo "UNCOVERED PATCH /things/{slug}"; tail -n 1 "$work/want-basic"; } >"$work/want-prefixed"
expect "server url prefix, --uncovered" 1 "$work/want-prefixed" -- \
    --uncovered "$work/prefixed.json" "$fixtures/exchanges.json"

# 3. Request bodies count only for 2xx; wrong content type and unknown path.
cat >"$work/want-requests" <<'EOF'
FAIL PATCH /api/v1/things/lenient 200: request body $.count: -1 is less than the minimum of 0
FAIL GET /api/v1/things/html 404: response content type text/html not documented (documented: application/json)
FAIL GET /api/v1/nothing 404: no path in the spec matches
5 exchanges, 3 failures, operations covered: 2 of 2
EOF
expect "request bodies and routing" 1 "$work/want-requests" -- \
    "$fixtures/spec.json" "$fixtures/exchanges-requests.json"

# 4. Only the good exchange: exit 0.
"$py" -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))[:1], open(sys.argv[2], "w"))' \
    "$fixtures/exchanges.json" "$work/good.json"
echo "1 exchanges, 0 failures, operations covered: 1 of 2" >"$work/want-good"
expect "good exchange passes" 0 "$work/want-good" -- "$fixtures/spec.json" "$work/good.json"

# 5. An invalid spec stops everything with exit 1 and says why.
"$py" -c 'import json, sys; s = json.load(open(sys.argv[1])); del s["info"]["version"]; json.dump(s, open(sys.argv[2], "w"))' \
    "$fixtures/spec.json" "$work/invalid-spec.json"
: >"$work/empty"
expect "invalid spec" 1 "$work/empty" -- "$work/invalid-spec.json" "$fixtures/exchanges.json"
if ! grep -q "invalid OpenAPI 3.1 document" "$work/err" || ! grep -q "'version' is a required property" "$work/err"; then
    echo "FAIL invalid spec: unclear message:"; cat "$work/err"; failed=$((failed + 1))
fi

# 6. Bad input: exit 2.
echo '[{"method": "GET", "path": "/api/v1/things/a", "status": "200"}]' >"$work/bad.json"
expect "bad exchanges file" 2 "$work/empty" -- "$fixtures/spec.json" "$work/bad.json"
expect "missing file" 2 "$work/empty" -- "$fixtures/spec.json" "$work/does-not-exist.json"

echo "selftest: $passed passed, $failed failed"
[[ "$failed" == 0 ]]
