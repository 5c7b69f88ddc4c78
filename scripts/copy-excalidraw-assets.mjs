// Copy Excalidraw's fonts into static/dist/excalidraw-assets/fonts/, where the room page points
// window.EXCALIDRAW_ASSET_PATH: the whiteboard never fetches them from a CDN (the page's CSP
// would refuse it anyway). Run by `npm run build`, before esbuild.
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "@excalidraw", "excalidraw", "dist", "prod", "fonts");
const target = join(root, "static", "dist", "excalidraw-assets", "fonts");

if (!existsSync(source)) {
  console.error(`copy-excalidraw-assets: ${source} is missing (run npm ci first)`);
  process.exit(1);
}
// esbuild never deletes: drop the hashed chunks and assets of earlier builds, and old fonts
for (const stale of ["chunks", "assets"]) rmSync(join(root, "static", "dist", stale), { recursive: true, force: true });
rmSync(target, { recursive: true, force: true }); // no fonts left over from another version
cpSync(source, target, { recursive: true, filter: (path) => !/\.(map|md)$/.test(path) });
const families = readdirSync(target);
console.log(`copy-excalidraw-assets: ${families.length} font families -> ${target}`);
