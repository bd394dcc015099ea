// A lane's produce request as kafkajs takes it and answers it: its records per topic, and the offset of each.
import type { Message, TopicMessages } from 'kafkajs';
import type { Entry } from './ledger.js';

/** The batch as kafkajs takes it: per topic, each topic's records in batch order. */
export function byTopic(batch: readonly Entry[]): TopicMessages[] {
  const messages = new Map<string, Message[]>();
  for (const entry of batch) {
    const list = messages.get(entry.topic);
    if (list) list.push(entry.message);
    else messages.set(entry.topic, [entry.message]);
  }
  return Array.from(messages, ([topic, list]) => ({ topic, messages: list }));
}

/** The offset of the record `index` places after `base` (offsets are 64-bit decimal strings). */
export function offsetAt(base: string, index: number): string {
  const n = Number(base);
  const sum = n + index;
  return Number.isSafeInteger(sum) ? String(sum) : (BigInt(base) + BigInt(index)).toString();
}
