/** A PNG tEXt, zTXt or iTXt entry after decompression. */
export interface TextEntry {
  keyword: string;
  text: string;
}

/** The raw metadata a container walker found, before any of it is interpreted. */
export interface MetadataBlocks {
  textEntries: TextEntry[];
  xmpPackets: string[];
  /** TIFF-structured EXIF payloads (starting with the II or MM byte-order mark). */
  exif: Uint8Array[];
  /** The C2PA manifest store as one JUMBF superbox. */
  c2paJumbf?: Uint8Array;
  unreadable: string[];
}

export function emptyBlocks(): MetadataBlocks {
  return { textEntries: [], xmpPackets: [], exif: [], unreadable: [] };
}
