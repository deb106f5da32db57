import { MalformedMetadataError } from './errors';

/** The XMP properties that say how an image was made. */
export interface XmpFacts {
  digitalSourceTypes: string[];
  creatorTools: string[];
  creators: string[];
  credits: string[];
}

const PROPERTIES = {
  digitalSourceTypes: 'Iptc4xmpExt:DigitalSourceType',
  creatorTools: 'xmp:CreatorTool',
  creators: 'dc:creator',
  credits: 'photoshop:Credit',
} as const satisfies Record<keyof XmpFacts, string>;

/**
 * Reads a few properties from an XMP packet with patterns rather than an XML parser: the packet only needs
 * to be well-formed enough to find them, and a pattern scan cannot be made to expand entities or recurse.
 * Handles the attribute form (`prop="v"`), the simple element form (`<prop>v</prop>`), containers
 * (`<prop><rdf:Seq><rdf:li>v</rdf:li>…`) and resource references (`<prop rdf:resource="v"/>`).
 */
export function readXmp(packet: string): XmpFacts {
  if (!/<rdf:RDF[\s>]/.test(packet)) throw new MalformedMetadataError('XMP', 'no rdf:RDF element');
  const facts: XmpFacts = { digitalSourceTypes: [], creatorTools: [], creators: [], credits: [] };
  for (const [field, name] of Object.entries(PROPERTIES) as [keyof XmpFacts, string][]) {
    facts[field] = propertyValues(packet, name);
  }
  return facts;
}

function propertyValues(packet: string, name: string): string[] {
  const values: string[] = [];
  const attribute = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  for (const match of packet.matchAll(attribute)) values.push(match[1] ?? match[2]);
  const element = new RegExp(`<${name}(\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</${name}>)`, 'g');
  for (const match of packet.matchAll(element)) {
    const resource = /rdf:resource\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(match[1] ?? '');
    if (resource) values.push(resource[1] ?? resource[2]);
    if (match[2] !== undefined) values.push(...elementTexts(match[2]));
  }
  return values
    .map(unescapeXml)
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

function elementTexts(content: string): string[] {
  const items = [...content.matchAll(/<rdf:li(?:\s[^>]*)?>([^<]*)<\/rdf:li>/g)].map((match) => match[1]);
  return items.length > 0 ? items : [content.replace(/<[^>]*>/g, '')];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#[0-9]+);/gi, (entity, name: string) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()];
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}
