/**
 * The one place delivery configuration is read: environment variables (and the Google service-account file they
 * name) become the set of adapters, and `forMedium` picks the one that serves a medium for a recipient. Anything
 * not configured goes to the outbox, so an unconfigured install still shows what it would have sent, and how.
 *
 * Secrets stay here and in the adapters' Authorization headers: `describe()` and the startup log name adapters
 * and base URLs only.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Medium } from '../../schemas/routing';
import { DocChannel } from './doc';
import { GmailChannel } from './gmail';
import { GOOGLE_SCOPES, serviceAccountTokens, type GoogleTokenProvider } from './google';
import { GoogleCalendarChannel, GoogleFreeBusy } from './google-calendar';
import { clientCredentialsTokens, type GraphTokenProvider } from './graph';
import { GraphCalendarChannel, GraphFreeBusy } from './graph-calendar';
import { GraphMailChannel } from './graph-mail';
import { OutboxChannel } from './outbox-channel';
import type { DeliveryAddress, DeliveryChannel, FreeBusySource } from './port';
import { SlackChannel } from './slack';
import { providerEndpoints } from '../providers/endpoints';

export interface DeliveryChannels {
  /** the adapter that delivers this medium to this recipient (the outbox when nothing better is configured) */
  forMedium(medium: Medium, recipient: Pick<DeliveryAddress, 'slackUserId'>): DeliveryChannel;
  /** the adapter with this name, to confirm a delivery through the same adapter that started it */
  byName(name: string): DeliveryChannel | undefined;
  /** free/busy of the configured calendar provider; undefined without one */
  freeBusy(): FreeBusySource | undefined;
  /** which adapter serves which medium, for `myc ops` and logs: names and base URLs, never secrets */
  describe(): DeliveryDescription;
}

export interface DeliveryDescription {
  mediums: Record<Medium, string>;
  freeBusy: string | null;
  /** configuration that was started but is incomplete, and what happens instead */
  notes: string[];
}

export interface DeliveryChannelsOptions {
  outboxDir: string;
  docsDir: string;
  log?: { info: (object: object, message: string) => void; warn: (object: object, message: string) => void };
  echo?: (text: string) => void;
  /** person id → e-mail for free/busy; default: person ids are e-mail addresses */
  emailOf?: (personId: string) => string | undefined;
}

type Env = Record<string, string | undefined>;

const ServiceAccountFile = z.object({ type: z.literal('service_account'), client_email: z.string().min(1), private_key: z.string().min(1) });

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
};

interface GoogleSetup {
  sender: string;
  baseUrl: string;
  tokens: (scopes: readonly string[]) => GoogleTokenProvider;
}

function googleFrom(env: Env, notes: string[]): GoogleSetup | undefined {
  const credentials = value(env, 'MYCELIUM_GOOGLE_CREDENTIALS');
  const sender = value(env, 'MYCELIUM_GOOGLE_SENDER');
  if (!credentials && !sender) return undefined;
  if (!credentials || !sender) {
    notes.push(`Google is half configured (set both MYCELIUM_GOOGLE_CREDENTIALS and MYCELIUM_GOOGLE_SENDER): e-mail and calls go elsewhere`);
    return undefined;
  }
  let parsed: z.infer<typeof ServiceAccountFile>;
  try {
    parsed = ServiceAccountFile.parse(JSON.parse(readFileSync(credentials, 'utf8')));
  } catch (error) {
    // a named credentials file that cannot be used is a setup error worth stopping for, not a silent fallback
    const reason = error instanceof z.ZodError ? 'not a service-account key (type, client_email, private_key)' : error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(`MYCELIUM_GOOGLE_CREDENTIALS (${credentials}) is unusable: ${reason}`);
  }
  return {
    sender,
    baseUrl: providerEndpoints(env).google,
    tokens: (scopes) => serviceAccountTokens(parsed, scopes),
  };
}

interface GraphSetup {
  sender: string;
  baseUrl: string;
  tokens: GraphTokenProvider;
}

function graphFrom(env: Env, notes: string[]): GraphSetup | undefined {
  const names = ['MYCELIUM_GRAPH_TENANT_ID', 'MYCELIUM_GRAPH_CLIENT_ID', 'MYCELIUM_GRAPH_CLIENT_SECRET', 'MYCELIUM_GRAPH_SENDER'] as const;
  const [tenantId, clientId, clientSecret, sender] = names.map((name) => value(env, name));
  if (!tenantId && !clientId && !clientSecret && !sender) return undefined;
  if (!tenantId || !clientId || !clientSecret || !sender) {
    const missing = names.filter((name) => !value(env, name));
    notes.push(`Microsoft Graph is half configured (missing ${missing.join(', ')}): e-mail and calls go elsewhere`);
    return undefined;
  }
  return {
    sender,
    baseUrl: providerEndpoints(env).graph,
    tokens: clientCredentialsTokens({ tenantId, clientId, clientSecret, loginUrl: value(env, 'MYCELIUM_GRAPH_LOGIN_URL') }),
  };
}

/** MYCELIUM_EMAIL_PROVIDER / MYCELIUM_CALENDAR_PROVIDER pick one when both Google and Microsoft are configured */
function choose(env: Env, name: string, google: boolean, graph: boolean, notes: string[]): 'google' | 'microsoft' | 'outbox' {
  const wanted = value(env, name)?.toLowerCase();
  if (wanted === 'outbox') return 'outbox';
  if (wanted === 'google' && google) return 'google';
  if (wanted === 'microsoft' && graph) return 'microsoft';
  if (wanted && wanted !== 'google' && wanted !== 'microsoft') notes.push(`${name}=${wanted} is not one of google, microsoft, outbox: ignored`);
  else if (wanted) notes.push(`${name}=${wanted}, but ${wanted} is not configured`);
  return google ? 'google' : graph ? 'microsoft' : 'outbox';
}

export function deliveryChannelsFromEnv(env: Env, options: DeliveryChannelsOptions): DeliveryChannels {
  const notes: string[] = [];
  const outbox = new OutboxChannel({ dir: options.outboxDir, echo: options.echo });
  const doc = new DocChannel({ dir: options.docsDir });

  const slackToken = value(env, 'MYCELIUM_SLACK_TOKEN');
  const slackBase = providerEndpoints(env).slack;
  const slack = slackToken ? new SlackChannel({ token: slackToken, baseUrl: slackBase }) : undefined;

  const google = googleFrom(env, notes);
  const graph = graphFrom(env, notes);

  let email: DeliveryChannel = outbox;
  let call: DeliveryChannel = outbox;
  let freeBusy: FreeBusySource | undefined;
  const endpoint: Record<string, string> = { outbox: options.outboxDir, doc: options.docsDir, ...(slack ? { slack: `${slackBase}/api/` } : {}) };

  const emailProvider = choose(env, 'MYCELIUM_EMAIL_PROVIDER', !!google, !!graph, notes);
  if (emailProvider === 'google' && google) {
    email = new GmailChannel({ sender: google.sender, baseUrl: google.baseUrl, accessToken: google.tokens(GOOGLE_SCOPES.gmail) });
    endpoint[email.name] = `${google.baseUrl} as ${google.sender}`;
  } else if (emailProvider === 'microsoft' && graph) {
    email = new GraphMailChannel({ sender: graph.sender, baseUrl: graph.baseUrl, accessToken: graph.tokens });
    endpoint[email.name] = `${graph.baseUrl} as ${graph.sender}`;
  }

  const calendarProvider = choose(env, 'MYCELIUM_CALENDAR_PROVIDER', !!google, !!graph, notes);
  if (calendarProvider === 'google' && google) {
    const accessToken = google.tokens(GOOGLE_SCOPES.calendar);
    call = new GoogleCalendarChannel({ baseUrl: google.baseUrl, accessToken });
    freeBusy = new GoogleFreeBusy({ baseUrl: google.baseUrl, accessToken, asUser: google.sender, emailOf: options.emailOf });
    endpoint[call.name] = `${google.baseUrl} on the organizer's calendar`;
  } else if (calendarProvider === 'microsoft' && graph) {
    call = new GraphCalendarChannel({ baseUrl: graph.baseUrl, accessToken: graph.tokens });
    freeBusy = new GraphFreeBusy({ baseUrl: graph.baseUrl, accessToken: graph.tokens, asUser: graph.sender, emailOf: options.emailOf });
    endpoint[call.name] = `${graph.baseUrl} on the organizer's calendar`;
  }

  const byName = new Map<string, DeliveryChannel>([outbox, doc, email, call, ...(slack ? [slack] : [])].map((channel) => [channel.name, channel]));
  const label = (channel: DeliveryChannel) => `${channel.name} (${endpoint[channel.name] ?? ''})`;

  const channels: DeliveryChannels = {
    forMedium(medium, recipient) {
      switch (medium) {
        case 'chat_dm':
          return slack && recipient.slackUserId ? slack : outbox;
        case 'chat_channel':
          return slack ?? outbox;
        case 'email':
          return email;
        case 'call':
          return call;
        case 'doc':
          return doc;
        case 'digest':
          return outbox;
      }
    },
    byName: (name) => byName.get(name),
    freeBusy: () => freeBusy,
    describe: () => ({
      mediums: {
        digest: label(outbox),
        doc: label(doc),
        chat_dm: slack ? `${label(slack)}; outbox for people without a Slack id` : label(outbox),
        chat_channel: label(slack ?? outbox),
        email: label(email),
        call: label(call),
      },
      freeBusy: freeBusy ? freeBusy.name : null,
      notes: [...notes],
    }),
  };
  const description = channels.describe();
  options.log?.info({ delivery: description.mediums, freeBusy: description.freeBusy }, 'delivery channels');
  for (const note of notes) options.log?.warn({ component: 'delivery' }, note);
  return channels;
}
