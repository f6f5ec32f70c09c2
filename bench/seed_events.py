#!/usr/bin/env python3
"""Seeds published events into a running musubi through its JSON API.

Usage: seed_events.py BASE_URL TOKEN COUNT

The events are joint seminars, networking nights and partnering days of the
demo organizations, booked in the demo venues' rooms from 2028 on (clear of
the demo's own dates), one in ten in Europe/Berlin or America/New_York so
that the feed carries VTIMEZONEs with daylight saving time. Standard library
only; one keep-alive connection.
"""

import http.client
import json
import sys
import urllib.parse
from datetime import date, timedelta

KINDS = ["seminar", "networking", "partnering", "business_meeting"]
ORGANIZERS = [["link-j-west", "osaka-pref"], ["link-j-west"], ["osaka-pref"]]


def main() -> None:
    base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method: str, path: str, body=None):
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status >= 300:
            sys.exit(f"{method} {path}: {response.status} {data.decode(errors='replace')}")
        return json.loads(data)

    venues = call("GET", "/api/v1/venues")
    venues = venues.get("venues", venues) if isinstance(venues, dict) else venues
    rooms = [room["id"] for venue in venues for room in venue["rooms"]]
    if not rooms:
        sys.exit("no rooms: start musubi with --demo")
    slots = [("10:00", "12:00"), ("14:00", "17:00"), ("18:00", "20:30")]
    first = date(2028, 1, 4)
    for i in range(count):
        day = first + timedelta(days=i // len(slots))
        start, end = slots[i % len(slots)]
        zone = ["Europe/Berlin", "America/New_York"][i % 2] if i % 10 == 9 else "Asia/Tokyo"
        n = i + 1
        call("POST", "/api/v1/events", {
            "slug": f"bench-event-{n:04d}",
            "title_ja": f"ライフサイエンス連携セミナー 第{n}回:再生医療・創薬・医療機器",
            "title_en": f"Life Science Partnership Seminar No. {n}: regenerative medicine, drug discovery, devices",
            "description_ja": "大阪・関西のライフサイエンス企業と海外企業の交流。\n\n講演のあと、名刺交換と個別商談の時間があります。",
            "description_en": "Osaka and Kansai life-science companies meet overseas partners.\n\nTalks, then time for introductions and one-to-one meetings.",
            "kind": KINDS[i % len(KINDS)],
            "starts_at": f"{day.isoformat()}T{start}:00+09:00",
            "ends_at": f"{day.isoformat()}T{end}:00+09:00",
            "time_zone": zone,
            "status": "published",
            "organizer_slugs": ORGANIZERS[i % len(ORGANIZERS)],
            "room_ids": [rooms[i % len(rooms)]],
        })
    print(f"seeded {count} events", file=sys.stderr)


if __name__ == "__main__":
    main()
