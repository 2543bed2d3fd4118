// Dates and times in the visitor's own time zone (Intl only). Instants travel as ISO 8601 UTC strings.

export function visitorZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

// "Europe/Zurich" → "Europe/Zurich", "America/New_York" → "America/New York": the zone as people read it.
export function zoneLabel(zone) {
  return zone.replace(/_/g, " ");
}

// The calendar date ("YYYY-MM-DD") an instant falls on in a zone.
export function dayKey(instant, zone) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
  for (const part of format.formatToParts(instant)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

// Today and the following days in the zone: [{key: "YYYY-MM-DD", noon}], `noon` being a Date to label the day with
// (format it with timeZone "UTC": it is that date's noon in UTC).
export function nextDays(count, zone, now = new Date()) {
  const [year, month, day] = dayKey(now, zone).split("-").map(Number);
  return Array.from({ length: count }, (_unused, index) => {
    const noon = new Date(Date.UTC(year, month - 1, day + index, 12));
    return { key: noon.toISOString().slice(0, 10), noon };
  });
}

// Formatters bound to a language and a zone.
export function formats(language, zone) {
  const make = (options) => new Intl.DateTimeFormat(language, { timeZone: zone, ...options });
  const dayShort = new Intl.DateTimeFormat(language, { timeZone: "UTC", weekday: "short" });
  const dateShort = new Intl.DateTimeFormat(language, { timeZone: "UTC", day: "numeric", month: "short" });
  const dayLong = new Intl.DateTimeFormat(language, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" });
  const time = make({ hour: "numeric", minute: "2-digit" });
  const dateTime = make({ weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit" });
  const soon = make({ weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" });
  return {
    dayName: (day) => dayShort.format(day.noon),
    dayDate: (day) => dateShort.format(day.noon),
    dayLong: (day) => dayLong.format(day.noon),
    time: (iso) => time.format(new Date(iso)),
    dateTime: (iso) => dateTime.format(new Date(iso)),
    soon: (iso) => soon.format(new Date(iso)),
  };
}

export function minutes(count, language) {
  return new Intl.NumberFormat(language, { style: "unit", unit: "minute", unitDisplay: "short" }).format(count);
}
