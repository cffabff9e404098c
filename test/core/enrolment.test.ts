/** Where a new companion goes (src/core/enrolment.ts): a never-issued key id, in a free or revoked record. */
import { describe, expect, it } from "vitest"
import { Companion, COMPANION_RECORDS, MAX_COMPANIONS, MAX_KEY_ID, placeForEnrolment } from "../../src/core/index"

const live = (id: number): Companion => ({ id, key: [id], counter: 0, revoked: false })
const revoked = (id: number): Companion => ({ id, key: null as unknown as number[], counter: 5, revoked: true })
/** A record whose tag did not match: its id is unknown. */
const damaged = (): Companion => ({ id: 0, key: null as unknown as number[], counter: 0, revoked: true })

/** Enrols like the adapter: the id saved first, then the record written in its place. */
function enrolInto(records: Companion[], last: { id: number }): number {
    const p = placeForEnrolment(records, last.id)
    if (p.refusal !== "") return -1
    last.id = p.id
    if (p.record === records.length) records.push(live(p.id))
    else records[p.record] = live(p.id)
    return p.id
}

describe("companion enrolment: ids and records", () => {
    it("gives a new lock ids 1, 2, 3 in new records", () => {
        const records: Companion[] = []
        const last = { id: 0 }
        expect([enrolInto(records, last), enrolInto(records, last), enrolInto(records, last)]).toEqual([1, 2, 3])
        expect(records.map(c => c.id)).toEqual([1, 2, 3])
    })

    it("reuses revoked records once every record is in use: enrol-and-revoke never fills the lock", () => {
        const records: Companion[] = [live(1)]
        const last = { id: 1 }
        const issued: number[] = [1]
        for (let cycle = 0; cycle < 3 * COMPANION_RECORDS; cycle++) {
            const id = enrolInto(records, last)
            expect(id, `enrolment ${cycle + 1}`).toBeGreaterThan(0)
            issued.push(id)
            records[records.findIndex(c => c.id === id)].revoked = true
        }
        expect(records).toHaveLength(COMPANION_RECORDS)
        // every id issued once, in order
        expect(issued).toEqual(Array.from({ length: issued.length }, (_, i) => i + 1))
        expect(enrolInto(records, last)).toBe(issued.length + 1)
    })

    it("takes the revoked record with the lowest id, a damaged one first", () => {
        const records = [live(1), revoked(7), revoked(3), damaged(), live(9), revoked(5), live(10), live(11), live(12), revoked(13), revoked(14), live(15)]
        expect(placeForEnrolment(records, 15)).toEqual({ id: 16, record: 3, refusal: "" })
        records[3] = live(16)
        expect(placeForEnrolment(records, 16)).toEqual({ id: 17, record: 2, refusal: "" })
    })

    it("never issues an id again: not one a record holds, nor one whose record was reused or lost", () => {
        // the id kept on flash is ahead of every record (the last enrolment's record was lost)
        expect(placeForEnrolment([live(1), revoked(2)], 9).id).toBe(10)
        // the id on flash is older or lost: the records' ids still count
        expect(placeForEnrolment([live(1), revoked(12), live(4)], 3).id).toBe(13)
        expect(placeForEnrolment([live(1), revoked(12), live(4)], 0).id).toBe(13)
    })

    it("is Full only when every key it can hold is live, or every id was issued", () => {
        const records: Companion[] = []
        for (let i = 1; i <= MAX_COMPANIONS; i++) records.push(live(i))
        expect(placeForEnrolment(records, MAX_COMPANIONS)).toMatchObject({ record: -1, refusal: `${MAX_COMPANIONS} companion keys are live: revoke one first` })
        records[4].revoked = true
        expect(placeForEnrolment(records, MAX_COMPANIONS)).toEqual({ id: MAX_COMPANIONS + 1, record: MAX_COMPANIONS, refusal: "" })
        // every record in use: 8 live and 4 revoked is Full; one more revoked makes room in the oldest
        const all = Array.from({ length: COMPANION_RECORDS }, (_, i) => ([1, 2, 3, 5].includes(i + 1) ? revoked(i + 1) : live(i + 1)))
        expect(placeForEnrolment(all, COMPANION_RECORDS).refusal).toMatch(/companion keys are live/)
        all[5].revoked = true
        expect(placeForEnrolment(all, COMPANION_RECORDS)).toEqual({ id: COMPANION_RECORDS + 1, record: 0, refusal: "" })
        // the last id issued
        expect(placeForEnrolment([live(1), revoked(MAX_KEY_ID)], MAX_KEY_ID)).toMatchObject({
            record: -1,
            refusal: `every key id (1..${MAX_KEY_ID}) was issued since the last factory reset`,
        })
        expect(placeForEnrolment([live(1)], MAX_KEY_ID - 1).id).toBe(MAX_KEY_ID)
    })
})
