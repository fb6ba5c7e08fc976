/**
 * The tray icons, drawn in code: a cloud with a badge per state (a check for
 * Up to date, dots for Checking, arrows for Syncing, bars for Paused, a cross
 * for Offline, a padlock for Sign in required, "!" for Needs attention, a bar
 * for Stopped: confirm deletes), encoded as PNG with node:zlib. Drawn rather
 * than shipped, so nothing has to be packaged next to the bundles; the same
 * drawings are written to build/icons/tray/ for people to look at (a test
 * keeps the two equal; regenerate with `writeTrayIconFiles`).
 *
 * Two styles: `color` (Windows, Linux) — a blue cloud and a coloured badge
 * that read on light and dark panels; `template` (macOS) — black with alpha
 * only, which macOS recolours for the menu bar (`*Template.png` files, or
 * `setTemplateImage(true)`). Sizes: 16 px and 32 px (@2x). No electron import.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { SyncState } from '../../shared/StratusApi.js';

export type TrayIconStyle = 'color' | 'template';
type Rgba = readonly [number, number, number, number];
type Shape = (x: number, y: number) => boolean;
interface Layer { readonly shape: Shape; readonly color: Rgba | 'clear' }

const circle = (cx: number, cy: number, r: number): Shape => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect = (x0: number, y0: number, x1: number, y1: number): Shape => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union = (...shapes: Shape[]): Shape => (x, y) => shapes.some((s) => s(x, y));
/** A line from (ax, ay) to (bx, by) with round ends, `w` wide. */
function stroke(ax: number, ay: number, bx: number, by: number, w: number): Shape {
  return (x, y) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= (w / 2) ** 2;
  };
}

// Geometry on a 16-unit square.
const CLOUD = union(circle(4.6, 9.2, 3.1), circle(8.4, 6.4, 4.3), circle(12.4, 8.9, 2.9), rect(4.6, 8.9, 12.4, 12.3));
const BADGE_X = 11.6;
const BADGE_Y = 11.6;
const BADGE = circle(BADGE_X, BADGE_Y, 4.4);
const HALO = circle(BADGE_X, BADGE_Y, 5.4);

const GLYPHS: Readonly<Record<SyncState, Shape>> = {
  'up-to-date': union(stroke(9.6, 11.8, 11.1, 13.3, 1.3), stroke(11.1, 13.3, 13.7, 10.1, 1.3)),
  checking: union(circle(9.7, 11.6, 0.8), circle(11.6, 11.6, 0.8), circle(13.5, 11.6, 0.8)),
  syncing: union(
    stroke(10.3, 13.8, 10.3, 9.6, 1), stroke(10.3, 9.4, 9.1, 10.7, 1), stroke(10.3, 9.4, 11.5, 10.7, 1),
    stroke(12.9, 9.4, 12.9, 13.6, 1), stroke(12.9, 13.8, 11.7, 12.5, 1), stroke(12.9, 13.8, 14.1, 12.5, 1),
  ),
  paused: union(rect(9.9, 9.6, 11, 13.6), rect(12.2, 9.6, 13.3, 13.6)),
  offline: union(stroke(9.9, 9.9, 13.3, 13.3, 1.2), stroke(13.3, 9.9, 9.9, 13.3, 1.2)),
  'sign-in-required': union(rect(9.7, 11.7, 13.5, 14.1), (x, y) => y <= 11.8 && !circle(11.6, 11.2, 0.95)(x, y) && circle(11.6, 11.2, 1.75)(x, y)),
  'needs-attention': union(stroke(11.6, 9.3, 11.6, 12, 1.3), circle(11.6, 13.6, 0.8)),
  'stopped-confirm-deletes': rect(9.3, 11, 13.9, 12.2),
};

const BLUE: Rgba = [74, 144, 226, 255];
const GREY: Rgba = [138, 143, 152, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const BLACK: Rgba = [0, 0, 0, 255];
const BADGE_COLORS: Readonly<Record<SyncState, Rgba>> = {
  'up-to-date': [46, 160, 67, 255],
  checking: [52, 110, 190, 255],
  syncing: [52, 110, 190, 255],
  paused: [110, 118, 129, 255],
  offline: [110, 118, 129, 255],
  'sign-in-required': [137, 87, 229, 255],
  'needs-attention': [210, 153, 34, 255],
  'stopped-confirm-deletes': [207, 34, 46, 255],
};

function layersFor(state: SyncState, style: TrayIconStyle): Layer[] {
  const dimmed = state === 'paused' || state === 'offline';
  const cloud = style === 'template' ? BLACK : dimmed ? GREY : BLUE;
  return [
    { shape: CLOUD, color: cloud },
    { shape: HALO, color: 'clear' },
    { shape: BADGE, color: style === 'template' ? BLACK : BADGE_COLORS[state] },
    // In a template image the glyph is cut out of the badge: only alpha counts there.
    { shape: GLYPHS[state], color: style === 'template' ? 'clear' : WHITE },
  ];
}

/** RGBA pixels, `size` × `size`, 4×4 supersampled. */
export function drawTrayIcon(state: SyncState, style: TrayIconStyle, size: number): Buffer {
  const layers = layersFor(state, style);
  const pixels = Buffer.alloc(size * size * 4);
  const samples = 4;
  const scale = 16 / size;
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy += 1) {
        for (let sx = 0; sx < samples; sx += 1) {
          const x = (px + (sx + 0.5) / samples) * scale;
          const y = (py + (sy + 0.5) / samples) * scale;
          let color: Rgba | undefined;
          for (const layer of layers) if (layer.shape(x, y)) color = layer.color === 'clear' ? undefined : layer.color;
          if (color === undefined) continue;
          const alpha = color[3] / 255;
          r += color[0] * alpha;
          g += color[1] * alpha;
          b += color[2] * alpha;
          a += alpha;
        }
      }
      const at = (py * size + px) * 4;
      if (a > 0) {
        pixels[at] = Math.round(r / a);
        pixels[at + 1] = Math.round(g / a);
        pixels[at + 2] = Math.round(b / a);
      }
      pixels[at + 3] = Math.round((a / (samples * samples)) * 255);
    }
  }
  return pixels;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG (8-bit RGBA, no filtering) of square RGBA pixels. */
export function encodePng(rgba: Buffer, size: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y += 1) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The 1× (16 px) and 2× (32 px) PNGs of one state's icon. */
export function trayIconPngs(state: SyncState, style: TrayIconStyle): { readonly x1: Buffer; readonly x2: Buffer } {
  return { x1: encodePng(drawTrayIcon(state, style, 16), 16), x2: encodePng(drawTrayIcon(state, style, 32), 32) };
}

/** File names under build/icons/tray/: `<state>.png`, `<state>@2x.png`, `<state>Template.png`, `<state>Template@2x.png`. */
export function trayIconFileName(state: SyncState, style: TrayIconStyle, scale: 1 | 2): string {
  return `${state}${style === 'template' ? 'Template' : ''}${scale === 2 ? '@2x' : ''}.png`;
}

/** Writes every icon to `dir` (build/icons/tray). */
export async function writeTrayIconFiles(dir: string, states: readonly SyncState[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const state of states) {
    for (const style of ['color', 'template'] as const) {
      const { x1, x2 } = trayIconPngs(state, style);
      await writeFile(join(dir, trayIconFileName(state, style, 1)), x1);
      await writeFile(join(dir, trayIconFileName(state, style, 2)), x2);
    }
  }
}
