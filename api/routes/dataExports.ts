// The download link of a subject's personal-data export (lib/subjectExport.ts; issue 20 §2.3 "Access", PIPL art. 45):
// public, the signed token in the path is the authorisation (HMAC with the expiry in it), as the e-mail intake's link.
// The archive is answered as a download, never cached, never sniffed; 404 for a link we did not sign or one whose
// export is purged, 410 past its expiry. The first download is recorded (data_exports.downloaded_at); the link keeps
// answering until it expires (a mail scanner's fetch must not use it up). Outside /v1: no API key.
import { Router } from 'express';
import { dataExportLinkSecret, DATA_EXPORT_CONTENT_TYPE, exportForDownload, markExportDownloaded } from '../../lib/subjectExport';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { defineRoute, mount } from '../routeSpec';

export const dataExportRoutes = {
  download: defineRoute({
    id: 'downloadDataExport',
    method: 'get',
    path: '/data-exports/:token',
    action: null,
    access: 'No API key: the signed token of the download link given to the subject (HMAC, with its expiry) is the authorisation. Public: no authentication beyond it.',
    summary:
      "A subject's personal-data export: a gzip-compressed tar of its rows per table (JSON), the keys found in other stores and its files, with a manifest of SHA-256 hashes signed with the platform's Ed25519 key (Content-Disposition: attachment; Cache-Control: no-store; X-Content-Type-Options: nosniff)",
    tag: 'data-exports',
    tagDescription: "Personal-data exports (PIPL art. 45): delivered through a signed, expiring link, never by e-mail attachment. 404 for a link we did not sign or an export purged, 410 LINK_EXPIRED past its expiry",
    success: { status: 200, description: 'The archive (application/gzip: a tar with manifest.json and manifest.json.sig)', contentType: DATA_EXPORT_CONTENT_TYPE },
    errors: [404, 410],
  }),
};

export function dataExportsRouter(deps: ApiDeps): Router {
  const r = Router();
  mount(r, dataExportRoutes.download, async (req, res) => {
    if (!deps.secrets) throw new ApiError(404, 'NOT_FOUND', 'Data exports are not configured on this server');
    const found = await exportForDownload(deps.db, dataExportLinkSecret(deps.secrets), String(req.params.token));
    if (found.status === 'expired') throw new ApiError(410, 'LINK_EXPIRED', 'This download link has expired; ask for a new export');
    if (found.status === 'not_found') throw new ApiError(404, 'NOT_FOUND', 'No such export');
    // Purged between the row's read and now: as if expired.
    if (!(await deps.ports.blobs.exists(found.sha256))) throw new ApiError(410, 'LINK_EXPIRED', 'This export is no longer kept; ask for a new export');
    res.set({
      'Content-Type': DATA_EXPORT_CONTENT_TYPE,
      'Content-Length': String(found.sizeBytes),
      'Content-Disposition': `attachment; filename="personal-data-${found.exportId}.tar.gz"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
    const log = req.log;
    if (req.method !== 'HEAD') res.on('finish', () => void markExportDownloaded(deps.db, found.exportId).catch((err: unknown) => log.error({ err, exportId: found.exportId }, 'data export: the download time not recorded')));
    const stream = deps.ports.blobs.read(found.sha256);
    stream.on('error', (err) => {
      log.error({ err, exportId: found.exportId }, 'data export bytes unreadable');
      res.destroy(err);
    });
    log.info({ exportId: found.exportId, sizeBytes: found.sizeBytes }, 'data export downloaded');
    stream.pipe(res);
  });
  return r;
}
