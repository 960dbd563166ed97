/**
 * The `drive` stream: Google Docs visible to `actAs` → `doc` Items (text via files.export text/plain), and Meet
 * transcripts → `transcript` Items with speaker turns. One unit per file (`drive/<fileId>`); its access list comes
 * from the file's permissions (drive-access.ts).
 *
 * First sync: changes.getStartPageToken (taken before the listing, so nothing changed during it is lost), then
 * files.list of every Doc, marked full (the pipeline sweeps what is gone). Afterwards changes.list from the stored
 * page token, newStartPageToken on the last page; a removed or trashed file is deleted. A page token Drive no
 * longer accepts (404/410) → a full listing again.
 *
 * A Doc whose owner (or, in a shared drive, last editor) is outside the opt-in is held back: its unit is empty, so
 * an earlier stored version goes too.
 */
import type { drive_v3 } from 'googleapis/build/src/apis/drive/index.js';
import { GaxiosError } from 'googleapis-common';
import type { Item, ParsedUnit } from '../../../schemas/entities';
import { finishItem, paragraphSegments } from '../files/common';
import { optedIn } from '../files/directory';
import { QuarantineError } from '../files/types';
import { parseVtt } from '../files/vtt';
import type { StreamCursor, StreamPage } from '../port';
import { unitPath } from '../port';
import { mapLimit, must, request } from './apis';
import type { GoogleReadContext } from './context';
import { FETCH_CONCURRENCY, filesContextOf, googleUnit, logHeldBack, MAX_OBJECT_BYTES } from './context';
import { accessFromPermissions } from './drive-access';
import { googleSourceFailure } from './errors';
import { googleReasons } from '../../delivery/provider-errors';
import { isTranscriptName, parseMeetTranscript, titleTime, toWebVtt } from './transcript';

export const DRIVE_STREAM = 'drive';
export const GOOGLE_DOC = 'application/vnd.google-apps.document';
const FOLDER = 'application/vnd.google-apps.folder';
export const MEET_RECORDINGS_FOLDER = 'Meet Recordings';
const PAGE_SIZE = 100;
const FILE_FIELDS = 'id,name,mimeType,trashed,createdTime,modifiedTime,webViewLink,parents,owners(emailAddress,displayName),lastModifyingUser(emailAddress,displayName)';

export interface DriveCursor {
  /** incremental: the changes page token */
  pageToken?: string;
  /** during the first (or a repeated) full listing */
  listing?: { startPageToken: string; pageToken?: string };
}

export async function readDrivePage(rc: GoogleReadContext, cursor: StreamCursor | null): Promise<StreamPage> {
  const state = (cursor ?? {}) as DriveCursor;
  if (state.listing || !state.pageToken) return listingPage(rc, state.listing);
  const answer = await request(
    'google drive',
    async () =>
      (
        await rc.apis.drive.changes.list(
          {
            pageToken: state.pageToken,
            pageSize: PAGE_SIZE,
            includeRemoved: true,
            includeItemsFromAllDrives: true,
            supportsAllDrives: true,
            fields: `nextPageToken,newStartPageToken,changes(changeType,removed,fileId,time,file(${FILE_FIELDS}))`,
          },
          await rc.apis.as(rc.config.actAs!),
        )
      ).data,
    [404, 410],
  );
  if ('status' in answer) {
    rc.ctx.log.info({ sourceId: rc.ctx.sourceId, stream: DRIVE_STREAM }, `drive page token refused (${answer.status}): full resync`);
    return listingPage(rc, undefined);
  }
  rc.ctx.heartbeat({ stream: DRIVE_STREAM });
  const data = answer.ok;
  const deleted: string[] = [];
  const files: drive_v3.Schema$File[] = [];
  for (const change of data.changes ?? []) {
    if (change.changeType && change.changeType !== 'file') continue; // shared-drive metadata changes
    const id = change.fileId ?? change.file?.id;
    if (!id) continue;
    if (change.removed || change.file?.trashed) deleted.push(unitPath(DRIVE_STREAM, id));
    else if (change.file?.mimeType === GOOGLE_DOC) files.push(change.file);
  }
  const units = await fileUnits(rc, files);
  const more = Boolean(data.nextPageToken);
  if (!more && !data.newStartPageToken) throw new Error('google drive: the last changes page carries no newStartPageToken');
  return { units, deleted, cursor: { pageToken: more ? data.nextPageToken! : data.newStartPageToken! }, more, full: false };
}

async function listingPage(rc: GoogleReadContext, listing: DriveCursor['listing']): Promise<StreamPage> {
  const auth = () => rc.apis.as(rc.config.actAs!);
  let startPageToken = listing?.startPageToken;
  if (!startPageToken) {
    const start = await must('google drive', async () => (await rc.apis.drive.changes.getStartPageToken({ supportsAllDrives: true }, await auth())).data);
    if (!start.startPageToken) throw new Error('google drive: changes.getStartPageToken returned no token');
    startPageToken = start.startPageToken;
  }
  const page = await must('google drive', async () =>
    (
      await rc.apis.drive.files.list(
        {
          q: `mimeType = '${GOOGLE_DOC}' and trashed = false`,
          pageSize: PAGE_SIZE,
          includeItemsFromAllDrives: true,
          supportsAllDrives: true,
          fields: `nextPageToken,files(${FILE_FIELDS})`,
          ...(listing?.pageToken ? { pageToken: listing.pageToken } : {}),
        },
        await auth(),
      )
    ).data,
  );
  rc.ctx.heartbeat({ stream: DRIVE_STREAM });
  const units = await fileUnits(rc, page.files ?? []);
  const more = Boolean(page.nextPageToken);
  return { units, deleted: [], cursor: more ? { listing: { startPageToken, pageToken: page.nextPageToken! } } : { pageToken: startPageToken }, more, full: true };
}

async function fileUnits(rc: GoogleReadContext, files: drive_v3.Schema$File[]): Promise<ParsedUnit[]> {
  const units = await mapLimit(files, FETCH_CONCURRENCY, (file) => fileUnit(rc, file));
  return units.filter((u): u is ParsedUnit => u !== undefined);
}

async function fileUnit(rc: GoogleReadContext, file: drive_v3.Schema$File): Promise<ParsedUnit | undefined> {
  const id = file.id!;
  const path = unitPath(DRIVE_STREAM, id);
  const authorEmail = (file.owners?.[0]?.emailAddress ?? file.lastModifyingUser?.emailAddress)?.toLowerCase();
  const author = authorEmail ? optedIn(rc.ctx.directory.byEmail(authorEmail)) : undefined;
  if (!author) {
    logHeldBack(rc, path, [{ ...(authorEmail ? { id: authorEmail } : {}), items: 1 }]);
    return googleUnit(rc, path, {});
  }
  const text = await exportText(rc, file);
  if (text === undefined) return undefined;
  const access = await accessFromPermissions(rc, await permissionsOf(rc, id));
  rc.ctx.heartbeat({ stream: DRIVE_STREAM, file: id });

  const locator = file.webViewLink ?? `https://docs.google.com/document/d/${id}/edit`;
  const meta = { driveFileId: id, mimeType: file.mimeType, modifiedTime: file.modifiedTime, ownerId: author.id };
  if (rc.config.transcripts && (await isMeetTranscript(rc, file))) {
    const transcript = transcriptItem(rc, path, file, text, { locator, access, meta });
    if (transcript) return googleUnit(rc, path, { items: transcript.items });
  }
  const item = finishItem(rc.ctx, path, {
    externalId: `drive:${id}`,
    kind: 'doc',
    title: file.name ?? undefined,
    body: text,
    authorId: author.id,
    occurredAt: new Date(file.modifiedTime ?? file.createdTime ?? rc.ctx.now),
    locator,
    access,
    recipients: [],
    meta,
    segments: paragraphSegments(text),
  });
  return googleUnit(rc, path, { items: [item] });
}

/** The Doc as plain text; undefined (skipped, logged) when Drive will not export it (too large). */
async function exportText(rc: GoogleReadContext, file: drive_v3.Schema$File): Promise<string | undefined> {
  try {
    const answer = await rc.apis.drive.files.export({ fileId: file.id!, mimeType: 'text/plain' }, { ...(await rc.apis.as(rc.config.actAs!)), responseType: 'text' });
    const text = typeof answer.data === 'string' ? answer.data : String(answer.data ?? '');
    return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').slice(0, MAX_OBJECT_BYTES).trim();
  } catch (error) {
    if (error instanceof GaxiosError && (error.status ?? error.response?.status) === 403 && googleReasons(error).includes('exportSizeLimitExceeded')) {
      rc.ctx.log.warn({ sourceId: rc.ctx.sourceId, file: file.id }, 'drive doc too large to export: skipped');
      return undefined;
    }
    throw googleSourceFailure(error, 'google drive');
  }
}

async function permissionsOf(rc: GoogleReadContext, fileId: string): Promise<drive_v3.Schema$Permission[]> {
  const out: drive_v3.Schema$Permission[] = [];
  let pageToken: string | undefined;
  do {
    const page = await must('google drive', async () =>
      (
        await rc.apis.drive.permissions.list(
          { fileId, supportsAllDrives: true, pageSize: PAGE_SIZE, fields: 'nextPageToken,permissions(id,type,emailAddress,domain,role,deleted)', ...(pageToken ? { pageToken } : {}) },
          await rc.apis.as(rc.config.actAs!),
        )
      ).data,
    );
    out.push(...(page.permissions ?? []));
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return out;
}

/** Meet's naming, or a Doc in a "Meet Recordings" folder. */
async function isMeetTranscript(rc: GoogleReadContext, file: drive_v3.Schema$File): Promise<boolean> {
  if (isTranscriptName(file.name ?? '')) return true;
  for (const parent of file.parents ?? []) {
    let name = rc.folderNames.get(parent);
    if (!name) {
      name = must('google drive', async () => {
        const folder = (await rc.apis.drive.files.get({ fileId: parent, fields: 'id,name,mimeType', supportsAllDrives: true }, await rc.apis.as(rc.config.actAs!))).data;
        return folder.mimeType === FOLDER ? (folder.name ?? undefined) : undefined;
      });
      rc.folderNames.set(parent, name);
      name.catch(() => rc.folderNames.delete(parent));
    }
    if ((await name) === MEET_RECORDINGS_FOLDER) return true;
  }
  return false;
}

function transcriptItem(
  rc: GoogleReadContext,
  path: string,
  file: drive_v3.Schema$File,
  text: string,
  over: { locator: string; access: string[]; meta: Record<string, unknown> },
): { items: Item[] } | undefined {
  const transcript = parseMeetTranscript(text);
  if (!transcript) return undefined;
  const recorded = titleTime(file.name ?? '') ?? new Date(file.createdTime ?? file.modifiedTime ?? rc.ctx.now);
  let parsed;
  try {
    parsed = parseVtt(filesContextOf(rc), path, toWebVtt(transcript, recorded));
  } catch (error) {
    if (error instanceof QuarantineError) return undefined; // read it as a plain doc instead
    throw error;
  }
  logHeldBack(rc, path, parsed.heldBack);
  const base = parsed.items?.[0];
  if (!base) return { items: [] }; // nobody in it opted in
  const { id: _id, sourceId: _source, contentHash: _hash, ...draft } = base;
  const item = finishItem(rc.ctx, path, {
    ...draft,
    externalId: `drive:${file.id}`,
    title: file.name ?? undefined,
    locator: over.locator,
    access: over.access,
    meta: { ...base.meta, ...over.meta },
  });
  return { items: [item] };
}
