/**
 * Where a newly enrolled companion goes: its key id and the record it is written to. Key ids are
 * never issued twice (until a factory reset): each is one above every id issued before, which the
 * adapter keeps on flash apart from the records. Records are reused: a new companion takes a
 * record never used yet, else the record of the revoked key with the lowest id, so a lock with
 * fewer than MAX_COMPANIONS live keys always has room. A revoked key whose record was reused is
 * unknown to the lock (UnknownKey); its id is never given to another key.
 * Pure: no I/O.
 */
import { Companion, MAX_COMPANIONS } from "./remote"

/** Companion records the lock keeps: the live keys, and revoked ones until their record is reused. */
export const COMPANION_RECORDS = 12
/** Key ids run from 1 to this (one byte; 0 means "every key" in the audit log). */
export const MAX_KEY_ID = 254

/** Where the next companion goes, or why there is no room (refusal: "" when there is room). */
export interface EnrolPlace {
    /** Its key id (1..MAX_KEY_ID). */
    id: number
    /** The record it is written to: an index below COMPANION_RECORDS; `companions.length` for a new record. */
    record: number
    refusal: string
}

/** Live companion keys. */
export function liveCompanions(companions: Companion[]): number {
    let live = 0
    for (const c of companions) if (!c.revoked) live++
    return live
}

/**
 * The key id and the record of the next companion. `lastIssued` is the highest id issued so far
 * as kept on flash (0: none known); the records' own ids count too, so a lost or older value
 * never brings back an id a record still holds.
 */
export function placeForEnrolment(companions: Companion[], lastIssued: number): EnrolPlace {
    let last = lastIssued
    for (const c of companions) if (c.id > last) last = c.id
    if (liveCompanions(companions) >= MAX_COMPANIONS)
        return { id: 0, record: -1, refusal: `${MAX_COMPANIONS} companion keys are live: revoke one first` }
    if (last >= MAX_KEY_ID) return { id: 0, record: -1, refusal: `every key id (1..${MAX_KEY_ID}) was issued since the last factory reset` }
    let record = -1
    if (companions.length < COMPANION_RECORDS) record = companions.length
    else
        // the revoked record with the lowest id (a damaged record, id 0, first)
        for (let i = 0; i < companions.length; i++)
            if (companions[i].revoked && (record < 0 || companions[i].id < companions[record].id)) record = i
    if (record < 0) return { id: 0, record: -1, refusal: "no companion record is free" }
    return { id: last + 1, record: record, refusal: "" }
}
