/**
 * The CLI's `backup` and `restore` arguments: one FILE; --replace-board belongs to restore only.
 * (The commands themselves run on the real firmware: test/scenario/restore.test.ts.)
 */
import { describe, expect, it } from "vitest"
import { parseCli, UsageError, type CliOptions } from "../../companion/cli"

function usage(argv: string[]): string {
    try {
        parseCli(argv)
    } catch (e) {
        if (e instanceof UsageError) return e.message
        throw e
    }
    return "accepted"
}

describe("backup and restore arguments", () => {
    it("take one FILE, and restore takes --replace-board", () => {
        expect((parseCli(["backup", "lock.backup"]) as CliOptions).args).toEqual(["lock.backup"])
        const r = parseCli(["restore", "lock.backup", "--replace-board"]) as CliOptions
        expect(r.command).toBe("restore")
        expect(r.replaceBoard).toBe(true)
        expect((parseCli(["restore", "lock.backup"]) as CliOptions).replaceBoard).toBeFalsy()
    })

    it("refuse a missing or second FILE, and --replace-board elsewhere", () => {
        expect(usage(["backup"])).toMatch(/backup takes one FILE/)
        expect(usage(["restore", "a", "b"])).toMatch(/restore takes one FILE/)
        expect(usage(["backup", "a", "--replace-board"])).toMatch(/--replace-board is an option of `restore` only/)
        expect(usage(["unlock", "--replace-board"])).toMatch(/--replace-board is an option of `restore` only/)
        // never over a broker, whatever the option is called once the CLI has one
        expect(usage(["--mqtt", "mqtt://broker", "restore", "a"])).toMatch(/over the bus only .* never a broker: --mqtt refused/)
        expect(usage(["backup", "a", "--mqtt-host", "b"])).toMatch(/never a broker/)
        // the passphrase is never an argument
        expect(usage(["backup", "a", "--passphrase", "x"])).toMatch(/unknown option --passphrase/)
    })
})
