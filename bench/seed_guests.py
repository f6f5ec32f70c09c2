#!/usr/bin/env python3
"""Registers COUNT guests for an event through musubi's JSON API (one
keep-alive connection). Usage: seed_guests.py BASE_URL SLUG COUNT PREFIX"""

import http.client
import json
import sys
import urllib.parse


def main() -> None:
    base, slug, count, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    for i in range(count):
        body = {
            "name": f"ゲスト {i}" if i % 2 else f"Guest {i}",
            "email": f"{prefix}-{i}@bench.example.jp",
            "organization": "大阪バイオ株式会社",
            "country": "JP" if i % 3 else "DE",
            "time_zone": "Asia/Tokyo" if i % 3 else "Europe/Berlin",
            "language": "ja" if i % 2 else "en",
            "consent": True,
        }
        conn.request("POST", f"/api/v1/events/{slug}/registrations", body=json.dumps(body),
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        # 202: received (the public answer); 201 with an organizer token.
        if response.status not in (201, 202):
            sys.exit(f"registration {i}: {response.status} {data.decode(errors='replace')}")


if __name__ == "__main__":
    main()
