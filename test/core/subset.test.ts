// Guards the rules the core must keep to be shared by Node and the DeviceScript compiler.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const CORE_DIR = join(__dirname, "..", "..", "src", "core")
const FILES = readdirSync(CORE_DIR).filter((f) => f.endsWith(".ts"))

/** The source without comments and string contents. */
function code(file: string): string {
    return readFileSync(join(CORE_DIR, file), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "")
        .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
}

const FORBIDDEN: [string, RegExp][] = [
    ["Map", /\bnew Map\b|\bMap</],
    ["Set", /\bnew Set\b|\bSet</],
    ["Date", /\bDate\b/],
    ["RegExp", /\bRegExp\b/],
    ["Promise", /\bPromise\b/],
    ["console", /\bconsole\b/],
    ["clock", /\bmillis\b|\bperformance\b|\bsetTimeout\b|\bsetInterval\b/],
    ["padStart/replace/substring", /\.(padStart|padEnd|replace|replaceAll|substring|substr)\(/],
    ["== or != (use === / !==)", /[^=!<>]==[^=]|!=[^=]/],
    ["get/set accessor", /^\s*(get|set)\s+\w+\s*\(/m],
    ["class", /\bclass\b/],
    ["async", /\basync\b|\bawait\b/],
]

describe("core stays in the DeviceScript subset", () => {
    it("finds the core's files (every one is checked below)", () => {
        expect(FILES).toContain("index.ts")
        expect(FILES).toContain("lock.ts")
    })

    for (const file of FILES) {
        it(`${file}: only relative imports inside src/core`, () => {
            const src = readFileSync(join(CORE_DIR, file), "utf8")
            const imports = [...src.matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1])
            for (const path of imports) expect(path, `${file} imports ${path}`).toMatch(/^\.\/[a-z]+$/)
        })

        it(`${file}: no constructs outside the subset`, () => {
            const src = code(file)
            for (const [name, re] of FORBIDDEN) expect(re.test(src), `${file} uses ${name}`).toBe(false)
        })
    }
})
