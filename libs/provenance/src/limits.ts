/** Bounds that keep hostile files from using unbounded memory or time. */
export const LIMITS = {
  /** JPEG segments, PNG chunks or RIFF chunks visited per file. */
  maxBlocks: 4096,
  /** Inflated size of one compressed PNG text chunk. */
  maxInflatedBytes: 1024 * 1024,
  /** Reassembled C2PA JUMBF store. */
  maxJumbfBytes: 64 * 1024 * 1024,
  /** IFD entries read per EXIF directory. */
  maxIfdEntries: 1024,
} as const;
