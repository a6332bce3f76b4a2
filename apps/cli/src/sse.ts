/** One server-sent event: its `event:` name and the JSON of its `data:` line. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Splits buffered server-sent-event text into complete events (blocks ended by a blank line);
 * returns them and the incomplete rest to keep for the next chunk. Comment-only blocks are skipped.
 */
export function splitSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  let rest = buffer;
  let i: number;
  while ((i = rest.indexOf('\n\n')) >= 0) {
    const block = rest.slice(0, i);
    rest = rest.slice(i + 2);
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event && data) events.push({ event, data });
  }
  return { events, rest };
}
