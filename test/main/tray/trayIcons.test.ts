/**
 * The tray icons drawn in code: valid PNGs at 16 and 32 px, a different
 * drawing per state, template images black with alpha only, and the files in
 * build/icons/tray/ equal to what the code draws.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SYNC_STATE_LABELS, type SyncState } from '../../../src/shared/StratusApi.js';
import { drawTrayIcon, trayIconFileName, trayIconPngs } from '../../../src/main/tray/trayIcons.js';

const STATES = Object.keys(SYNC_STATE_LABELS) as SyncState[];
const repo = resolve(import.meta.dirname, '../../..');

/** Decodes the PNGs encodePng writes (one IDAT, filter 0): width, height and RGBA. */
function decode(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const rows = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    expect(rows[y * (width * 4 + 1)]).toBe(0);
    rows.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('tray icons', () => {
  it('are PNGs of 16 and 32 pixels holding exactly the drawing', () => {
    for (const state of STATES) {
      const { x1, x2 } = trayIconPngs(state, 'color');
      const one = decode(x1);
      const two = decode(x2);
      expect([one.width, one.height, two.width, two.height]).toEqual([16, 16, 32, 32]);
      expect(one.rgba).toEqual(drawTrayIcon(state, 'color', 16));
      expect(two.rgba).toEqual(drawTrayIcon(state, 'color', 32));
    }
  });

  it('differ for every state, in both styles', () => {
    for (const style of ['color', 'template'] as const) {
      const drawings = new Set(STATES.map((state) => drawTrayIcon(state, style, 32).toString('base64')));
      expect(drawings.size).toBe(STATES.length);
    }
  });

  it('draw template images in black, with the meaning in the alpha channel only', () => {
    for (const state of STATES) {
      const rgba = drawTrayIcon(state, 'template', 32);
      let opaque = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        expect([rgba[i], rgba[i + 1], rgba[i + 2]]).toEqual([0, 0, 0]);
        if ((rgba[i + 3] ?? 0) > 0) opaque += 1;
      }
      // Neither empty nor a filled square.
      expect(opaque).toBeGreaterThan(200);
      expect(opaque).toBeLessThan(32 * 32 - 100);
    }
  });

  it('are the files committed under build/icons/tray (macOS templates named *Template.png)', async () => {
    for (const state of STATES) {
      for (const style of ['color', 'template'] as const) {
        const { x1, x2 } = trayIconPngs(state, style);
        expect(await readFile(join(repo, 'build/icons/tray', trayIconFileName(state, style, 1)))).toEqual(x1);
        expect(await readFile(join(repo, 'build/icons/tray', trayIconFileName(state, style, 2)))).toEqual(x2);
      }
    }
    expect(trayIconFileName('up-to-date', 'template', 2)).toBe('up-to-dateTemplate@2x.png');
  });
});
