/**
 * The ways key material could end up in printed text: base64 (standard and url), hex, and the way
 * util.inspect shows a Buffer or a Uint8Array. A string key (trigger.dev's) is also looked for as it is.
 */
function printedForms(material: Uint8Array | string): string[] {
  const bytes = Buffer.from(material);
  if (bytes.length < 16) throw new Error('material shorter than 16 bytes could show up by chance: leave it out');
  const head = [...bytes.subarray(0, 8)];
  const forms = [
    bytes.toString('base64').slice(0, 16),
    bytes.toString('base64url').slice(0, 16),
    bytes.toString('hex').slice(0, 16),
    head.map((byte) => byte.toString(16).padStart(2, '0')).join(' '),
    head.join(', '),
  ];
  return typeof material === 'string' ? [material, ...forms] : forms;
}

/** Fails when `text` shows any of `materials` in any of the forms above. */
export function expectNoKeyMaterial(text: string, materials: readonly (Uint8Array | string)[]): void {
  for (const form of materials.flatMap(printedForms)) expect(text).not.toContain(form);
}
