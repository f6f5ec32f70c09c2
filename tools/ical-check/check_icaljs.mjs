// Reads an .ics file with ical.js and prints, as JSON, each event's start
// as ical.js resolves it (its zone and the UTC instant) and its texts.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function read(path) {
  const text = readFileSync(path, "utf8");
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const events = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    const start = event.startDate;
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      description: event.description,
      location: event.location,
      attendees: event.attendees.map((a) => ({
        address: a.getFirstValue(),
        cn: a.getParameter("cn") ?? "",
      })),
      zone: start.zone ? start.zone.tzid : null,
      floating: start.zone === ICAL.Timezone.localTimezone,
      start_utc: start.toJSDate().toISOString(),
      end_utc: event.endDate.toJSDate().toISOString(),
    };
  });
  return { events };
}

// One file: its reading. Several: a list of readings, in order.
const readings = process.argv.slice(2).map(read);
console.log(JSON.stringify(readings.length === 1 ? readings[0] : readings));
