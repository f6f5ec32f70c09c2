"""Reads an .ics file with the `icalendar` package and prints what it
understood, as JSON, for musubi's tests to compare with what was stored."""
import json
import sys

from icalendar import Calendar


def read(path: str) -> dict:
    with open(path, "rb") as f:
        cal = Calendar.from_ical(f.read())
    errors = []
    for component in cal.walk():
        for error in getattr(component, "errors", []):
            errors.append(f"{component.name}: {error}")
    events = []
    for event in cal.walk("VEVENT"):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND")
        events.append({
            "uid": str(event["UID"]),
            "sequence": int(event.get("SEQUENCE", 0)),
            "status": str(event.get("STATUS", "")),
            "summary": str(event.get("SUMMARY", "")),
            "description": str(event.get("DESCRIPTION", "")),
            "location": str(event.get("LOCATION", "")),
            "organizer_cn": str(event["ORGANIZER"].params.get("CN", "")) if "ORGANIZER" in event else "",
            "organizer": str(event.get("ORGANIZER", "")),
            "attendees": [
                {"address": str(a), "partstat": str(a.params.get("PARTSTAT", "")), "cn": str(a.params.get("CN", ""))}
                for a in (event.get("ATTENDEE") if isinstance(event.get("ATTENDEE"), list) else [event["ATTENDEE"]] if "ATTENDEE" in event else [])
            ],
            "tzid": event["DTSTART"].params.get("TZID", ""),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "start_utc_offset": start.utcoffset().total_seconds() if start.utcoffset() is not None else None,
        })
    return {
        "errors": errors,
        "missing_tzids": sorted(cal.get_missing_tzids()),
        "name": str(cal.get("X-WR-CALNAME", "")),
        "method": str(cal.get("METHOD", "")),
        "events": events,
    }


if __name__ == "__main__":
    # One file: its reading. Several: a list of readings, in order (one
    # interpreter start for many calendars).
    readings = [read(path) for path in sys.argv[1:]]
    print(json.dumps(readings[0] if len(readings) == 1 else readings, ensure_ascii=False))
