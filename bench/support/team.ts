/**
 * A synthetic team for the benchmarks, deterministic from a seed: people, and messages written in a small
 * English vocabulary with a Zipf-like word frequency, so full-text and vector search see realistic skew
 * (a few common words, a long tail). Written as the files connector reads it (people.json + a Slack export),
 * or handed over as rows for bulk loads.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const TOPICS = [
  'release deadline store submission review build signing certificate crash rollout beta testers feedback',
  'pricing plan discount enterprise contract renewal invoice budget forecast quarter revenue churn',
  'backend sync conflict cursor migration schema database index latency outage incident postmortem',
  'design mockup onboarding screen copy legal consent privacy policy localisation accessibility',
  'hiring interview candidate offer onboarding manager team offsite planning roadmap priorities',
  'android ios notification push token deprecation sdk upgrade library dependency security patch',
  'customer support ticket escalation bug regression fix hotfix patch version changelog notes',
  'analytics dashboard metric retention funnel experiment cohort segment report weekly monthly',
];
const GLUE = 'the a to of and we is for on that this it in be should will can need by with before after our about'.split(' ');
const VERBS = 'agreed decided shipped moved blocked asked proposed reviewed merged dropped postponed confirmed owns'.split(' ');

/** mulberry32: small, fast, deterministic */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const topicWords = TOPICS.map((t) => t.split(' '));

/** A sentence of 8–25 words, mostly from one topic, Zipf-skewed within it. */
export function sentence(rand: () => number): string {
  const topic = topicWords[Math.floor(rand() * topicWords.length)]!;
  const length = 8 + Math.floor(rand() * 18);
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (r < 0.35) words.push(GLUE[Math.floor(rand() * GLUE.length)]!);
    else if (r < 0.45) words.push(VERBS[Math.floor(rand() * VERBS.length)]!);
    else {
      // Zipf-like: index ∝ rank^-1 via inverse transform over the topic's words
      const rank = Math.min(topic.length - 1, Math.floor(Math.pow(topic.length + 1, rand()) - 1));
      const word = topic[rank]!;
      // a tail of distinct tokens (ticket numbers, versions) so the corpus is not 200 words only
      words.push(rand() < 0.08 ? `${word}-${Math.floor(rand() * 5000)}` : word);
    }
  }
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

export interface BenchPerson {
  email: string;
  name: string;
  slackId: string;
}

export function people(count: number): BenchPerson[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    return { email: `p${n}@bench.test`, name: `Person ${n}`, slackId: `U${n}` };
  });
}

export interface TeamShape {
  people: number;
  channels: number;
  messagesPerFile: number;
}

export const DEFAULT_SHAPE: TeamShape = { people: 40, channels: 8, messagesPerFile: 100 };

/**
 * Writes `<dir>/people.json` and a Slack export `<dir>/slack/` holding exactly `messages` messages, one day
 * file per `messagesPerFile`, round-robin over the channels. Every author is opted in.
 */
export async function writeSlackTeam(dir: string, messages: number, shape: TeamShape = DEFAULT_SHAPE, seed = 42): Promise<{ files: number }> {
  const rand = random(seed);
  const team = people(shape.people);
  await mkdir(join(dir, 'slack'), { recursive: true });
  await writeFile(
    join(dir, 'people.json'),
    JSON.stringify({ people: team.map((p) => ({ email: p.email, name: p.name, optedIn: true, slackId: p.slackId })) }),
  );
  await writeFile(
    join(dir, 'slack', 'users.json'),
    JSON.stringify(team.map((p) => ({ id: p.slackId, name: p.email.split('@')[0], real_name: p.name, profile: { email: p.email, real_name: p.name } }))),
  );
  const channels = Array.from({ length: shape.channels }, (_, c) => ({
    id: `C${String(c + 1).padStart(4, '0')}`,
    name: `channel-${c + 1}`,
    // each channel has half the team, so access lists differ between channels
    members: team.filter((_, i) => (i + c) % 2 === 0).map((p) => p.slackId),
  }));
  await writeFile(join(dir, 'slack', 'channels.json'), JSON.stringify(channels));
  const start = Date.parse('2025-01-01T00:00:00Z') / 1000;
  let written = 0;
  let files = 0;
  for (let day = 0; written < messages; day++) {
    for (const channel of channels) {
      if (written >= messages) break;
      const count = Math.min(shape.messagesPerFile, messages - written);
      const date = new Date((start + day * 86_400) * 1000).toISOString().slice(0, 10);
      const body = Array.from({ length: count }, (_, m) => ({
        type: 'message',
        user: channel.members[Math.floor(rand() * channel.members.length)],
        text: sentence(rand),
        ts: `${start + day * 86_400 + m * 60}.${String(m).padStart(6, '0')}`,
      }));
      await mkdir(join(dir, 'slack', channel.name), { recursive: true });
      await writeFile(join(dir, 'slack', channel.name, `${date}.json`), JSON.stringify(body));
      written += count;
      files += 1;
    }
  }
  return { files };
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
