"""Verifies the DKIM signature of one message with dkimpy, an independent
implementation of RFC 6376 / RFC 8463.

usage: dkim_verify.py MESSAGE_FILE RECORD_NAME RECORD_VALUE

The public key is given as the TXT record RECORD_NAME would hold (what
`musubi dkim-record` prints); no DNS is queried. Exits 0 when the
signature verifies, 1 when not.
"""
import sys

import dkim


def main():
    path, name, value = sys.argv[1:4]
    message = open(path, "rb").read()

    def dnsfunc(qname, timeout=5):
        wanted = name.rstrip(".") + "."
        got = qname.decode() if isinstance(qname, bytes) else qname
        if got.rstrip(".") + "." != wanted:
            print(f"asked for {got}, know only {wanted}", file=sys.stderr)
            return None
        return value.encode()

    checker = dkim.DKIM(message, logger=None)
    try:
        ok = checker.verify(dnsfunc=dnsfunc)
        why = ""
    except dkim.DKIMException as e:
        ok, why = False, f": {e}"
    if not ok:
        print(f"DKIM signature does NOT verify{why}", file=sys.stderr)
        return 1
    print("DKIM signature verifies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
