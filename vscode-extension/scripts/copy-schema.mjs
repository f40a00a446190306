// Copies the repository's generated workflow schema into the extension (contributes.yamlValidation points at it).
// Fails loudly when the schema has not been generated: a .vsix without it would validate nothing.
import { copyFile, mkdir, readFile } from "node:fs/promises";

const source = new URL("../../schemas/workflow.schema.json", import.meta.url);
const target = new URL("../schemas/workflow.schema.json", import.meta.url);

let text;
try {
  text = await readFile(source, "utf8");
} catch (err) {
  console.error(`copy-schema: cannot read ${source.pathname}: ${err.message}`);
  console.error("Generate it first (fasthep-flow schema), then rebuild the extension.");
  process.exit(1);
}
JSON.parse(text); // a broken schema must stop the build, not ship
await mkdir(new URL("../schemas/", import.meta.url), { recursive: true });
await copyFile(source, target);
console.log(`copied ${source.pathname} -> ${target.pathname}`);
