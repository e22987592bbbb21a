#!/bin/sh
# zt-ctl identity: generate, validate, getpublic, sign, verify, and their
# errors; identities and signatures made by ZeroTier One 1.14.1
# (identities.json, signatures.json) are accepted.
ctl=$1
. "$(dirname "$0")/../lib/check.sh"

same() {	# same DESCRIPTION A B
	checks=$((checks + 1))
	[ "$2" = "$3" ] || fail "$1: '$2' != '$3'"
}

vector() {	# vector FILE PYTHON-EXPRESSION-ON-d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
print($2, end='')" "$ZT_VECTORS_DIR/$1"
}

[ -f "$ZT_VECTORS_DIR/identities.json" ] ||
    { echo "FAIL: no vectors in '$ZT_VECTORS_DIR'"; exit 1; }

# generate into files: secret 0600, public matches getpublic
expect 0 "generate files" -- "$ctl" identity generate "$tmp/id.secret" \
    "$tmp/id.public"
same "secret file mode" "$(stat -c %a "$tmp/id.secret")" 600
same "secret length" "$(wc -c <"$tmp/id.secret")" 270
same "public length" "$(wc -c <"$tmp/id.public")" 141
# no temporary file is left beside them
same "files written" "$(ls "$tmp" | grep -c '^id\.')" 2
expect 0 "validate secret" -- "$ctl" identity validate "$tmp/id.secret"
expect 0 "validate public" -- "$ctl" identity validate "$tmp/id.public"
expect 0 "validate literal" -- "$ctl" identity validate \
    "$(cat "$tmp/id.public")"
expect 0 "getpublic" -- "$ctl" identity getpublic "$tmp/id.secret"
same "getpublic output" "$out" "$(cat "$tmp/id.public")"
expect 0 "-j validate" -- "$ctl" -j identity validate "$tmp/id.secret"
echo "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); \
assert o["valid"] and o["has_private"] and len(o["address"]) == 10' ||
    fail "-j validate: $out"

# generate to stdout, plain and -j
expect 0 "generate stdout" -- "$ctl" identity generate
printf '%s' "$out" >"$tmp/gen.secret"
expect 0 "validate printed" -- "$ctl" identity validate "$tmp/gen.secret"
expect 0 "-j generate" -- "$ctl" -j identity generate
echo "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); \
assert o["secret"].startswith(o["public"] + ":")' ||
    fail "-j generate: $out"

# one hex digit of the public key changed: parses, fails validation
pub=$(cat "$tmp/id.public")
c=$(printf '%s' "$pub" | cut -c 30)
[ "$c" = 0 ] && r=1 || r=0
printf '%s%s%s' "$(printf '%s' "$pub" | cut -c 1-29)" "$r" \
    "$(printf '%s' "$pub" | cut -c 31-)" >"$tmp/bad.public"
expect 1 "tampered validate" -- "$ctl" identity validate "$tmp/bad.public"
one_line_error "tampered validate"
printf 'not an identity' >"$tmp/junk"
expect 1 "corrupt file" -- "$ctl" identity validate "$tmp/junk"
one_line_error "corrupt file"
expect 1 "missing file" -- "$ctl" identity validate "$tmp/none"
one_line_error "missing file"

# sign and verify
printf 'hello, world\n' >"$tmp/msg"
expect 0 "sign" -- "$ctl" identity sign "$tmp/id.secret" "$tmp/msg"
sig=$out
same "signature length" "${#sig}" 192
printf '%s\n' "$sig" >"$tmp/msg.sig"
expect 0 "verify hex" -- "$ctl" identity verify "$tmp/id.public" \
    "$tmp/msg" "$sig"
expect 0 "verify sig file" -- "$ctl" identity verify "$tmp/id.public" \
    "$tmp/msg" "$tmp/msg.sig"
expect 0 "verify with secret" -- "$ctl" identity verify "$tmp/id.secret" \
    "$tmp/msg" "$sig"
expect 0 "-j verify" -- "$ctl" -j identity verify "$tmp/id.public" \
    "$tmp/msg" "$sig"
same "-j verify output" "$out" '{"valid":true}'
expect 1 "verify wrong key" -- "$ctl" identity verify "$tmp/gen.secret" \
    "$tmp/msg" "$sig"
one_line_error "verify wrong key"
printf 'hello, world!\n' >"$tmp/msg2"
expect 1 "verify other message" -- "$ctl" identity verify \
    "$tmp/id.public" "$tmp/msg2" "$sig"
one_line_error "verify other message"
expect 1 "verify bad hex" -- "$ctl" identity verify "$tmp/id.public" \
    "$tmp/msg" "zz$(printf '%s' "$sig" | cut -c 3-)"
one_line_error "verify bad hex"
expect 1 "verify short signature" -- "$ctl" identity verify \
    "$tmp/id.public" "$tmp/msg" "$(printf '%s' "$sig" | cut -c 3-)"
one_line_error "verify short signature"
expect 1 "sign with public" -- "$ctl" identity sign "$tmp/id.public" \
    "$tmp/msg"
one_line_error "sign with public"
expect 1 "sign missing file" -- "$ctl" identity sign "$tmp/id.secret" \
    "$tmp/none"
one_line_error "sign missing file"
expect 1 "write into missing dir" -- "$ctl" identity generate \
    "$tmp/nodir/id.secret"
one_line_error "write into missing dir"

# usage errors
expect 2 "generate 3 files" -- "$ctl" identity generate a b c
one_line_error "generate 3 files"
expect 2 "validate nothing" -- "$ctl" identity validate
one_line_error "validate nothing"
expect 2 "validate two" -- "$ctl" identity validate a b
expect 2 "getpublic nothing" -- "$ctl" identity getpublic
expect 2 "sign one" -- "$ctl" identity sign "$tmp/id.secret"
one_line_error "sign one"
expect 2 "verify two" -- "$ctl" identity verify "$tmp/id.public" "$tmp/msg"
one_line_error "verify two"

# ZeroTier One's identities and signatures
alice=$(vector identities.json 'd["valid"][0]["secret"]')
printf '%s' "$alice" >"$tmp/alice.secret"
expect 0 "vectors identity" -- "$ctl" identity validate "$tmp/alice.secret"
expect 0 "vectors identity literal" -- "$ctl" identity validate "$alice"
expect 0 "vectors getpublic" -- "$ctl" identity getpublic "$alice"
same "vectors public" "$out" \
    "$(vector identities.json 'd["valid"][0]["public"]')"
upper=$(vector identities.json \
    '[e for e in d["invalid_or_edge_cases"] if e["valid"]][-1]["string"]')
expect 0 "vectors uppercase" -- "$ctl" identity validate "$upper"
vector signatures.json 'd["valid"][2]["message"]' | python3 -c \
    'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' \
    >"$tmp/zt.msg"
expect 0 "vectors signature" -- "$ctl" identity verify \
    "$(vector signatures.json 'd["valid"][2]["signer"]["public"]')" \
    "$tmp/zt.msg" "$(vector signatures.json 'd["valid"][2]["signature"]')"
expect 0 "vectors re-sign" -- "$ctl" identity sign \
    "$(vector signatures.json 'd["valid"][2]["signer"]["secret"]')" \
    "$tmp/zt.msg"
same "vectors deterministic signature" "$out" \
    "$(vector signatures.json 'd["valid"][2]["signature"]')"

check_end
