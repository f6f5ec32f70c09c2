// Reads an .ics file with ical.js and prints, as JSON, each event's start
// as ical.js resolves it (its zone and the UTC instant) and its texts.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
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
console.log(JSON.stringify({ events }));
