/**
 * DeviceScript refuses an image whose function code reaches 64 KB (host/devs-image.ts). The
 * largest image a real board runs is the shipping firmware with the MQTT link on
 * (build/firmware-ship-net.devs: src/main.ts with test/fixtures/network.json laid over devs.json);
 * it must keep IMAGE_MARGIN spare, so that the next feature finds the limit here rather than on a
 * board whose owner turned the network on. Every other image must fit at all.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { FUNCTION_CODE_LIMIT, functionCodeEnd, functionCodeReport } from "../../host/devs-image"
import { ROOT } from "../../host/paths"

/** Function code the shipping firmware with network on must leave free, in bytes. */
const IMAGE_MARGIN = 2048

const image = (name: string) => readFileSync(join(ROOT, "build", `${name}.devs`))
const debugInfo = (name: string) => JSON.parse(readFileSync(join(ROOT, "build", `${name}-dbg.json`), "utf8"))

describe("firmware image size", () => {
    it(`the shipping firmware with the network on leaves at least ${IMAGE_MARGIN} B of function code spare`, () => {
        const end = functionCodeEnd(image("firmware-ship-net"))
        expect(FUNCTION_CODE_LIMIT - end, functionCodeReport("firmware-ship-net", end)).toBeGreaterThanOrEqual(IMAGE_MARGIN)
    })

    it("every firmware image's function code ends below 64 KB", () => {
        for (const name of ["firmware", "firmware-fast", "firmware-net", "firmware-ship-net"]) {
            const end = functionCodeEnd(image(name))
            expect(end, functionCodeReport(name, end)).toBeLessThan(FUNCTION_CODE_LIMIT)
        }
    })

    it("reads where the function code ends: past the header and every function, before the strings", () => {
        const bytes = image("firmware-ship-net")
        const dbg = debugInfo("firmware-ship-net")
        const functions = dbg.functions.reduce((n: number, f: { size: number }) => n + f.size, 0)
        const end = functionCodeEnd(bytes)
        expect(end).toBeGreaterThanOrEqual(dbg.sizes.header + functions)
        expect(end + dbg.sizes.strings).toBeLessThanOrEqual(bytes.length)
    })

    it("the report names the overflow and the limit", () => {
        expect(functionCodeReport("x", 65540)).toContain("function code ends at 65540 B; DeviceScript refuses 64 KB")
        expect(functionCodeReport("x", 60000)).toContain("5536 B spare")
    })
})
