// Fails when a screen imports another screen: screens import shared helpers (ui.js, parts.js,
// format.js, api.js, codes.js), never each other, so that a screen can change alone.
// Counts static and dynamic imports, re-exports and JSDoc `@import`s.
// Run from crates/web: node scripts/check-imports.mjs

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const screens = join(web, "assets", "js", "screens");
const specifier = /\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g;

const problems = [];
const files = readdirSync(screens, { recursive: true })
  .map(String)
  .filter((name) => name.endsWith(".js"))
  .sort();
for (const name of files) {
  const file = join(screens, name);
  const source = readFileSync(file, "utf8");
  for (const [, target] of source.matchAll(specifier)) {
    if (!target.startsWith(".")) continue;
    const imported = resolve(dirname(file), target);
    if (imported.startsWith(screens + sep)) {
      problems.push(`${relative(web, file)} imports ${target}, a screen`);
    }
  }
}

if (problems.length) {
  for (const problem of problems) console.error(`check-imports: ${problem}`);
  console.error(
    "check-imports: FAILED: screens import shared helpers, never each other; " +
      "move what they share into ui.js, parts.js, format.js or another module outside screens/",
  );
  process.exit(1);
}
console.log(`check-imports: ok (${files.length} screens)`);
