// Builds web/dist/ from web/src/: one self-contained widget.js (the widget with socket.io-client
// bundled in, so a page embeds it with ONE <script> tag and loads nothing from a CDN) and
// widget.css. Run with `npm run build` (scripts/env.sh's ensure_web does it for you).
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
// Browsers of the last few years, phones included (optional chaining, ES2020).
const target = ["es2020", "chrome90", "edge90", "firefox90", "safari15"];

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: [join(here, "src", "widget.js")],
  outfile: join(dist, "widget.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target,
  minify: true,
  charset: "utf8",
  legalComments: "eof",
  logLevel: "warning",
});

await build({
  entryPoints: [join(here, "src", "widget.css")],
  outfile: join(dist, "widget.css"),
  bundle: true,
  minify: true,
  charset: "utf8",
  target,
  logLevel: "warning",
});

console.log("web/dist: widget.js and widget.css built");
