/**
 * The core's policy from a board profile (devs.json): the one mapping of seconds to the core's
 * milliseconds, used by the firmware (with its generated PROFILE) and by the benchmarks. Pure:
 * compiles under DeviceScript and Node.
 */
import type { Policy } from "../core/policy"
import type { Profile } from "./types"

export function policyFromProfile(p: Profile): Policy {
    return {
        minCodeLength: p.codes.minLength,
        maxCodeLength: p.codes.maxLength,
        entryTimeoutMs: Math.round(p.timing.entryTimeoutSeconds * 1000),
        autoRelockMs: Math.round(p.timing.autoRelockSeconds * 1000),
        longPressMs: p.timing.longPressMs,
        setupTimeoutMs: Math.round(p.timing.setupTimeoutSeconds * 1000),
        freeFailures: p.lockout.freeFailures,
        lockoutBaseMs: Math.round(p.lockout.baseSeconds * 1000),
        lockoutMaxMs: Math.round(p.lockout.maxSeconds * 1000),
        menuTimeoutMs: Math.round(p.timing.menuTimeoutSeconds * 1000),
        resetHoldMs: Math.round(p.timing.resetHoldSeconds * 1000),
        doorAjarMs: Math.round(p.timing.doorAjarSeconds * 1000),
    }
}
