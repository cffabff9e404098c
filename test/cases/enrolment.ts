/** Where a new companion goes (src/core/enrolment.ts): a never-issued key id, in a free or revoked record. */
import { Companion, COMPANION_RECORDS, EnrolPlace, MAX_COMPANIONS, MAX_KEY_ID, placeForEnrolment } from "../../src/core/index"
import { Suite } from "./check"
import { contains, list, str } from "./compare"

function live(id: number): Companion {
    return { id: id, key: Buffer.alloc(1), counter: 0, revoked: false }
}

function revoked(id: number): Companion {
    return { id: id, key: Buffer.alloc(0), counter: 5, revoked: true }
}

/** A record whose tag did not match: its id is unknown. */
function damaged(): Companion {
    return { id: 0, key: Buffer.alloc(0), counter: 0, revoked: true }
}

function place(p: EnrolPlace): string {
    return `id ${p.id} record ${p.record} refusal "${p.refusal}"`
}

/** Enrols like the adapter: the id saved first, then the record written in its place. */
function enrolInto(records: Companion[], last: { id: number }): number {
    const p = placeForEnrolment(records, last.id)
    if (p.refusal !== "") return -1
    last.id = p.id
    if (p.record === records.length) records.push(live(p.id))
    else records[p.record] = live(p.id)
    return p.id
}

function ids(records: Companion[]): string {
    const out: string[] = []
    for (const c of records) out.push(str(c.id))
    return list(out)
}

export function enrolmentSuite(): Suite {
    return {
        name: "companion enrolment: ids and records",
        cases: [
            {
                name: "gives a new lock ids 1, 2, 3 in new records",
                run: async check => {
                    const records: Companion[] = []
                    const last = { id: 0 }
                    const got = [enrolInto(records, last), enrolInto(records, last), enrolInto(records, last)]
                    check.eq(list([str(got[0]), str(got[1]), str(got[2])]), "1, 2, 3", "ids")
                    check.eq(ids(records), "1, 2, 3", "records")
                },
            },
            {
                name: "reuses revoked records once every record is in use: enrol-and-revoke never fills the lock",
                run: async check => {
                    const records: Companion[] = [live(1)]
                    const last = { id: 1 }
                    let skipped = ""
                    let expected = 2
                    for (let cycle = 0; cycle < 3 * COMPANION_RECORDS; cycle++) {
                        const id = enrolInto(records, last)
                        // every id issued once, in order
                        if (id !== expected) skipped = skipped + ` enrolment ${cycle + 1} got ${id}`
                        expected++
                        for (const c of records) if (c.id === id) c.revoked = true
                    }
                    check.eq(skipped, "", "ids out of order or refused")
                    check.eq(str(records.length), str(COMPANION_RECORDS), "records")
                    check.eq(str(enrolInto(records, last)), str(expected), "the next id")
                },
            },
            {
                name: "takes the revoked record with the lowest id, a damaged one first",
                run: async check => {
                    const records = [live(1), revoked(7), revoked(3), damaged(), live(9), revoked(5), live(10), live(11), live(12), revoked(13), revoked(14), live(15)]
                    check.eq(place(placeForEnrolment(records, 15)), 'id 16 record 3 refusal ""', "the damaged record")
                    records[3] = live(16)
                    check.eq(place(placeForEnrolment(records, 16)), 'id 17 record 2 refusal ""', "revoked id 3")
                },
            },
            {
                name: "never issues an id again: not one a record holds, nor one whose record was reused or lost",
                run: async check => {
                    // the id kept on flash is ahead of every record (the last enrolment's record was lost)
                    check.eq(str(placeForEnrolment([live(1), revoked(2)], 9).id), "10", "flash ahead")
                    // the id on flash is older or lost: the records' ids still count
                    check.eq(str(placeForEnrolment([live(1), revoked(12), live(4)], 3).id), "13", "flash behind")
                    check.eq(str(placeForEnrolment([live(1), revoked(12), live(4)], 0).id), "13", "flash lost")
                },
            },
            {
                name: "is Full only when every key it can hold is live, or every id was issued",
                run: async check => {
                    const records: Companion[] = []
                    for (let i = 1; i <= MAX_COMPANIONS; i++) records.push(live(i))
                    const full = placeForEnrolment(records, MAX_COMPANIONS)
                    check.eq(`${full.record} ${full.refusal}`, `-1 ${MAX_COMPANIONS} companion keys are live: revoke one first`, "every key live")
                    records[4].revoked = true
                    check.eq(place(placeForEnrolment(records, MAX_COMPANIONS)), `id ${MAX_COMPANIONS + 1} record ${MAX_COMPANIONS} refusal ""`, "one revoked")
                    // every record in use: 8 live and 4 revoked is Full; one more revoked makes room in the oldest
                    const all: Companion[] = []
                    for (let i = 1; i <= COMPANION_RECORDS; i++) all.push(i === 1 || i === 2 || i === 3 || i === 5 ? revoked(i) : live(i))
                    check.eq(contains(placeForEnrolment(all, COMPANION_RECORDS).refusal, "companion keys are live"), "yes", "8 live, 4 revoked")
                    all[5].revoked = true
                    check.eq(place(placeForEnrolment(all, COMPANION_RECORDS)), `id ${COMPANION_RECORDS + 1} record 0 refusal ""`, "a fifth revoked")
                    // the last id issued
                    const spent = placeForEnrolment([live(1), revoked(MAX_KEY_ID)], MAX_KEY_ID)
                    check.eq(`${spent.record} ${spent.refusal}`, `-1 every key id (1..${MAX_KEY_ID}) was issued since the last factory reset`, "every id issued")
                    check.eq(str(placeForEnrolment([live(1)], MAX_KEY_ID - 1).id), str(MAX_KEY_ID), "the last id")
                },
            },
        ],
    }
}
