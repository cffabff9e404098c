/** Where things are, for Node-side code (simulator, tests, scripts). */
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The project root (the folder holding devs.json). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..")
