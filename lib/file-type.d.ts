// file-type (22) publishes its types through package.json "exports" only, which this project's "node" module
// resolution does not read (a `paths` mapping would also redirect tsx at run time, onto the .d.ts). The one function the
// API uses, as the package declares it.
declare module 'file-type' {
  export interface FileTypeResult {
    readonly ext: string;
    readonly mime: string;
  }
  export function fileTypeFromBuffer(buffer: Uint8Array | ArrayBuffer): Promise<FileTypeResult | undefined>;
}
