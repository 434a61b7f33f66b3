// Copies the browser builds of the npm dependencies into web/vendor/ so that the widget
// is served by the project itself (no CDN). Run with `npm run build` after `npm ci`.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(web, "node_modules");
const vendor = join(web, "vendor");

// [package, file inside the package, name in vendor/, license file]
const files = [
  ["marked", "lib/marked.esm.js", "marked.esm.js", "LICENSE"],
  ["dompurify", "dist/purify.es.mjs", "purify.es.mjs", "LICENSE"],
  ["socket.io-client", "dist/socket.io.esm.min.js", "socket.io.esm.min.js", "LICENSE"],
];

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
const versions = {};
for (const [pkg, file, target, license] of files) {
  const source = readFileSync(join(modules, pkg, file), "utf8");
  // Drop the source-map comment: the maps are not vendored, so browsers would 404 on them.
  writeFileSync(join(vendor, target), source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"));
  copyFileSync(join(modules, pkg, license), join(vendor, `${pkg}.${license}`));
  versions[pkg] = JSON.parse(readFileSync(join(modules, pkg, "package.json"), "utf8")).version;
}
writeFileSync(join(vendor, "versions.json"), `${JSON.stringify(versions, null, 2)}\n`);
console.log(`vendored into ${vendor}:`, versions);
