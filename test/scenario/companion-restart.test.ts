/**
 * A companion talks to the lock as soon as the board is back: once powerOn has resolved, the
 * bus knows the lock's service as this power-on serves it, so no command's answer is lost to the
 * bus replacing the service's objects mid-command (the announce that shows the restart).
 */
import { describe, expect, it } from "vitest"
import { command, enrol } from "../../companion/protocol"
import { LatchkeyClient, SRV_LATCHKEY } from "../../host/lock-client"
import { enrolled, freshBoard, itNeeds, tmpStore } from "./helpers"

const ROUNDS = 4

describe("a companion right after a power-on", () => {
    itNeeds("powerCycle")("enrols and locks twice after each restart, with no wait", async () => {
        const { b, client, store } = await enrolled()
        for (let round = 1; round <= ROUNDS; round++) {
            await b.restart()
            await b.pressProgramButton()
            const phone = tmpStore()
            await enrol(client, phone)
            expect(await command(client, phone, "lock"), `first lock, round ${round}`).toBe("Ok")
            expect(await command(client, phone, "lock"), `second lock, round ${round}`).toBe("Ok")
        }
        // and the key enrolled before the first restart still works
        expect(await command(client, store, "lock")).toBe("Ok")
    }, 120_000)

    it("finds the lock's service on the bus the moment a fresh board is ready", async () => {
        const b = await freshBoard()
        // no polling: the service device has announced itself before powerOn resolved
        expect(b.bus.services({ serviceClass: SRV_LATCHKEY }).length).toBeGreaterThan(0)
        const client = new LatchkeyClient(b.bus)
        expect((await client.status()).provisioned).toBe(false)
        await b.pressProgramButton()
        expect((await enrol(client, tmpStore())).keyId).toBe(1)
    })
})
