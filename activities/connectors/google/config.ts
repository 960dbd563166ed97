/**
 * What a Google Workspace source reads (stored with the source, so no secrets here) and the credentials it reads
 * with (from env or files at worker start, never in workflow arguments).
 */
import { z } from 'zod';

const Email = z.email({ message: 'not an email address' }).transform((s) => s.toLowerCase());

export const GoogleSourceConfig = z
  .object({
    /** calendar ids (a user's address, or a shared calendar's `…@group.calendar.google.com` id) */
    calendars: z.array(z.string().trim().min(1, { message: 'a calendar id must not be empty' })).default([]),
    /** mailboxes read through Gmail, each as its owner */
    mailboxes: z.array(Email).default([]),
    /** read Google Docs (and Meet transcripts) visible to `actAs` through the Drive changes feed */
    drive: z.boolean().default(false),
    /** read people, managers and groups from the Admin SDK directory of this customer ("my_customer" for the caller's) */
    directory: z.object({ customer: z.string().trim().min(1) }).optional(),
    /** Docs written by Meet ("… - Transcript", or in "Meet Recordings") become transcripts; default true */
    transcripts: z.boolean().default(true),
    /**
     * the account the Drive and Directory streams (and shared calendars) act as: with domain-wide delegation an
     * admin (the directory) or the owner of the Drive to read; ignored by an OAuth refresh token
     */
    actAs: Email.optional(),
    /** recurring events are expanded from 90 days back to this many days ahead (as the files connector does) */
    horizonDays: z.number().int().positive().max(730).default(30),
  })
  .strict()
  .superRefine((config, ctx) => {
    if ((config.drive || config.directory) && !config.actAs) {
      ctx.addIssue({ code: 'custom', path: ['actAs'], message: 'required when drive or directory is on: the account those streams act as' });
    }
    const sharedCalendar = config.calendars.find((id) => !isUserCalendar(id));
    if (sharedCalendar && !config.actAs) {
      ctx.addIssue({ code: 'custom', path: ['actAs'], message: `required to read the shared calendar "${sharedCalendar}"` });
    }
    if (config.calendars.length + config.mailboxes.length === 0 && !config.drive && !config.directory) {
      ctx.addIssue({ code: 'custom', path: [], message: 'nothing to read: give calendars, mailboxes, drive or directory' });
    }
  });
export type GoogleSourceConfig = z.output<typeof GoogleSourceConfig>;
export type GoogleSourceConfigInput = z.input<typeof GoogleSourceConfig>;

/** A calendar whose id is its owner's address (read as that user); other ids (shared calendars) are read as `actAs`. */
export function isUserCalendar(calendarId: string): boolean {
  return calendarId.includes('@') && !/calendar\.google\.com$/i.test(calendarId) && !/^primary$/i.test(calendarId);
}

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
}

/** an OAuth access token acting as `subject` (an e-mail address) */
export type GoogleTokenProvider = (subject: string) => Promise<string>;

export type GoogleCredentials =
  /** a service account with domain-wide delegation: every request impersonates the mailbox / calendar owner / actAs */
  | { kind: 'service-account'; key: ServiceAccountKey }
  /** one user's OAuth refresh token (installed or web app); reads only what that user can see */
  | { kind: 'oauth'; clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string }
  /** a token source of the caller's (tests, a secret manager) */
  | { kind: 'token'; accessToken: GoogleTokenProvider };
