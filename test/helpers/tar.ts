// The files of a tar archive (a dossier, a personal-data export once gunzipped), by name, in archive order.
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export async function filesOfTar(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (h, s, next) => {
    const parts: Buffer[] = [];
    s.on('data', (c: unknown) => parts.push(c as Buffer));
    s.on('end', () => {
      files.set(h.name, Buffer.concat(parts));
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve).on('error', reject);
    Readable.from([archive]).pipe(extract);
  });
  return files;
}
